"""A month plan: per day what is scheduled on each channel and the day's marks, and per channel and week the
frequency-cap headroom ("本周已用 1/1"; per segment where a cap counts by audience, per day for day caps:
plan/headroom.py).

Posts come from two places: items' `schedule:` front matter (what is planned) and the state store's jobs (what
is queued or went out, at the time the queue holds, which caps may have moved). A job stands for the schedule
entry of the same item and channel. The store is only read, and a project that never published has none yet:
then the plan holds the schedule alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from mediactl.config.model import Config
from mediactl.library.scan import Library
from mediactl.plan.dates import Mark, month_days, month_marks
from mediactl.plan.headroom import DayCap, Headroom, day_caps, week_headroom
from mediactl.publish.store import Job, audience_key, open_store, store_exists

SKIPPED_STATES = ("cancelled",)  # a cancelled job is no longer part of the plan


@dataclass(frozen=True)
class Post:
    channel: str
    item: str
    title: str
    at: datetime
    state: str  # "scheduled" (front matter only) or the job's state
    audience: str = ""  # the audience key the gate counts by-audience caps with (Job.audience)

    def to_dict(self) -> dict[str, str]:
        return {"channel": self.channel, "item": self.item, "title": self.title,
                "at": self.at.isoformat(timespec="minutes"), "state": self.state}  # fmt: skip


@dataclass(frozen=True)
class DayPlan:
    day: date
    posts: list[Post] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    caps: list[DayCap] = field(default_factory=list)  # day caps, and hour caps where an hour holds two posts

    def to_dict(self) -> dict[str, Any]:
        return {"date": self.day.isoformat(), "weekday": self.day.isoweekday(),
                "marks": [mark.to_dict() for mark in self.marks],
                "posts": [post.to_dict() for post in self.posts],
                "caps": [cap.to_dict() for cap in self.caps]}  # fmt: skip


@dataclass(frozen=True)
class MonthPlan:
    year: int
    month: int
    timezone: str
    days: list[DayPlan]
    headroom: list[Headroom]
    notices: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"month": f"{self.year:04d}-{self.month:02d}", "timezone": self.timezone,
                "notices": self.notices, "days": [day.to_dict() for day in self.days],
                "headroom": [room.to_dict() for room in self.headroom]}  # fmt: skip


def parse_month(text: str) -> tuple[int, int] | None:
    """(year, month) of `YYYY-MM`, None when it is not one."""
    try:
        parsed = datetime.strptime(text, "%Y-%m")
    except ValueError:
        return None
    return parsed.year, parsed.month


def month_plan(library: Library, year: int, month: int, *, channel: str | None = None,
               jobs: list[Job] | None = None) -> MonthPlan:  # fmt: skip
    """The plan of one month, for every channel or one. `jobs`: the store's (default: read from it)."""
    config = library.config
    tz = config.project.tz
    posts = _posts(library, read_jobs(config) if jobs is None else jobs, tz)
    if channel is not None:
        posts = [post for post in posts if post.channel == channel]
    marks, notices = month_marks(year, month, config.calendar)
    names = [channel] if channel is not None else sorted(config.channels)
    dates = month_days(year, month)
    caps = [day_caps(config, name, posts, dates) for name in names]
    days = [
        DayPlan(day, sorted((p for p in posts if p.at.date() == day), key=lambda p: (p.at, p.channel)),
                [mark for mark in marks if mark.day == day], [cap for found in caps for cap in found[day]])
        for day in dates
    ]  # fmt: skip
    headroom = [room for name in names for room in week_headroom(config, name, posts, dates[0], dates[-1])]
    return MonthPlan(year, month, config.project.timezone, days, headroom, notices)


def read_jobs(config: Config) -> list[Job]:
    """The store's jobs, read only; none when the project has no store yet (a SQLite file never created)."""
    if not store_exists(config):
        return []
    store = open_store(config)
    try:
        return store.jobs()
    finally:
        store.close()


def _posts(library: Library, jobs: list[Job], tz: Any) -> list[Post]:
    queued = {(job.channel, job.item): job for job in jobs if job.state not in SKIPPED_STATES}
    posts = [
        Post(
            job.channel,
            job.item,
            _title(library, job.item),
            datetime.fromtimestamp(job.due_at, tz),
            str(job.state),
            job.audience,
        )
        for job in queued.values()
    ]
    for item in library.items.values():
        for name, when in item.schedule.items():
            if (name, item.slug) not in queued:
                posts.append(
                    Post(name, item.slug, item.title, when.astimezone(tz), "scheduled", audience_key(item.audience))
                )
    return posts


def _title(library: Library, slug: str) -> str:
    item = library.items.get(slug)
    return item.title if item is not None else slug
