"""A month plan as an iCalendar file (RFC 5545) for calendar apps: one event per scheduled post, one all-day
event per marked date.

UIDs are derived from what an event is (channel and item; date, kind and name), never random, so a calendar app
that imports the file again updates its events instead of doubling them.

A post's times are local times of the project's zone (DTSTART;TZID=Asia/Shanghai:…) with that zone's VTIMEZONE
in the file, made by icalendar from zoneinfo: Outlook reads no X-WR-TIMEZONE, and a plan of 08:00 pushes should
read 08:00 in the team's calendar whatever the reader's own zone.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar, Event

from mediactl.plan.calendar import MonthPlan, Post
from mediactl.plan.dates import Mark, MarkKind

POST_MINUTES = 30  # a post is an instant; calendar apps show a short event better than a zero-length one
KIND_NAMES = {MarkKind.HOLIDAY: "法定节假日", MarkKind.WORKDAY: "调休上班", MarkKind.FESTIVAL: "节日",
              MarkKind.SOLAR_TERM: "节气", MarkKind.CONFIG: "自定日期"}  # fmt: skip


def to_ics(plan: MonthPlan, project: str, *, now: datetime | None = None) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//mediactl//calendar//ZH")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"{project} {plan.year:04d}-{plan.month:02d}")
    calendar.add("x-wr-timezone", plan.timezone)
    stamp = now or datetime.now(UTC)
    for day in plan.days:
        for mark in day.marks:
            calendar.add_component(_mark_event(mark, stamp))
        for post in day.posts:
            calendar.add_component(_post_event(post, stamp))
    first, last = plan.days[0].day, plan.days[-1].day
    # the zone's rules around the month only: a short VTIMEZONE, and none of icalendar's 1970–2038 default range
    calendar.add_missing_timezones(first_date=date(first.year - 1, 1, 1), last_date=date(last.year + 2, 1, 1))
    return bytes(calendar.to_ical())


def _uid(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32] + "@mediactl"


def _mark_event(mark: Mark, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", _uid("mark", mark.day.isoformat(), str(mark.kind), mark.name))
    event.add("dtstamp", stamp)
    event.add("dtstart", mark.day)
    event.add("dtend", mark.day + timedelta(days=1))
    event.add("summary", mark.name)
    event.add("categories", [KIND_NAMES[mark.kind]])
    event.add("transp", "TRANSPARENT")  # a date to plan around, not time taken
    return event


def _post_event(post: Post, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", _uid("post", post.channel, post.item))
    event.add("dtstamp", stamp)
    event.add("dtstart", post.at)  # aware, in the project's zone: written with its TZID
    event.add("dtend", post.at + timedelta(minutes=POST_MINUTES))
    event.add("summary", f"[{post.channel}] {post.title}")
    event.add("description", f"{post.item} → {post.channel} ({post.state})")
    event.add("categories", [post.channel])
    return event
