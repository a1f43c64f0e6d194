"""`mediactl stats pull` and `mediactl stats`: numbers back from the channels, kept as a time series per post.

A pull asks every sent post once, through its adapter's `metrics` (publish/adapters/metrics.py), and
keeps what came back as one snapshot (publish/metricstore.py). Per post it says: numbers kept, the
platform cannot be asked (hand-offs, the outbox, webhooks, websites: nothing counts readers for us),
the post is gone, or asking failed (try again: nothing was kept for that post). One `stats.pulled`
audit record says what a run did, by counts; the numbers themselves are observations, not decisions,
and stay out of the log.

`report` sums the latest snapshot of each post per group (channel, item, campaign or audience: the
latter two from the item's front matter and the job); with a window (`--since`), each post counts
what it gained since its first snapshot in the window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from mediactl.core.errors import MediactlError, UsageError
from mediactl.publish import metricstore
from mediactl.publish.adapters.base import NotPublished
from mediactl.publish.adapters.metrics import COUNTERS
from mediactl.publish.store import Job, Store

if TYPE_CHECKING:  # annotations only
    from mediactl.library.scan import Library
    from mediactl.publish.runner import Publisher

GROUPS = ("channel", "item", "campaign", "audience")
NONE = "（无）"  # the group of posts whose item names no campaign or audience
_RELATIVE = re.compile(r"^(\d{1,4})([hdw])$")


class Found(StrEnum):
    KEPT = "kept"
    NOT_YET = "no numbers yet"
    CANNOT = "cannot be asked"
    GONE = "gone"
    FAILED = "failed"


@dataclass(frozen=True)
class Pulled:
    job: int
    channel: str
    item: str
    found: Found
    detail: str
    counters: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.found != Found.FAILED

    def to_dict(self) -> dict[str, Any]:
        return {"job": self.job, "channel": self.channel, "item": self.item, "found": str(self.found),
                "detail": self.detail, "counters": self.counters}  # fmt: skip


def pull(publisher: Publisher, slugs: list[str], channel: str | None, now: float) -> list[Pulled]:
    """Every sent post of `slugs` (all when empty) on `channel` (or all) asked once; snapshots kept at `now`."""
    jobs = publisher.sent_jobs(slugs, channel, asking="ask about")
    pulled = [_pull_one(publisher, job, now) for job in jobs]
    counts = {str(found): sum(1 for p in pulled if p.found == found) for found in Found}
    publisher.log("stats.pulled", posts=len(pulled), **{k.replace(" ", "_"): v for k, v in counts.items() if v})
    return pulled


def _pull_one(publisher: Publisher, job: Job, now: float) -> Pulled:
    def pulled(found: Found, detail: str, counters: dict[str, int] | None = None) -> Pulled:
        return Pulled(job.id, job.channel, job.item, found, detail, counters or {})

    channel = publisher.config.channels.get(job.channel)
    if channel is None or not job.remote_id:
        return pulled(Found.CANNOT, "no channel or post id to ask about (an unconfigured channel, or a post resolved "
                      "by hand)")  # fmt: skip
    try:
        metrics = publisher.adapter(channel).metrics(job, now)
        if metrics is not None:
            metricstore.keep(publisher.store, job, now, metrics.counters)
    except NotPublished as exc:
        return pulled(Found.GONE, f"{channel.platform} no longer has it: {exc.message}")
    except MediactlError as exc:  # DeliveryError included: rate limited, unreachable, a token gone
        return pulled(Found.FAILED, f"could not ask: {exc.message}; nothing was kept for it: run `mediactl stats pull` "
                      "again")  # fmt: skip
    if metrics is None:
        return pulled(Found.CANNOT, f"{channel.platform} gives no numbers to an app")
    if not metrics.counters:
        return pulled(Found.NOT_YET, metrics.note or "no numbers yet")
    shown = ", ".join(f"{name} {value}" for name, value in metrics.counters.items())
    return pulled(Found.KEPT, shown + (f" ({metrics.note})" if metrics.note else ""), metrics.counters)


# --- the table ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    group: str
    posts: int
    counters: dict[str, int]

    @property
    def click_through(self) -> float | None:
        """Clicks on the tracked link per customer the post reached (WeCom pushes with a link tracker), where the
        group has both numbers; None otherwise (a share of nothing, or of readers counted another way, says nothing)."""
        delivered = self.counters.get("delivered")
        return None if "clicks" not in self.counters or not delivered else self.counters["clicks"] / delivered

    def to_dict(self, by: str) -> dict[str, Any]:
        rate = self.click_through
        return {by: self.group, "posts": self.posts, **self.counters,
                **({"click_through": round(rate, 4)} if rate is not None else {})}  # fmt: skip


@dataclass(frozen=True)
class Report:
    by: str
    since: float | None
    counters: tuple[str, ...]  # the counters any row has, in COUNTERS' order
    rows: tuple[Row, ...]


def report(store: Store, library: Library, *, by: str, since: float | None) -> Report:
    """The latest numbers of each post (growth in the window when `since`), summed per `by` group."""
    if by not in GROUPS:
        raise UsageError(f"--by {by!r}: group by one of {', '.join(GROUPS)}")
    per_post = _per_post(metricstore.snapshots(store, since=since), growth=since is not None)
    jobs = {job.id: job for job in store.jobs()}
    sums: dict[str, dict[str, int]] = {}
    posts: dict[str, int] = {}
    for job_id, (snapshot, counters) in per_post.items():
        for group in _groups(by, snapshot, jobs.get(job_id), library):
            into = sums.setdefault(group, {})
            posts[group] = posts.get(group, 0) + 1
            for name, value in counters.items():
                into[name] = into.get(name, 0) + value
    names = tuple(name for name in COUNTERS if any(name in c for c in sums.values()))
    ordered = sorted(sums, key=lambda g: (-sum(sums[g].values()), g))
    return Report(by, since, names, tuple(Row(g, posts[g], sums[g]) for g in ordered))


def _per_post(
    snapshots: list[metricstore.Snapshot], *, growth: bool
) -> dict[int, tuple[metricstore.Snapshot, dict[str, int]]]:
    first: dict[int, metricstore.Snapshot] = {}
    last: dict[int, metricstore.Snapshot] = {}
    for snapshot in snapshots:  # oldest first
        first.setdefault(snapshot.job_id, snapshot)
        last[snapshot.job_id] = snapshot
    if not growth:
        return {job: (s, dict(s.counters)) for job, s in last.items()}
    return {job: (s, {name: value - first[job].counters.get(name, 0) for name, value in s.counters.items()})
            for job, s in last.items()}  # fmt: skip


def _groups(by: str, snapshot: metricstore.Snapshot, job: Job | None, library: Library) -> list[str]:
    if by == "channel":
        return [snapshot.channel]
    if by == "item":
        return [snapshot.item]
    item = library.items.get(snapshot.item)
    if by == "campaign":
        return [item.campaign if item is not None and item.campaign else NONE]
    segments = [s for s in (job.audience.split(",") if job is not None and job.audience else []) if s]
    if not segments and item is not None:
        segments = list(item.audience)
    return segments or [NONE]  # a post for two segments counts in each


def parse_since(text: str, now: float, zone: ZoneInfo) -> float:
    """`--since`: a date (YYYY-MM-DD, midnight in the project's zone) or a span back from now (12h, 7d, 2w)."""
    relative = _RELATIVE.match(text.strip())
    if relative:
        amount, unit = int(relative[1]), relative[2]
        return now - timedelta(**{{"h": "hours", "d": "days", "w": "weeks"}[unit]: amount}).total_seconds()
    try:
        day = datetime.strptime(text.strip(), "%Y-%m-%d")
    except ValueError:
        raise UsageError(f"--since {text!r}: give a date (2027-02-01) or a span back from now (12h, 7d, 2w)") from None
    return day.replace(tzinfo=zone).timestamp()
