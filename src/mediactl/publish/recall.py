"""`mediactl recall`: take an item back from every channel it reached, and say plainly what could not be.

A bank withdraws a post when a rate changes, a disclosure was wrong or 舆情 demands it. For each of the
item's jobs (on one channel, or all):
- `pending`: never sent, so cancelled (audited `recall.cancelled`);
- `sent`, `awaiting-confirmation` or `expired` (a WeCom task some staff sent): the adapter withdraws it (`Adapter.withdraw`: delete the post,
  or cancel a WeCom task staff have not confirmed); the job becomes `recalled` (audited
  `recall.withdrawn`). A platform with no way to do it through its API says what a person must do
  (audited `recall.manual`, the job stays as it is: it is still out there);
- `unknown`: nobody knows whether it went out: a person must look (and then `queue resolve` or
  `queue cancel` it);
- `failed`, `cancelled`, `recalled`: nothing is out there.
A failed withdrawal (the platform refused, or could not be reached) is audited `recall.failed` with the
reason and can be tried again. Every step is audited before it counts, as every decision about a job is.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from mediactl.core.errors import MediactlError, UsageError
from mediactl.publish.adapters.base import NotWithdrawable
from mediactl.publish.store import Job, JobState

if TYPE_CHECKING:  # annotations only
    from mediactl.publish.runner import Publisher


class Taken(StrEnum):
    """What recall did about one job."""

    WITHDRAWN = "withdrawn"  # the platform took it down (or the task was cancelled)
    CANCELLED = "cancelled"  # it had not been sent
    MANUAL = "manual"  # the platform cannot withdraw through its API: a person must
    FAILED = "failed"  # the withdrawal was refused or did not reach the platform: try again
    NOTHING = "nothing"  # nothing of it is out there


@dataclass(frozen=True)
class Recalled:
    job: int
    channel: str
    item: str
    taken: Taken
    detail: str

    @property
    def ok(self) -> bool:
        return self.taken in (Taken.WITHDRAWN, Taken.CANCELLED, Taken.NOTHING)

    def to_dict(self) -> dict[str, Any]:
        return {"job": self.job, "channel": self.channel, "item": self.item, "taken": str(self.taken),
                "detail": self.detail}  # fmt: skip


def recall(publisher: Publisher, slug: str, channel: str | None, reason: str) -> list[Recalled]:
    """Withdraw every job of `slug` (on `channel`, or all), each audited; what was done, job by job."""
    if not reason.strip():
        raise UsageError("a recall needs a reason (--reason): it goes to the audit log with every withdrawal")
    publisher.require_intact_state()
    jobs = [j for j in publisher.store.jobs() if j.item == slug and (channel is None or j.channel == channel)]
    if not jobs:
        where = f" on {channel}" if channel else ""
        raise UsageError(f"nothing of {slug} was ever queued{where}: there is nothing to recall")
    return [_recall_one(publisher, job, reason) for job in jobs]


def _recall_one(publisher: Publisher, job: Job, reason: str) -> Recalled:
    state = JobState(job.state)
    if state is JobState.PENDING:
        _decide(publisher, job, JobState.CANCELLED, "recall.cancelled", (JobState.PENDING,), reason)
        return Recalled(job.id, job.channel, job.item, Taken.CANCELLED, "not sent yet: cancelled")
    if state is JobState.UNKNOWN:
        return Recalled(job.id, job.channel, job.item, Taken.MANUAL,
                        "its delivery outcome is unknown: look on the platform and delete it there if it is out, "
                        f"then `mediactl queue resolve {job.id} --sent URL` or `mediactl queue cancel {job.id}`")  # fmt: skip
    if state not in (JobState.SENT, JobState.AWAITING_CONFIRMATION, JobState.EXPIRED):  # expired: some staff sent it
        return Recalled(job.id, job.channel, job.item, Taken.NOTHING, f"{state}: nothing of it is out there")
    return _withdraw(publisher, job, state, reason)


def _withdraw(publisher: Publisher, job: Job, state: JobState, reason: str) -> Recalled:
    channel = publisher.config.channels.get(job.channel)
    if channel is None:
        detail = f"channel {job.channel} is no longer configured: delete the post by hand (its id: {job.remote_id})"
        return _manual(publisher, job, reason, detail)
    try:
        publisher.adapter(channel).withdraw(job.remote_id or "")
    except NotWithdrawable as exc:
        return _manual(publisher, job, reason, exc.message)
    except MediactlError as exc:  # DeliveryError (refused, unreachable) or a configuration problem
        publisher.log("recall.failed", job=job.id, item=job.item, channel=job.channel, reason=reason, error=exc.message)
        return Recalled(job.id, job.channel, job.item, Taken.FAILED, f"{exc.message}; run the recall again")
    _decide(publisher, job, JobState.RECALLED, "recall.withdrawn", (state,), reason)
    return Recalled(job.id, job.channel, job.item, Taken.WITHDRAWN, f"withdrawn from {job.channel}")


def _manual(publisher: Publisher, job: Job, reason: str, detail: str) -> Recalled:
    publisher.log("recall.manual", job=job.id, item=job.item, channel=job.channel, reason=reason, detail=detail)
    return Recalled(job.id, job.channel, job.item, Taken.MANUAL, detail)


def _decide(publisher: Publisher, job: Job, state: JobState, action: str, allowed: tuple[JobState, ...],
            reason: str) -> None:  # fmt: skip
    record = publisher.audited(action, lambda done: {"job": done.id, "item": done.item, "channel": done.channel,
                                                     "remote_id": done.remote_id}, reason=reason)  # fmt: skip
    publisher.store.set_state(job.id, state, allowed_from=allowed, audit=record)
