"""Make docs/stats-chart.png with the project itself: the example library published to a sandbox, numbers pulled at
several times of the sandbox's audience clock, then `mediactl stats chart`.

Run from the repository: `python tools/make_stats_chart.py` (about a minute: it renders, checks and approves the
example library the way the tests do, tests/exampleflow.py, then publishes to the sandbox's API channels).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the example flow the tests use: one way to make the library ready

from exampleflow import approve_library  # noqa: E402
from mediactl.cli import app  # noqa: E402
from mediactl.library.scaffold import init_project  # noqa: E402
from mediactl.sandbox import Sandbox, SandboxOptions  # noqa: E402

POSTS = {"bank-weibo": ["anti-fraud-2026", "credit-card-cashback"], "bank-douyin": ["spring-festival-greeting"],
         "bank-bilibili": ["spring-festival-greeting"], "bank-kuaishou": ["spring-festival-greeting"]}  # fmt: skip
PULLS_HOURS = (3, 9, 18, 30, 48, 72)  # the audience clock's moves between pulls, from publishing


def cli(project: Path | None, *args: str, input: str | None = None) -> object:
    result = CliRunner().invoke(app, ["-C", str(project), *args], input=input)
    if result.exit_code not in (0, 1):
        raise SystemExit(f"mediactl {' '.join(args)} failed:\n{result.output}")
    return result


def main() -> None:
    out = ROOT / "docs" / "stats-chart.png"
    with tempfile.TemporaryDirectory() as folder, Sandbox(SandboxOptions(seed=15, publish_polls=0)) as sandbox:
        env = pytest.MonkeyPatch()
        try:
            example = Path(folder) / "example"
            init_project(example)
            approve_library(cli, example, sandbox, env)
            for channel, slugs in POSTS.items():
                cli(example, "publish", *slugs, "--channel", channel, "--at", "2020-01-01T00:00")
            moved = 0
            for hours in PULLS_HOURS:
                sandbox.advance_clock((hours - moved) * 3600)
                moved = hours
                cli(example, "stats", "pull")
            # the snapshots are taken seconds apart on the wall clock: spread them to the audience clock's hours
            _spread(example, PULLS_HOURS)
            cli(example, "stats", "chart", "--out", str(out), "--metric", "likes", "--width", "1600", "--height", "800")
        finally:
            env.undo()
    print(f"wrote {out.relative_to(ROOT)}")


def _spread(example: Path, hours: tuple[int, ...]) -> None:
    """Each pull's snapshots moved to the hour of the audience clock it saw (a demo of days, made in seconds)."""
    from mediactl.publish.store import Store

    store = Store(example / ".mediactl/queue.sqlite3")
    try:
        with store.transaction() as db:
            times = [row[0] for row in db.execute("SELECT DISTINCT taken_at FROM metrics ORDER BY taken_at")]
            start = times[0] if times else 0.0
            for at, hour in zip(times, hours, strict=False):
                db.execute("UPDATE metrics SET taken_at = ? WHERE taken_at = ?", (start + hour * 3600, at))
    finally:
        store.close()


if __name__ == "__main__":
    main()
