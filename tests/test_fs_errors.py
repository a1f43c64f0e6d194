"""Filesystem trouble is the operator's to fix, not a bug: read-only folders, a full disk, a damaged store page.

Each is one clear error naming the path, exit 2; and on a full disk a post that went out is still recorded.
"""

from __future__ import annotations

import errno
import json
import socket
import sqlite3
from pathlib import Path

import pytest

from conftest import SLUG
from mediactl.core import fsutil
from mediactl.core.errors import FilesystemError
from mediactl.publish.adapters.outbox import OutboxAdapter
from mediactl.publish.store import Store, StoreError

STORE = ".mediactl/queue.sqlite3"


def clear_error(result, *names: str) -> None:
    assert result.exit_code == 2, result.output
    for name in names:
        assert name in result.stderr, result.stderr
    assert "this is a bug" not in result.stderr and "Traceback" not in result.output


def test_a_read_only_build_folder_is_named(cli, example: Path, mounts) -> None:
    assert cli(example, "render", SLUG).exit_code == 0
    index = example / "content/article" / SLUG / "index.md"
    index.write_text(index.read_text("utf-8").replace("守好钱袋子", "守住钱袋子", 1), "utf-8")
    mounts.read_only(example / "build")
    clear_error(cli(example, "render", SLUG), str(example / "build"), "read-only")


def test_a_damaged_store_page_is_named(cli, ready: Path) -> None:
    store = Store(ready / STORE)
    for n in range(200):
        store.enqueue("outbox", f"item-{n}", f"{n:064d}", 4102444800.0)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (root,) = store.db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'jobs'").fetchone()
    (page,) = store.db.execute("PRAGMA page_size").fetchone()
    store.close()
    with open(ready / STORE, "r+b") as handle:
        handle.seek((root - 1) * page)
        handle.write(b"\xa5" * 64)
    for command in (("queue", "ls"), ("publish", "--due"), ("publish", SLUG, "--channel", "outbox")):
        clear_error(cli(ready, *command), "queue.sqlite3", "damaged")


def test_a_full_disk_stops_changes_with_the_path_named(cli, ready: Path, mounts) -> None:
    state = ready / ".mediactl"
    mounts.small_disk(state, 4096)
    watching = Store(ready / STORE)  # another process has the store open: it opens, then cannot grow
    try:
        filler = mounts.fill(state)
        for command in (("pause", "--reason", "舆情"), ("publish", SLUG, "--channel", "outbox")):
            clear_error(cli(ready, *command), str(state), "full")
        filler.unlink()
        assert watching.paused() == {} and watching.jobs() == []
    finally:
        watching.close()


def test_a_post_delivered_as_the_disk_fills_is_recorded_never_left_sending(
    cli, ready: Path, mounts, monkeypatch
) -> None:
    state = ready / ".mediactl"
    mounts.small_disk(state, 4096)
    assert cli(ready, "publish", SLUG, "--channel", "outbox", "--at", "2099-01-01T09:00").exit_code == 0
    store = Store(ready / STORE)
    store.db.execute("UPDATE jobs SET due_at = 0")
    store.close()
    deliver = OutboxAdapter.publish
    filler: list[Path] = []

    def deliver_then_fill_the_disk(self, variant, key):
        receipt = deliver(self, variant, key)
        filler.append(mounts.fill(state))  # the post is out; now nothing more fits beside the state
        return receipt

    monkeypatch.setattr(OutboxAdapter, "publish", deliver_then_fill_the_disk)
    result = cli(ready, "publish", "--due")
    clear_error(result, str(state), "job 1 (outbox/anti-fraud-2026) was sent")
    store = Store(ready / STORE)
    assert [j.state for j in store.jobs()] == ["sent"]
    store.close()

    monkeypatch.setattr(OutboxAdapter, "publish", deliver)
    filler[0].unlink()
    assert cli(ready, "publish", "--due").exit_code == 0
    log = [json.loads(line) for line in (state / "audit.jsonl").read_text("utf-8").splitlines()]
    assert [r["job"] for r in log if r["action"] == "delivery.sent"] == [1]
    assert cli(ready, "log", "verify").exit_code == 0
    assert len(list((ready / "outbox/outbox" / SLUG).iterdir())) == 1


