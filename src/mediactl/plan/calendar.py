"""A month plan: per day what is scheduled on each channel and the day's marks, and per channel and week the
frequency-cap headroom ("本周已用 1/1").

Posts come from two places: items' `schedule:` front matter (what is planned) and the state store's jobs (what
is queued or went out, at the time the queue holds, which caps may have moved). A job stands for the schedule
entry of the same item and channel. The store is only read, and a project that never published has none yet:
then the plan holds the schedule alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from mediactl.config.model import Config
from mediactl.library.scan import Library
from mediactl.plan.dates import Mark, month_days, month_marks, week_start
from mediactl.publish import gate
from mediactl.publish.store import QUEUE_FILE, Job, open_store

SKIPPED_STATES = ("cancelled",)  # a cancelled job is no longer part of the plan
WEEK_WINDOWS = {"day": 7, "week": 1}  # cap windows that convert to a per-week number (a 30-day month does not)


@dataclass(frozen=True)
class Post:
    channel: str
    item: str
    title: str
    at: datetime
    state: str  # "scheduled" (front matter only) or the job's state

    def to_dict(self) -> dict[str, str]:
        return {"channel": self.channel, "item": self.item, "title": self.title,
                "at": self.at.isoformat(timespec="minutes"), "state": self.state}  # fmt: skip


@dataclass(frozen=True)
class Headroom:
    """A channel's weekly cap in one week of the month, and how much of it the plan uses."""

    channel: str
    week: date  # its Monday
    used: int
    limit: int
    own: bool  # the channel's own caps in mediactl.yaml set a cadence (else only the platform's rate limits count)

    def to_dict(self) -> dict[str, Any]:
        return {"channel": self.channel, "week": self.week.isoformat(), "used": self.used, "limit": self.limit,
                "own_cap": self.own}  # fmt: skip


@dataclass(frozen=True)
class DayPlan:
    day: date
    posts: list[Post] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"date": self.day.isoformat(), "weekday": self.day.isoweekday(),
                "marks": [mark.to_dict() for mark in self.marks],
                "posts": [post.to_dict() for post in self.posts]}  # fmt: skip


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
    days = [
        DayPlan(day, sorted((p for p in posts if p.at.date() == day), key=lambda p: (p.at, p.channel)),
                [mark for mark in marks if mark.day == day])
        for day in month_days(year, month)
    ]  # fmt: skip
    names = [channel] if channel is not None else sorted(config.channels)
    headroom = [room for name in names for room in _headroom(config, name, posts, days[0].day, days[-1].day)]
    return MonthPlan(year, month, config.project.timezone, days, headroom, notices)


def read_jobs(config: Config) -> list[Job]:
    """The store's jobs, read only; none when the project has no store yet (a SQLite file never created)."""
    if config.project.state_url is None and not (config.state_path / QUEUE_FILE).exists():
        return []
    store = open_store(config)
    try:
        return store.jobs()
    finally:
        store.close()


def _posts(library: Library, jobs: list[Job], tz: Any) -> list[Post]:
    queued = {(job.channel, job.item): job for job in jobs if job.state not in SKIPPED_STATES}
    posts = [
        Post(job.channel, job.item, _title(library, job.item), datetime.fromtimestamp(job.due_at, tz), str(job.state))
        for job in queued.values()
    ]
    for item in library.items.values():
        for name, when in item.schedule.items():
            if (name, item.slug) not in queued:
                posts.append(Post(name, item.slug, item.title, when.astimezone(tz), "scheduled"))
    return posts


def _title(library: Library, slug: str) -> str:
    item = library.items.get(slug)
    return item.title if item is not None else slug


def _headroom(config: Config, name: str, posts: list[Post], first: date, last: date) -> list[Headroom]:
    limit = weekly_limit(config, name)
    if limit is None:
        return []
    monday = week_start(first)
    out = []
    while monday <= last:
        end = monday + timedelta(days=7)
        used = sum(1 for post in posts if post.channel == name and monday <= post.at.date() < end)
        out.append(Headroom(name, monday, used, limit, bool(config.channels[name].caps)))
        monday = end
    return out


def weekly_limit(config: Config, name: str) -> int | None:
    """The most posts a channel's caps allow in a week (None: no cap that converts to weeks): its own caps and
    the platform's rate limits, as delivery admits them (publish/runner.py `_admit`)."""
    channel = config.channels.get(name)
    if channel is None:
        return None
    caps = (*channel.caps, *gate.channel_caps(channel))
    limits = [cap.max * WEEK_WINDOWS[cap.per] for cap in caps if cap.per in WEEK_WINDOWS]
    return min(limits) if limits else None
