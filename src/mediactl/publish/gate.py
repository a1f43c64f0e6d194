"""The publish gate: nothing is sent unless every condition holds, and each refusal says why.

1. the item's status allows it (`project.approval.publish_statuses`) and the signed approvals in
   `approvals/<slug>.yaml` meet the approval policy for exactly this variant's content hash (any later
   change to its bytes voids them; each record that does not count says why: publish/approvals.py);
2. a passing check report exists for exactly this content hash;
3. the channel's frequency caps allow it at the planned time (else: the next allowed slot);
4. the channel is not retired (a `migrated_to` name is redirected, and the verdict says so).
`--force` overrides 1 and 3 only with a signed emergency approval of exactly this content (by a person
holding the `emergency` role, with a reason: `Verdict.emergency`), never 2; both go to the audit log.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from mediactl.check.verdicts import read_verdict
from mediactl.config.model import CAP_WINDOWS, Cap
from mediactl.config.platforms import get_platform
from mediactl.publish import approvals
from mediactl.publish.store import JobState, Store, audience_key

if TYPE_CHECKING:  # annotations only
    from mediactl.config.model import Channel, Config
    from mediactl.library.content import Item
    from mediactl.publish.records import Record


def channel_caps(channel: Channel) -> tuple[Cap, ...]:
    """The platform's publishing rate limits (`rate_limits` in its facts file) as caps for this channel: per account,
    or per customer segment where the platform limits what each customer receives (企业微信 1-to-1 pushes). A limit
    the facts file marks `option: NAME` is an account setting (企业微信's receive limit, chosen by the corp's admin):
    the channel's option of that name replaces it, counted the same way."""
    caps = []
    for cap, option in _platform_limits(channel.platform):
        setting = channel.options.get(option) if option else None
        caps.append(Cap(int(setting["max"]), setting["per"], cap.by) if isinstance(setting, dict) else cap)
    return tuple(caps)


@functools.cache  # asked on every claim, inside the write transaction; platform facts do not change in a run
def _platform_limits(platform: str) -> tuple[tuple[Cap, str | None], ...]:
    limits = get_platform(platform).facts.get("rate_limits") or []
    return tuple(
        (Cap(int(r["max"]), r["per"], r.get("by", "channel")), r.get("option"))
        for r in limits
        if r.get("per") in CAP_WINDOWS and r.get("max")
    )


class RefusalKind(StrEnum):
    """Which rule of the gate refused: the word that starts the refusal's text."""

    STATUS = "status"
    APPROVAL = "approval"
    CHECK = "check"
    CAP = "cap"


@dataclass(frozen=True)
class Refusal:
    kind: RefusalKind
    reason: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.reason}"


@dataclass
class Verdict:
    refusals: list[Refusal] = field(default_factory=list)
    forbidden: list[Refusal] = field(default_factory=list)  # what not even --force overrides (see `blockers`)
    notes: list[str] = field(default_factory=list)
    next_slot: float | None = None
    emergency: Record | None = None  # a signed emergency approval of exactly this content: what --force needs
    emergency_refused: list[str] = field(default_factory=list)  # emergency records that do not count, and why

    @property
    def blockers(self) -> list[Refusal]:
        """What `--force` cannot override: a variant not checked as it is, or with an error or blocker finding.

        The emergency path exists for a correction that cannot wait for a second person, never for words
        that break the rules: --force skips the status, the approval and the channel's caps, not the check.
        """
        return [r for r in self.refusals if r.kind is RefusalKind.CHECK] + self.forbidden

    @property
    def ok(self) -> bool:
        return not self.refusals


def evaluate(config: Config, store: Store, item: Item, channel: Channel, content_hash: str, due_at: float) -> Verdict:
    """`content_hash` is the one computed from the variant's bytes (render.verify), never a manifest's word."""
    verdict = Verdict()
    _status_and_approval(config, item, channel, content_hash, verdict)
    _check_report(config, item, channel, content_hash, verdict)
    _caps(config, store, item, channel, due_at, verdict)
    return verdict


