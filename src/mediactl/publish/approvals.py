"""Maker-checker: who may approve, and whether the signed approvals of a variant meet the policy.

An approval is a signed record in `approvals/<slug>.yaml` (publish/records.py), never a name in an
environment variable: the approver is a person declared under `people:` in mediactl.yaml, and the
record counts only when its SSH signature verifies with one of that person's declared keys. Each
record that does not count says why, and the reasons are the gate's words:

- ``bad signature``: the record (or its signature) was changed after it was signed;
- ``unknown person`` / ``unknown key``: the signer is not declared, or signed with a key that is not
  declared for them (another person's key, or nobody's);
- ``wrong role``: the person does not hold the role the record claims;
- ``another item`` / ``another channel``: a record copied from elsewhere;
- ``changed since``: it approves an earlier version of the variant: one changed byte voids it;
- ``own item``: the author approving what they wrote (`project.approval.require_other_person`).

What counts is then weighed against the policy (`project.approval.require`, or the channel's own):
"needs 1 compliance approval, has 0". A person counts once per role. An `emergency` record (with its
reason) is not an approval: it backs `publish --force` only (publish/runner.py).

Authors are matched as people read names: the item's `author:` against each person's id and name,
after NFKC, case folding, invisible marks dropped and white space collapsed ("王敏", " 王敏 " and
"ＷＡＮＧ．ＭＩＮ" for wang.min). The status change is written into the item's front matter
(atomically), so it is visible in git like any other edit.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediactl.config.model import EMERGENCY
from mediactl.config.schema import did_you_mean
from mediactl.core import fsutil, sshsig
from mediactl.core.errors import ContentError, MediactlError, Problem, UsageError
from mediactl.core.identity import identity_candidates
from mediactl.core.times import zoned
from mediactl.library.frontmatter import with_status
from mediactl.publish.records import NAMESPACE, Record, read
from mediactl.render.verify import verify

if TYPE_CHECKING:  # annotations only
    from mediactl.config.model import Config, Person
    from mediactl.library.content import Item


def set_status(file: Path, status: str) -> None:
    """Rewrite the `status:` line of the front matter (or add one after `title:`), keeping all else."""
    fsutil.write_bytes(file, status_rewrite(file, status))


def status_rewrite(file: Path, status: str) -> bytes:
    """The bytes `set_status` would write, computed without writing: `approve` prepares every
    item's before it changes anything. Byte for byte the file, but for the status line."""
    try:
        return with_status(file.read_bytes().decode("utf-8"), status).encode("utf-8")
    except OSError as exc:
        raise UsageError(f"{file}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{file}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    except ValueError as exc:
        raise UsageError(f"{file}: {exc}") from None


# --- who approves ----------------------------------------------------------------------------------------


def person(name: str) -> str:
    """A name as compared between author and approver: NFKC, case-folded, invisible marks
    (zero-width and bidi controls) dropped, runs of white space one space, trimmed."""
    folded = unicodedata.normalize("NFKC", name or "").casefold()
    visible = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")
    return " ".join(visible.split())


def is_author(item: Item, someone: Person) -> bool:
    """Whether `someone` wrote `item`: its `author:` is their id or their name, as people read names."""
    author = person(item.author)
    return bool(author) and author in {person(someone.id), person(someone.name)}


def resolve_person(config: Config, named: str | None) -> Person:
    """The declared person who approves: `--as ID` (or their name), else MEDIACTL_USER, git's user.name or
    user.email matched to `people:`. Never a name nobody declared: that is what made approvals forgeable."""
    if not config.people:
        raise UsageError("no people are declared in mediactl.yaml, so nobody can sign an approval; declare "
                         "`people:` with each person's roles and SSH public keys (see mediactl.example.yaml)")  # fmt: skip
    if named is not None:
        found = _match(config, named)
        if found is None:
            hint = did_you_mean(named, config.people)
            raise UsageError(f"--as {named}: nobody by that id or name is declared under `people:` in mediactl.yaml"
                             f"{hint} (declared: {', '.join(config.people)})")  # fmt: skip
        return found
    tried = identity_candidates()
    for candidate in tried:
        found = _match(config, candidate)
        if found is not None:
            return found
    said = ", ".join(repr(c) for c in tried) or "nothing"
    raise UsageError(f"who approves? say --as PERSON_ID (one of: {', '.join(config.people)}); MEDIACTL_USER and "
                     f"git's user.name and user.email ({said}) match nobody declared under `people:`")  # fmt: skip


def _match(config: Config, text: str) -> Person | None:
    wanted = person(text)
    if not wanted:
        return None
    for someone in config.people.values():
        if wanted in {person(someone.id), person(someone.name)} or (someone.email and wanted == person(someone.email)):
            return someone
    return None


def choose_role(config: Config, someone: Person, role: str | None, channels: list[str]) -> str:
    """The role a record claims: `--role`, else the first role the policy asks of these channels that the person
    holds. A role the person does not hold is refused here, not left for the gate to find."""
    if role is not None:
        if not someone.holds(role):
            raise UsageError(f"wrong role: {someone.id} does not hold the role '{role}' (people.{someone.id}.roles: "
                             f"{', '.join(someone.roles) or 'none'})")  # fmt: skip
        return role
    wanted = [r.role for name in channels for r in config.project.approval.requirements(name)]
    for candidate in dict.fromkeys(wanted):
        if someone.holds(candidate):
            return candidate
    raise UsageError(f"{someone.id} holds none of the roles the approval policy asks for "
                     f"({', '.join(dict.fromkeys(wanted))}); their roles: {', '.join(someone.roles) or 'none'}")  # fmt: skip


def check_approver(item: Item, someone: Person, config: Config) -> None:
    """Refuse an approval the maker-checker rule forbids, before anything is signed.

    An item without an author cannot be approved: with no author there is nobody to tell the approver
    apart from. Nor can a draft: the maker says it is done (`mediactl review`, status: review) before the
    checker signs, so a checker never approves words their author is still changing. (An emergency record needs no second person, that is what an emergency is: not asked.)
    """
    if not person(item.author):
        problem = Problem(item.file, "the item has no author, so it cannot be approved: maker-checker needs to "
                          "know who wrote it; write the author's name here", line=item.author_line, key="author")  # fmt: skip
        raise ContentError(item.file, [problem])
    if item.status == "draft":
        raise UsageError(
            f"{item.slug} is still a draft ({item.file}: status: draft): its author hands it "
            f"over with `mediactl review {item.slug}` before anyone approves it; nothing was approved"
        )
    if config.project.approval.require_other_person and is_author(item, someone):
        raise UsageError(
            f"own item: {someone.id} wrote {item.slug} and cannot also approve it "
            "(project.approval.require_other_person); ask another person to run mediactl approve",
        )


# --- what the records say -------------------------------------------------------------------------------


@dataclass
class Standing:
    """The signed approvals of one variant, weighed: what counts, what does not and why, and what is missing."""

    valid: list[Record] = field(default_factory=list)  # count towards the policy
    emergency: list[Record] = field(default_factory=list)  # back `publish --force`
    refused: list[tuple[Record, str]] = field(default_factory=list)  # (record, why it does not count)
    missing: list[str] = field(default_factory=list)  # "needs 1 compliance approval, has 0"
    seen: bool = False  # any record about this variant at all

    @property
    def met(self) -> bool:
        return not self.missing

    def reasons(self, *, emergency: bool = False) -> list[str]:
        wanted = [(r, why) for r, why in self.refused if (r.role == EMERGENCY) == emergency]
        return [f"{record.where}: {why}" for record, why in wanted]


def standing(
    config: Config, item: Item, channel: str, content_hash: str, records: list[Record] | None = None
) -> Standing:
    """Weigh the records of `approvals/<item>.yaml` that are about this variant (its channel, or its exact bytes)."""
    found = Standing()
    for record in read(config.root, item.slug) if records is None else records:
        if record.channel != channel and record.content_hash != content_hash:
            continue  # another channel's approval of other bytes: not about this variant
        found.seen = True
        problem = judge(config, item, channel, content_hash, record)
        if problem is not None:
            found.refused.append((record, problem))
        elif record.role == EMERGENCY:
            found.emergency.append(record)
        else:
            found.valid.append(record)
    for requirement in config.project.approval.requirements(channel):
        signers = {r.person for r in found.valid if r.role == requirement.role}
        if len(signers) < requirement.count:
            found.missing.append(f"needs {requirement}, has {len(signers)}")
    return found


def judge(config: Config, item: Item, channel: str, content_hash: str, record: Record) -> str | None:
    """Why `record` does not count for this variant (the reason, starting with its name), or None when it does."""
    try:
        key = sshsig.parse(record.signature).public_key
    except sshsig.SignatureError as exc:
        return f"bad signature: {exc.message}"
    signer = config.people.get(record.person)
    if signer is None:
        return f"unknown person: '{record.person}' is not declared under `people:` in mediactl.yaml"
    if not signer.owns(key):
        owner = config.key_owner(key)
        whose = f"declared for {owner.id}, not {signer.id}" if owner else "not declared for any person in mediactl.yaml"
        return f"unknown key: the record of {signer.id} is signed with {key.fingerprint}, {whose}"
    try:
        sshsig.verify(record.signature, record.message(), NAMESPACE)
    except sshsig.SignatureError as exc:
        return f"bad signature: the record was changed after {signer.id} signed it ({exc.message})"
    return _meaning(config, item, channel, content_hash, record, signer)


def _meaning(config: Config, item: Item, channel: str, content_hash: str, record: Record, signer: Person) -> str | None:
    """What a genuine record says, against what it is asked to approve."""
    if not signer.holds(record.role):
        return (f"wrong role: {signer.id} signed as {record.role} but does not hold that role "
                f"(people.{signer.id}.roles: {', '.join(signer.roles) or 'none'})")  # fmt: skip
    if record.item != item.slug:
        return f"another item: the record approves {record.item}, not {item.slug}"
    if record.channel != channel:
        return f"another channel: the record approves {record.channel}, not {channel}"
    if record.content_hash != content_hash:
        return (f"changed since: {signer.id} approved an earlier version of this variant ({record.content_hash[:12]}); "
                f"it is now {content_hash[:12]}, so it needs approving again")  # fmt: skip
    if record.role == EMERGENCY:
        return None if record.reason.strip() else "no reason: an emergency approval must say why (--reason)"
    if not person(item.author):
        return f"no author: {item.slug} names no author, so nobody can be told apart from them (write `author:`)"
    if config.project.approval.require_other_person and is_author(item, signer):
        return f"own item: {signer.id} wrote {item.slug} and cannot approve it (project.approval.require_other_person)"
    return None


def refusal(item: Item, content_hash: str, found: Standing) -> str:
    """The gate's words for a variant whose approvals do not meet the policy."""
    if not found.seen:
        return f"nobody has approved this variant (content {content_hash[:12]}); run mediactl approve {item.slug}"
    return "; ".join([*found.missing, *found.reasons()])


# --- mediactl ls ------------------------------------------------------------------------------------------


def approval_views(config: Config, items: list[Item]) -> dict[str, dict[str, Any]]:
    """For `mediactl ls`: who approved each item's variants, and whether the approvals still hold.

    Per channel: ``valid`` (the policy is met for the variant's current content hash), ``incomplete``
    (some approvals of the current content count, not yet all the policy asks), ``void`` (approved once,
    for an earlier version: the variant changed since), ``none``, ``not-rendered`` (no variant to approve
    yet), or ``modified`` (its files in build/, or the item files it carries, were changed after render:
    nothing about it holds until it is rendered again). ``refused`` lists the records that do not count for
    another reason (a bad signature, an unknown key …). Per item, ``state`` sums it up: ``approved`` (every
    channel valid), ``partial``, ``void`` (something approved, nothing valid) or ``none``. Reads only the
    repository's approvals/ files: nothing of the state store.
    """
    return {item.slug: _item_view(config, item) for item in items}


def _item_view(config: Config, item: Item) -> dict[str, Any]:
    records = read(config.root, item.slug)
    channels = [_channel_view(config, item, name, records) for name in item.channels]
    states = {c["state"] for c in channels}
    summary = (
        "approved" if channels and states == {"valid"}
        else "partial" if states & {"valid", "incomplete"}
        else "void" if "void" in states
        else "none"
    )  # fmt: skip
    approvers = sorted({who for c in channels if c["state"] == "valid" for who in c["approvers"]})
    return {"state": summary, "approvers": approvers, "channels": channels}


def _channel_view(config: Config, item: Item, name: str, records: list[Record]) -> dict[str, Any]:
    current, modified = _current_hash(config, item, name)
    mine = [r for r in records if r.channel == name and r.role != EMERGENCY]
    found = standing(config, item, name, current or "", mine)
    void = any(why.startswith("changed since") for _, why in found.refused)
    state = (
        "modified" if modified
        else "not-rendered" if current is None
        else "valid" if found.met
        else "incomplete" if found.valid
        else "void" if void
        else "none"
    )  # fmt: skip
    shown = found.valid[-1] if found.valid else (mine[-1] if mine else None)
    return {
        "channel": name,
        "state": state,
        "approver": shown.person if shown else None,
        "approved_at": _local_time(shown, config) if shown else None,
        "content_hash": current,
        "approvers": sorted({r.person for r in found.valid}),
        "refused": [f"{r.where}: {why}" for r, why in found.refused if not why.startswith("changed since")],
    }


def _local_time(record: Record, config: Config) -> str | None:
    try:
        return zoned(record.moment, config.project.tz)
    except ValueError:
        return None


def _current_hash(config: Config, item: Item, channel: str) -> tuple[str | None, bool]:
    """(content hash computed from the variant's bytes, whether build/ or content/ changed since render)."""
    try:
        verified = verify(config.build_path / channel / item.slug, config.root)
    except MediactlError:
        return None, True
    return (verified.content_hash if verified else None), False


def approval_text(view: dict[str, Any]) -> str:
    """One table cell: who approved, and what no longer holds."""
    channels = view["channels"]
    valid = sum(c["state"] == "valid" for c in channels)
    void = sum(c["state"] == "void" for c in channels)
    modified = sum(c["state"] == "modified" for c in channels)
    refused = sum(len(c.get("refused") or ()) for c in channels)
    tampered = f"; {modified} modified after render" if modified else ""
    tampered += f"; {refused} refused (see ls --json)" if refused else ""
    who = ", ".join(view["approvers"])
    if view["state"] == "approved":
        return f"✓ {who}" + tampered
    if view["state"] == "partial":
        return f"{valid}/{len(channels)} {who}".rstrip() + (f"; {void} void (changed since)" if void else "") + tampered
    if view["state"] == "void":
        names = ", ".join(sorted({c["approver"] for c in channels if c["approver"]}))
        return f"void: changed since {names} approved{tampered}"
    return "—" + tampered
