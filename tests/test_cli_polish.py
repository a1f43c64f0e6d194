"""What a demanding user of the CLI expects: output that pipes cleanly, JSON everywhere, times in the project's
zone, honest marks, a clean fresh project."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from mediactl.library.scaffold import init_project

EXAMPLE_TITLES = {"anti-fraud-2026": "守好钱袋子，谨防电信网络诈骗"}


def _mediactl(project: Path, *args: str, columns: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    if columns:
        env["COLUMNS"] = columns
    return subprocess.run([sys.executable, "-m", "mediactl", "-C", str(project), *args], capture_output=True,
                          text=True, env=env, stdin=subprocess.DEVNULL)  # fmt: skip


def test_piped_tables_are_not_wrapped_at_80_columns(tmp_path: Path) -> None:
    project = tmp_path / "p"
    init_project(project)
    listed = _mediactl(project, "ls")
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[0]: line for line in listed.stdout.splitlines() if line.strip()}
    assert EXAMPLE_TITLES["anti-fraud-2026"] in rows["anti-fraud-2026"], listed.stdout
    assert "bank-weibo" in rows["anti-fraud-2026"]  # the channels on the item's one line, not folded
    assert len(listed.stdout.splitlines()) == 6  # header, four items, the count


def test_columns_set_by_the_user_is_respected(tmp_path: Path) -> None:
    project = tmp_path / "p"
    init_project(project)
    from rich.cells import cell_len

    listed = _mediactl(project, "ls", columns="100")
    assert max(map(cell_len, listed.stdout.splitlines())) <= 100
    assert len(listed.stdout.splitlines()) > 6  # folded to fit, as asked


def test_doctor_never_ticks_what_it_did_not_find(cli, example: Path, monkeypatch) -> None:
    import shutil

    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # import fails: as on a machine without it
    result = cli(example, "doctor")
    line = next(line for line in result.output.splitlines() if "ffmpeg" in line)
    assert "not found" in line and "✓" not in line, line
    data = json.loads(cli(example, "doctor", "--json").stdout)
    ffmpeg = next(check for check in data if check["check"] == "ffmpeg")
    assert ffmpeg["status"] == "absent" and ffmpeg["ok"] is True  # optional: absent does not fail doctor
    assert {check["status"] for check in data} <= {"ok", "failed", "absent"}
