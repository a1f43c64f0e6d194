"""The audit log kept in the shared state store: the `audit` table of its PostgreSQL database.

The chain is publish/audit.py's; this module keeps its records, one row each: the sequence number and
the record's JSON text exactly as the chain wrote it (the line the file log would hold), so a log moved
here from a file by `mediactl state import` verifies as it did there.

- The same transaction. A change to the store appends its record on the store's own connection, inside
  the transaction that makes the change (`joined`): both commit, or neither does. The audit-first rule
  of the file log (record before COMMIT, `record.void` after a COMMIT that failed) is plain atomicity
  here, so a record is never voided: it rolled back with its change.
- One chain across hosts. Every append takes a transaction-scoped advisory lock (`CHAIN`) before it reads
  the last record, and holds it until its transaction ends, so appenders on every host line up: record
  N+1 is linked to N only once N is committed, and the chain never forks. The primary key on `seq` is the
  second guard: a second record N would fail, not fork.
- Append-only in the database too. A trigger refuses UPDATE, DELETE and TRUNCATE on the table for every
  role, mediactl's included; an owner who drops or disables it can rewrite rows, which `log verify`
  finds (hashes, MACs with MEDIACTL_AUDIT_KEY, the committed anchor).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from mediactl.publish.audit import Damage, Kept, Position, damaged, link, lost, whole_record
from mediactl.publish.database import Connection, Database, serialize

CHAIN = "mediactl audit chain"  # the advisory lock every appender holds until its transaction ends
PAGE = 2000  # records read per statement (psycopg fetches a result whole)
T = TypeVar("T")


def joined(database: Database, work: Callable[[Connection], T]) -> T:
    """`work` in the transaction this thread has open on `database` (a store change writing its record), else
    in a transaction of its own. The connection is shared by a process's threads under the database's lock,
    which a transaction holds from BEGIN to its end: holding it, an open transaction can only be this thread's.
    """
    with database.read() as db:
        if db.in_transaction:
            return work(db)
    with database.transaction() as db:
        return work(db)


class TableLog:
    """The records of the `audit` table of a state store's database (see the module doc)."""

    name = "the audit table"
    transactional = True  # a record commits or rolls back with the change it records

    def __init__(self, database: Database) -> None:
        self.database = database
        self.where = f"{database.name} (table audit)"

    def at(self, line: int) -> str:
        return f"{self.database.name}: audit record {line}"

    def place(self, line: int) -> str:
        return f"at sequence number {line}"

    def exists(self) -> bool:
        return True

    def append(self, entry: dict[str, Any]) -> dict[str, Any]:
        ((record, _),) = joined(self.database, lambda db: self.extend(db, [entry]))
        return record

    def extend(self, db: Connection, entries: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str]]:
        """Chain `entries` after the last record, in the caller's transaction, holding the chain's lock."""
        serialize(db, CHAIN)
        linked = link(self._last(db), entries)
        for record, text in linked:
            db.execute("INSERT INTO audit (seq, record) VALUES (?, ?)", (record["seq"], text))
        return linked

    def _last(self, db: Connection) -> bytes | None:
        row = db.execute("SELECT seq, record FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        if row is None:
            return None
        text: bytes = row["record"].encode("utf-8")
        try:
            link(text, ())  # the last record must be whole: nothing is appended after a damaged one
        except Damage as damage:
            raise damaged(self, row["seq"], damage.reason) from None
        return text

    def adopt(self, texts: list[str]) -> None:
        """Keep records moved from another log (`state import`) as they are, in the transaction this thread has
        open (the import's): their chain is the one they had, not linked anew (`log verify` checks it)."""

        def insert(db: Connection) -> None:
            serialize(db, CHAIN)
            for text in texts:
                record = whole_record(text.encode("utf-8"))
                if record is None:
                    raise Damage(f"not a valid record: {text[:80]}")
                db.execute("INSERT INTO audit (seq, record) VALUES (?, ?)", (record["seq"], text))

        joined(self.database, insert)

    def read(self, after: Position | None = None) -> Iterator[Kept]:
        """The records after `after` in order of their numbers, a page per statement (each its own snapshot: a
        record appended meanwhile comes after every record already read, never between them)."""
        seq = 0 if after is None else self._held(after)
        while True:
            with self.database.read() as db:
                rows = db.execute(
                    "SELECT seq, record FROM audit WHERE seq > ? ORDER BY seq LIMIT ?", (seq, PAGE)
                ).fetchall()
            for row in rows:
                seq = int(row["seq"])
                yield Kept(row["record"].encode("utf-8"), seq, seq)
            if len(rows) < PAGE:
                return

    def _held(self, position: Position) -> int:
        """The number to read on from; AuditError (`lost`) when the table no longer holds that record as it was."""
        with self.database.read() as db:
            row = db.execute("SELECT record FROM audit WHERE seq = ?", (position.seq,)).fetchone()
        record = whole_record(row["record"].encode("utf-8")) if row is not None else None
        if record is None or record["hash"] != position.hash:
            raise lost(self, position)
        return position.seq

    def check_appendable(self, room: int) -> None:
        """The server answers and the last record is whole (`room` is the file log's: a server keeps its disk)."""
        with self.database.read() as db:
            self._last(db)

    def close(self) -> None:
        """Nothing of its own to close: the connection is the store's."""