def _status_and_approval(config: Config, item: Item, channel: Channel, content_hash: str, verdict: Verdict) -> None:
    allowed = config.project.approval.publish_statuses
    if item.status not in allowed:
        verdict.refusals.append(
            Refusal(
                RefusalKind.STATUS,
                f"{item.slug} is '{item.status}'; publishing needs {' or '.join(allowed)} "
                "(mediactl review, then mediactl approve by another person)",
            )
        )
    found = approvals.standing(config, item, channel.name, content_hash)
    verdict.emergency = found.emergency[-1] if found.emergency else None
    verdict.emergency_refused = found.reasons(emergency=True)
    if not found.met:
        verdict.refusals.append(Refusal(RefusalKind.APPROVAL, approvals.refusal(item, content_hash, found)))


def _check_report(config: Config, item: Item, channel: Channel, content_hash: str, verdict: Verdict) -> None:
    found = read_verdict(config.state_path, channel.name, item.slug)
    if found is None:
        verdict.refusals.append(
            Refusal(RefusalKind.CHECK, f"no check report for this variant; run mediactl check {item.slug}")
        )
    elif found.content_hash != content_hash:
        verdict.refusals.append(
            Refusal(RefusalKind.CHECK, "the last check was of other content; run mediactl check again")
        )
    elif not found.passed and found.ocr != "on" and config.compliance.ocr == "required":
        unread = f"the variant was checked without reading its pictures (ocr: {found.ocr or 'off'})"
        verdict.refusals.append(
            Refusal(RefusalKind.CHECK, f"{unread} and compliance.ocr is required; run mediactl check with OCR")
        )
    elif not found.passed:
        verdict.refusals.append(
            Refusal(RefusalKind.CHECK, f"the variant has {found.findings} finding(s) that fail the check")
        )
    elif found.errors:  # passed under a laxer --fail-on; still never publishable by force
        verdict.forbidden.append(
            Refusal(RefusalKind.CHECK, f"the variant has {found.errors} error or blocker finding(s)")
        )


def cap_window(seconds: int, due_at: float) -> tuple[float, float]:
    """[start, end) of the due times a cap of one `seconds` window counts against a delivery due at `due_at`: those
    less than one window before or after it, whatever calendar day, week or month they fall in (a push on Sunday
    and one on Tuesday are two in 7 days). The gate and the calendar (plan/headroom.py) both count with this, so
    a plan the calendar shows within its caps is one the gate admits."""
    return due_at - seconds + 1, due_at + seconds


def _caps(config: Config, store: Store, item: Item, channel: Channel, due_at: float, verdict: Verdict) -> None:
    """A cap of N per window allows at most N deliveries in any window around the planned time.

    The channel's configured caps apply, and so do the platform's own publishing limits from its
    facts file (微博 30 posts an hour): a post the platform would refuse is better not queued.
    """
    for cap in (*channel.caps, *channel_caps(channel)):
        audience = audience_key(item.audience) if cap.by == "audience" else None
        start, end = cap_window(cap.seconds, due_at)
        taken = store.count_in_window(channel.name, start, end, audience)
        if taken >= cap.max:
            latest = max(
                (
                    j.due_at
                    for j in store.jobs(channel=channel.name)
                    if start <= j.due_at < end and j.state != JobState.CANCELLED
                ),
                default=due_at,
            )
            slot = latest + cap.seconds
            verdict.next_slot = max(verdict.next_slot or 0, slot)
            scope = f" for segment {'/'.join(item.audience)}" if audience else ""
            when = datetime.fromtimestamp(slot, config.project.tz).strftime("%Y-%m-%d %H:%M")
            verdict.refusals.append(
                Refusal(
                    RefusalKind.CAP,
                    f"{channel.name} allows {cap.max} per {cap.per}{scope}; {taken} already planned around then; "
                    f"next allowed slot {when} (use --defer to queue it there)",
                )
            )
