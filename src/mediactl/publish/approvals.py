"""Maker-checker: moving an item to review, and approving exactly what was rendered.

`approve` records who approved, when, and the content hash of each of the item's
variants; the gate accepts only those hashes. With `require_other_person`, the author
cannot approve their own item. The status change is written into the item's front
matter (atomically), so it is visible in git like any other edit.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediactl.core import fsutil
from mediactl.core.errors import ContentError, MediactlError, Problem, UsageError
from mediactl.library.frontmatter import with_status
from mediactl.publish.store import Store, open_store, store_exists
from mediactl.render.verify import verify

if TYPE_CHECKING:  # annotations only
    from mediactl.config.model import Config
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


def check_approver(item: Item, approver: str, config: Config) -> None:
    """Refuse an approval the maker-checker rule forbids, before anything is recorded.

    An item without an author cannot be approved at all: with no author there is nobody
    to tell the approver apart from. Names are compared as a person reads them, so
    "Wang Min", " wang  min " and "ＷＡＮＧ　ＭＩＮ" are one person.
    """
    author = person(item.author)
    if not author:
        problem = Problem(item.file, "the item has no author, so it cannot be approved: maker-checker needs to "
                          "know who wrote it; write the author's name here", line=item.author_line, key="author")  # fmt: skip
        raise ContentError(item.file, [problem])
    if not person(approver):
        raise UsageError(f"the approver's name {approver!r} is blank; set MEDIACTL_USER (or git's user.name)")
    if config.project.approval.require_other_person and person(approver) == author:
        raise UsageError(
            f"{approver} wrote {item.slug} and cannot also approve it (project.approval.require_other_person); "
            "ask another person to run mediactl approve",
        )


def person(name: str) -> str:
    """A name as compared between author and approver: NFKC, case-folded, invisible marks
    (zero-width and bidi controls) dropped, runs of white space one space, trimmed."""
    folded = unicodedata.normalize("NFKC", name or "").casefold()
    visible = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")
    return " ".join(visible.split())


def approval_views(config: Config, items: list[Item]) -> dict[str, dict[str, Any]]:
    """For `mediactl ls`: who approved each item's variants, and whether each approval still holds.

    Per channel: ``valid`` (an approval for the variant's current content hash), ``void`` (an
    approval exists, for an earlier version: the variant changed since), ``none``,
    ``not-rendered`` (no variant to approve yet), or ``modified`` (its files in build/, or the item
    files it carries, were changed after render: nothing about it holds until it is rendered again). Per item, ``state`` sums it up: ``approved``
    (every channel valid), ``partial``, ``void`` (something approved, nothing valid) or ``none``.
    Reads the state store only if it exists: listing never creates one.
    """
    store = open_store(config) if store_exists(config) else None
    try:
        return {item.slug: _item_view(config, item, store) for item in items}
    finally:
        if store is not None:
            store.close()


def _item_view(config: Config, item: Item, store: Store | None) -> dict[str, Any]:
    approvals = store.approvals_of(item.slug) if store is not None else []
    channels = []
    for name in item.channels:
        current, modified = _current_hash(config, item, name)
        mine = [a for a in approvals if a["channel"] == name]
        valid = next((a for a in reversed(mine) if a["content_hash"] == current), None)
        shown = valid or (mine[-1] if mine else None)
        state = (
            "modified" if modified
            else "valid" if valid
            else "void" if mine
            else "none" if current
            else "not-rendered"
        )  # fmt: skip
        channels.append({
            "channel": name,
            "state": state,
            "approver": shown["approver"] if shown else None,
            "approved_at": datetime.fromtimestamp(shown["approved_at"], config.project.tz).isoformat() if shown else None,
            "content_hash": current,
        })  # fmt: skip
    states = {c["state"] for c in channels}
    summary = (
        "approved" if channels and states == {"valid"}
        else "partial" if "valid" in states
        else "void" if "void" in states
        else "none"
    )  # fmt: skip
    approvers = sorted({c["approver"] for c in channels if c["state"] == "valid" and c["approver"]})
    return {"state": summary, "approvers": approvers, "channels": channels}


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
    tampered = f"; {modified} modified after render" if modified else ""
    who = ", ".join(view["approvers"])
    if view["state"] == "approved":
        return f"✓ {who}"
    if view["state"] == "partial":
        return f"{valid}/{len(channels)} {who}" + (f"; {void} void (changed since)" if void else "") + tampered
    if view["state"] == "void":
        names = ", ".join(sorted({c["approver"] for c in channels if c["approver"]}))
        return f"void: changed since {names} approved{tampered}"
    return "—" + tampered
