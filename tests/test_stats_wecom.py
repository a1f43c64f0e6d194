"""WeCom 1-to-1 push numbers against the sandbox over real HTTP: delivered, not a friend and already received (another
team's push reached some customers first) summed over the staff, and the clicks on the push's tracked link from the
bank's link tracker (`channels.<c>.link_tracker`), with the click-through in `mediactl stats`."""

# ruff: noqa: F811
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from mediactl.sandbox import Sandbox

# The WeCom tests' project fixtures (the example, its WeCom items approved), shared rather than copied: pytest finds
# fixtures by the names imported here, which the tests then take as arguments (hence F811). The sandbox is conftest's,
# with the WeCom tests' options.
from test_wecom import PUSH, approved, confirm, job, project, publish, run, sync  # noqa: F401

pytestmark = pytest.mark.sandbox(publish_polls=1)

TAGS = ("etAAAAsenior", "etAAAApayroll", "etAAAAyoung", "etAAAAwealth", "etAAAAprivate")  # the example's segments
TOKEN = "link-tracker-token-value"


def with_tracker(root: Path, sandbox: Sandbox, token: str = "${BANK_LINK_TRACKER_TOKEN}") -> None:
    config = root / "mediactl.yaml"
    text = config.read_text("utf-8")
    tracker = f"    link_tracker: {{url: '{sandbox.url}/linktracker/api/clicks', token: '{token}'}}\n"
    config.write_text(text.replace("  bank-wecom:\n    platform: wecom\n", f"  bank-wecom:\n    platform: wecom\n{tracker}"),
                      "utf-8")  # fmt: skip


def pull(root: Path) -> dict[str, Any]:
    result = run(root, "stats", "pull", "--channel", PUSH, "--json")
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.stdout)
    return entry


def sent_push(root: Path, sandbox: Sandbox) -> str:
    """The push published, some customers reached by another team's push first, every staff member confirmed."""
    publish(root)
    msgid = job(root)["remote_id"]
    with httpx.Client(base_url=sandbox.url, trust_env=False) as client:
        answer = client.post(
            "/_sandbox/wecom/received", json={"corp": "ww-bank", "customers": [f"wm-{t}-0" for t in TAGS]}
        )
        assert answer.status_code == 200
    confirm(sandbox, msgid)
    (done,) = sync(root)
    assert done["state"] == "sent", done
    return msgid


def test_delivered_not_a_friend_and_already_received_are_summed(project: Path, sandbox: Sandbox) -> None:
    sent_push(project, sandbox)
    entry = pull(project)
    assert entry["found"] == "kept", entry
    counters = entry["counters"]
    assert counters["already_received"] > 0 and counters["delivered"] > 0 and counters["failed_not_friend"] > 0
    assert counters["not_sent"] == 0 and "clicks" not in counters  # no link tracker on this channel
    totals = job(project)["confirmation"]["total"]
    assert (totals["sent"], totals["not_friend"], totals["already_received"]) == (
        counters["delivered"], counters["failed_not_friend"], counters["already_received"])  # fmt: skip


def test_clicks_on_the_tracked_link_come_from_the_link_tracker(
    project: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_tracker(project, sandbox)
    monkeypatch.setenv("BANK_LINK_TRACKER_TOKEN", TOKEN)
    sent_push(project, sandbox)
    link = job(project)["confirmation"]["link"]
    assert "utm_source=wecom" in link  # the link the variant carries, with the channel's tracking parameters
    first = pull(project)
    sandbox.advance_clock(86_400)
    second = pull(project)
    assert second["counters"]["clicks"] > first["counters"]["clicks"] >= 0
    assert len([c for c in sandbox.calls() if c["path"] == "/linktracker/api/clicks"]) == 2  # once per pull
    table = json.loads(run(project, "stats", "--json").stdout)
    (row,) = table["rows"]
    assert row["click_through"] == round(row["clicks"] / row["delivered"], 4)
    assert "click_through" in run(project, "stats", "--csv").stdout.splitlines()[0]
    assert TOKEN not in (project / ".mediactl/audit.jsonl").read_text("utf-8")


def test_a_refused_tracker_token_fails_the_pull(
    project: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_tracker(project, sandbox)
    monkeypatch.setenv("BANK_LINK_TRACKER_TOKEN", "wrong")
    sent_push(project, sandbox)
    result = run(project, "stats", "pull", "--channel", PUSH, "--json")
    (entry,) = json.loads(result.stdout)
    assert result.exit_code == 1 and entry["found"] == "failed" and "401" in entry["detail"], entry


def test_a_tracker_token_written_in_the_file_is_a_config_error(project: Path, sandbox: Sandbox) -> None:
    with_tracker(project, sandbox, token="s3cr3t-token")
    result = run(project, "stats")
    assert result.exit_code == 2
    assert "mediactl.yaml:" in result.stderr and "link_tracker.token" in result.stderr, result.stderr
    assert "s3cr3t-token" not in result.stderr


def test_an_unknown_tracker_key_is_named_as_every_unknown_key_is(project: Path, sandbox: Sandbox) -> None:
    config = project / "mediactl.yaml"
    text = config.read_text("utf-8")
    config.write_text(text.replace("  bank-wecom:\n    platform: wecom\n",
                                   "  bank-wecom:\n    platform: wecom\n    link_tracker: {url: 'https://t.bank.example/c', tokn: x}\n"),
                      "utf-8")  # fmt: skip
    result = run(project, "stats")
    assert "mediactl.yaml:" in result.stderr and "channels.bank-wecom.link_tracker.tokn" in result.stderr
    assert "did you mean 'token'" in result.stderr  # a warning, as for any unknown key (the project's rule)
