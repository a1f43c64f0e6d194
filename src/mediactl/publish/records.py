"""Signed approval records: `approvals/<slug>.yaml` in the repository, and the exact text each signature covers.

An approval travels with the content: it is a file in the repository, reviewed and merged like any
change, and every machine that publishes verifies it against the keys declared under `people:`. Each
record says who (`person`) approved which bytes (`item`, `channel`, `content_hash`) in which capacity
(`role`), when (`at`, ISO 8601 with its zone) and why (`note`; `reason` for an emergency), and carries
an SSH signature (`signature`, the armored `-----BEGIN SSH SIGNATURE-----` block, namespace
`mediactl-approval`) and, for the reader, the signing key's fingerprint (`key`; not trusted: the
signature names its key).

The signed message is a canonical serialisation of the record, so any tool can recompute it: a JSON
object of the fields item, channel, content_hash, role, person, at, note and reason (an absent field
is the empty string) and `"v": 1`, keys sorted, no spaces, UTF-8 unescaped, i.e. Python's
`json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()`. Checked by
hand: write it to a file and run `ssh-keygen -Y verify -n mediactl-approval -f allowed_signers -I PERSON
-s record.sig < message`.

Files are written whole and atomically; new records are appended below the ones already there, whose
bytes are kept, so a merge request shows exactly the records added. A file that cannot be read as
records is an error naming file, line and field: an approval is never guessed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from mediactl.config.schema import Checker
from mediactl.config.yamlpos import LocatedYAML, load_located
from mediactl.core import fsutil
from mediactl.core.controls import describe, forbidden
from mediactl.core.errors import ContentError, FilesystemError, Problem, UsageError, relpath

NAMESPACE = "mediactl-approval"
FOLDER = "approvals"
FORMAT_VERSION = 1
SIGNED = ("item", "channel", "content_hash", "role", "person", "at", "note", "reason")
REQUIRED = ("item", "channel", "content_hash", "role", "person", "at", "signature")
KEYS = (*SIGNED, "key", "signature")
HEADER = """\
# Signed approvals of {slug}, written by `mediactl approve`: one record per channel and approver.
# Each signature covers the record's fields (see mediactl's publish/records.py); the gate verifies it
# against the keys declared under `people:` in mediactl.yaml. Review and merge it like any change.
"""
_CACHE_SIZE = 512


@dataclass(frozen=True)
class Record:
    item: str
    channel: str
    content_hash: str
    role: str
    person: str
    at: str  # ISO 8601 with its zone
    note: str = ""
    reason: str = ""  # why an emergency approval was needed
    key: str = ""  # the signing key's fingerprint, for the reader; the signature itself names the key
    signature: str = ""  # armored SSHSIG over `message()`
    where: str = field(default="", compare=False)  # `approvals/<slug>.yaml:LINE`, for messages

    def message(self) -> bytes:
        """The bytes the signature covers (see the module doc): canonical, so any tool can recompute them."""
        signed = {name: getattr(self, name) for name in SIGNED} | {"v": FORMAT_VERSION}
        return json.dumps(signed, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    @property
    def moment(self) -> datetime:
        return datetime.fromisoformat(self.at)


def path_of(root: Path, slug: str) -> Path:
    return root / FOLDER / f"{slug}.yaml"


def read(root: Path, slug: str) -> list[Record]:
    """The records of `approvals/<slug>.yaml` (none when there is no file); ContentError naming file:line:field."""
    path = path_of(root, slug)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise FilesystemError.from_os_error(exc, path, doing="read") from None
    return list(parse(data, relpath(path, root)))


_parsed: dict[tuple[str, bytes], tuple[Record, ...]] = {}  # a run asks once per variant: parse each file once


def parse(data: bytes, shown: str) -> tuple[Record, ...]:
    """Records from a file's bytes; ContentError listing every problem with its line and field."""
    cached = _parsed.get((shown, data))
    if cached is not None:
        return cached
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ContentError(
            shown, [Problem(shown, f"not UTF-8 text (byte {exc.start}); save the file as UTF-8")]
        ) from None
    doc = load_located(text.lstrip("\ufeff"), shown)
    records = _records(doc, shown) if not doc.problems else ()
    if any(p.is_error for p in doc.problems):
        raise ContentError(shown, doc.problems)
    if len(_parsed) >= _CACHE_SIZE:
        _parsed.clear()
    _parsed[shown, data] = records
    return records


def _records(doc: LocatedYAML, shown: str) -> tuple[Record, ...]:
    check = Checker(doc)
    if doc.data is None:
        return ()
    if not isinstance(doc.data, list):
        check.error((), "expected a list of approval records (`- item: …`), as mediactl approve writes them")
        return ()
    out = []
    for index, entry in enumerate(doc.data):
        data = check.mapping(entry, (index,), required=REQUIRED)
        for key in data:
            if key not in KEYS:  # a field nobody signed must not look like part of the approval
                check.error((index, key), f"unknown field '{key}' in a signed record (fields: {', '.join(KEYS)})")
        values = {key: _text(check, data.get(key), (index, key)) for key in KEYS}
        if values["at"] and not _zoned_time(values["at"]):
            check.error(
                (index, "at"), f"'{values['at']}' is not an ISO 8601 time with its zone (2026-12-01T09:00:00+08:00)"
            )
        if any(values[key] is None for key in REQUIRED) or any(p.is_error for p in doc.problems):
            continue
        line = doc.position((index,))[0]
        out.append(Record(**{k: v or "" for k, v in values.items()}, where=f"{shown}:{line}"))
    return tuple(out)


def _text(check: Checker, value: Any, path: tuple[Any, ...]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):  # a YAML number or date would not be the text that was signed
        check.error(path, f"expected text, got {type(value).__name__} (quote it)")
        return None
    return value


def _zoned_time(text: str) -> bool:
    try:
        return datetime.fromisoformat(text).tzinfo is not None
    except ValueError:
        return False


# --- writing ----------------------------------------------------------------------------------------------


def check_text(label: str, text: str) -> None:
    """A note or reason goes into a signed record and the audit log: no control or bidi characters in it."""
    for _, character in forbidden(text):
        raise UsageError(f"{label} contains {describe(character)}, which could hide what was approved; remove it")


def appended(root: Path, slug: str, new: list[Record]) -> bytes:
    """The bytes of `approvals/<slug>.yaml` with `new` appended below what it holds (read and proven first)."""
    path = path_of(root, slug)
    before = path.read_bytes() if path.exists() else b""
    count = len(parse(before, relpath(path, root))) if before else 0
    text = before.decode("utf-8") if before else HEADER.format(slug=slug)
    if text and not text.endswith("\n"):
        text += "\n"
    text += "".join("\n" + _yaml(record) for record in new)
    data = text.encode("utf-8")
    _parsed.pop((relpath(path, root), data), None)
    written = parse(data, relpath(path, root))
    if list(written[count:]) != new:  # what a reader will read back is exactly what was signed
        raise AssertionError(f"{path}: the records would not read back as signed")  # a bug, never a user's problem
    return data


def write(root: Path, slug: str, data: bytes) -> None:
    fsutil.write_bytes(path_of(root, slug), data)


class _Dumper(yaml.SafeDumper):
    """Block style, the signature as a literal block: a record reads as a person would write it."""


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and value.endswith("\n") and not value.strip("\n").count("\n\n") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_text)


def _yaml(record: Record) -> str:
    data = {f.name: getattr(record, f.name) for f in fields(record) if f.name in KEYS}
    data = {key: value for key, value in data.items() if value or key in REQUIRED}
    return yaml.dump([data], Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000, default_flow_style=False)
