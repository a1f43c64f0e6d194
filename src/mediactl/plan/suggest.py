"""What a month plan leaves unused: festival and solar-term dates with nothing planned, weeks under a cap (per
segment where the cap counts by audience, with the days that have room where the team caps days), and days over
a day cap. The same headroom the calendar shows (plan/headroom.py), so the two never disagree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from mediactl.plan.calendar import MonthPlan
from mediactl.plan.dates import MarkKind
from mediactl.plan.headroom import WEEK, Headroom

OCCASIONS = (MarkKind.FESTIVAL, MarkKind.SOLAR_TERM, MarkKind.CONFIG)  # dates content is made for


@dataclass(frozen=True)
class Suggestion:
    """One thing the plan leaves unused or overdone: `kind` is `occasion` (a date with nothing planned), `over` (a
    day over a cap) or `room` (a week under the team's own cap); `day` the date (a week's Monday); `text` says it."""

    kind: str
    day: date
    text: str
    channel: str = ""
    audience: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "date": self.day.isoformat(), "channel": self.channel, "audience": self.audience,
                "text": self.text}  # fmt: skip


def suggestions(plan: MonthPlan) -> list[Suggestion]:
    found = [
        Suggestion("occasion", day.day, f"{day.day:%m-%d} {mark.name}: nothing planned")
        for day in plan.days
        if not day.posts
        for mark in day.marks
        if mark.kind in OCCASIONS
    ]
    found += [
        Suggestion("over", day.day, f"{cap.label}: {day.day:%m-%d} is over its {cap.per} cap ({cap.used}/{cap.limit})"
                   + ("" if cap.hour is None else f" at {cap.hour:02d}:00"), cap.channel, cap.audience or "")
        for day in plan.days
        for cap in day.caps
        if cap.over
    ]  # fmt: skip
    found += [
        Suggestion("room", room.week, f"{room.label}: week of {room.week:%m-%d} uses {room.used}/{room.limit} of its "
                   f"cap{_free_days(plan, room)}", room.channel, room.audience or "")
        for room in plan.headroom
        if room.own and room.used < room.limit  # a platform's rate limit is a ceiling, not a cadence to fill
    ]  # fmt: skip
    return found


def _free_days(plan: MonthPlan, room: Headroom) -> str:
    """The days of a week (in the month) under the team's own day cap of the same scope, where it has one."""
    if room.window != WEEK:
        return ""
    week = {room.week + timedelta(days=offset) for offset in range(7)}
    capped = [
        (day.day, cap)
        for day in plan.days
        if day.day in week
        for cap in day.caps
        if cap.per == "day" and cap.own and (cap.channel, cap.audience) == (room.channel, room.audience)
    ]
    free = [f"{day:%m-%d}" for day, cap in capped if cap.used < cap.limit]
    return f"; days with room: {' '.join(free)}" if capped else ""
