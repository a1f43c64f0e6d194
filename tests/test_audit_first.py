"""The audit-first rule: nothing changes state unless its audit record is written.

A log that cannot take a record (read-only, a corrupt last line) stops every change with an error naming the
file (and line), exit 2, and leaves the store and the content exactly as they were. A delivery that already
went out is the exception: its outcome is recorded in the store all the same, and its missing audit record is
kept and written later, never dropped.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import SLUG
from mediactl.publish import audit
from mediactl.publish.store import Store

STORE = ".mediactl/queue.sqlite3"
LOG = ".mediactl/audit.jsonl"


def prepare(root: Path) -> dict[str, str]:
    """A pause to resume, a pending job to cancel, an unknown job to retry or resolve: every kind of change."""
    store = Store(root / STORE)
    pending, _ = store.enqueue("outbox", SLUG, "p" * 64, 4102444800.0)
    unknown, _ = store.enqueue("outbox", SLUG, "u" * 64, 0.0)
    store.db.execute("UPDATE jobs SET state = 'unknown' WHERE id = ?", (unknown.id,))
    store.pause("bank-weibo", "账号维护", "tester")
    store.close()
    return {"pending": str(pending.id), "unknown": str(unknown.id)}


def commands(jobs: dict[str, str]) -> list[tuple[str, ...]]:
    return [
        ("pause", "--reason", "舆情期间"),
        ("resume", "--channel", "bank-weibo"),
        ("review", SLUG),
        ("approve", SLUG),
        ("publish", SLUG, "--channel", "outbox"),
        ("queue", "cancel", jobs["pending"]),
        ("queue", "retry", jobs["unknown"]),
        ("queue", "resolve", jobs["unknown"], "--sent", "https://mp.weixin.qq.com/s/abc"),
    ]


def snapshot(root: Path) -> tuple:
    store = Store(root / STORE)
    try:
        jobs = [(j.id, j.state, j.remote_url) for j in store.jobs()]
        approvals = sorted((p.name, p.read_bytes()) for p in (root / "approvals").glob("*"))  # signed records
        return jobs, sorted(store.paused()), approvals
    finally:
        store.close()


def item_file(root: Path) -> Path:
    return root / "content/article" / SLUG / "index.md"


def assert_nothing_changes(cli, root: Path, jobs: dict[str, str], expected: str) -> None:
    before, text, log = snapshot(root), item_file(root).read_bytes(), (root / LOG).read_bytes()
    for command in commands(jobs):
        result = cli(root, *command)
        assert result.exit_code == 2, (command, result.output)
        assert expected in result.stderr, (command, result.stderr)
        assert "this is a bug" not in result.stderr and "Traceback" not in result.output
        assert snapshot(root) == before, command
        assert item_file(root).read_bytes() == text, command
        assert (root / LOG).read_bytes() == log, command


def test_a_corrupt_last_line_stops_every_change_and_names_the_line(cli, ready: Path) -> None:
    jobs = prepare(ready)
    log = ready / LOG
    lines = len(log.read_text("utf-8").splitlines())
    with open(log, "a", encoding="utf-8") as handle:
        handle.write('{"seq": 99, "action": "pause", "chann\n')  # cut short by a crash
    assert_nothing_changes(cli, ready, jobs, f"audit.jsonl:{lines + 1}:")


def test_a_read_only_log_stops_every_change(cli, ready: Path, mounts) -> None:
    jobs = prepare(ready)
    mounts.read_only(ready / LOG)
    assert_nothing_changes(cli, ready, jobs, "audit.jsonl")


def test_a_delivery_is_recorded_even_when_its_audit_record_cannot_be_and_the_record_follows(
    cli, ready: Path, monkeypatch
) -> None:
    assert cli(ready, "publish", SLUG, "--channel", "outbox", "--at", "2099-01-01T09:00").exit_code == 0
    store = Store(ready / STORE)
    store.db.execute("UPDATE jobs SET due_at = 0")
    store.close()
    real_append = audit.append

    def disk_full_for_deliveries(path: Path, actor: str, action: str, **fields):
        if action.startswith("delivery."):
            raise audit.AuditError(f"{path}: cannot write the audit log (no space left on the device)")
        return real_append(path, actor, action, **fields)

    monkeypatch.setattr(audit, "append", disk_full_for_deliveries)
    result = cli(ready, "publish", "--due")
    assert result.exit_code == 2, result.output
    assert "job 1 (outbox/anti-fraud-2026) was sent" in result.stderr
    assert "no space left on the device" in result.stderr and "kept" in result.stderr
    store = Store(ready / STORE)
    assert [j.state for j in store.jobs()] == ["sent"]  # never left `sending`
    store.close()

    monkeypatch.setattr(audit, "append", real_append)
    assert cli(ready, "publish", "--due").exit_code == 0
    records = [json.loads(line) for line in (ready / LOG).read_text("utf-8").splitlines()]
    (sent,) = [r for r in records if r["action"] == "delivery.sent"]
    assert sent["job"] == 1 and sent["late"] is True
    assert cli(ready, "log", "verify").exit_code == 0


def test_publish_due_sends_nothing_while_the_log_cannot_take_records(cli, ready: Path, mounts) -> None:
    assert cli(ready, "publish", SLUG, "--channel", "outbox", "--at", "2099-01-01T09:00").exit_code == 0
    store = Store(ready / STORE)
    store.db.execute("UPDATE jobs SET due_at = 0")
    store.close()
    mounts.read_only(ready / LOG)
    result = cli(ready, "publish", "--due")
    assert result.exit_code == 2 and "audit.jsonl" in result.stderr
    assert not (ready / "outbox").exists()  # nothing delivered that could not be recorded
    store = Store(ready / STORE)
    assert [j.state for j in store.jobs()] == ["pending"]
    store.close()


def test_a_change_whose_commit_fails_after_its_record_was_written_is_voided_in_the_log(ready: Path) -> None:
    """The record is written inside the transaction; a COMMIT that then fails is followed by `record.void`, so
    the log never claims a pause that did not happen, and the store is still found level with it."""
    from mediactl.config.model import load_config
    from mediactl.publish.runner import Publisher
    from mediactl.publish.store import StoreError

    publisher = Publisher(load_config(ready / "mediactl.yaml"), command="pause")
    execute = publisher.store.db.execute

    def commit_fails(sql: str, *args):
        if sql == "COMMIT":
            raise StoreError(f"{ready / STORE}: the state store failed (the disk is full).", disk_full=True)
        return execute(sql, *args)

    publisher.store.db.execute = commit_fails
    try:
        with pytest.raises(StoreError, match="the disk is full"):
            publisher.store.pause("*", "舆情", "tester", audit=publisher.audited("pause", channel="*", reason="舆情"))
        del publisher.store.db.execute
        assert publisher.store.paused() == {}
        *_, paused, void = audit.records(ready / LOG)
        assert (paused["action"], void["action"], void["void"]) == ("pause", "record.void", paused["seq"])
        publisher.require_intact_state()  # the voided pause is not expected in the store
    finally:
        publisher.close()
