"""`state export/import` between embedded stores: the audit log and the vault travel with the rows (issue 12)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import SLUG
from mediactl.publish import audit, transfer
from mediactl.publish.auditfile import FileLog
from mediactl.publish.store import Store, StoreError
from mediactl.publish.vault import Vault
from mediactl.publish.vaultfolder import FolderBlobs


def another_project(root: Path) -> Path:
    (root / "content").mkdir(parents=True)
    (root / "mediactl.yaml").write_text("project:\n  name: 新机器\n", "utf-8")
    return root


@pytest.fixture
def exported(cli, ready: Path, tmp_path: Path) -> Path:
    queued = json.loads(cli(ready, "publish", SLUG, "--channel", "outbox", "--at", "2099-01-01T09:00", "--json").stdout)
    assert [o["state"] for o in queued] == ["queued"]
    file = tmp_path / "state.jsonl"
    assert cli(ready, "state", "export", str(file)).exit_code == 0
    return file


def test_an_import_into_another_folder_brings_the_log_byte_for_byte_and_every_blob(
    cli, ready: Path, exported: Path, tmp_path: Path
) -> None:
    target = another_project(tmp_path / "target")
    done = cli(target, "state", "import", str(exported))
    assert done.exit_code == 0, done.output
    source_log = (ready / ".mediactl/audit.jsonl").read_text("utf-8").splitlines()
    target_log = (target / ".mediactl/audit.jsonl").read_text("utf-8").splitlines()
    assert target_log[:-1] == source_log and json.loads(target_log[-1])["action"] == "state.imported"
    blobs = sorted(p.relative_to(ready).as_posix() for p in (ready / ".mediactl/vault").glob("??/*"))
    assert sorted(p.relative_to(target).as_posix() for p in (target / ".mediactl/vault").glob("??/*")) == blobs
    assert cli(target, "log", "verify").exit_code == 0
    assert cli(target, "queue", "ls").exit_code == 0  # the store is level with the log it came with


def test_an_import_whose_commit_fails_leaves_the_log_empty_as_it_found_it(exported: Path, tmp_path: Path) -> None:
    """The file log is written just before the store commits; a COMMIT that fails empties it again, so the
    import can be run once more (it refuses a log that holds records)."""
    state = another_project(tmp_path / "target") / ".mediactl"
    store = Store(state / "queue.sqlite3")
    log = FileLog(state / "audit.jsonl")
    execute = store.db.execute

    def commit_fails(sql: str, *args):
        if sql == "COMMIT":
            raise StoreError(f"{store.name}: the state store failed (the disk is full).", disk_full=True)
        return execute(sql, *args)

    store.db.execute = commit_fails
    try:
        with pytest.raises(StoreError, match="the disk is full"):
            transfer.import_into(store, exported, log=log, vault=Vault(FolderBlobs(state)), actor="tester")
        del store.db.execute
        assert list(audit.records(log)) == [] and store.jobs() == []
        moved = transfer.import_into(store, exported, log=log, vault=Vault(FolderBlobs(state)), actor="tester")
        assert moved.rows["jobs"] == 1 and audit.verify(log)[1] is None
    finally:
        store.close()
