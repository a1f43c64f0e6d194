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


def test_rules_ls_is_sorted_by_id(cli, example: Path) -> None:
    import json

    rules = json.loads(cli(example, "rules", "ls", "--json").stdout)
    assert [rule["id"] for rule in rules] == sorted(rule["id"] for rule in rules)
    shown = [line.split()[0] for line in cli(example, "rules", "ls").stdout.splitlines()[1:-1] if line.strip()]
    assert shown == sorted(shown) and len(shown) == len(rules)


def test_queue_ls_right_aligns_job_numbers() -> None:
    from types import SimpleNamespace
    from zoneinfo import ZoneInfo

    from mediactl.cli.publish import job_lines

    def job(number: int) -> SimpleNamespace:
        return SimpleNamespace(id=number, state="pending", channel="outbox", item="a", due_at=1796578075.0,
                               attempts=0, remote_url=None, error=None, confirmed=dict)  # fmt: skip

    lines = job_lines([job(7), job(12345)], ZoneInfo("Asia/Shanghai"))
    assert lines[0].index("#7 ") == lines[1].index("#12345 ") + 4, lines  # the numbers end in one column


def test_check_text_aligns_the_place_of_every_finding() -> None:
    """blocker, error, warning, info and allowed differ in length: the file:line:col after them starts in one column."""
    import io

    from rich.console import Console

    from mediactl.check.findings import Finding
    from mediactl.check.report import render_text

    findings = [Finding("a.md", line, 1, f"r.{severity}", severity, "m", "x", "builtin", item="a")
                for line, severity in enumerate(("blocker", "error", "warning", "info"), start=1)]  # fmt: skip
    findings.append(Finding("a.md", 9, 1, "r.allowed", "info", "m", "x", "builtin", item="a", suppressed="ok"))
    buffer = io.StringIO()
    render_text(findings, Console(file=buffer, width=200, highlight=False))
    columns = {line.index("a.md:") for line in buffer.getvalue().splitlines() if "a.md:" in line}
    assert len(columns) == 1, buffer.getvalue()
