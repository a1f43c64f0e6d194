"""`calendar`: the month plan as a grid, JSON or iCalendar; `plan suggest`: what the plan leaves unused."""

from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from mediactl.cli.base import STATE
from mediactl.core import console
from mediactl.core.errors import UsageError

WEEKDAYS = ("一", "二", "三", "四", "五", "六", "日")
MARK_STYLES = {"holiday": "red", "workday": "yellow", "festival": "magenta", "solar_term": "green", "config": "cyan"}


def calendar_cmd(
    month: Annotated[str | None, typer.Option("--month", help="The month, YYYY-MM (default: this month).")] = None,
    channel: Annotated[str | None, typer.Option("--channel", "-c", help="Only this channel.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
    ics: Annotated[
        Path | None, typer.Option("--ics", help="Write the plan as an iCalendar file (- for stdout).")
    ] = None,
) -> None:
    """Show a month's plan: what is scheduled per day and channel, holidays and 调休 days, festivals, solar terms, your own dates, and each channel's weekly cap headroom.

    Scheduled posts come from items' `schedule:` and the queue (read only). Your own dates: `calendar: {dates: [...]}` in mediactl.yaml.

    Examples:

      $ mediactl calendar --month 2027-02

      $ mediactl calendar --channel bank-wecom --json

      $ mediactl calendar --month 2027-02 --ics plan.ics
    """
    if json_output and ics is not None:
        raise UsageError("--json and --ics are two outputs of the same plan: choose one")
    plan = _plan(month, channel)
    if ics is not None:
        from mediactl.plan.ics import to_ics  # lazy: start-up

        data = to_ics(plan, STATE.config().project.name)
        if str(ics) == "-":
            typer.echo(data.decode("utf-8"), nl=False)
        else:
            ics.write_bytes(data)
            console.success(f"wrote {ics} ({sum(len(d.posts) + len(d.marks) for d in plan.days)} events)")
        return
    if json_output:
        console.emit_json(plan.to_dict())
        return
    for notice in plan.notices:
        console.warning(notice)
    console.out.print(grid(plan))
    for line in headroom_lines(plan):
        console.info(line)


def headroom_lines(plan: Any) -> list[str]:
    """Each channel's week headroom ("本周已用 1/1"), per segment where a cap counts by audience; week and month caps
    as the gate counts them: the posts within 7 or 30 days either side of a post (plan/headroom.py)."""
    from mediactl.plan.headroom import ROLLING, ROLLING_DAYS  # lazy: start-up

    lines = []
    for room in plan.headroom:
        sunday = room.week + timedelta(days=6)
        if room.window == ROLLING:
            lines.append(
                f"{room.label}: {room.week:%m-%d}–{sunday:%m-%d} {ROLLING_DAYS} 天内已用 {room.used}/{room.limit}"
            )
        else:
            lines.append(f"{room.label}: {room.week:%m-%d}–{sunday:%m-%d} 本周已用 {room.used}/{room.limit}")
        lines[-1] += " (超出)" if room.used > room.limit else ""
    if plan.headroom:
        lines.append(f"week and month caps count rolling windows, as the gate does: the posts within 7 or {ROLLING_DAYS} "
                     "days either side of each post, not a calendar week or month")  # fmt: skip
    return lines


def plan_suggest_cmd(
    month: Annotated[str | None, typer.Option("--month", help="The month, YYYY-MM (default: this month).")] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="The suggestions as JSON (kind, date, channel, …).")
    ] = False,
) -> None:
    """List festival and solar-term dates with nothing planned, and weeks where a channel's cap is unused.

    Examples:

      $ mediactl plan suggest --month 2027-02

      $ mediactl plan suggest --json
    """
    from mediactl.plan.suggest import suggestions  # lazy: start-up

    plan = _plan(month, None)
    for notice in plan.notices:
        console.warning(notice)
    found = suggestions(plan)
    if json_output:
        console.emit_json({"month": f"{plan.year:04d}-{plan.month:02d}", "notices": plan.notices,
                           "suggestions": [suggestion.to_dict() for suggestion in found]})  # fmt: skip
        return
    console.lines(f"  - {suggestion.text}" for suggestion in found)
    console.info(f"{len(found)} suggestion(s)")


def _plan(month: str | None, channel: str | None) -> Any:
    from mediactl.plan.calendar import month_plan, parse_month  # lazy: start-up

    config = STATE.config()
    if month is None:
        today = datetime.now(config.project.tz)
        year, number = today.year, today.month
    else:
        parsed = parse_month(month)
        if parsed is None:
            raise UsageError(f"--month: expected YYYY-MM such as 2027-02, got '{month}'")
        year, number = parsed
    if channel is not None:
        config.channel(channel)  # an unknown channel is named, with a suggestion
    return month_plan(STATE.library(), year, number, channel=channel)


def grid(plan: Any) -> Any:
    """Monday-first weeks; rich measures CJK cells as two columns wide."""
    from rich.markup import escape  # lazy: start-up
    from rich.table import Table  # lazy: start-up

    table = Table(title=f"{plan.year}年{plan.month}月", show_lines=True, expand=False)
    for index, name in enumerate(WEEKDAYS):
        table.add_column(
            f"周{name}", style="dim" if index >= 5 else None, min_width=14, vertical="top", overflow="fold"
        )
    cells = [""] * plan.days[0].day.weekday()
    for day in plan.days:
        lines = [f"[bold]{day.day.day}[/bold]"]
        lines += [f"[{MARK_STYLES[str(m.kind)]}]{escape(m.name)}[/]" for m in day.marks]
        lines += [f"{p.at:%H:%M} {escape(p.channel)}" for p in day.posts]
        lines += [f"[red]⚠ {cap.used}/{cap.limit} {escape(cap.label)}{_hour(cap)}[/]" for cap in day.caps if cap.over]
        cells.append("\n".join(lines))
    cells += [""] * (-len(cells) % 7)
    for start in range(0, len(cells), 7):
        table.add_row(*cells[start : start + 7])
    return table


def _hour(cap: Any) -> str:
    return "" if cap.hour is None else f" {cap.hour:02d}时"
