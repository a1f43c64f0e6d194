"""The audit log and the vault on a shared PostgreSQL store (issue 12), against a real server.

Two project folders on one database stand for two hosts of a team (an editor's laptop, the cron
server): one chain of records whichever host writes, approved bytes sealed on one and delivered by
the other from the database by hash, tampering with the table caught by `log verify`, and a team's
SQLite state moved over with its log and blobs. Skipped only where no PostgreSQL server exists, and
never when CI is set (tests/postgres_server.py).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from conftest import SLUG, rehash_without_key, share_state
from mediactl.publish import audit
from mediactl.publish.audittable import TableLog
from mediactl.publish.database import StoreError
from mediactl.publish.store import Store

KEY = "team-audit-key-7d21c0"


def outcomes(result) -> list[dict]:
    return json.loads(result.stdout)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(audit.KEY_ENV, KEY)
    yield
    audit.use_key(None)


def approve_on(cli, project: Path, monkeypatch) -> None:
    """The README's maker-checker path, on whatever store the project names."""
    monkeypatch.setenv("MEDIACTL_USER", "li.na")
    assert cli(project, "check", SLUG).exit_code == 0
    assert cli(project, "review", SLUG).exit_code == 0
    monkeypatch.setenv("MEDIACTL_USER", "wang.min")
    result = cli(project, "approve", SLUG, "--note", "已核对")
    assert result.exit_code == 0, result.output


def another_host(project: Path, name: str) -> Path:
    """The same repository checked out on another machine: no build/, no state folder, no outbox."""
    host = project.parent / name
    shutil.copytree(project, host, ignore=shutil.ignore_patterns(".mediactl", "build", "outbox"))
    return host


def rows(url: str) -> list[tuple[int, dict[str, Any]]]:
    store = Store(url)
    try:
        return [(row["seq"], json.loads(row["record"])) for row in store.db.execute("SELECT * FROM audit ORDER BY seq")]
    finally:
        store.close()


def tamper(url: str, *statements: tuple[str, tuple[Any, ...]]) -> None:
    """What an owner of the database does: switch the append-only trigger off, change rows, switch it on again."""
    store = Store(url)
    try:
        store.db.execute("ALTER TABLE audit DISABLE TRIGGER USER")
        for sql, parameters in statements:
            store.db.execute(sql, parameters)
        store.db.execute("ALTER TABLE audit ENABLE TRIGGER USER")
    finally:
        store.close()


