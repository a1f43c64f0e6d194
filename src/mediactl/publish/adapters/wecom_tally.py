"""What WeCom's staff did with a task, counted, and what that makes of the job: still awaiting, sent, or expired.

A 群发 task reaches customers only as each staff member confirms it in the WeCom client
(platforms.md §2). `get_groupmsg_task` says, per staff member, whether they sent it (status 0 not
sent, 2 sent); `get_groupmsg_send_result` says, per customer, 0 not sent, 1 sent, 2 failed (not a
friend), 3 failed (the customer already received another mass message, the receive limit). A
moment's staff publish it or not (`get_moment_task`: publish_status 0/1). The job is sent once the
channel's `confirm_share` of the staff have confirmed, expired once `expire_after` has passed
without that, else it waits. The numbers are kept on the job (store column `confirmation`) as:

    {"mode", "since", "reminders": [times], "msgid" | "jobid", "moment_id",
     "staff": {userid: {"confirmed", "sent", "not_sent", "not_friend", "already_received"}},
     "total": {"staff", "confirmed", "sent", "not_sent", "not_friend", "already_received"}}

(moments: per staff only "confirmed"; `since` and the reminders are epoch seconds). Pure functions: no I/O, so
every rule is tested directly.
"""

from __future__ import annotations

from typing import Any

from mediactl.core.times import moment
from mediactl.publish.store import JobState

SEND_STATUS = {0: "not_sent", 1: "sent", 2: "not_friend", 3: "already_received"}  # get_groupmsg_send_result
COUNTS = tuple(SEND_STATUS.values())
TASK_NOT_SENT = 0  # get_groupmsg_task: 0 not sent, 2 sent (any other value is read as sent)
WORDS = {"sent": "sent", "not_sent": "not sent", "not_friend": "failed (not a friend)",
         "already_received": "failed (already received)"}  # fmt: skip


def shown(detail: dict[str, Any]) -> dict[str, Any]:
    """The numbers kept on a job, for JSON output: `since` and each reminder's time are moments (shown in the
    project's zone), the counts numbers."""
    times = {"since": moment(detail["since"])} if "since" in detail else {}
    reminders = {"reminders": [moment(t) for t in detail["reminders"]]} if "reminders" in detail else {}
    return {**detail, **times, **reminders}


def staff_entry(confirmed: bool, send_list: list[dict[str, Any]] | None) -> dict[str, Any]:
    """One staff member's numbers from their customers' send results (None: not counted, as for moments)."""
    entry: dict[str, Any] = {"confirmed": confirmed}
    if send_list is not None:
        counts = dict.fromkeys(COUNTS, 0)
        for row in send_list:
            counts[SEND_STATUS.get(as_int(row.get("status")), "not_sent")] += 1
        entry.update(counts)
    return entry


def total(staff: dict[str, dict[str, Any]]) -> dict[str, int]:
    """The totals over every staff member given the task."""
    out = {"staff": len(staff), "confirmed": sum(1 for entry in staff.values() if entry.get("confirmed"))}
    for name in COUNTS:
        if any(name in entry for entry in staff.values()):
            out[name] = sum(int(entry.get(name, 0)) for entry in staff.values())
    return out


def verdict(detail: dict[str, Any], *, confirm_share: float, expire_after: float, now: float) -> str:
    """sent, expired or awaiting-confirmation, from the totals and the time the task was created."""
    totals = detail.get("total") or {}
    staff, confirmed = int(totals.get("staff", 0)), int(totals.get("confirmed", 0))
    if staff and confirmed / staff >= confirm_share - 1e-9:
        return JobState.SENT
    if now - float(detail.get("since") or now) >= expire_after:
        return JobState.EXPIRED
    return JobState.AWAITING_CONFIRMATION


def summary(detail: dict[str, Any], confirm_share: float) -> str:
    """One line for people: who confirmed, against the share needed, and what reached the customers."""
    totals = detail.get("total") or {}
    staff, confirmed = int(totals.get("staff", 0)), int(totals.get("confirmed", 0))
    if not staff:
        line = "no staff member has the task yet"
    else:
        line = f"{confirmed} of {staff} staff confirmed ({confirmed / staff:.0%}; {confirm_share:.0%} needed)"
    shown = [
        name for name in WORDS if name in totals and (totals[name] or name == "sent")
    ]  # "0 sent" still says something
    counts = [f"{totals[name]} {WORDS[name]}" for name in shown]
    reminders = len(detail.get("reminders") or [])
    return (
        line
        + (f"; customers: {', '.join(counts)}" if counts else "")
        + (f"; {reminders} reminder(s)" if reminders else "")
    )


def due_reminder(detail: dict[str, Any], *, now: float, per_day: int) -> bool:
    """Whether to remind the staff who have not confirmed: at most `per_day` reminders in any 24 hours (the
    platform's limit), spread evenly (one every 24 h / per_day), the first that long after the task was made."""
    totals = detail.get("total") or {}
    if not per_day or int(totals.get("confirmed", 0)) >= int(totals.get("staff", 0)):
        return False
    spacing = 86400 / per_day
    sent = [float(at) for at in detail.get("reminders") or []]
    last = max(sent, default=float(detail.get("since") or now))
    return now - last >= spacing and sum(1 for at in sent if now - at < 86400) < per_day


def as_int(value: Any) -> int:
    """A status as WeCom sent it (a number, or a numeric string); -1 for anything else."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1
