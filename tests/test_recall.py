"""`mediactl recall`: what was sent is withdrawn where the platform allows, queued jobs are cancelled, and
every channel that cannot be withdrawn says what a person must do; each step audited, the chain intact."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import SLUG
from mediactl.publish.store import Store

REASON = "产品收益率调整，撤回旧版宣传"


def jobs(root: Path) -> dict[str, str]:
    store = Store(root / ".mediactl/queue.sqlite3")
    try:
        return {job.channel: job.state for job in store.jobs() if job.item == SLUG}
    finally:
        store.close()


def audit_actions(root: Path) -> list[str]:
    lines = (root / ".mediactl/audit.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line)["action"] for line in lines]


def test_a_post_in_the_outbox_is_withdrawn_and_audited(cli, ready: Path) -> None:
    assert cli(ready, "publish", SLUG, "--channel", "outbox").exit_code == 0
    delivered = [p for p in (ready / "outbox/outbox" / SLUG).iterdir()]
    assert len(delivered) == 1 and (delivered[0] / "receipt.json").is_file()
    result = cli(ready, "recall", SLUG, "--channel", "outbox", "--reason", REASON, "--json")
    assert result.exit_code == 0, result.output
    (done,) = json.loads(result.stdout)
    assert done["taken"] == "withdrawn" and done["channel"] == "outbox"
    assert not delivered[0].exists() and not list((ready / "outbox/outbox" / SLUG).iterdir())
    assert jobs(ready)["outbox"] == "recalled"
    assert "recall.withdrawn" in audit_actions(ready)
    assert cli(ready, "log", "verify").exit_code == 0
    again = json.loads(cli(ready, "recall", SLUG, "--channel", "outbox", "--reason", REASON, "--json").stdout)
    assert [d["taken"] for d in again] == ["nothing"]  # it is not out there any more
    republished = cli(ready, "publish", SLUG, "--channel", "outbox", "--json")
    assert republished.exit_code == 0, republished.output  # not a failure: what was recalled stays recalled
    (outcome,) = json.loads(republished.stdout)
    assert outcome["state"] == "recalled" and "change it and approve it again" in outcome["detail"]
    assert not list((ready / "outbox/outbox" / SLUG).iterdir())  # nothing was sent again


def test_a_job_not_yet_sent_is_cancelled(cli, ready: Path) -> None:
    assert cli(ready, "publish", SLUG, "--channel", "outbox", "--at", "2099-01-01 09:00").exit_code == 0
    result = cli(ready, "recall", SLUG, "--reason", REASON, "--json")
    assert result.exit_code == 0, result.output
    assert [d["taken"] for d in json.loads(result.stdout)] == ["cancelled"]
    assert jobs(ready)["outbox"] == "cancelled" and "recall.cancelled" in audit_actions(ready)


def test_a_channel_that_cannot_withdraw_says_what_a_person_must_do(cli, ready: Path, monkeypatch) -> None:
    from mediactl.sandbox import Sandbox, SandboxOptions

    index = ready / "content/article" / SLUG / "index.md"
    index.write_text(index.read_text("utf-8").replace("  - outbox\n", "  - outbox\n  - ops-robot\n", 1), "utf-8")
    monkeypatch.setenv("OPS_ROBOT_SECRET", "robot-signing-key-0123")
    with Sandbox(SandboxOptions(seed=1)) as sandbox:
        monkeypatch.setenv("MEDIACTL_SANDBOX_URL", sandbox.url)
        assert cli(ready, "check", SLUG).exit_code == 0
        assert cli(ready, "approve", SLUG, "--as", "wang.min").exit_code == 0
        assert cli(ready, "publish", SLUG, "--channel", "ops-robot").exit_code == 0
        result = cli(ready, "recall", SLUG, "--channel", "ops-robot", "--reason", REASON)
    assert result.exit_code == 1
    assert "ops-robot/anti-fraud-2026" in result.output and "manual" in result.output
    assert "no way to withdraw a post through its API" in result.output
    assert jobs(ready)["ops-robot"] == "sent"  # it is still out there: the state says so
    assert "recall.manual" in audit_actions(ready)


def test_recall_needs_a_reason_a_known_channel_and_something_to_recall(cli, ready: Path) -> None:
    blank = cli(ready, "recall", SLUG, "--reason", "  ")
    assert blank.exit_code == 2 and "needs a reason" in blank.stderr
    unknown = cli(ready, "recall", SLUG, "--channel", "bank-wechat2", "--reason", REASON)
    assert unknown.exit_code == 2 and "bank-wechat2" in unknown.stderr
    nothing = cli(ready, "recall", SLUG, "--reason", REASON)
    assert nothing.exit_code == 2 and "nothing of anti-fraud-2026 was ever queued" in nothing.stderr


def test_a_rebuilt_store_keeps_a_recalled_job_recalled(cli, ready: Path) -> None:
    assert cli(ready, "publish", SLUG, "--channel", "outbox").exit_code == 0
    assert cli(ready, "recall", SLUG, "--reason", REASON).exit_code == 0
    (ready / ".mediactl/queue.sqlite3").unlink()
    rebuilt = cli(ready, "state", "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert jobs(ready)["outbox"] == "recalled"
    assert cli(ready, "log", "verify").exit_code == 0
