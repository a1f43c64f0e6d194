"""`mediactl drift`: read sent posts back from their platforms, later, and compare them with what was approved.

A publish compares the post once, when it reaches its final state (publish/drift.py). A post can change after
that: a colleague edits it in the platform's console, a platform's later review trims it. This asks again, for
every sent job of the items named (or all), through the adapter's `read_back`, and reports per job: the post
matches, it drifted (each difference, audited `drift.found`), the platform cannot show it back through its API,
or asking failed (try again). Nothing is sent, changed or withdrawn here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from mediactl.core.errors import MediactlError
from mediactl.publish import drift
from mediactl.publish.adapters.base import NotPublished
from mediactl.publish.store import Job
from mediactl.publish.vault import sealed_variant

if TYPE_CHECKING:  # annotations only
    from mediactl.publish.runner import Publisher


class Found(StrEnum):
    MATCHES = "matches"
    DRIFT = "drift"
    UNREADABLE = "unreadable"  # the platform shows no post back through its API (or no longer: deleted)
    FAILED = "failed"  # asking did not work: the platform unreachable, a credential missing


@dataclass(frozen=True)
class Checked:
    job: int
    channel: str
    item: str
    found: Found
    detail: str
    differences: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.found in (Found.MATCHES, Found.UNREADABLE)

    def to_dict(self) -> dict[str, Any]:
        return {"job": self.job, "channel": self.channel, "item": self.item, "found": str(self.found),
                "detail": self.detail, "drift": self.differences}  # fmt: skip


def check_live(publisher: Publisher, slugs: list[str], channel: str | None) -> list[Checked]:
    """Every sent job of `slugs` (all items when empty) on `channel` (or all), read back and compared."""
    return [_check_one(publisher, job) for job in publisher.sent_jobs(slugs, channel, asking="read back")]


def _check_one(publisher: Publisher, job: Job) -> Checked:
    def checked(found: Found, detail: str, differences: list[dict[str, Any]] | None = None) -> Checked:
        return Checked(job.id, job.channel, job.item, found, detail, differences or [])

    channel = publisher.config.channels.get(job.channel)
    if channel is None or not job.remote_id:
        return checked(Found.UNREADABLE, "no channel or post id to ask about (a post resolved by hand, or an "
                       "unconfigured channel)")  # fmt: skip
    try:
        adapter = publisher.adapter(channel)
        variant = sealed_variant(publisher.vault, channel, job.item, job.content_hash)
        live = adapter.read_back(job.remote_id)
    except NotPublished as exc:
        return checked(Found.UNREADABLE, f"{channel.platform} no longer shows it: {exc.message}")
    except MediactlError as exc:  # DeliveryError included: the platform unreachable, a credential missing
        return checked(Found.FAILED, f"could not read it back: {exc.message}; run `mediactl drift` again")
    if live is None:
        return checked(Found.UNREADABLE, f"{channel.platform} cannot show this post back through its API")
    found = drift.differences(variant, live)
    if not found:
        return checked(Found.MATCHES, f"{', '.join(sorted(live))} as approved")
    differences = [d.to_dict() for d in found]
    publisher.log("drift.found", job=job.id, item=job.item, channel=job.channel, remote_id=job.remote_id,
                  content_hash=job.content_hash, drift=differences)  # fmt: skip
    return checked(Found.DRIFT, drift.summary(found), differences)
