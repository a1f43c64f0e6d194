"""Whom a WeCom post goes to: an item's audience, through `segments:` in mediactl.yaml, as WeCom's request fields.

An item names segments (`audience: [老年客群, 代发客群]`); the config says who each segment is on
WeCom (`segments: {老年客群: {wecom: {tags: [et…]}}}`). A push goes to the customers of any of
the item's segments, so their tags go into one tag group (WeCom ORs the tags of a group and ANDs
the groups: platforms.md §2, 92135). Customers named by id and tags are never mixed in one task:
how WeCom combines `external_userid` with `tag_filter` is not documented, and a guess could reach
the wrong customers; such an item is refused with the reason. Customer groups (chat_type group)
are addressed by their chat ids. Moments take only customer tags (visible_range).

Nothing here sends: it turns the job's audience into fields, or a `Rejected` naming what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mediactl.config.platforms import get_platform
from mediactl.publish.adapters.base import Rejected

if TYPE_CHECKING:  # annotations only
    from mediactl.config.model import Config
    from mediactl.config.options import WecomOptions

PLATFORM = "wecom"


@dataclass(frozen=True)
class Targets:
    """The union of the audience's segments on WeCom, and which segments they came from (for messages)."""

    segments: tuple[str, ...]
    tags: tuple[str, ...] = ()
    customers: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    problems: list[str] = field(default_factory=list)

    def describe(self) -> str:
        parts = [f"{len(ids)} {what}" for what, ids in (("tags", self.tags), ("customers", self.customers),
                                                          ("groups", self.groups)) if ids]  # fmt: skip
        return f"{', '.join(parts) or 'nobody'} (segments {', '.join(self.segments)})"


def resolve(config: Config, audience: str) -> Targets:
    """The WeCom ids of every segment in a job's audience (comma-separated, as the job keeps it)."""
    names = tuple(filter(None, (part.strip() for part in audience.split(","))))
    if not names:
        raise Rejected("the item names no audience: a WeCom post goes to the customers of the item's segments; add "
                       "`audience: [...]` to its front matter, naming segments defined under `segments:` in mediactl.yaml")  # fmt: skip
    found: dict[str, list[str]] = {"tags": [], "customers": [], "groups": []}
    problems = []
    for name in names:
        segment = config.segments.get(name)
        if segment is None:
            problems.append(
                f"segment '{name}' (in the item's audience) is not defined under `segments:` in mediactl.yaml"
            )
            continue
        targets = segment.on(PLATFORM)
        if not targets:
            problems.append(f"segment '{name}' names no wecom targets (segments.{name}.wecom: {{tags: [...]}})")
        for kind, ids in targets.items():
            found[kind] += [i for i in ids if i not in found[kind]]
    return Targets(names, tuple(found["tags"]), tuple(found["customers"]), tuple(found["groups"]), problems)


def push_fields(targets: Targets, options: WecomOptions) -> dict[str, Any]:
    """add_msg_template's addressing fields: chat_type, external_userid or tag_filter, chat_id_list, sender."""
    _refuse(targets.problems)
    fields: dict[str, Any] = {"chat_type": options.chat_type}
    if options.sender:
        fields["sender"] = options.sender
    if options.chat_type == "group":
        _require(targets, targets.groups, "`groups`", "customer group chat ids (chat_type: group)")
        _within(targets.groups, "chat_ids", "chat ids")
        fields["chat_id_list"] = list(targets.groups)
        return fields
    if targets.tags and targets.customers:
        raise Rejected(f"the audience mixes customer tags and customer ids ({targets.describe()}); WeCom does not say "
                       "how it combines them in one task, so mediactl sends neither: give these segments either `tags` "
                       "or `customers`, or send them as separate items")  # fmt: skip
    _require(targets, targets.tags or targets.customers, "`tags` or `customers`", "customer tags or customer ids")
    if options.allow_select:
        fields["allow_select"] = True
    if targets.customers:
        _within(targets.customers, "customers", "customer ids")
        fields["external_userid"] = list(targets.customers)
    else:
        _within(targets.tags, "tags_per_group", "tags")
        fields["tag_filter"] = {"group_list": [{"tag_list": list(targets.tags)}]}
    return fields


def moment_range(targets: Targets, options: WecomOptions) -> dict[str, Any]:
    """add_moment_task's visible_range: the staff who post (if the channel names them) and the customer tags."""
    _refuse(targets.problems)
    if targets.customers or targets.groups:
        raise Rejected(f"a moment is shown by customer tags only, but the audience names customer or group ids "
                       f"({targets.describe()}); give these segments `tags` for moments")  # fmt: skip
    _require(targets, targets.tags, "`tags`", "customer tags")
    visible: dict[str, Any] = {"external_contact_list": {"tag_list": list(targets.tags)}}
    if options.senders:
        visible["sender_list"] = {"user_list": list(options.senders)}
    return visible


def _refuse(problems: list[str]) -> None:
    if problems:
        raise Rejected("; ".join(problems) + "; nothing was sent")


def _require(targets: Targets, ids: tuple[str, ...], kinds: str, what: str) -> None:
    if not ids:
        raise Rejected(f"the audience's segments ({', '.join(targets.segments)}) give no {what}: add {kinds} under "
                       f"segments.<name>.wecom in mediactl.yaml; nothing was sent")  # fmt: skip


def _within(ids: tuple[str, ...], limit: str, what: str) -> None:
    facts = get_platform(PLATFORM).facts["limits"][limit]
    if len(ids) > int(facts["max"]):
        raise Rejected(
            f"{len(ids)} {what} in one WeCom task, more than the {facts['max']} it takes ({facts['source']})"
        )
