"""How much of each channel's frequency caps a month plan uses, counted the way the gate counts them.

Caps are the channel's own (mediactl.yaml) and the platform's rate limits (publish/gate.py `channel_caps`), as
delivery admits them (publish/runner.py `_admit`). Where a cap counts `by: audience`, the posts that count are
those whose audience shares a segment with the segment asked about (publish/store.py `shares_audience`, the
rule of the gate and of admission), so headroom is one line per segment, not a channel total.

Windows: every cap is counted as the gate counts it (gate.cap_window): the posts less than one window (an hour,
a day, 7 or 30 days: CAP_WINDOWS) before or after a post, never a calendar day, week or month, so a push on
Sunday and one on the next Tuesday are two in a week. Shown per calendar week (week and month caps), per day (day
caps) and per hour with two posts or more in reach (hour caps), each as the busiest window around a post due then
(`busiest`). A day cap is also shown per week as 7 a day's worth: the week's volume, a cadence to fill (at most
7 windows of a day fit in a week), not a window of its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from mediactl.config.model import CAP_WINDOWS, Config
from mediactl.plan.dates import week_start
from mediactl.publish import gate
from mediactl.publish.store import shares_audience

if TYPE_CHECKING:  # annotations only: calendar imports this module
    from mediactl.plan.calendar import Post

WEEK = "week"  # Headroom.window: a week cap, or a day cap as 7 a week, in the calendar week
ROLLING = "30 days"  # Headroom.window: a month cap, around the calendar week's posts
ROLLING_DAYS = CAP_WINDOWS["month"] // 86400
PER_WINDOW = {WEEK: {"day": 7, "week": 1}, ROLLING: {"month": 1}}  # cap.per → how many fit in the window
BUSY_HOUR = 2  # one post in an hour never exceeds a cap: hours are shown from two posts on


@dataclass(frozen=True)
class Limit:
    """The strictest of a channel's caps over one window, counted for the channel or per audience segment."""

    by: str  # "channel" or "audience", as Cap.by
    max: int
    own: bool  # one of the team's own caps (mediactl.yaml) counts here: a cadence, not only a platform ceiling
    per: str = "day"  # the strictest cap's own window (Cap.per): what `max` is counted over


@dataclass(frozen=True)
class Headroom:
    """A channel's cap in one week of the month (per segment where it counts by audience), and what the plan uses."""

    channel: str
    week: date  # its Monday
    used: int
    limit: int
    own: bool
    audience: str | None = None  # the segment, where the cap counts by audience
    window: str = WEEK  # WEEK: Monday to Sunday; ROLLING: the 30 days ending that Sunday

    @property
    def label(self) -> str:
        return scope_label(self.channel, self.audience)

    def to_dict(self) -> dict[str, Any]:
        return {"channel": self.channel, "audience": self.audience, "window": self.window,
                "week": self.week.isoformat(), "used": self.used, "limit": self.limit, "own_cap": self.own}  # fmt: skip


@dataclass(frozen=True)
class DayCap:
    """A channel's day cap on one day, or its hour cap in one hour of it (per segment where it counts by audience)."""

    channel: str
    per: str  # "day" or "hour"
    hour: int | None
    used: int
    limit: int
    own: bool
    audience: str | None = None

    @property
    def label(self) -> str:
        return scope_label(self.channel, self.audience)

    @property
    def over(self) -> bool:
        return self.used > self.limit

    def to_dict(self) -> dict[str, Any]:
        return {"channel": self.channel, "audience": self.audience, "per": self.per,
                "hour": None if self.hour is None else f"{self.hour:02d}:00", "used": self.used,
                "limit": self.limit}  # fmt: skip


def scope_label(channel: str, audience: str | None) -> str:
    """The name headroom is shown under: "bank-wecom · 高净值客户" where a cap counts per segment, else the channel's."""
    return channel if audience is None else f"{channel} · {audience}"


def limits(config: Config, name: str, per: dict[str, int]) -> list[Limit]:
    """The strictest cap of each kind (channel, audience) over a window (`per`: cap.per → times it fits).

    A per-segment count never exceeds the channel's, so a channel limit at or under the per-segment one leaves
    the latter nothing to say: it is dropped."""
    channel = config.channels.get(name)
    if channel is None:
        return []
    found: dict[str, Limit] = {}
    for cap in (*channel.caps, *gate.channel_caps(channel)):
        if cap.per not in per:
            continue
        scaled, known = cap.max * per[cap.per], found.get(cap.by)
        own = cap in channel.caps or (known is not None and known.own)
        # at a tie, a cap of the window's own length counts: a day cap scaled to a week is only a volume
        if known is None or scaled < known.max or (scaled == known.max and per[cap.per] == 1):
            found[cap.by] = Limit(cap.by, scaled, own, cap.per)
        else:
            found[cap.by] = dataclasses.replace(known, own=own)
    if "channel" in found and "audience" in found and found["channel"].max <= found["audience"].max:
        del found["audience"]
    return sorted(found.values(), key=lambda limit: limit.by != "channel")


