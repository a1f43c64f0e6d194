"""Maker-checker: moving an item to review, and approving exactly what was rendered.

`approve` records who approved, when, and the content hash of each of the item's
variants; the gate accepts only those hashes. With `require_other_person`, the author
cannot approve their own item. The status change is written into the item's front
matter (atomically), so it is visible in git like any other edit.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from mediactl import fsutil
from mediactl.errors import MediactlError, UsageError
from mediactl.frontmatter import FENCE
from mediactl.render.verify import verify


def set_status(file: Path, status: str) -> None:
    """Rewrite the `status:` line of the front matter (or add one after `title:`), keeping all else."""
    lines = file.read_text("utf-8").splitlines(keepends=True)
    if not lines or lines[0].strip() != FENCE:
        raise UsageError(f"{file}: no front matter to record the status in")
    closing = next((i for i in range(1, len(lines)) if lines[i].strip() in (FENCE, "...")), None)
    if closing is None:
        raise UsageError(f"{file}: the front matter is not closed with '---'")
    front = range(1, closing)
    existing = next((i for i in front if lines[i].startswith("status:")), None)
    if existing is not None:
        comment = lines[existing].split("#", 1)[1].rstrip("\n") if "#" in lines[existing] else ""
        lines[existing] = f"status: {status}" + (f"  #{comment}" if comment else "") + "\n"
    else:
        after = next((i for i in front if lines[i].startswith("title:")), 0)
        lines.insert(after + 1, f"status: {status}\n")
    fsutil.write_text(file, "".join(lines))


def check_approver(item: Any, approver: str, config: Any) -> None:
    if config.project.approval.require_other_person and approver == item.author:
        raise UsageError(
            f"{approver} wrote {item.slug} and cannot also approve it (project.approval.require_other_person); "
            "ask another person to run mediactl approve",
        )


def approval_views(config: Any, items: list[Any]) -> dict[str, dict[str, Any]]:
    """For `mediactl ls`: who approved each item's variants, and whether each approval still holds.

    Per channel: ``valid`` (an approval for the variant's current content hash), ``void`` (an
    approval exists, for an earlier version: the variant changed since), ``none``,
    ``not-rendered`` (no variant to approve yet), or ``modified`` (its files in build/, or the item
    files it carries, were changed after render: nothing about it holds until it is rendered again). Per item, ``state`` sums it up: ``approved``
    (every channel valid), ``partial``, ``void`` (something approved, nothing valid) or ``none``.
    Reads the state store only if it exists: listing never creates one.
    """
    from mediactl.publish.runner import QUEUE_FILE
    from mediactl.publish.store import Store

    path = config.state_path / QUEUE_FILE
    store = Store(path) if path.exists() else None
    try:
        return {item.slug: _item_view(config, item, store) for item in items}
    finally:
        if store is not None:
            store.close()


def _item_view(config: Any, item: Any, store: Any) -> dict[str, Any]:
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


def _current_hash(config: Any, item: Any, channel: str) -> tuple[str | None, bool]:
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
