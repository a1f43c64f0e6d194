"""The audit log: append-only JSON lines, each record carrying the hash of the one before.

Anyone can read it (`mediactl log`), nobody can quietly edit it: changing, removing or
reordering a record breaks the chain, and `mediactl log verify` names the first broken
record. Appends are serialised across processes with an exclusive file lock. Records hold
summaries, remote ids and URLs, never a secret (every value passes through `redact`).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mediactl.credentials import redact
from mediactl.errors import MediactlError

GENESIS = "0" * 64


class AuditError(MediactlError):
    exit_code = 1


@dataclass(frozen=True)
class Broken:
    line: int
    reason: str


def _digest(record: dict[str, Any]) -> str:
    body = {key: value for key, value in record.items() if key != "hash"}
    return hashlib.sha256(
        json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()


def append(path: Path, actor: str, action: str, **fields: Any) -> dict[str, Any]:
    """Add one record (time, actor, action, and any fields) and return it with its hash."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            previous, seq = _tail(handle)
            record = {
                "seq": seq + 1,
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "actor": actor,
                "action": action,
                **{key: _clean(value) for key, value in fields.items() if value not in (None, "")},
                "prev": previous,
            }
            record["hash"] = _digest(record)
            handle.seek(0, os.SEEK_END)
            handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
            return record
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _tail(handle: Any) -> tuple[str, int]:
    """The hash and sequence number of the last record (read backwards: the log only grows)."""
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    block = min(size, 65536)
    while block:
        handle.seek(size - block)
        lines = handle.read(block).splitlines()
        complete = [line for line in lines if line.strip()]
        if len(complete) >= 2 or block == size:
            if not complete:
                break
            last = json.loads(complete[-1])
            return last["hash"], int(last["seq"])
        block = min(size, block * 2)
    return GENESIS, 0


def records(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def verify(path: Path) -> tuple[int, Broken | None]:
    """(records checked, the first break or None)."""
    previous, count = GENESIS, 0
    if not path.exists():
        return 0, None
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                return count, Broken(number, "not a JSON record")
            if record.get("prev") != previous:
                return count, Broken(number, "does not follow the previous record (removed, reordered or inserted)")
            if record.get("hash") != _digest(record):
                return count, Broken(number, "its content was changed after it was written")
            previous, count = record["hash"], count + 1
    return count, None


def since(path: Path, moment: float | None) -> list[dict[str, Any]]:
    if moment is None:
        return list(records(path))
    return [r for r in records(path) if datetime.fromisoformat(r["time"]).timestamp() >= moment]


def now() -> float:
    return time.time()
