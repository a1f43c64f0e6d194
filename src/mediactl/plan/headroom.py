"""How much of each channel's frequency caps a month plan uses, counted the way the gate counts them.

Caps are the channel's own (mediactl.yaml) and the platform's rate limits (publish/gate.py `channel_caps`), as
delivery admits them (publish/runner.py `_admit`). Where a cap counts `by: audience`, the posts that count are
those whose audience shares a segment with the segment asked about (publish/store.py `shares_audience`, the
rule of the gate and of admission), so headroom is one line per segment, not a channel total.

Windows: a calendar week shows the day and week caps (a day cap as 7 a week); each day its day caps and each
hour with two posts or more its hour caps; a month cap is what the gate counts, a rolling 30 days (CAP_WINDOWS),
never a calendar month: shown per week as the 30 days ending that Sunday.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from mediactl.config.model import CAP_WINDOWS, Config
from mediactl.plan.dates import week_start
from mediactl.publish import gate
from mediactl.publish.store import shares_audience

if TYPE_CHECKING:  # annotations only: calendar imports this module
    from mediactl.plan.calendar import Post

WEEK = "week"  # Headroom.window: the calendar week's day and week caps
ROLLING = "30 days"  # Headroom.window: a month cap over the 30 days ending the week's Sunday
ROLLING_DAYS = CAP_WINDOWS["month"] // 86400
PER_WINDOW = {WEEK: {"day": 7, "week": 1}, ROLLING: {"month": 1}}  # cap.per → how many fit in the window
BUSY_HOUR = 2  # one post in an hour never exceeds a cap: hours are shown from two posts on


@dataclass(frozen=True)
class Limit:
    """The strictest of a channel's caps over one window, counted for the channel or per audience segment."""

    by: str  # "channel" or "audience", as Cap.by
    max: int
    own: bool  # one of the team's own caps (mediactl.yaml) counts here: a cadence, not only a platform ceiling


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
        found[cap.by] = Limit(cap.by, scaled if known is None else min(scaled, known.max), own)
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


def week_headroom(config: Config, name: str, posts: Sequence[Post], first: date, last: date) -> list[Headroom]:
    """Per week of the month (Mondays from `first`'s): the week's day and week caps, then month caps (rolling)."""
    mondays = []
    monday = week_start(first)
    while monday <= last:
        mondays.append(monday)
        monday += timedelta(days=7)
    out = []
    for window, per in PER_WINDOW.items():
        for limit in limits(config, name, per):
            for audience in scopes(config, name, limit, posts):
                dates = [post.at.date() for post in counted(posts, name, audience)]
                for monday in mondays:
                    end = monday + timedelta(days=7)
                    start = monday if window == WEEK else end - timedelta(days=ROLLING_DAYS)
                    used = sum(1 for day in dates if start <= day < end)
                    out.append(Headroom(name, monday, used, limit.max, limit.own, audience, window))
    return out


def day_caps(config: Config, name: str, posts: Sequence[Post], days: list[date]) -> dict[date, list[DayCap]]:
    """Per day: the channel's day caps (every day), and its hour caps in each hour holding two posts or more."""
    out: dict[date, list[DayCap]] = {day: [] for day in days}
    for per in ("day", "hour"):
        for limit in limits(config, name, {per: 1}):
            for audience in scopes(config, name, limit, posts):
                times = Counter((post.at.date(), post.at.hour) for post in counted(posts, name, audience))
                for day in days:
                    if per == "day":
                        used = sum(n for (when, _), n in times.items() if when == day)
                        out[day].append(DayCap(name, per, None, used, limit.max, limit.own, audience))
                        continue
                    out[day] += [
                        DayCap(name, per, hour, n, limit.max, limit.own, audience)
                        for (when, hour), n in sorted(times.items())
                        if when == day and n >= BUSY_HOUR
                    ]
    return out
