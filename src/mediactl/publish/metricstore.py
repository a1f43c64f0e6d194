"""Snapshots of sent posts' numbers in the state store (`metrics`, schema version 6): kept apart from store.py,
which holds the queue's decisions; these are observations.

A snapshot is one question to a platform about one post: its counters, one row each, under the time it
was asked. Nothing is updated or deleted: the series per post is what `mediactl stats` and the chart
read. The rows travel with `mediactl state export/import` (publish/transfer.py); they are not in the
audit log (a pull is audited by its counts only), so a store rebuilt from the log starts its series
again with the next pull, and nothing else depends on them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mediactl.publish.store import Job, Store, open_store, store_exists

if TYPE_CHECKING:  # annotations only
    from mediactl.config.model import Config


@dataclass(frozen=True)
class Snapshot:
    """One post's counters at one time."""

    job_id: int
    channel: str
    item: str
    remote_id: str
    taken_at: float
    counters: dict[str, int]


def keep(store: Store, job: Job, taken_at: float, counters: dict[str, int]) -> None:
    """Keep one snapshot of a job's post (every counter in one transaction: a snapshot is never half kept)."""
    if not counters:
        return
    rows = [(job.id, job.channel, job.item, job.remote_id or "", taken_at, name, int(value))
            for name, value in sorted(counters.items())]  # fmt: skip
    with store.transaction(durable=False) as db:  # an observation: a lost one is asked again by the next pull
        for row in rows:
            db.execute(
                "INSERT INTO metrics (job_id, channel, item, remote_id, taken_at, counter, value) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                row,
            )


def snapshots(store: Store, *, since: float | None = None, until: float | None = None) -> list[Snapshot]:
    """Every snapshot taken in [since, until) (either open), oldest first."""
    where: list[str] = ["1=1"]
    args: list[float] = []
    if since is not None:
        where, args = [*where, "taken_at >= ?"], [*args, since]
    if until is not None:
        where, args = [*where, "taken_at < ?"], [*args, until]
    with store.database.read() as db:
        rows = db.execute(
            f"SELECT job_id, channel, item, remote_id, taken_at, counter, value FROM metrics "
            f"WHERE {' AND '.join(where)} ORDER BY taken_at, job_id, counter",
            args,
        ).fetchall()
    return list(_grouped(rows))


def _grouped(rows: Iterable[dict]) -> Iterable[Snapshot]:
    current: Snapshot | None = None
    for row in rows:
        key = (row["job_id"], row["taken_at"])
        if current is None or (current.job_id, current.taken_at) != key:
            if current is not None:
                yield current
            current = Snapshot(row["job_id"], row["channel"], row["item"], row["remote_id"], row["taken_at"], {})
        current.counters[row["counter"]] = int(row["value"])
    if current is not None:
        yield current


def latest_numbers(store: Store) -> dict[tuple[str, str], dict[str, int]]:
    """The latest numbers of each (item, channel), summed over its posts (an item re-approved and sent again is two
    posts): for the preview index, which shows them beside each variant."""
    last: dict[int, Snapshot] = {}
    for snapshot in snapshots(store):
        last[snapshot.job_id] = snapshot  # oldest first: the last one kept is the latest
    numbers: dict[tuple[str, str], dict[str, int]] = {}
    for snapshot in last.values():
        into = numbers.setdefault((snapshot.item, snapshot.channel), {})
        for name, value in snapshot.counters.items():
            into[name] = into.get(name, 0) + value
    return numbers


def read_latest_numbers(config: Config) -> dict[tuple[str, str], dict[str, int]]:
    """`latest_numbers` of the project's store, read only; none when the project has no store yet (the preview of
    a project that never published opens no store, and so creates none)."""
    if not store_exists(config):
        return {}
    store = open_store(config)
    try:
        return latest_numbers(store)
    finally:
        store.close()
