"""Issue 16: tables piped to a file or another program are aligned, sorted by a stable key, and carry no trailing
spaces (rich pads every cell to its column's width, the last one too)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from mediactl.library.scaffold import init_project


def _piped(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    return subprocess.run([sys.executable, "-m", "mediactl", "-C", str(project), *args], capture_output=True,
                          text=True, env=env, stdin=subprocess.DEVNULL)  # fmt: skip


def test_piped_tables_have_no_trailing_spaces(tmp_path: Path) -> None:
    project = tmp_path / "p"
    init_project(project)
    for command in (("ls",), ("rules", "ls")):
        shown = _piped(project, *command)
        assert shown.returncode == 0, shown.stderr
        padded = [line for line in shown.stdout.splitlines() if line != line.rstrip()]
        assert not padded, (command, padded[:3])
