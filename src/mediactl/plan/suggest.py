"""What a month plan leaves unused: festival and solar-term dates with nothing planned, weeks under a cap (per
segment where the cap counts by audience, with the days that have room where the team caps days), and days over
a day cap. The same headroom the calendar shows (plan/headroom.py), so the two never disagree."""

from __future__ import annotations

from datetime import timedelta

from mediactl.plan.calendar import MonthPlan
from mediactl.plan.dates import MarkKind
from mediactl.plan.headroom import WEEK, Headroom

OCCASIONS = (MarkKind.FESTIVAL, MarkKind.SOLAR_TERM, MarkKind.CONFIG)  # dates content is made for


def suggestions(plan: MonthPlan) -> list[str]:
    found = [
        f"{day.day:%m-%d} {mark.name}: nothing planned"
        for day in plan.days
        if not day.posts
        for mark in day.marks
        if mark.kind in OCCASIONS
    ]
    found += [
        f"{cap.label}: {day.day:%m-%d} is over its {cap.per} cap ({cap.used}/{cap.limit})"
        + ("" if cap.hour is None else f" at {cap.hour:02d}:00")
        for day in plan.days
        for cap in day.caps
        if cap.over
    ]
    found += [
        f"{room.label}: week of {room.week:%m-%d} uses {room.used}/{room.limit} of its cap{_free_days(plan, room)}"
        for room in plan.headroom
        if room.own and room.used < room.limit  # a platform's rate limit is a ceiling, not a cadence to fill
    ]
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
