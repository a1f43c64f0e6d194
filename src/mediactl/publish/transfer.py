"""`mediactl state export/import`: a state store's rows in a portable file, to move a team from SQLite to PostgreSQL.

The file is JSON lines: a header (format, the schema version, the source dialect, rows per table),
one line per row (`{"table": …, "row": {…}}`, bytes as `{"base64": …}`), and a closing line with
the count, so a file cut short is refused instead of importing part of a queue. The export is read
in one consistent snapshot. Import goes into an empty store at the same schema version only (a
store with rows is refused: merging two queues could send a post twice), in one transaction; job
numbers and idempotency keys are kept, and the target's numbering goes on above the highest
imported, so a number means one job in the audit log as before.

What is exported is TABLES, one line each: a table the store gains (the audit log, the vault's
blobs) is exported by adding its line.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mediactl.core import fsutil
from mediactl.core.errors import UsageError
from mediactl.publish import schema
from mediactl.publish.database import reserve_ids, table_columns
from mediactl.publish.store import Store

FORMAT = "mediactl-state-export"
FORMAT_VERSION = 1
NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class Table:
    name: str
    order: str  # the columns rows are written in order of (a stable file for the same store)
    ids: bool = False  # an `id` numbered by the store: the target's numbering goes on above the highest imported


TABLES = (
    Table("jobs", "id", ids=True),
    Table("approvals", "item, channel, content_hash"),
    Table("switches", "scope"),
    Table("tokens", "channel"),
    Table("meta", "key"),
    Table("unlogged", "id", ids=True),
)


def export(store: Store, file: Path) -> dict[str, int]:
    """Write every row of TABLES to `file` (private: it holds the queue and sealed tokens); rows per table."""
    with store.snapshot() as db:
        found = schema.version(db)
        rows = {table.name: db.execute(f"SELECT * FROM {table.name} ORDER BY {table.order}").fetchall() for table in TABLES}
    counts = {name: len(found_rows) for name, found_rows in rows.items()}
    header = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "schema": found,
        "source": store.dialect,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tables": counts,
    }
    lines = [_dump(header)]
    lines += [_dump({"table": name, "row": _portable(dict(row))}) for name, table_rows in rows.items() for row in table_rows]
    lines.append(_dump({"end": True, "rows": sum(counts.values())}))
    fsutil.private_file(file)
    fsutil.write_text(file, "\n".join(lines) + "\n")
    fsutil.private_file(file)
    return counts


def import_into(store: Store, file: Path) -> dict[str, int]:
    """Import an export into an empty store (see the module doc); rows per table. Nothing is written unless all is."""
    header, rows = _read(file)
    with store.transaction(exclusive=True) as db:
        found = schema.version(db)
        if header["schema"] != found:
            raise UsageError(
                f"{file}: exported at schema version {header['schema']}, but {store.name} is at version {found}; "
                "nothing was imported.",
                hint="run `mediactl state migrate` on the target, and export again with this mediactl",
            )
        held = {table.name: db.execute(f"SELECT COUNT(*) FROM {table.name}").fetchone()[0] for table in TABLES}
        if any(held.values()):
            what = ", ".join(f"{count} {name}" for name, count in held.items() if count)
            raise UsageError(
                f"{store.name}: the target store is not empty ({what}); nothing was imported: merging two queues could "
                "send a post twice.",
                hint="import into a new, empty database (then `mediactl state migrate` it), or rebuild this one",
            )
        columns = {table.name: table_columns(db, table.name) for table in TABLES}
        for name, row in rows:
            unknown = sorted(set(row) - columns[name])
            if unknown:
                raise UsageError(f"{file}: table {name} has no column {', '.join(unknown)} here; nothing was imported.")
            db.execute(f"INSERT INTO {name} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
        for table in TABLES:
            if table.ids:
                (highest,) = db.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table.name}").fetchone()
                reserve_ids(db, table.name, int(highest))
    return {table.name: sum(1 for name, _ in rows if name == table.name) for table in TABLES}


def _read(file: Path) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    """The header and the rows, checked whole: its format, every table known, the closing count."""
    try:
        lines = file.read_text("utf-8").splitlines()
    except OSError as exc:
        raise UsageError(f"{file}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise UsageError(f"{file}: not a mediactl state export (not UTF-8 text)") from None
    records = list(_parsed(file, lines))
    if not records or records[0].get("format") != FORMAT:
        raise UsageError(f"{file}: not a mediactl state export (its first line names no format '{FORMAT}')")
    header, *body = records
    if header.get("version") != FORMAT_VERSION or not isinstance(header.get("schema"), int):
        raise UsageError(f"{file}: an export of format version {header.get('version')}; this mediactl reads {FORMAT_VERSION}")
    known = {table.name for table in TABLES}
    rows = [(r["table"], _native(r["row"])) for r in body if "table" in r]
    end = body[-1] if body else {}
    if not end.get("end") or end.get("rows") != len(rows) or len(rows) != len(body) - 1:
        raise UsageError(f"{file}: the export is cut short or altered (its closing count does not match); nothing was imported.")
    for name, row in rows:
        if name not in known or not all(NAME.match(column) for column in row):
            raise UsageError(f"{file}: a row of an unknown table or column ({name}); nothing was imported.")
    return header, rows


def _parsed(file: Path, lines: list[str]) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{file}:{number}: not JSON ({exc.msg}); nothing was imported.") from None
        if not isinstance(record, dict):
            raise UsageError(f"{file}:{number}: not a record; nothing was imported.")
        yield record


def _dump(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=True)


def _portable(row: dict[str, Any]) -> dict[str, Any]:
    return {key: {"base64": base64.b64encode(bytes(value)).decode("ascii")} if isinstance(value, (bytes, memoryview))
            else value for key, value in row.items()}  # fmt: skip


def _native(row: dict[str, Any]) -> dict[str, Any]:
    return {key: base64.b64decode(value["base64"]) if isinstance(value, dict) and set(value) == {"base64"} else value
            for key, value in row.items()}  # fmt: skip
