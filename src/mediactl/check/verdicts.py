"""The check verdict of one variant: what the publish gate reads, defined here once.

`mediactl check` writes one verdict per variant to
`<state>/reports/<channel>/<slug>.json`; the gate accepts a variant only when a verdict
exists for exactly the content hash it is about to send and says it passed. The file is
JSON with these fields (schema 1):

| field | meaning |
|---|---|
| `schema` | 1 |
| `item`, `channel` | the variant |
| `content_hash` | the sha256 of the variant's published document that was checked (render.verify) |
| `passed` | no unsuppressed finding at or above `fail_on` (and, where `compliance.ocr: required`, its pictures read) |
| `fail_on` | the severity that fails (`error` by default) |
| `ocr` | whether the words inside its pictures were read: `on`, `off`, `unavailable` (absent before issue 17) |
| `findings` | unsuppressed findings (`Finding.to_dict()`), `suppressed`: the allowed ones |

Readers go through `read_verdict`, never the path: a verdict of another schema (written
by another version of mediactl) is treated as missing, so the variant is checked again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediactl.core import fsutil

REPORTS = "reports"
SCHEMA = 1
BLOCKING = ("error", "blocker")


@dataclass(frozen=True)
class Verdict:
    item: str
    channel: str
    content_hash: str
    passed: bool
    findings: int  # unsuppressed findings
    errors: int  # unsuppressed findings of severity error or blocker (what --force can never override)
    ocr: str = ""  # on, off, unavailable; "" in a verdict written before pictures were read


def verdict_path(state_path: Path, channel: str, item: str) -> Path:
    return state_path / REPORTS / channel / f"{item}.json"


def write_verdict(state_path: Path, report: dict[str, Any]) -> None:
    """Write a variant's verdict atomically (`report` holds the fields above, `schema` is added)."""
    document = {"schema": SCHEMA, **report}
    text = json.dumps(document, ensure_ascii=False, indent=2)
    fsutil.write_text(verdict_path(state_path, report["channel"], report["item"]), text)


def read_verdict(state_path: Path, channel: str, item: str) -> Verdict | None:
    """The last verdict of a variant, or None when there is none (or it is unreadable or of another schema)."""
    try:
        data = json.loads(verdict_path(state_path, channel, item).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        return None
    return Verdict(
        str(data.get("item")),
        str(data.get("channel")),
        str(data.get("content_hash")),
        bool(data.get("passed")),
        len(data.get("findings") or []),
        sum(1 for f in data.get("findings") or [] if isinstance(f, dict) and f.get("severity") in BLOCKING),
        str(data.get("ocr") or ""),
    )
