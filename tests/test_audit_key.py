"""A keyed and anchored audit log (issue 12): rewriting it with fresh hashes, or cutting its tail, is caught."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from conftest import rehash_without_key
from mediactl.publish import audit

LOG = ".mediactl/audit.jsonl"
KEY = "team-audit-key-0f3c9a"


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(audit.KEY_ENV, KEY)
    yield
    audit.use_key(None)


def lines(root: Path) -> list[dict]:
    return [json.loads(line) for line in (root / LOG).read_text("utf-8").splitlines()]


def rewrite(root: Path, records: list[dict]) -> None:
    (root / LOG).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")


def test_records_are_authenticated_with_the_key(cli, example: Path, keyed) -> None:
    assert cli(example, "pause", "--reason", "演练").exit_code == 0
    assert cli(example, "resume").exit_code == 0
    assert all(r.get("mac") == audit.KEYED for r in lines(example))
    result = cli(example, "log", "verify")
    assert result.exit_code == 0 and "authenticated with MEDIACTL_AUDIT_KEY" in result.stdout
    assert KEY not in (example / LOG).read_text("utf-8")


def test_a_log_rewritten_with_fresh_hashes_is_caught(cli, example: Path, keyed) -> None:
    for reason in ("演练一", "演练二", "演练三"):
        assert cli(example, "pause", "--reason", reason).exit_code == 0
    records = lines(example)
    records[1]["reason"] = "改过的原因"
    rewrite(example, rehash_without_key(records))
    result = cli(example, "log", "verify")
    assert result.exit_code == 1 and "line 1" in result.stderr and "not authenticated" in result.stderr


def test_an_unkeyed_tail_after_keyed_records_is_forged(cli, example: Path, keyed) -> None:
    for reason in ("一", "二", "三"):
        assert cli(example, "pause", "--reason", f"演练{reason}").exit_code == 0
    records = lines(example)
    tail = rehash_without_key([dict(r) for r in records[1:]])
    tail[0]["prev"] = records[0]["hash"]
    rewrite(example, [records[0], *rehash_chain(tail, records[0]["hash"])])
    result = cli(example, "log", "verify")
    assert result.exit_code == 1 and "line 2" in result.stderr and "not authenticated" in result.stderr


def rehash_chain(records: list[dict], previous: str) -> list[dict]:
    for record in records:
        record["prev"] = previous
        body = {k: v for k, v in record.items() if k != "hash"}
        data = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
        record["hash"] = previous = hashlib.sha256(data).hexdigest()
    return records


def test_a_keyed_log_cannot_be_verified_without_the_key(cli, example: Path, keyed, monkeypatch) -> None:
    assert cli(example, "pause", "--reason", "演练").exit_code == 0
    monkeypatch.delenv(audit.KEY_ENV)
    audit.use_key(None)
    result = cli(example, "log", "verify")
    assert result.exit_code == 2 and "MEDIACTL_AUDIT_KEY, which is not set" in result.stderr


def test_a_log_cut_short_before_its_anchor_is_caught(cli, example: Path) -> None:
    for reason in ("一", "二", "三"):
        assert cli(example, "pause", "--reason", f"演练{reason}").exit_code == 0
    anchored = cli(example, "log", "anchor")
    assert anchored.exit_code == 0 and (example / audit.ANCHOR_FILE).is_file()
    records = lines(example)
    rewrite(example, records[:-1])  # the tail cut off: the chain itself is still whole
    result = cli(example, "log", "verify")
    assert result.exit_code == 1 and "ends before the anchored record 3" in result.stderr
    rewrite(example, records)
    assert cli(example, "log", "verify").exit_code == 0


def test_an_emptied_log_beside_a_store_that_sent_is_caught(cli, ready: Path) -> None:
    """The chain of an empty log is intact; the store still records a delivery the log no longer does."""
    assert cli(ready, "publish", "anti-fraud-2026", "--channel", "outbox").exit_code == 0
    assert cli(ready, "log", "verify").exit_code == 0
    (ready / LOG).write_text("", "utf-8")
    result = cli(ready, "log", "verify")
    assert result.exit_code == 1
    assert "the state store records what the log does not" in result.stderr and "never queued it" in result.stderr
