"""`mediactl state export/import`: a state store's rows in a portable file, to move a team from SQLite to PostgreSQL.

The file is JSON lines: a header (format, the schema version, the source dialect, rows per table),
one line per row (`{"table": …, "row": {…}}`, bytes as `{"base64": …}`), and a closing line with
the count, so a file cut short is refused instead of importing part of a queue. The export is read
in one consistent snapshot. Import goes into an empty store at the same schema version only (a
store with rows is refused: merging two queues could send a post twice), in one transaction; job
numbers and idempotency keys are kept, and the target's numbering goes on above the highest
imported, so a number means one job in the audit log as before.

What is exported is TABLES, one line each, and with them the audit log and the vault, wherever
the source keeps them (a file and a folder beside SQLite, tables on PostgreSQL): every record as
its JSON text, byte for byte (`{"audit": …}`), so the chain verifies after the move as it did
before, and every blob in parts (`{"blob": sha256, "part": n, "base64": …}`), re-hashed as it is
read out and again as it is taken in. The target's log must be empty; the import checks the
chain before keeping it, and appends a `state.imported` record saying what was moved, from where
and by whom, in the same transaction. The file is written and read a line at a time: a vault of
video never sits in memory whole (one blob at a time does, as when it is delivered).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from mediactl.core import fsutil
from mediactl.core.errors import UsageError
from mediactl.publish import audit, schema
from mediactl.publish.database import Connection, reserve_ids, table_columns
from mediactl.publish.store import Store
from mediactl.publish.vault import Vault

FORMAT = "mediactl-state-export"
FORMAT_VERSION = 2  # 2: the audit log and the vault travel too
BLOB_PART = 1 << 20  # raw bytes per blob line (about 1.4 MB of base64)
IMPORTED = "state.imported"
NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class Table:
    name: str
    order: str  # the columns rows are written in order of (a stable file for the same store)
    ids: bool = False  # an `id` numbered by the store: the target's numbering goes on above the highest imported


TABLES = (
    Table("jobs", "id", ids=True),
    Table("switches", "scope"),
    Table("tokens", "channel"),
    Table("grants", "channel"),
    Table("meta", "key"),
    Table("unlogged", "id", ids=True),
    Table("metrics", "id", ids=True),  # snapshots of posts' numbers: history the audit log does not hold
)


@dataclass
class Moved:
    """What an export or import carried: rows per table, audit records, blobs."""

    rows: dict[str, int]
    audit: int = 0
    blobs: int = 0

    def counted(self) -> dict[str, int]:
        return {**self.rows, "audit records": self.audit, "blobs": self.blobs}


def export(store: Store, file: Path, *, log: audit.LogStorage, vault: Vault) -> Moved:
    """Write every row of TABLES, every audit record and every blob to `file` (private: it holds the queue, sealed
    tokens and approved content); what was written. The rows and the log are read in one consistent snapshot."""
    with store.snapshot() as db:
        found = schema.version(db)
        rows = {
            table.name: db.execute(f"SELECT * FROM {table.name} ORDER BY {table.order}").fetchall() for table in TABLES
        }
        records = [kept.text.decode("utf-8") for kept in log.read()]
    digests = list(vault.blobs.digests())  # sealed blobs never change: read after the snapshot
    moved = Moved({name: len(found_rows) for name, found_rows in rows.items()}, len(records), len(digests))
    header = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "schema": found,
        "source": store.dialect,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tables": moved.rows,
        "audit": moved.audit,
        "blobs": moved.blobs,
    }
    with _written(file) as out:
        out(header)
        for name, table_rows in rows.items():
            for row in table_rows:
                out({"table": name, "row": _portable(dict(row))})
        for text in records:
            out({"audit": text})
        parts = sum(_export_blob(out, vault, digest) for digest in digests)
        out({"end": True, "rows": sum(moved.rows.values()), "audit": moved.audit, "blob_parts": parts})
    return moved


def _export_blob(out: Callable[[dict[str, Any]], None], vault: Vault, digest: str) -> int:
    """One blob, re-hashed as read (an altered one stops the export, named), in parts; how many parts."""
    data = vault.read(digest, "blob")
    parts = range(0, max(len(data), 1), BLOB_PART)
    for number, start in enumerate(parts):
        chunk = data[start : start + BLOB_PART]
        out({"blob": digest, "part": number, "base64": base64.b64encode(chunk).decode("ascii")})
    return len(parts)


@contextlib.contextmanager
def _written(file: Path) -> Iterator[Callable[[dict[str, Any]], None]]:
    """Lines written to a private temporary file beside `file`, renamed into place only when all are written."""
    folder = file.parent if str(file.parent) else Path(".")
    fsutil.folder_for(file)
    fd, tmp = tempfile.mkstemp(prefix=f".{file.name}.", suffix=".tmp", dir=folder)  # 0600: the queue is private
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:

            def out(record: dict[str, Any]) -> None:
                handle.write(_dump(record) + "\n")

            yield out
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, file)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def import_into(store: Store, file: Path, *, log: audit.LogStorage, vault: Vault, actor: str) -> Moved:
    """Import an export into an empty store and an empty audit log (see the module doc); what was imported.
    Nothing is written to the store or the log unless all is (blobs taken in before a failure stay: they are
    content-addressed and verified, and cost only their space)."""
    try:
        handle = open(file, "rb")  # noqa: SIM115  # closed by the with below, after the error is named
    except OSError as exc:
        raise UsageError(f"{file}: cannot read ({exc.strerror})") from None
    with handle:
        lines = _parsed(file, handle)
        header = _header(file, next(lines, None))
        written = False  # to the log: a file log is emptied again if the import fails after (the store rolls back)
        try:
            with store.transaction(exclusive=True) as db:
                _require_empty(store, db, file, header, log)
                loaded = _Load(file, db, vault)
                for number, record in lines:
                    loaded.take(number, record)
                moved = loaded.finish()
                for table in TABLES:
                    if table.ids:
                        (highest,) = db.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table.name}").fetchone()
                        reserve_ids(db, table.name, int(highest))
                _check_chain(file, loaded.records)
                written = True
                log.adopt(loaded.records)  # in the import's transaction (a table), or just before it commits (a file)
                audit.append(log, actor, IMPORTED, command="state import", file=file.name, source=header.get("source"),
                             exported_at=header.get("exported_at"), jobs=moved.rows.get("jobs", 0),
                             audit_records=moved.audit, blobs=moved.blobs)  # fmt: skip
        except BaseException:
            if written and not log.transactional:
                log.adopt([])
            raise
    return moved


def _require_empty(store: Store, db: Connection, file: Path, header: dict[str, Any], log: audit.LogStorage) -> None:
    found = schema.version(db)
    if header["schema"] != found:
        raise UsageError(
            f"{file}: exported at schema version {header['schema']}, but {store.name} is at version {found}; "
            "nothing was imported.",
            hint="run `mediactl state migrate` on the target, and export again with this mediactl",
        )
    held = {table.name: db.execute(f"SELECT COUNT(*) FROM {table.name}").fetchone()[0] for table in TABLES}
    if any(held.values()) or next(iter(log.read()), None) is not None:
        what = ", ".join(f"{count} {name}" for name, count in held.items() if count) or f"records in {log.name}"
        raise UsageError(
            f"{store.name}: the target store is not empty ({what}); nothing was imported: merging two queues could "
            "send a post twice.",
            hint="import into a new, empty database (then `mediactl state migrate` it), or rebuild this one",
        )


class _Load:
    """The lines of an export after its header, taken in order inside the import's transaction."""

    def __init__(self, file: Path, db: Connection, vault: Vault) -> None:
        self.file, self.db, self.vault = file, db, vault
        self.columns = {table.name: table_columns(db, table.name) for table in TABLES}
        self.rows = {table.name: 0 for table in TABLES}
        self.records: list[str] = []
        self.blob: tuple[str, list[bytes]] | None = None  # the blob whose parts are being read
        self.blobs = self.parts = 0
        self.end: dict[str, Any] | None = None

    def take(self, number: int, record: dict[str, Any]) -> None:
        if self.end is not None:
            raise self._refused(f"{self.file}:{number}: a line after the closing count")
        if "table" in record:
            self._row(number, record["table"], _native(record["row"]))
        elif isinstance(record.get("audit"), str):
            self.records.append(record["audit"])
        elif isinstance(record.get("blob"), str) and isinstance(record.get("base64"), str):
            self._blob_part(record["blob"], base64.b64decode(record["base64"]))
        elif record.get("end") is True:
            self._flush_blob()
            self.end = record
        else:
            raise self._refused(f"{self.file}:{number}: not a line of a state export")

    def _row(self, number: int, name: str, row: dict[str, Any]) -> None:
        if name not in self.columns or not all(NAME.match(column) for column in row):
            raise self._refused(f"{self.file}:{number}: a row of an unknown table or column ({name})")
        unknown = sorted(set(row) - self.columns[name])
        if unknown:
            raise self._refused(f"{self.file}: table {name} has no column {', '.join(unknown)} here")
        self.db.execute(
            f"INSERT INTO {name} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values())
        )
        self.rows[name] += 1

    def _blob_part(self, digest: str, data: bytes) -> None:
        if self.blob is not None and self.blob[0] != digest:
            self._flush_blob()
        if self.blob is None:
            self.blob = (digest, [])
        self.blob[1].append(data)
        self.parts += 1

    def _flush_blob(self) -> None:
        if self.blob is None:
            return
        digest, parts = self.blob
        self.vault.put_chunks(digest, parts, f"{self.file}: blob {digest[:16]}…")  # re-hashed as it is taken in
        self.blob, self.blobs = None, self.blobs + 1

    def finish(self) -> Moved:
        """What was taken; refused (all rolled back) unless the closing count says exactly that."""
        end = self.end or {}
        if (end.get("rows"), end.get("audit"), end.get("blob_parts")) != (
            sum(self.rows.values()),
            len(self.records),
            self.parts,
        ):
            raise self._refused(f"{self.file}: the export is cut short or altered (its closing count does not match)")
        return Moved(self.rows, len(self.records), self.blobs)

    @staticmethod
    def _refused(what: str) -> UsageError:
        return UsageError(f"{what}; nothing was imported.")


