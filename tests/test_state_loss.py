"""A lost, truncated, corrupt or older state store is detected, publishing refuses, and an operator recovers.

The store remembers what was sent and what is paused; the audit log and the outbox receipts remember it too.
Whenever the store forgets what they record, nothing may be published (a re-send, or a lifted pause) until an
operator rebuilds it from the log or accepts the loss on the record.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import struct
from pathlib import Path

from conftest import SLUG
from mediactl.publish.store import Store

STORE = ".mediactl/queue.sqlite3"


def states(result) -> list[str]:
    return [o["state"] for o in json.loads(result.stdout)]


def remove_store(root: Path) -> None:
    for path in (root / ".mediactl").glob("queue.sqlite3*"):
        path.unlink()


def audit_actions(root: Path) -> list[str]:
    lines = (root / ".mediactl/audit.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line)["action"] for line in lines]


def refused_for_loss(result) -> None:
    assert result.exit_code == 2, result.output
    assert "queue.sqlite3" in result.stderr and "mediactl state rebuild" in result.stderr
    assert "Traceback" not in result.output and "this is a bug" not in result.stderr


def test_a_deleted_store_refuses_publishing_until_rebuilt_from_the_log(cli, ready: Path) -> None:
    assert states(cli(ready, "publish", SLUG, "--channel", "outbox", "--json")) == ["sent"]
    assert cli(ready, "pause", "--channel", "bank-weibo", "--reason", "账号维护").exit_code == 0
    remove_store(ready)

    for command in (
        ("approve", SLUG),
        ("publish", SLUG, "--channel", "outbox"),
        ("publish", "--due"),
        ("queue", "retry", "1"),
    ):
        refused_for_loss(cli(ready, *command))
    listed = cli(ready, "queue", "ls")
    assert listed.exit_code == 2 and "0 job(s)" not in listed.output
    assert "job 1 (outbox/anti-fraud-2026)" in listed.stderr

    rebuilt = cli(ready, "state", "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "1 job(s)" in rebuilt.stdout and "bank-weibo" in rebuilt.stdout
    store = Store(ready / STORE)
    (job,) = store.jobs()
    assert (job.id, job.state, job.item, job.channel) == (1, "sent", SLUG, "outbox")
    assert set(store.paused()) == {"bank-weibo"}  # the pause switch is back
    store.close()  # approvals were never in the store: they are signed files in the repository
    assert states(cli(ready, "publish", SLUG, "--channel", "outbox", "--json")) == ["already-sent"]
    assert len(list((ready / "outbox/outbox" / SLUG).iterdir())) == 1
    assert "state.rebuilt" in audit_actions(ready)
    assert cli(ready, "log", "verify").exit_code == 0


def test_a_job_due_but_unsettled_in_the_log_is_reconciled_after_a_rebuild_never_resent(cli, ready: Path) -> None:
    """The log says queued, not what became of it: the rebuilt job is asked about (receipt), not sent again."""
    assert cli(ready, "pause", "--reason", "演练").exit_code == 0
    assert states(cli(ready, "publish", SLUG, "--channel", "outbox", "--json")) == ["queued", "paused"]  # due now
    assert cli(ready, "resume").exit_code == 0
    assert states(cli(ready, "publish", "--due", "--json")) == ["sent"]
    log = ready / ".mediactl/audit.jsonl"
    lines = log.read_text("utf-8").splitlines(keepends=True)
    sent_line = next(i for i, line in enumerate(lines) if '"delivery.sent"' in line)
    log.write_text("".join(lines[:sent_line]), "utf-8")  # as if the store committed and the log write was lost
    remove_store(ready)

    assert cli(ready, "state", "rebuild").exit_code == 0
    store = Store(ready / STORE)
    (job,) = store.jobs()
    store.close()
    assert job.state == "sending"  # neither pending (a re-send) nor sent (unproven): reconciled by the next run
    result = json.loads(cli(ready, "publish", "--due", "--json").stdout)
    assert [(o["job"], o["state"]) for o in result] == [(job.id, "sent")]  # the outbox found its receipt
    assert len(list((ready / "outbox/outbox" / SLUG).iterdir())) == 1


def test_an_older_copy_of_the_store_is_caught(cli, ready: Path) -> None:
    assert states(cli(ready, "publish", SLUG, "--channel", "outbox", "--at", "2099-01-01T09:00", "--json")) == [
        "queued"
    ]
    store = Store(ready / STORE)
    store.db.execute("UPDATE jobs SET due_at = 0")
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    backup = ready.parent / "backup.sqlite3"
    shutil.copy(ready / STORE, backup)  # the job is pending in this copy
    assert states(cli(ready, "publish", "--due", "--json")) == ["sent"]
    remove_store(ready)
    shutil.copy(backup, ready / STORE)  # "restored from last night's backup"

    result = cli(ready, "publish", "--due")
    refused_for_loss(result)
    assert "job 1 (outbox/anti-fraud-2026)" in result.stderr and "sent" in result.stderr
    assert cli(ready, "state", "rebuild").exit_code == 0
    store = Store(ready / STORE)
    assert [j.state for j in store.jobs()] == ["sent"]
    store.close()
    assert cli(ready, "publish", "--due").exit_code == 0


def test_an_empty_store_next_to_outbox_receipts_is_a_loss_even_without_the_log(cli, ready: Path) -> None:
    assert states(cli(ready, "publish", SLUG, "--channel", "outbox", "--json")) == ["sent"]
    keys = shutil.copytree(ready / ".mediactl/keys", ready.parent / "keys")  # a person's key is not state
    shutil.rmtree(ready / ".mediactl")  # state and log gone; the receipts in outbox/ remain
    shutil.copytree(keys, ready / ".mediactl/keys")

    result = cli(ready, "approve", SLUG)
    refused_for_loss(result)
    assert "receipt.json" in result.stderr
    assert cli(ready, "state", "rebuild").exit_code == 0
    store = Store(ready / STORE)
    (job,) = store.jobs()
    store.close()
    assert (job.state, job.channel, job.item) == ("sent", "outbox", SLUG)
    assert cli(ready, "approve", SLUG).exit_code == 0
    assert cli(ready, "check", SLUG).exit_code == 0  # the check reports went with the state folder
    assert states(cli(ready, "publish", SLUG, "--channel", "outbox", "--json")) == ["already-sent"]


def test_accepting_a_loss_needs_a_reason_is_audited_and_never_reuses_job_numbers(cli, ready: Path) -> None:
    assert states(cli(ready, "publish", SLUG, "--channel", "outbox", "--json")) == ["sent"]
    remove_store(ready)
    assert cli(ready, "state", "accept-loss").exit_code == 2
    blank = cli(ready, "state", "accept-loss", "--reason", "  ")
    assert blank.exit_code == 2 and "--reason" in blank.stderr
    accepted = cli(ready, "state", "accept-loss", "--reason", "演练：存储已重建为空")
    assert accepted.exit_code == 0, accepted.output
    record = json.loads((ready / ".mediactl/audit.jsonl").read_text("utf-8").splitlines()[-1])
    assert record["action"] == "state.accept-loss" and record["reason"] == "演练：存储已重建为空"
    assert record["lost"] and "job 1" in record["lost"][0]
    assert cli(ready, "approve", SLUG).exit_code == 0
    result = json.loads(cli(ready, "publish", SLUG, "--channel", "outbox", "--json").stdout)
    assert result[0]["job"] == 2  # a new number: job 1 in the log stays the job it was


def test_a_truncated_store_is_an_error_naming_the_file_never_zero_jobs(cli, ready: Path) -> None:
    assert states(cli(ready, "publish", SLUG, "--channel", "outbox", "--json")) == ["sent"]
    store = Store(ready / STORE)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    path = ready / STORE
    for size in (0, path.stat().st_size // 2):
        with open(path, "r+b") as handle:
            handle.truncate(size)
        for command in (("queue", "ls"), ("publish", "--due"), ("doctor",)):
            result = cli(ready, *command)
            assert result.exit_code in (1, 2), (size, command, result.output)
            assert "0 job(s)" not in result.output and "this is a bug" not in result.stderr
            assert "queue.sqlite3" in result.output
    assert cli(ready, "state", "rebuild").exit_code == 0  # the damaged file is kept aside, the store rebuilt
    assert list((ready / ".mediactl").glob("queue.sqlite3.damaged-*"))
    assert cli(ready, "queue", "ls").exit_code == 0


def empty_the_unique_index(path: Path) -> None:
    """Corrupt the store's idempotency index so that it forgets every key: `quick_check` still says ok."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (root,) = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'sqlite_autoindex_jobs_1'").fetchone()
    (page,) = db.execute("PRAGMA page_size").fetchone()
    assert db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    db.close()
    with open(path, "r+b") as handle:
        handle.seek((root - 1) * page)
        handle.write(bytes([0x0A, 0, 0, 0, 0]) + struct.pack(">H", page) + b"\0")  # an empty index leaf


def test_doctor_runs_sqlite_integrity_check_and_publishing_refuses_a_corrupt_index(cli, ready: Path) -> None:
    assert states(cli(ready, "publish", SLUG, "--channel", "outbox", "--json")) == ["sent"]
    empty_the_unique_index(ready / STORE)
    doctor = cli(ready, "doctor")
    assert doctor.exit_code == 1
    assert "✗ state store" in doctor.stderr and "sqlite_autoindex_jobs_1" in doctor.stderr
    result = cli(ready, "publish", SLUG, "--channel", "outbox")
    assert result.exit_code == 2 and "queue.sqlite3" in result.stderr and "damaged" in result.stderr
    store = Store(ready / STORE)
    assert len(store.jobs()) == 1  # no second job with the same idempotency key
    store.close()


def test_doctor_reports_a_store_behind_the_audit_log(cli, ready: Path) -> None:
    assert states(cli(ready, "publish", SLUG, "--channel", "outbox", "--json")) == ["sent"]
    assert "✓ state store" in cli(ready, "doctor").stdout
    remove_store(ready)
    doctor = cli(ready, "doctor")
    assert doctor.exit_code == 1
    assert "✗ state store" in doctor.stderr and "mediactl state rebuild" in doctor.stderr