def text(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


@pytest.fixture
def laptop(cli, example: Path, pg_url: str, monkeypatch) -> Path:
    """An editor's project on the shared store, the item approved (its bytes sealed into the database)."""
    share_state(example, pg_url)
    approve_on(cli, example, monkeypatch)
    return example


# --- one chain, whichever host writes ------------------------------------------------------------------------


def test_a_delivery_on_one_host_and_a_verify_on_another_see_one_log(keyed, cli, laptop: Path, pg_url: str) -> None:
    cron = another_host(laptop, "cron")
    sent = outcomes(cli(laptop, "publish", SLUG, "--channel", "outbox", "--json"))
    assert [o["state"] for o in sent] == ["sent"]
    assert cli(cron, "pause", "--channel", "bank-weibo", "--reason", "舆情期间暂停发布").exit_code == 0

    seen_on_laptop = outcomes(cli(laptop, "log", "--json"))
    seen_on_cron = outcomes(cli(cron, "log", "--json"))
    assert seen_on_laptop == seen_on_cron
    actions = [r["action"] for r in seen_on_cron]
    assert "delivery.sent" in actions and actions[-1] == "pause"
    assert [r["seq"] for r in seen_on_cron] == list(range(1, len(seen_on_cron) + 1))
    assert all(r["mac"] == audit.KEYED for r in seen_on_cron)
    verified = cli(cron, "log", "verify")
    assert verified.exit_code == 0, verified.output
    assert f"{len(seen_on_cron)} audit record(s), chain intact, authenticated" in verified.output
    assert not (laptop / ".mediactl/audit.jsonl").exists() and not (cron / ".mediactl/audit.jsonl").exists()
    assert cli(cron, "doctor").output.count("whole and level with the audit log") == 1


def test_hosts_appending_at_once_make_one_chain(pg_url: str) -> None:
    """Each "host" its own server session; the chain's lock lines them up, so no two records share a place."""
    errors: list[BaseException] = []

    def host(n: int) -> None:
        store = Store(pg_url)
        try:
            log = TableLog(store.database)
            for i in range(25):
                audit.append(log, f"host{n}", "note", n=n, i=i, text="发布成功")
        except BaseException as exc:
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=host, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    kept = rows(pg_url)
    assert [seq for seq, _ in kept] == list(range(1, 101)) and [r["seq"] for _, r in kept] == list(range(1, 101))
    store = Store(pg_url)
    try:
        assert audit.verify(TableLog(store.database)) == (100, None)
    finally:
        store.close()


def test_a_record_commits_with_its_change_or_not_at_all(pg_url: str) -> None:
    """The record is written in the change's own transaction: invisible to other hosts until it commits, and
    gone with the change when it rolls back (so no record.void is ever needed)."""
    store, other = Store(pg_url), Store(pg_url)
    log = TableLog(store.database)
    seen_meanwhile: list[int] = []

    class Hook:
        def __call__(self, result: Any) -> None:
            audit.append(log, "tester", "pause", channel="*", reason="演练")
            seen_meanwhile.append(other.db.execute("SELECT COUNT(*) FROM audit").fetchone()[0])
            raise RuntimeError("the change fails after its record was written")

        def void(self, error: Exception) -> None:
            pass

    try:
        with pytest.raises(RuntimeError):
            store.pause("*", "演练", "tester", audit=Hook())
        assert seen_meanwhile == [0]
        assert store.paused() == {} and rows(pg_url) == []
        store.pause("*", "演练", "tester", audit=PauseRecord(log))
        assert list(store.paused()) == ["*"] and [r["action"] for _, r in rows(pg_url)] == ["pause"]
    finally:
        store.close()
        other.close()


class PauseRecord:
    """The audit hook of a pause: its record, appended in the pause's transaction."""

    def __init__(self, log: TableLog) -> None:
        self.log = log

    def __call__(self, result: Any) -> None:
        audit.append(self.log, "tester", "pause", channel="*", reason="演练")

    def void(self, error: Exception) -> None:
        pass


def test_a_change_whose_commit_fails_leaves_no_record_and_needs_no_void(laptop: Path, pg_url: str) -> None:
    """On the file log a COMMIT that fails after the record was written is followed by `record.void`; in the
    table the record rolled back with the change, so a void would name a record that never was."""
    from mediactl.config.model import load_config
    from mediactl.publish.runner import Publisher

    before = rows(pg_url)
    publisher = Publisher(load_config(laptop / "mediactl.yaml"), command="pause")
    execute = publisher.store.db.execute
    failed: list[str] = []

    def commit_fails(sql: str, *args: Any) -> Any:
        if sql == "COMMIT" and not failed:  # the pause's COMMIT; a void's would go through
            failed.append(sql)
            raise StoreError(f"{publisher.store.name}: the state store failed (the connection to the server was lost).")
        return execute(sql, *args)

    publisher.store.db.execute = commit_fails
    try:
        with pytest.raises(StoreError, match="connection to the server was lost"):
            publisher.store.pause("*", "舆情", "tester", audit=publisher.audited("pause", channel="*", reason="舆情"))
        del publisher.store.db.execute
        assert publisher.store.paused() == {} and rows(pg_url) == before
        publisher.require_intact_state()
    finally:
        publisher.close()


def test_the_database_refuses_to_change_or_remove_a_record(laptop: Path, pg_url: str) -> None:
    store = Store(pg_url)
    try:
        for statement in ("UPDATE audit SET record = record || ' '", "DELETE FROM audit", "TRUNCATE audit"):
            with pytest.raises(StoreError, match="the audit log is append-only"):
                store.db.execute(statement)
    finally:
        store.close()
    assert len(rows(pg_url)) > 0


# --- tampering with the table is caught by log verify ---------------------------------------------------------


@pytest.fixture
def logged(keyed, cli, laptop: Path, pg_url: str) -> Path:
    """Five records or more on the shared store, authenticated with the team's key."""
    for reason in ("演练一", "演练二", "演练三"):
        assert cli(laptop, "pause", "--reason", reason).exit_code == 0
    assert cli(laptop, "log", "verify").exit_code == 0
    return laptop


def test_a_changed_record_is_named(cli, logged: Path, pg_url: str) -> None:
    seq, record = rows(pg_url)[-2]
    record["reason"] = "改过的原因"
    tamper(pg_url, ("UPDATE audit SET record = ? WHERE seq = ?", (text(record), seq)))
    result = cli(logged, "log", "verify")
    assert result.exit_code == 1
    assert f"record at sequence number {seq} its content was changed after it was written" in result.stderr


def test_a_removed_record_is_named(cli, logged: Path, pg_url: str) -> None:
    seq, _ = rows(pg_url)[-3]
    tamper(pg_url, ("DELETE FROM audit WHERE seq = ?", (seq,)))
    result = cli(logged, "log", "verify")
    assert result.exit_code == 1 and f"sequence number {seq + 1} does not follow the previous record" in result.stderr


def test_reordered_records_are_named(cli, logged: Path, pg_url: str) -> None:
    (first, a), (second, b) = rows(pg_url)[-3:-1]
    tamper(pg_url, ("UPDATE audit SET record = ? WHERE seq = ?", (text(b), first)),
           ("UPDATE audit SET record = ? WHERE seq = ?", (text(a), second)))  # fmt: skip
    result = cli(logged, "log", "verify")
    assert result.exit_code == 1 and f"sequence number {first} does not follow the previous record" in result.stderr


def test_a_log_forged_without_the_key_is_caught(cli, logged: Path, pg_url: str) -> None:
    kept = rows(pg_url)
    forged = rehash_without_key([record for _, record in kept])
    forged[-1]["reason"] = "伪造的原因"
    forged = rehash_without_key(forged)
    tamper(
        pg_url,
        *(
            ("UPDATE audit SET record = ? WHERE seq = ?", (text(r), seq))
            for (seq, _), r in zip(kept, forged, strict=True)
        ),
    )
    result = cli(logged, "log", "verify")
    assert result.exit_code == 1
    assert "sequence number 1 is not authenticated with MEDIACTL_AUDIT_KEY" in result.stderr


def test_a_log_cut_short_is_caught_against_the_committed_anchor(cli, logged: Path, pg_url: str) -> None:
    anchored = cli(logged, "log", "anchor")
    assert anchored.exit_code == 0, anchored.output
    anchor = json.loads((logged / audit.ANCHOR_FILE).read_text("utf-8"))
    assert anchor["seq"] == rows(pg_url)[-1][0]
    assert cli(logged, "resume").exit_code == 0  # the log goes on past the anchor
    tamper(pg_url, ("DELETE FROM audit WHERE seq >= ?", (anchor["seq"] - 1,)))
    result = cli(logged, "log", "verify")
    assert result.exit_code == 1
    assert f"the log ends before the anchored record {anchor['seq']} (audit-anchor.json): cut short" in result.stderr


def test_an_emptied_table_is_caught_by_the_store_it_no_longer_matches(cli, logged: Path, pg_url: str) -> None:
    queued = outcomes(cli(logged, "publish", SLUG, "--channel", "outbox", "--json"))
    assert [o["state"] for o in queued] == ["queued", "paused"]
    tamper(pg_url, ("DELETE FROM audit", ()))
    result = cli(logged, "log", "verify")
    assert result.exit_code == 1 and "the state store records what the log does not" in result.stderr
    refused = cli(logged, "queue", "ls")
    assert refused.exit_code == 2 and "no longer holds record" in refused.stderr


# --- approved bytes travel: sealed on the laptop, delivered by the cron host -------------------------------


def test_bytes_approved_on_a_laptop_are_delivered_by_the_cron_host_from_the_database(
    cli, laptop: Path, pg_url: str
) -> None:
    approved = {p.name: p.read_bytes() for p in (laptop / "build/outbox" / SLUG).iterdir() if p.is_file()}
    queued = outcomes(cli(laptop, "publish", SLUG, "--channel", "outbox", "--at", "2099-01-01T09:00", "--json"))
    assert [o["state"] for o in queued] == ["queued"]
    assert not (laptop / ".mediactl/vault").exists()  # sealed into the shared database, not this machine
    cron = another_host(laptop, "cron")  # never renders: it has no build/ and builds none
    store = Store(pg_url)
    store.db.execute("UPDATE jobs SET due_at = 0")
    store.close()

    sent = outcomes(cli(cron, "publish", "--due", "--json"))
    assert [o["state"] for o in sent] == ["sent"], sent
    (delivery,) = (cron / "outbox/outbox" / SLUG).iterdir()
    for name in ("title.txt", "body.md", "cover.jpg"):
        if name in approved:
            assert (delivery / name).read_bytes() == approved[name], name
    assert not (cron / "build").exists() and not (cron / ".mediactl/vault").exists()


def test_a_blob_altered_in_the_database_is_refused_and_sealed_again_from_the_laptop(
    cli, laptop: Path, pg_url: str
) -> None:
    cover = (laptop / "build/outbox" / SLUG / "cover.jpg").read_bytes()
    (queued,) = outcomes(cli(laptop, "publish", SLUG, "--channel", "outbox", "--at", "2099-01-01T09:00", "--json"))
    cron = another_host(laptop, "cron")
    store = Store(pg_url)
    store.db.execute("UPDATE blobs SET data = ? WHERE sha256 = ? AND part = 0", (b"altered", sha(cover)))
    store.db.execute("UPDATE jobs SET due_at = 0")
    store.close()

    (failed,) = outcomes(cli(cron, "publish", "--due", "--json"))
    assert failed["state"] == "failed" and "no longer matches its sha256" in failed["detail"], failed
    assert "nothing was sent" in failed["detail"] and not (cron / "outbox").exists()

    again = outcomes(cli(laptop, "publish", SLUG, "--channel", "outbox", "--json"))  # seals the approved bytes anew
    assert [o["job"] for o in again] == [queued["job"]]
    assert cli(cron, "queue", "retry", str(queued["job"])).exit_code == 0
    assert [o["state"] for o in outcomes(cli(cron, "publish", "--due", "--json"))] == ["sent"]
    (delivery,) = (cron / "outbox/outbox" / SLUG).iterdir()
    assert (delivery / "cover.jpg").read_bytes() == cover


# --- a team's SQLite state moved to PostgreSQL, log and vault included ---------------------------------------


def test_export_from_sqlite_then_import_keeps_the_chain_every_job_and_every_blob(
    keyed, cli, example: Path, pg_url: str, tmp_path: Path, monkeypatch
) -> None:
    approve_on(cli, example, monkeypatch)
    approved = (example / "build/outbox" / SLUG / "cover.jpg").read_bytes()
    later = outcomes(cli(example, "publish", SLUG, "--channel", "outbox", "--at", "2099-01-01 09:00", "--json"))
    assert [o["state"] for o in later] == ["queued"]
    assert cli(example, "pause", "--channel", "bank-weibo", "--reason", "迁移中").exit_code == 0
    assert cli(example, "log", "anchor").exit_code == 0
    local = example / ".mediactl"
    records = (local / "audit.jsonl").read_text("utf-8").splitlines()
    blobs = sorted(p.name for p in (local / "vault").glob("??/*"))
    before = Store(local / "queue.sqlite3")
    jobs = [(job.id, job.idempotency_key, job.state) for job in before.jobs()]
    before.close()

    exported = tmp_path / "state.jsonl"
    assert cli(example, "state", "export", str(exported)).exit_code == 0
    share_state(example, pg_url)
    done = cli(example, "state", "import", str(exported))
    assert done.exit_code == 0, done.output
    assert f"{len(records)} audit records, {len(blobs)} blobs" in done.output

    kept = rows(pg_url)
    assert [text(r) for _, r in kept[:-1]] == records  # every record byte for byte, then the import's own
    assert kept[-1][1]["action"] == "state.imported" and kept[-1][1]["jobs"] == len(jobs) == 1
    verified = cli(example, "log", "verify")
    assert verified.exit_code == 0, verified.output
    assert "anchored at record" in verified.output and "authenticated" in verified.output
    store = Store(pg_url)
    try:
        assert [(job.id, job.idempotency_key, job.state) for job in store.jobs()] == jobs
        assert [row[0] for row in store.db.execute("SELECT sha256 FROM blobs WHERE part = 0 ORDER BY sha256")] == blobs
        assert list(store.paused()) == ["bank-weibo"]
        store.db.execute("UPDATE jobs SET due_at = 0")
    finally:
        store.close()
    shutil.rmtree(local / "vault")  # what is delivered now comes from the database
    shutil.rmtree(example / "build")
    sent = outcomes(cli(example, "publish", "--due", "--json"))
    assert [o["state"] for o in sent] == ["sent"], sent
    (delivery,) = (example / "outbox/outbox" / SLUG).iterdir()
    assert (delivery / "cover.jpg").read_bytes() == approved
    assert cli(example, "log", "verify").exit_code == 0


def test_an_export_whose_log_or_blob_was_altered_is_refused_whole(
    cli, ready: Path, pg_url: str, tmp_path: Path
) -> None:
    assert [o["state"] for o in outcomes(cli(ready, "publish", SLUG, "--channel", "outbox", "--json"))] == ["sent"]
    exported = tmp_path / "state.jsonl"
    assert cli(ready, "state", "export", str(exported)).exit_code == 0
    lines = exported.read_text("utf-8").splitlines()
    share_state(ready, pg_url)

    parsed = [json.loads(line) for line in lines]
    audit_at = next(
        n
        for n, line in enumerate(parsed)
        if isinstance(line.get("audit"), str) and json.loads(line["audit"])["seq"] == 2
    )
    record = json.loads(parsed[audit_at]["audit"])
    record["actor"] = "someone.else"
    changed = [*lines[:audit_at], json.dumps({"audit": text(record)}, ensure_ascii=False), *lines[audit_at + 1 :]]
    (tmp_path / "changed.jsonl").write_text("\n".join(changed) + "\n", "utf-8")
    result = cli(ready, "state", "import", str(tmp_path / "changed.jsonl"))
    assert result.exit_code == 2 and "audit record 2 of the export its content was changed" in result.stderr

    blob_at = next(n for n, line in enumerate(lines) if line.startswith('{"base64":'))
    part = json.loads(lines[blob_at])
    part["base64"] = "YWx0ZXJlZA=="
    altered = [*lines[:blob_at], json.dumps(part), *lines[blob_at + 1 :]]
    (tmp_path / "altered.jsonl").write_text("\n".join(altered) + "\n", "utf-8")
    result = cli(ready, "state", "import", str(tmp_path / "altered.jsonl"))
    assert result.exit_code == 1 and "the bytes are not the sha256 they are named by" in result.stderr

    store = Store(pg_url)
    try:
        assert store.jobs() == [] and rows(pg_url) == []
        assert store.db.execute("SELECT COUNT(*) FROM blobs").fetchone()[0] == 0
    finally:
        store.close()
    assert cli(ready, "state", "import", str(exported)).exit_code == 0  # the file as exported goes in whole