def _check_chain(file: Path, records: list[str]) -> None:
    """The imported records must form a whole chain (authentic, with MEDIACTL_AUDIT_KEY set) before they are kept."""
    count, broken = audit.verify_kept(audit.Kept(text.encode("utf-8"), n, n) for n, text in enumerate(records, start=1))
    if broken is not None:
        raise UsageError(f"{file}: audit record {broken.line} of the export {broken.reason} ({count} before it are "
                         "intact); nothing was imported.")  # fmt: skip


def _header(file: Path, first: tuple[int, dict[str, Any]] | None) -> dict[str, Any]:
    header = first[1] if first is not None else {}
    if header.get("format") != FORMAT:
        raise UsageError(f"{file}: not a mediactl state export (its first line names no format '{FORMAT}')")
    if header.get("version") != FORMAT_VERSION or not isinstance(header.get("schema"), int):
        raise UsageError(
            f"{file}: an export of format version {header.get('version')}; this mediactl reads {FORMAT_VERSION}"
        )
    return header


def _parsed(file: Path, handle: IO[bytes]) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, raw in enumerate(handle, 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise UsageError(f"{file}:{number}: not a mediactl state export (not UTF-8 text)") from None
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{file}:{number}: not JSON ({exc.msg}); nothing was imported.") from None
        if not isinstance(record, dict):
            raise UsageError(f"{file}:{number}: not a record; nothing was imported.")
        yield number, record


def _dump(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=True)


def _portable(row: dict[str, Any]) -> dict[str, Any]:
    return {key: {"base64": base64.b64encode(bytes(value)).decode("ascii")} if isinstance(value, (bytes, memoryview))
            else value for key, value in row.items()}  # fmt: skip


def _native(row: dict[str, Any]) -> dict[str, Any]:
    return {key: base64.b64decode(value["base64"]) if isinstance(value, dict) and set(value) == {"base64"} else value
            for key, value in row.items()}  # fmt: skip
