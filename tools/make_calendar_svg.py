#!/usr/bin/env python3
"""Make docs/calendar.svg, the README's picture of `mediactl calendar`, from the project itself.

The example project (what `mediactl init` creates, with the items' `schedule:` front matter) is planned for
December 2026 and drawn by the same code the command prints with (cli/plan.py `grid` and `headroom_lines`),
through rich's recording console, saved as SVG. The characters stay text in the SVG (Chinese included: a
browser falls back to a CJK font), so the picture is searchable and small. Run it again after changing the
grid or the example's schedule:

    python tools/make_calendar_svg.py            # writes docs/calendar.svg
"""

from __future__ import annotations

import argparse
import io
import re
import tempfile
from datetime import date
from pathlib import Path

from rich.console import Console

from mediactl.cli.plan import grid, headroom_lines
from mediactl.config.model import load_config
from mediactl.library.scaffold import init_project
from mediactl.library.scan import load_library
from mediactl.plan.calendar import month_plan

YEAR, MONTH = 2026, 12  # the example's December: articles, a 1-to-1 push, two posts on one day of a 1-a-day channel
SHOWN_WEEK = date(2026, 12, 7)  # the headroom lines under the grid: one week (the push to two segments)
WIDTH = 128  # columns: the seven day columns and their longest channel names without folding
WEEK = re.compile(r"\d\d-\d\d–\d\d-\d\d")  # a headroom line's week, "12-07–12-13"; the closing note names none


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "docs" / "calendar.svg")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "example"
        init_project(project)
        plan = month_plan(load_library(load_config(project / "mediactl.yaml")), YEAR, MONTH, jobs=[])
    console = Console(record=True, width=WIDTH, file=io.StringIO(), force_terminal=True, color_system="truecolor")
    console.print(grid(plan))
    week = f"{SHOWN_WEEK:%m-%d}–"
    for line in headroom_lines(plan):
        if week in line or not WEEK.search(line):  # the shown week's lines and the note on how caps are counted
            console.print(line, markup=False, highlight=False)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    console.save_svg(str(args.out), title=f"mediactl calendar --month {YEAR}-{MONTH:02d}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