def scopes(config: Config, name: str, limit: Limit, posts: Sequence[Post]) -> list[str | None]:
    """What a limit is counted for: the channel (None), or each segment (the config's, and any a post names)."""
    if limit.by != "audience":
        return [None]
    named = {word for post in posts if post.channel == name for word in post.audience.split(",") if word}
    segments = sorted(set(config.segments) | named)
    return list(segments) if segments else [None]  # no segment anywhere: every post is to everyone


def counted(posts: Iterable[Post], name: str, audience: str | None) -> list[Post]:
    """The posts a cap of `name` for `audience` counts (None: the channel's)."""
    return [p for p in posts if p.channel == name and (audience is None or shares_audience(audience, p.audience))]


def busiest(times: Sequence[float], first: float, last: float, seconds: int) -> int:
    """A cap's use in [first, last) as the gate counts it: the most posts one window around a post due then holds
    (that post included); and no less than what a post added at the freest moment of the span would meet there (a
    window reaches into the span before and after), so a span is not shown free where the gate refuses any post."""
    own = [in_window(times, at, seconds) for at in times if first <= at < last]
    freed = [at + seconds for at in times if first < at + seconds < last]  # where a post leaves the window
    return max([min(in_window(times, at, seconds) for at in (first, *freed)), *own])


def in_window(times: Sequence[float], at: float, seconds: int) -> int:
    """How many of `times` the gate counts against a post due at `at` under a cap of `seconds` (gate.cap_window)."""
    start, end = gate.cap_window(seconds, at)
    return sum(1 for when in times if start <= when < end)


def _stamp(day: date, config: Config) -> float:
    """The start of `day` in the project's time zone, as a due time (a timestamp)."""
    return datetime.combine(day, time(), config.project.tz).timestamp()


def week_headroom(config: Config, name: str, posts: Sequence[Post], first: date, last: date) -> list[Headroom]:
    """Per week of the month (Mondays from `first`'s): week caps and a day cap as 7 a week, then month caps."""
    mondays = []
    monday = week_start(first)
    while monday <= last:
        mondays.append(monday)
        monday += timedelta(days=7)
    out = []
    for window, per in PER_WINDOW.items():
        for limit in limits(config, name, per):
            for audience in scopes(config, name, limit, posts):
                mine = counted(posts, name, audience)
                times = [post.at.timestamp() for post in mine]
                for monday in mondays:
                    end = monday + timedelta(days=7)
                    if limit.per == "day":  # the week's volume against 7 days' worth (the days: day_caps)
                        used = sum(1 for post in mine if monday <= post.at.astimezone(config.project.tz).date() < end)
                    else:
                        used = busiest(times, _stamp(monday, config), _stamp(end, config), CAP_WINDOWS[limit.per])
                    out.append(Headroom(name, monday, used, limit.max, limit.own, audience, window))
    return out


def day_caps(config: Config, name: str, posts: Sequence[Post], days: list[date]) -> dict[date, list[DayCap]]:
    """Per day: the channel's day caps (every day), and its hour caps for each hour whose posts have another within
    reach of the cap's window (one post alone never exceeds a cap)."""
    out: dict[date, list[DayCap]] = {day: [] for day in days}
    tz = config.project.tz
    for per in ("day", "hour"):
        for limit in limits(config, name, {per: 1}):
            for audience in scopes(config, name, limit, posts):
                mine = counted(posts, name, audience)
                times = [post.at.timestamp() for post in mine]
                seconds = CAP_WINDOWS[per]
                for day in days:
                    if per == "day":
                        used = busiest(times, _stamp(day, config), _stamp(day + timedelta(days=1), config), seconds)
                        out[day].append(DayCap(name, per, None, used, limit.max, limit.own, audience))
                        continue
                    hours: dict[int, int] = {}
                    for post in mine:
                        local = post.at.astimezone(tz)
                        if local.date() == day:
                            load = in_window(times, post.at.timestamp(), seconds)
                            hours[local.hour] = max(hours.get(local.hour, 0), load)
                    out[day] += [
                        DayCap(name, per, hour, used, limit.max, limit.own, audience)
                        for hour, used in sorted(hours.items())
                        if used >= BUSY_HOUR
                    ]
    return out
