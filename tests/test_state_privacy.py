"""The state folder is its owner's alone: 0700 folders and 0600 files, whatever the umask."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from mediactl.publish.store import Store

SLUG = "anti-fraud-2026"

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes (Windows keeps its ACLs)")


@pytest.fixture(params=[0o022, 0o000], ids=["umask-022", "umask-000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def modes(folder: Path) -> dict[str, str]:
    """Every path under `folder` (and itself) with its permission bits, for one readable assertion."""
    found = {".": oct(stat.S_IMODE(folder.stat().st_mode))}
    for path in folder.rglob("*"):
        found[path.relative_to(folder).as_posix()] = oct(stat.S_IMODE(path.stat().st_mode))
    return found


def private(found: dict[str, str], folder: Path) -> dict[str, str]:
    return {name: mode for name, mode in found.items() if mode != ("0o700" if (folder / name).is_dir() else "0o600")}


def test_state_files_and_folders_are_private(cli, example: Path, monkeypatch, umask: int) -> None:
    monkeypatch.setenv("MEDIACTL_USER", "li.na")
    assert cli(example, "check", SLUG).exit_code == 0
    monkeypatch.setenv("MEDIACTL_USER", "wang.min")
    assert cli(example, "approve", SLUG).exit_code == 0
    assert cli(example, "publish", SLUG, "--channel", "outbox").exit_code == 0
    state = example / ".mediactl"
    with sqlite3.connect(state / "queue.sqlite3") as db:  # an open connection: -wal and -shm exist
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("INSERT INTO switches VALUES ('x', 'r', 'a', 0)")
        found = modes(state)
        assert {"queue.sqlite3", "queue.sqlite3-wal", "queue.sqlite3-shm", "audit.jsonl"} <= set(found)
        assert any(name.startswith("reports/") for name in found)
        assert private(found, state) == {}


def test_an_older_state_folder_is_tightened_when_used(cli, example: Path) -> None:
    """Left by a version that followed the umask: 0755 and 0644."""
    state = example / ".mediactl"
    state.mkdir(mode=0o755, exist_ok=True)  # init made it, for its demo keys: widened below
    Store(state / "queue.sqlite3").close()  # a real store (an empty file would read as a damaged one)
    (state / "audit.jsonl").touch()
    for path in (state, state / "queue.sqlite3", state / "audit.jsonl"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    assert cli(example, "pause", "--reason", "maintenance").exit_code == 0
    assert private(modes(state), state) == {}


def test_a_state_folder_that_is_the_project_keeps_the_project_shared(minimal: Path) -> None:
    """`state: .` puts the queue beside mediactl.yaml: the queue is private, the project's files are not."""
    from mediactl.config.model import load_config
    from mediactl.core import fsutil
    from mediactl.publish.store import Store

    config = minimal / "mediactl.yaml"
    config.write_text(
        config.read_text("utf-8").replace("  timezone: Asia/Shanghai\n", "  timezone: Asia/Shanghai\n  state: .\n")
    )
    minimal.chmod(0o755)
    load_config(config)
    Store(minimal / "queue.sqlite3").close()
    fsutil.write_text(minimal / "content/news/a/index.md", "x")
    assert stat.S_IMODE((minimal / "queue.sqlite3").stat().st_mode) == 0o600
    assert stat.S_IMODE(minimal.stat().st_mode) == 0o755
    assert stat.S_IMODE((minimal / "content/news/a/index.md").stat().st_mode) != 0o600
