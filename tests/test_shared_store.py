"""The shared state store: the database layer in both dialects, PostgreSQL's claims, sessions, errors and schema
versions, `project.state` as a URL, MEDIACTL_STATE_KEY, and moving a store with `state export/import`."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest

import postgres_server
from conftest import SLUG, STATE_KEY, approve_example, share_state
from mediactl.publish import schema
from mediactl.publish.adapters import tokenseal
from mediactl.publish.database import StoreDamaged, StoreError, open_database, pg_error, redact_url, to_pyformat
from mediactl.publish.store import Claim, Settlement, Store


def outcomes(result) -> list[dict]:
    return json.loads(result.stdout)


# --- the database layer, in both dialects ----------------------------------------------------------------


def test_rows_read_by_name_position_and_as_dicts_and_bytes_travel_both_ways(store_target) -> None:
    store = Store(store_target)
    try:
        store.save_token("wx", b"\x00\xffsealed\x00", 123.5)
        with store.database.read() as db:
            row = db.execute("SELECT channel, token, expires_at FROM tokens WHERE channel = ?", ("wx",)).fetchone()
        assert (row["channel"], row[0], row[1], row["expires_at"]) == ("wx", "wx", b"\x00\xffsealed\x00", 123.5)
        assert dict(row) == {"channel": "wx", "token": b"\x00\xffsealed\x00", "expires_at": 123.5}
        channel, token, _ = row
        assert (channel, type(token)) == ("wx", bytes)
        assert store.token("wx", 100.0) == (b"\x00\xffsealed\x00", 123.5)
        store.forget_token("wx")
        assert store.token("wx", 0.0) is None
    finally:
        store.close()


def test_a_pause_made_through_another_connection_stops_the_next_claim(store_target) -> None:
    here, elsewhere = Store(store_target), Store(store_target)  # two hosts, as far as the store can tell
    try:
        for n in range(3):
            here.enqueue("robot", f"item{n}", f"hash{n}", due_at=0.0)
        elsewhere.pause("*", "舆情期间暂停发布", "ops")
        assert here.claim_due(100.0, 5) == []  # the run started before the pause: its claims still see it
        assert here.settle_and_claim(None, Claim()) == (False, None)
        elsewhere.resume("*")
        elsewhere.pause("robot", "one channel", "ops")
        assert here.claim_due(100.0, 5) == [] and here.count_due(100.0) == 0
        elsewhere.resume("robot")
        assert len(here.claim_due(100.0, 5)) == 3
    finally:
        here.close()
        elsewhere.close()


def test_job_numbers_go_on_above_those_reserved_and_restored(store_target) -> None:
    store = Store(store_target)
    try:
        first, _ = store.enqueue("robot", "a", "h1", due_at=0.0)
        with store.transaction() as db:
            Store.reserve_job_ids(db, 40)
        assert store.enqueue("robot", "b", "h2", due_at=0.0)[0].id == 41
        restored = {**first.to_dict(), "id": 7, "idempotency_key": "k-restored", "state": "sent"}
        with store.transaction() as db:
            Store.restore(db, [restored], [], highest_job=60)
        assert store.get(7).state == "sent"
        assert store.enqueue("robot", "c", "h3", due_at=0.0)[0].id == 61
        assert store.enqueue("robot", "c", "h3", due_at=0.0)[1] is False  # the same key: the same job
        assert store.integrity_problems() == []
    finally:
        store.close()


def test_records_kept_for_the_log_are_kept_and_forgotten_once(store_target) -> None:
    store = Store(store_target)
    written = []

    class Hook:
        def __call__(self, entry) -> None:
            written.append(entry.action)

        def void(self, error) -> None:  # pragma: no cover - the commit does not fail here
            raise AssertionError(error)

    try:
        store.keep_unlogged("delivery.sent", {"job": 1, "item": "新闻"}, "the disk was full")
        (entry,) = store.unlogged()
        assert (entry.action, entry.fields) == ("delivery.sent", {"job": 1, "item": "新闻"})
        store.forget_unlogged(entry, audit=Hook())
        store.forget_unlogged(entry, audit=Hook())
        assert written == ["delivery.sent"] and store.unlogged() == []
    finally:
        store.close()


def test_placeholders_are_translated_outside_literals_only() -> None:
    assert to_pyformat("SELECT * FROM t WHERE a = ? AND b LIKE 'cap: %' AND c = '?'") == (
        "SELECT * FROM t WHERE a = %s AND b LIKE 'cap: %%' AND c = '?'"
    )


def test_a_url_is_shown_without_its_password() -> None:
    assert redact_url("postgresql://app:s3cret-pw@db.example:5433/media?sslmode=require") == (
        "postgresql://app@db.example:5433/media"
    )


# --- PostgreSQL: claims, sessions, errors ---------------------------------------------------------------


def test_hosts_claiming_at_once_skip_each_others_jobs_instead_of_waiting(pg_url: str) -> None:
    first, second = Store(pg_url), Store(pg_url)
    try:
        for n in range(4):
            first.enqueue("robot", f"item{n}", f"hash{n}", due_at=float(n))
        with first.transaction() as db:  # a claim still open on one host …
            held = [job.id for job in Store._claim(db, 100.0, 2, Claim())]
            taken = [job.id for job in second.claim_due(100.0, 4)]  # … the other takes the rest, at once
        assert held == [1, 2] and taken == [3, 4]
    finally:
        first.close()
        second.close()


def test_a_claim_is_orphaned_when_its_server_session_ends_never_before(pg_url: str) -> None:
    claimer, reconciler = Store(pg_url), Store(pg_url)
    try:
        claimer.enqueue("robot", "item", "hash", due_at=0.0)
        (job,) = claimer.claim_due(100.0, 1)
        assert job.claimed_by.endswith(f"@{claimer.database.session}")
        sending = reconciler.jobs(state="sending")
        assert reconciler.orphaned(sending, lease=0) == []  # alive: a lease that ran out changes nothing
        session = claimer.database.session
        claimer.close()  # the process died: its connection, and with it its session, ended
        deadline = time.monotonic() + 10  # the server ends the backend a moment after the client hangs up
        while reconciler.database.live_sessions({session}) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [j.id for j in reconciler.orphaned(sending, lease=10**9)] == [job.id]
    finally:
        reconciler.close()


def test_settlements_wait_for_a_person_holding_the_row(pg_url: str) -> None:
    """queue cancel locks the row it decides about: a settlement committed meanwhile cannot slip in between."""
    store, person = Store(pg_url), Store(pg_url)
    try:
        store.enqueue("robot", "item", "hash", due_at=0.0)
        (job,) = store.claim_due(100.0, 1)
        outcome: list[tuple[bool, object]] = []
        with person.transaction() as db:
            db.execute("SELECT * FROM jobs WHERE id = ? FOR UPDATE", (job.id,))
            settler = threading.Thread(
                target=lambda: outcome.append(store.settle_and_claim(Settlement(job.id, "sent"), None))
            )
            settler.start()
            settler.join(0.3)
            assert settler.is_alive()  # waiting for the row
            db.execute("UPDATE jobs SET state = 'cancelled' WHERE id = ?", (job.id,))
        settler.join(10)
        assert outcome == [(False, None)] and store.get(job.id).state == "cancelled"
    finally:
        store.close()
        person.close()


@pytest.mark.parametrize(
    ("password", "database", "port", "reason"),
    [
        ("wrong-password", None, None, "authentication failed"),
        (postgres_server.PASSWORD, "no_such_db", None, "the database does not exist"),
        (postgres_server.PASSWORD, None, "free", "the connection was refused"),
    ],
)
def test_connection_errors_name_the_server_and_never_the_password(
    cli, example: Path, pg_url: str, pg_server, monkeypatch, password, database, port, reason
) -> None:
    url = pg_url
    if database:
        url = url.rsplit("/", 1)[0] + f"/{database}"
    if port:
        url = url.replace(f":{pg_server.port}/", f":{postgres_server._free_port()}/")
    monkeypatch.setenv(postgres_server.PASSWORD_VARIABLE, password)
    result = cli(share_state(example, url), "queue", "ls")
    assert result.exit_code == 2
    assert reason in result.stderr and "127.0.0.1:" in result.stderr and "cannot connect" in result.stderr
    assert password not in result.output and "Traceback" not in result.output
    assert len([line for line in result.stderr.splitlines() if line.startswith("Error:")]) == 1


def test_a_connection_lost_midway_is_a_store_error_naming_the_server(pg_url: str, pg_server) -> None:
    store = Store(pg_url)
    try:
        pid = store.database.session.split(":")[1]
        pg_server.admin(f"SELECT pg_terminate_backend({pid})")
        with pytest.raises(StoreError, match=r"connection to the server was lost|shutting down") as caught:
            store.jobs()
        assert "127.0.0.1" in caught.value.message and postgres_server.PASSWORD not in caught.value.message
    finally:
        store.close()


# --- schema versions ------------------------------------------------------------------------------------


def test_a_shared_store_is_migrated_by_command_only_and_a_newer_one_is_refused(
    cli, example: Path, pg_empty_url: str
) -> None:
    project = share_state(example, pg_empty_url)
    refused = cli(project, "queue", "ls")
    assert refused.exit_code == 2 and "no mediactl schema yet" in refused.stderr and "state migrate" in refused.stderr
    dry = cli(project, "state", "migrate", "--dry-run")
    assert dry.exit_code == 0 and "would apply version 1" in dry.output
    assert cli(project, "queue", "ls").exit_code == 2  # a dry run changes nothing
    done = cli(project, "state", "migrate")
    assert done.exit_code == 0 and f"migrated from version 0 to {schema.latest()}" in done.output
    assert f"up to date (version {schema.latest()})" in cli(project, "state", "migrate").output
    assert cli(project, "queue", "ls").exit_code == 0
    store = Store(pg_empty_url)
    store.db.execute("INSERT INTO schema_migrations VALUES (99, 'from the future', 0, 'a newer mediactl')")
    store.close()
    newer = cli(project, "queue", "ls")
    assert (
        newer.exit_code == 2
        and f"schema is version 99, newer than this mediactl knows ({schema.latest()})" in newer.stderr
    )


def test_a_new_step_is_announced_on_postgresql_and_applied_in_place_on_sqlite(
    pg_url: str, tmp_path: Path, monkeypatch
) -> None:
    new = schema.latest() + 1
    step = schema.Migration(new, "a notes table", schema.typed("CREATE TABLE notes (id {id}, text TEXT NOT NULL)"))
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, step])
    with pytest.raises(StoreError, match=f"has schema version {new - 1}; this mediactl needs {new}") as caught:
        Store(pg_url)
    assert "mediactl state migrate" in (caught.value.hint or "")
    database = open_database(pg_url, check_schema=False)
    assert schema.migrate(database)[1] == [step]
    database.close()
    Store(pg_url).close()
    sqlite = Store(tmp_path / "queue.sqlite3")  # made whole at the new version …
    with sqlite.database.read() as db:
        assert schema.version(db) == new and schema.has_table(db, "notes")
    sqlite.close()


def test_an_sqlite_store_made_before_versions_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "queue.sqlite3"
    with sqlite3.connect(path) as old:  # the schema as stores were made before versions, without `unlogged`
        statements = schema.typed(schema.VERSION_1)(schema.SQLITE)
        for statement in statements:
            if "unlogged" not in statement:
                old.execute(statement)
        old.execute("INSERT INTO jobs (idempotency_key, channel, item, content_hash, due_at, state, created_at, "
                    "updated_at) VALUES ('k', 'outbox', 'a', 'h', 0, 'sent', 0, 0)")  # fmt: skip
        old.execute("INSERT INTO approvals VALUES ('a', 'outbox', 'h', 'whoever MEDIACTL_USER said', 0, '')")
    store = Store(path)
    try:
        with store.database.read() as db:
            assert schema.version(db) == schema.latest() and schema.has_table(db, "unlogged")
            assert not schema.has_table(
                db, "approvals"
            )  # unsigned approvals are not carried over: signed ones replace them
        assert store.by_key("k").state == "sent"
        store.db.execute("INSERT INTO schema_migrations VALUES (?, 'newer', 0, 'x')", (schema.latest() + 1,))
    finally:
        store.close()
    with pytest.raises(StoreError, match=f"schema is version {schema.latest() + 1}, newer than this mediactl knows"):
        Store(path)


# --- configuration, the state key ---------------------------------------------------------------------------


def test_a_state_url_with_a_literal_password_is_named_by_line_and_key(cli, minimal: Path) -> None:
    config = minimal / "mediactl.yaml"
    config.write_text(
        config.read_text("utf-8").replace("  timezone: Asia/Shanghai\n", "  timezone: Asia/Shanghai\n"
                                          "  state: postgresql://app:hunter2-literal@db.internal:5432/media\n"),
        "utf-8",
    )  # fmt: skip
    result = cli(minimal, "config", "validate")
    assert result.exit_code == 2
    assert "mediactl.yaml:4:3: project.state: the state URL carries a secret in the password" in result.stderr
    assert "hunter2-literal" not in result.output
    config.write_text(config.read_text("utf-8").replace("hunter2-literal", "${PGPASSWORD}"), "utf-8")
    assert cli(minimal, "config", "validate").exit_code == 0


def test_a_shared_store_needs_the_state_key_which_seals_tokens(cli, example: Path, pg_url: str, monkeypatch) -> None:
    monkeypatch.delenv("MEDIACTL_STATE_KEY")
    result = cli(share_state(example, pg_url), "queue", "ls")
    assert result.exit_code == 2 and "MEDIACTL_STATE_KEY is not set" in result.stderr
    credentials = {"appid": "wx1", "secret": "channel-secret"}
    sealed = tokenseal.seal(tokenseal.key_material(credentials, STATE_KEY), "wx", 1.0, "the-token")
    assert tokenseal.unseal(tokenseal.key_material(credentials, STATE_KEY), "wx", 1.0, sealed) == "the-token"
    assert tokenseal.unseal(tokenseal.key_material(credentials), "wx", 1.0, sealed) is None  # a copy without the key
    assert tokenseal.unseal(tokenseal.key_material(credentials, "another-key"), "wx", 1.0, sealed) is None


# --- the whole flow on a shared store -----------------------------------------------------------------------


@pytest.fixture
def shared_ready(cli, example: Path, pg_url: str, monkeypatch) -> Path:
    """The example project on a shared store, anti-fraud-2026 checked, reviewed and approved by a second person."""
    return approve_example(cli, share_state(example, pg_url), monkeypatch)


def test_publish_pause_and_doctor_on_a_shared_store(cli, shared_ready: Path, pg_url: str) -> None:
    assert not (shared_ready / ".mediactl/queue.sqlite3").exists()  # the folder keeps caches only
    paused = cli(shared_ready, "pause", "--reason", "舆情期间暂停发布")
    assert paused.exit_code == 0
    held = outcomes(cli(shared_ready, "publish", SLUG, "--channel", "outbox", "--json"))
    assert [o["state"] for o in held] == ["queued", "paused"]
    assert cli(shared_ready, "resume").exit_code == 0
    sent = outcomes(cli(shared_ready, "publish", "--due", "--json"))
    assert [o["state"] for o in sent] == ["sent"]
    again = outcomes(cli(shared_ready, "publish", SLUG, "--channel", "outbox", "--json"))
    assert [o["state"] for o in again] == ["already-sent"]
    doctor = cli(shared_ready, "doctor")
    assert "whole and level with the audit log" in doctor.output, doctor.output
    assert cli(shared_ready, "log", "verify").exit_code == 0
    store = Store(pg_url)
    assert [(job.state, job.item) for job in store.jobs()] == [("sent", SLUG)]
    store.close()


def test_export_from_sqlite_import_into_postgresql_keeps_every_job(
    cli, ready: Path, pg_url: str, tmp_path: Path
) -> None:
    assert [o["state"] for o in outcomes(cli(ready, "publish", SLUG, "--channel", "outbox", "--json"))] == ["sent"]
    later = cli(ready, "publish", SLUG, "--channel", "bank-wechat", "--at", "2099-01-01 09:00", "--json")
    assert [o["state"] for o in outcomes(later)] == ["queued"], later.output
    assert cli(ready, "pause", "--channel", "outbox", "--reason", "迁移中").exit_code == 0
    before = Store(ready / ".mediactl/queue.sqlite3")
    jobs = [(job.id, job.idempotency_key, job.state) for job in before.jobs()]
    before.close()
    exported = tmp_path / "state.jsonl"
    assert cli(ready, "state", "export", str(exported)).exit_code == 0
    assert len(jobs) == 2 and json.loads(exported.read_text("utf-8").splitlines()[0])["schema"] == schema.latest()
    share_state(ready, pg_url)
    done = cli(ready, "state", "import", str(exported))
    assert done.exit_code == 0, done.output
    after = Store(pg_url)
    assert [(job.id, job.idempotency_key, job.state) for job in after.jobs()] == jobs
    assert set(after.paused()) == {"outbox"}
    after.close()
    assert cli(ready, "queue", "ls").exit_code == 0  # level with the same audit log
    again = cli(ready, "state", "import", str(exported))
    assert again.exit_code == 2 and "not empty" in again.stderr
    assert [o["state"] for o in outcomes(cli(ready, "publish", SLUG, "--channel", "outbox", "--json"))] == [
        "already-sent"
    ]
    store = Store(pg_url)
    assert store.enqueue("outbox", "next", "hash", due_at=0.0)[0].id == max(job[0] for job in jobs) + 1
    store.close()


def test_an_export_cut_short_is_refused_whole(cli, ready: Path, tmp_path: Path) -> None:
    cli(ready, "publish", SLUG, "--channel", "outbox")
    exported = tmp_path / "state.jsonl"
    assert cli(ready, "state", "export", str(exported)).exit_code == 0
    cut = tmp_path / "cut.jsonl"
    cut.write_text("\n".join(exported.read_text("utf-8").splitlines()[:-1]) + "\n", "utf-8")
    empty = tmp_path / "other"
    (empty / "content").mkdir(parents=True)
    (empty / "mediactl.yaml").write_text("project:\n  name: 空\n", "utf-8")
    result = cli(empty, "state", "import", str(cut))
    assert result.exit_code == 2 and "cut short" in result.stderr
    store = Store(empty / ".mediactl/queue.sqlite3")
    assert store.jobs() == []
    store.close()


@pytest.mark.parametrize(
    ("error", "reason", "kind", "flags"),
    [
        ("InvalidPassword", "authentication failed", StoreError, {}),
        ("InvalidCatalogName", "the database does not exist", StoreError, {}),
        ("DeadlockDetected", "deadlock", StoreError, {"retryable": True}),
        ("SerializationFailure", "serialization failure", StoreError, {"retryable": True}),
        ("DiskFull", "the server's disk is full", StoreError, {"disk_full": True}),
        ("AdminShutdown", "shutting down", StoreError, {}),
        ("DataCorrupted", "corrupt data", StoreDamaged, {}),
        ("LockNotAvailable", "holds the rows locked", StoreError, {}),
    ],
)
def test_every_server_error_is_one_readable_store_error(error: str, reason: str, kind, flags) -> None:
    import psycopg

    mapped = pg_error("postgresql://app@db:5432/media", getattr(psycopg.errors, error)("the server's own words"))
    assert (
        type(mapped) is kind
        and reason in mapped.message
        and mapped.message.startswith("postgresql://app@db:5432/media: ")
    )
    assert mapped.retryable is flags.get("retryable", False) and mapped.disk_full is flags.get("disk_full", False)


def test_work_is_run_again_after_a_serialization_failure_and_only_then(store_target) -> None:
    store = Store(store_target)
    tries: list[int] = []

    def work(db) -> int:
        tries.append(1)
        db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (f"try{len(tries)}", "v"))
        if len(tries) == 1:
            raise StoreError("a concurrent transaction changed the same rows", retryable=True)
        return len(tries)

    try:
        assert store.database.run(work) == 2
        with store.database.read() as db:
            assert [row["key"] for row in db.execute("SELECT key FROM meta").fetchall()] == [
                "try2"
            ]  # the first rolled back
        with pytest.raises(StoreError, match="not retried"):
            store.database.run(lambda db: (_ for _ in ()).throw(StoreError("not retried")))
    finally:
        store.close()


def test_a_lost_store_on_postgresql_is_rebuilt_from_the_audit_log(cli, shared_ready: Path, pg_url: str) -> None:
    assert [o["state"] for o in outcomes(cli(shared_ready, "publish", SLUG, "--channel", "outbox", "--json"))] == [
        "sent"
    ]
    assert cli(shared_ready, "pause", "--channel", "bank-wechat", "--reason", "维护").exit_code == 0
    store = Store(pg_url)
    store.db.execute("TRUNCATE jobs, switches, meta")  # the queue's tables emptied; the audit table refuses TRUNCATE
    store.close()
    lost = cli(shared_ready, "publish", "--due")
    assert lost.exit_code == 2 and "does not hold what the audit table" in lost.stderr and "127.0.0.1" in lost.stderr
    rebuilt = cli(shared_ready, "state", "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    store = Store(pg_url)
    assert [(job.state, job.item) for job in store.jobs()] == [("sent", SLUG)] and set(store.paused()) == {
        "bank-wechat"
    }
    store.close()
    again = outcomes(cli(shared_ready, "publish", SLUG, "--channel", "outbox", "--json"))
    assert [o["state"] for o in again] == ["already-sent"]


def test_sqlite_users_never_load_the_postgresql_driver(example: Path) -> None:
    """psycopg is imported when a PostgreSQL store is opened, never on the way to a SQLite one (start-up time)."""
    import subprocess
    import sys

    code = (
        "import sys; from mediactl.config.model import load_config; from mediactl.publish.store import open_store; "
        "import mediactl.cli.app, mediactl.publish.runner; "
        f"open_store(load_config(__import__('pathlib').Path({str(example / 'mediactl.yaml')!r}))).close(); "
        "print(sorted(m for m in sys.modules if m.startswith('psycopg')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"


def test_a_token_cached_in_the_shared_store_opens_only_with_the_teams_state_key(
    example: Path, pg_url: str, monkeypatch
) -> None:
    from mediactl.config.model import load_config
    from mediactl.publish.adapters.wechat_oa import WechatOfficialAccountAdapter
    from mediactl.sandbox import Sandbox, SandboxOptions

    share_state(example, pg_url)
    monkeypatch.setenv("BANK_WECHAT_APPID", "wx-token-cache")
    monkeypatch.setenv("BANK_WECHAT_SECRET", "the-channel-secret-1")
    store = Store(pg_url)
    opened = []

    def wechat() -> WechatOfficialAccountAdapter:  # a fresh adapter, as the next run (or another host) makes it
        config = load_config(example / "mediactl.yaml")
        adapter = WechatOfficialAccountAdapter(config.channel("bank-wechat"), config)
        adapter.store = store
        opened.append(adapter)
        return adapter

    try:
        with Sandbox(SandboxOptions(seed=3)) as sandbox:
            monkeypatch.setenv("MEDIACTL_SANDBOX_URL", sandbox.url)
            token = wechat().token()
            with store.database.read() as db:
                (sealed,) = db.execute("SELECT token FROM tokens WHERE channel = 'bank-wechat'").fetchone()
            assert isinstance(sealed, bytes) and token.encode() not in sealed
            assert wechat().token() == token
            monkeypatch.setenv("MEDIACTL_STATE_KEY", "a-host-with-another-key-0123456789")
            assert wechat().token()  # does not open: fetched again, no error
            fetches = sum(1 for call in sandbox.calls() if call["path"] == "/wechat_oa/cgi-bin/stable_token")
            assert fetches == 2
    finally:
        for adapter in opened:
            adapter.close()
        store.close()


def test_config_validate_warns_of_what_the_shared_store_will_need(cli, minimal: Path, monkeypatch) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.delenv("MEDIACTL_STATE_KEY", raising=False)
    share_state(minimal, "postgresql://app:${PGPASSWORD}@db.internal:5432/media")
    result = cli(minimal, "config", "validate")
    assert result.exit_code == 0
    assert "project.state: environment variable PGPASSWORD is not set" in result.stderr
    assert "project.state: environment variable MEDIACTL_STATE_KEY is not set" in result.stderr
