"""What a month plan leaves unused: festival and solar-term dates with nothing planned, weeks under a cap."""

from __future__ import annotations

from mediactl.plan.calendar import MonthPlan
from mediactl.plan.dates import MarkKind

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
        f"{room.channel}: week of {room.week:%m-%d} uses {room.used}/{room.limit} of its cap"
        for room in plan.headroom
        if room.own and room.used < room.limit  # a platform's rate limit is a ceiling, not a cadence to fill
    ]
    return found
