"""The vault's blobs in the shared state store: the `blobs` table of its PostgreSQL database.

So a variant approved on one machine is delivered by any other from the same bytes, by hash, without
rendering again (another Pillow or x264 build gives other bytes, and would void the approval). The
checks are publish/vault.py's: bytes hashed on their way in, re-hashed on every read.

A blob is kept in parts of PART bytes, rows (sha256, part, data), all written in one transaction, so a
blob is there whole or not at all. Parts keep every value far below PostgreSQL's 1 GB limit for one
`bytea` and let a large video stream in from its file; a blob is read back part by part, its size then
bounded only by what a delivery holds in memory (adapters upload a blob from memory, as from the folder).
The column is stored uncompressed (`STORAGE EXTERNAL`): images and video are compressed already.
Two hosts sealing the same blob at once write the same rows; the second finds them there and adds none.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from mediactl.publish.audittable import joined
from mediactl.publish.database import Connection, Database, upsert

PART = 8 * 1024 * 1024
_INSERT = upsert("blobs", ("sha256", "part", "data"), ("sha256", "part"), replace=False)


class TableBlobs:
    def __init__(self, database: Database) -> None:
        self.database = database

    def has(self, digest: str) -> bool:
        with self.database.read() as db:
            return db.execute("SELECT 1 FROM blobs WHERE sha256 = ? AND part = 0", (digest,)).fetchone() is not None

    def put(self, digest: str, chunks: Iterable[bytes]) -> None:
        """All parts in one transaction (the import's, when one is open): an iteration that raises (bytes that are
        not `digest`) rolls every part back."""

        def insert(db: Connection) -> None:
            for number, part in enumerate(_parts(chunks)):
                db.execute(_INSERT, (digest, number, part))

        joined(self.database, insert)

    def get(self, digest: str) -> bytes | None:
        """The parts in order, each its own statement: a large blob never sits in memory twice."""
        data = bytearray()
        number = 0
        while True:
            with self.database.read() as db:
                row = db.execute("SELECT data FROM blobs WHERE sha256 = ? AND part = ?", (digest, number)).fetchone()
            if row is None:
                return bytes(data) if number else None
            data += row["data"]
            number += 1

    def discard(self, digest: str) -> None:
        """Delete a blob whose bytes no longer match (sealing its variant again stores it anew); the database's
        own backups keep what it was."""
        joined(self.database, lambda db: db.execute("DELETE FROM blobs WHERE sha256 = ?", (digest,)))

    def digests(self) -> Iterator[str]:
        with self.database.read() as db:
            rows = db.execute("SELECT sha256 FROM blobs WHERE part = 0 ORDER BY sha256").fetchall()
        yield from (row["sha256"] for row in rows)

    def describe(self, digest: str) -> str:
        return f"{self.database.name} (table blobs, sha256 {digest[:16]}…)"


def _parts(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """`chunks` regrouped into parts of PART bytes (the last one shorter); at least one part, for empty bytes."""
    pending = bytearray()
    sent = False
    for chunk in chunks:
        pending += chunk
        while len(pending) >= PART:
            yield bytes(pending[:PART])
            del pending[:PART]
            sent = True
    if pending or not sent:
        yield bytes(pending)
