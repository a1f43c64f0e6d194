"""The webhook adapter over real HTTP against the project's sandbox: signing, and every outcome class."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest

from mediactl.publish.store import Store

SLUG = "anti-fraud-2026"
SECRET = "robot-signing-key-0123"


pytestmark = pytest.mark.sandbox(seed=1)


@pytest.fixture
def ready(cli, example: Path, monkeypatch, sandbox) -> Path:
    """anti-fraud-2026 also targets the ops-robot webhook, is checked and approved; the sandbox receives."""
    index = example / "content/article" / SLUG / "index.md"
    index.write_text(index.read_text("utf-8").replace("  - outbox\n", "  - outbox\n  - ops-robot\n", 1), "utf-8")
    monkeypatch.setenv("MEDIACTL_SANDBOX_URL", sandbox.url)
    monkeypatch.setenv("OPS_ROBOT_SECRET", SECRET)
    monkeypatch.setenv("MEDIACTL_USER", "li.na")
    assert cli(example, "check", SLUG).exit_code == 0
    monkeypatch.setenv("MEDIACTL_USER", "wang.min")
    assert cli(example, "approve", SLUG).exit_code == 0
    return example


def publish(cli, root: Path, *extra: str) -> list[dict]:
    result = cli(root, "publish", SLUG, "--channel", "ops-robot", "--json", *extra)
    return json.loads(result.stdout)


def test_signed_post_arrives_once(cli, ready: Path, sandbox) -> None:
    assert [o["state"] for o in publish(cli, ready)] == ["sent"]
    assert [o["state"] for o in publish(cli, ready)] == ["already-sent"]
    (post,) = sandbox.posts()
    assert post["path"] == "/webhook/ops-robot" and not post["duplicate"]
    body = json.dumps(post["body"], ensure_ascii=False, sort_keys=True).encode()
    expected = hmac.new(
        SECRET.encode(), post["headers"]["timestamp"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert post["headers"]["signature"] == f"sha256={expected}"
    assert post["idempotency_key"] == post["body"]["idempotency_key"]
    assert post["body"]["texts"]["title"] == "守好钱袋子，谨防电信网络诈骗"


@pytest.mark.parametrize(
    ("fault", "state", "detail"),
    [
        ("500", "unknown", "HTTP 500"),
        ("drop", "unknown", "after the request was sent"),
        ("reject", "failed", "HTTP 422"),
        ("429", "queued", "rate limited (HTTP 429); retry in 1 s"),
    ],
)
def test_outcomes_are_classified(cli, ready: Path, sandbox, fault: str, state: str, detail: str) -> None:
    sandbox.add_fault(fault)
    (outcome,) = publish(cli, ready)
    assert outcome["state"] == state
    assert detail in outcome["detail"]
    assert SECRET not in json.dumps(outcome)


def test_unknown_is_never_resent_automatically(cli, ready: Path, sandbox) -> None:
    sandbox.add_fault("drop")
    assert [o["state"] for o in publish(cli, ready)] == ["unknown"]
    assert json.loads(cli(ready, "publish", "--due", "--json").stdout) == []
    assert len(sandbox.posts()) == 1  # received once (and dropped), never again


def test_connection_refused_is_transient_and_requeued(cli, ready: Path, sandbox, monkeypatch) -> None:
    monkeypatch.setenv("MEDIACTL_SANDBOX_URL", "http://127.0.0.1:9")  # nothing listens there
    (outcome,) = publish(cli, ready)
    assert outcome["state"] == "queued" and "cannot connect" in outcome["detail"]
    store = Store(ready / ".mediactl/queue.sqlite3")
    (job,) = store.jobs()
    assert job.state == "pending" and job.attempts == 1
    store.close()


def test_dry_run_shows_the_request_with_secrets_redacted(cli, ready: Path, sandbox) -> None:
    (outcome,) = publish(cli, ready, "--dry-run")
    assert outcome["state"] == "dry-run"
    (request,) = outcome["requests"]
    assert request["url"] == f"{sandbox.url}/webhook/ops-robot"
    assert request["headers"]["X-Mediactl-Signature"] == "***"
    assert sandbox.posts() == []


def test_a_lost_store_never_sends_the_same_post_again(cli, ready: Path, sandbox) -> None:
    """`rm .mediactl/queue.sqlite3*` then publish: refused until rebuilt from the audit log; then already sent."""
    assert [o["state"] for o in publish(cli, ready)] == ["sent"]
    for path in (ready / ".mediactl").glob("queue.sqlite3*"):
        path.unlink()
    for command in (("approve", SLUG), ("publish", SLUG, "--channel", "ops-robot")):
        refused = cli(ready, *command)
        assert refused.exit_code == 2 and "mediactl state rebuild" in refused.stderr, refused.output
    assert len(sandbox.posts()) == 1
    assert cli(ready, "state", "rebuild").exit_code == 0
    assert [o["state"] for o in publish(cli, ready)] == ["already-sent"]
    (post,) = sandbox.posts()
    assert not post["duplicate"]


def test_an_outcome_the_store_lost_in_a_power_cut_is_taken_from_the_audit_log(cli, ready: Path, sandbox) -> None:
    """Outcomes commit without waiting for the disk; a power cut can take one back while the (fsynced) log holds
    it. The webhook cannot be asked whether a post arrived: the log's record settles the job, nothing is resent."""
    import socket

    assert [o["state"] for o in publish(cli, ready)] == ["sent"]
    store = Store(ready / ".mediactl/queue.sqlite3")
    store.db.execute("UPDATE jobs SET state = 'sending', claimed_by = ? WHERE channel = 'ops-robot'",
                     (f"{socket.gethostname()}:999999999:1",))  # fmt: skip
    store.close()
    result = json.loads(cli(ready, "publish", "--due", "--json").stdout)
    assert [(o["channel"], o["state"]) for o in result] == [("ops-robot", "sent")]
    assert "outcome taken from the audit log" in result[0]["detail"]
    assert len(sandbox.posts()) == 1
