"""Where the audit log and the vault's blobs are kept: beside the state store the project selects.

- `project.state` a folder (the embedded SQLite store): the JSON-lines file `.mediactl/audit.jsonl`
  (publish/auditfile.py) and the folder `.mediactl/vault/` (publish/vaultfolder.py). Blobs stay out of
  the SQLite file on purpose: sealed video runs to hundreds of megabytes, and the store file is read
  whole by SQLite's integrity check before every publish, copied by every backup of the queue and
  rewritten by its WAL checkpoints; a folder of immutable files costs none of that.
- `project.state` a postgresql:// URL (the team's shared store): the `audit` and `blobs` tables of the
  same database (publish/audittable.py, publish/vaulttable.py), so every host appends to one chain, in
  the transaction of the change it records, and delivers approved bytes sealed on any other host.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from mediactl.publish.audit import LogStorage, storage
from mediactl.publish.database import POSTGRESQL
from mediactl.publish.store import Store, open_store
from mediactl.publish.vault import BlobStore, Vault

if TYPE_CHECKING:  # annotations only
    from mediactl.config.model import Config

AUDIT_FILE = "audit.jsonl"


def shared(store: Store) -> bool:
    """Whether the store keeps the log and the blobs in its own tables (a PostgreSQL store)."""
    return store.dialect == POSTGRESQL


def audit_log(config: Config, store: Store) -> LogStorage:
    """The project's audit log, kept beside `store` (on its connection, for a shared store: see the module doc)."""
    if shared(store):
        from mediactl.publish.audittable import TableLog  # lazy: start-up, only a shared store has the table

        return TableLog(store.database)
    return storage(config.state_path / AUDIT_FILE)


def blob_store(config: Config, store: Store) -> BlobStore:
    """Where the project's vault keeps its blobs, beside `store`."""
    if shared(store):
        from mediactl.publish.vaulttable import TableBlobs  # lazy: start-up, only a shared store has the table

        return TableBlobs(store.database)
    from mediactl.publish.vaultfolder import FolderBlobs  # lazy: start-up, `log` and `ls` never seal

    return FolderBlobs(config.state_path)


def vault(config: Config, store: Store) -> Vault:
    return Vault(blob_store(config, store))


@contextmanager
def opened_log(config: Config) -> Iterator[LogStorage]:
    """The audit log for a command that only reads it (`log`, `log verify`, `log anchor`, `doctor`): the file is
    read without opening (or creating) the embedded store; a shared store is opened, and closed after."""
    if config.project.state_url is None:
        yield storage(config.state_path / AUDIT_FILE)
        return
    store = open_store(config)
    try:
        yield audit_log(config, store)
    finally:
        store.close()
