"""Maker-checker: moving an item to review, and approving exactly what was rendered.

`approve` records who approved, when, and the content hash of each of the item's
variants; the gate accepts only those hashes. With `require_other_person`, the author
cannot approve their own item. The status change is written into the item's front
matter (atomically), so it is visible in git like any other edit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mediactl import fsutil
from mediactl.errors import UsageError
from mediactl.frontmatter import FENCE


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