def test_an_outcome_the_store_cannot_take_is_reconciled_by_the_next_run(ready: Path, monkeypatch) -> None:
    """No reserve left and the store refuses the outcome: the error says so, the job stays `sending`, and the next
    run settles it (from the audit log, which took the outcome; else the outbox receipt), never sends it again."""
    from mediactl.config.model import load_config
    from mediactl.publish.runner import Publisher

    config = load_config(ready / "mediactl.yaml")
    publisher = Publisher(config)
    (queued,) = publisher.enqueue(_planned(config), at=0.0, force_reason=None, defer=False, dry_run=False)
    publisher.close()

    def full(*args, **kwargs):
        raise StoreError(f"{ready / STORE}: the disk holding the state store is full", disk_full=True)

    publisher = Publisher(config)
    monkeypatch.setattr(publisher.store, "settle_and_claim", _fail_settlements(publisher.store.settle_and_claim, full))
    monkeypatch.setattr(publisher.store, "release_reserve", lambda: False)
    with pytest.raises(StoreError) as caught:
        publisher.deliver_due()
    publisher.close()
    assert f"job {queued.job} (outbox/anti-fraud-2026) was sent" in caught.value.message
    assert "next publish --due asks the platform" in caught.value.message
    store = Store(ready / STORE)
    assert store.get(queued.job).state == "sending"
    store.db.execute("UPDATE jobs SET claimed_by = ?", (f"{socket.gethostname()}:999999999:1",))  # that run ended
    store.close()

    publisher = Publisher(config)
    try:
        reconciled = publisher.deliver_due()
        assert [(o.job, o.state) for o in reconciled] == [(queued.job, "sent")]
        assert publisher.store.get(queued.job).state == "sent"
    finally:
        publisher.close()


def _planned(config):
    from mediactl.library.scan import load_library
    from mediactl.render.plan import plan_variants

    planned, _ = plan_variants(load_library(config), config, [SLUG], "outbox")
    return planned


def _fail_settlements(real, fail):
    """settle_and_claim that claims as usual but cannot record an outcome."""

    def settle_and_claim(settlement, claim):
        if settlement is not None:
            fail()
        return real(settlement, claim)

    return settle_and_claim


def test_fsutil_names_the_path_of_a_failed_write(tmp_path: Path, monkeypatch) -> None:
    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fsutil.os, "fsync", no_space)
    target = tmp_path / "out" / "报告.json"
    with pytest.raises(FilesystemError) as caught:
        fsutil.write_text(target, "{}")
    assert str(target) in caught.value.message and "no space left" in caught.value.message
    assert (
        isinstance(caught.value, OSError) and caught.value.errno == errno.ENOSPC
    )  # callers that catch OSError still do
    assert not list(target.parent.iterdir())  # no temporary file left behind


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (sqlite3.OperationalError("database or disk is full"), "full"),
        (sqlite3.OperationalError("attempt to write a readonly database"), "read-only"),
        (sqlite3.DatabaseError("database disk image is malformed"), "damaged"),
        (sqlite3.OperationalError("disk I/O error"), "input/output error"),
        (PermissionError(errno.EACCES, "Permission denied", "/srv/media/build/x"), "/srv/media/build: cannot create x"),
    ],
)
def test_the_cli_edge_turns_filesystem_and_sqlite_errors_into_clear_errors(cli, example: Path, monkeypatch,
                                                                           error, expected) -> None:  # fmt: skip
    def fails(*args, **kwargs):
        raise error

    monkeypatch.setattr("mediactl.library.scan.load_library", fails)
    clear_error(cli(example, "ls"), expected)
