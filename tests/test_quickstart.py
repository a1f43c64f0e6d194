"""The README's Quick start: its first line is short, and it runs (minus the install, done already) and publishes.

.ci/run runs the second line (the test command); this test runs the first one, so the quick start a newcomer
copies is the one that works.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
INSTALL = ("python3 -m venv", ". .venv/bin/activate", "pip install")
EXAMPLE_ITEMS = {"anti-fraud-2026", "credit-card-cashback", "spring-festival-greeting", "wealth-steady-plus"}


def quick_start_line() -> str:
    """The first fenced line of the README's Quick start section."""
    section = README.read_text("utf-8").split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```bash\n(.+?)\n```", section, re.S)
    assert found, "the Quick start has no fenced bash block"
    lines = found.group(1).splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_the_first_line_is_short_and_runs_the_pipeline() -> None:
    line = quick_start_line()
    assert len(line) <= 160, f"{len(line)} characters: {line}"
    steps = line.split(" && ")
    assert len(steps) <= 6, steps
    assert any(step.startswith("mediactl init ") for step in steps), steps
    assert any(re.match(r"mediactl (-C \S+ )?run --channel outbox$", step) for step in steps), steps


def test_the_first_line_publishes_the_example_library(tmp_path: Path) -> None:
    """Run as written after the install: the example approvals are valid, so `run` delivers every item."""
    steps = [step for step in quick_start_line().split(" && ") if not step.startswith(INSTALL)]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-ec", " && ".join(steps)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    project = next(path.parent for path in tmp_path.glob("*/mediactl.yaml"))
    queue = subprocess.run([sys.executable, "-m", "mediactl", "-C", str(project), "queue", "ls", "--json"],
                           env=env, capture_output=True, text=True)  # fmt: skip
    assert queue.returncode == 0, queue.stderr
    sent = {job["item"] for job in json.loads(queue.stdout) if job["state"] == "sent"}
    assert sent == EXAMPLE_ITEMS, done.stdout
