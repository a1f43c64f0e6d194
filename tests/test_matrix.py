"""Issue 13's proof: the whole example library published to every platform of its configuration, all at the sandbox.

`mediactl init`'s library (four items) goes to the example configuration's channels (one account per platform;
WeCom's two modes, push and moments, are two channels), every one pointed at the sandbox by MEDIACTL_SANDBOX_URL.
The OAuth channels are authorised the real way (`mediactl auth`), the items checked, reviewed and approved with the
demo keys, then published with `--at` in the past so no schedule holds anything back. What a person must finish is
finished as a person would: WeCom staff confirm in the sandbox, hand-off bundles are resolved with their URL. Then
`queue ls --json` must show every job in its final state, no post reached a platform twice, and a further
`publish --due` sends nothing.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from exampleflow import approve_library
from mediactl.sandbox import Sandbox

HANDOFF_CHANNELS = ("bank-xhs", "bank-toutiao", "bank-channels")
WECOM_CHANNELS = ("bank-wecom", "bank-moments")
PAST = "2020-01-01T00:00"

# The final state of every (channel, item) job. Hand-off and WeCom jobs are `sent` only after a person's step.
FINAL = {
    ("outbox", "anti-fraud-2026"): "sent",
    ("bank-wechat", "anti-fraud-2026"): "sent",
    ("bank-weibo", "anti-fraud-2026"): "sent",
    ("bank-xhs", "anti-fraud-2026"): "sent",  # hand-off: resolved
    ("bank-toutiao", "anti-fraud-2026"): "sent",  # hand-off: resolved
    ("website", "anti-fraud-2026"): "sent",
    ("outbox", "credit-card-cashback"): "sent",
    ("bank-xhs", "credit-card-cashback"): "sent",  # hand-off: resolved
    ("bank-weibo", "credit-card-cashback"): "sent",
    ("bank-moments", "credit-card-cashback"): "sent",  # WeCom: staff confirmed
    ("outbox", "spring-festival-greeting"): "sent",
    ("bank-douyin", "spring-festival-greeting"): "sent",
    ("bank-channels", "spring-festival-greeting"): "sent",  # hand-off: resolved
    ("bank-kuaishou", "spring-festival-greeting"): "sent",
    ("bank-bilibili", "spring-festival-greeting"): "sent",
    ("bank-moments", "spring-festival-greeting"): "sent",  # WeCom: staff confirmed
    ("outbox", "wealth-steady-plus"): "sent",
    ("bank-wecom", "wealth-steady-plus"): "sent",  # WeCom: staff confirmed
    ("website", "wealth-steady-plus"): "sent",
}
# The jobs whose platform answers with the post as it shows it: read back and compared with the approved variant.
READ_BACK = {
    ("bank-wechat", "anti-fraud-2026"),
    ("bank-weibo", "anti-fraud-2026"),
    ("bank-weibo", "credit-card-cashback"),
    ("bank-douyin", "spring-festival-greeting"),
    ("bank-kuaishou", "spring-festival-greeting"),
    ("bank-bilibili", "spring-festival-greeting"),
}
# Variants the gate refuses, and why: 公众号 sends once a day (its facts file), and all three articles are asked
# for at the same past moment, so only the first goes. No item names a channel that does not take its kind.
REFUSED = {
    ("bank-wechat", "credit-card-cashback"): "cap: bank-wechat allows 1 per day",
    ("bank-wechat", "wealth-steady-plus"): "cap: bank-wechat allows 1 per day",
}


pytestmark = pytest.mark.sandbox(publish_polls=0)


@pytest.fixture
def approved(cli, example: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Path:
    return approve_library(cli, example, sandbox, monkeypatch)


def json_of(cli, root: Path, *args: str) -> Any:
    return json.loads(cli(root, *args, "--json").stdout)


def jobs(cli, root: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """`queue ls --json`, by (channel, item): one job each (the idempotency key makes it so)."""
    listed = json_of(cli, root, "queue", "ls")
    by_key = {(job["channel"], job["item"]): job for job in listed}
    assert len(by_key) == len(listed), "two jobs for one channel and item"
    return by_key


def confirm_all_staff(sandbox: Sandbox, remote_id: str) -> None:
    """Every staff member of the sandbox corp confirms the WeCom task in their client."""
    with httpx.Client(base_url=sandbox.url, timeout=5, trust_env=False) as client:
        answer = client.post("/_sandbox/wecom/confirm", json={"id": remote_id, "staff": 3})
    assert answer.status_code == 200, answer.text


def test_the_example_library_reaches_every_platform_in_its_final_state(cli, approved: Path, sandbox: Sandbox) -> None:
    root = approved
    outcomes = json_of(cli, root, "publish", "--at", PAST)
    refused = {(o["channel"], o["item"]): o["detail"] for o in outcomes if o["state"] == "refused"}
    assert refused.keys() == REFUSED.keys(), outcomes
    for key, reason in REFUSED.items():
        assert reason in refused[key]

    queued = jobs(cli, root)
    assert queued.keys() == FINAL.keys()
    waiting = {key for key, job in queued.items() if job["state"] == "awaiting-confirmation"}
    assert waiting == {key for key in FINAL if key[0] in HANDOFF_CHANNELS + WECOM_CHANNELS}
    assert all(job["state"] == "sent" for key, job in queued.items() if key not in waiting), queued

    for key in sorted(waiting):
        if key[0] in WECOM_CHANNELS:
            confirm_all_staff(sandbox, queued[key]["remote_id"])
    settled = json_of(cli, root, "publish", "--due")  # syncs WeCom tasks awaiting confirmation
    assert {(o["channel"], o["item"]): o["state"] for o in settled} == {
        key: "sent" for key in waiting if key[0] in WECOM_CHANNELS
    }
    still_waiting = {key for key, job in jobs(cli, root).items() if job["state"] == "awaiting-confirmation"}
    assert still_waiting == {key for key in waiting if key[0] in HANDOFF_CHANNELS}
    for channel, item in sorted(still_waiting):  # an operator posted the bundle in the app
        job = queued[(channel, item)]["id"]
        result = cli(root, "queue", "resolve", str(job), "--sent", f"https://example.invalid/{channel}/{item}")
        assert result.exit_code == 0, result.output

    final = jobs(cli, root)
    assert {key: job["state"] for key, job in final.items()} == FINAL
    for channel, item in still_waiting:
        assert final[(channel, item)]["remote_url"] == f"https://example.invalid/{channel}/{item}"

    posts = sandbox.posts()
    assert not [post for post in posts if post["duplicate"]]
    repeated = [key for key, n in Counter((p["path"], p["idempotency_key"]) for p in posts).items() if n > 1]
    assert repeated == []
    delivered_keys = {post["idempotency_key"] for post in posts}
    at_sandbox = {job["idempotency_key"] for key, job in final.items() if key[0] not in ("outbox", "website")}
    assert at_sandbox <= {k.removesuffix(":notify") for k in delivered_keys}

    assert json_of(cli, root, "publish", "--due") == []
    assert len(sandbox.posts()) == len(posts)

    # Every platform that shows a post back showed it as approved: WeChat's body with its own image addresses,
    # Weibo's status with t.cn links, the video platforms' captions and titles (publish/drift.py).
    records = [json.loads(line) for line in (root / ".mediactl/audit.jsonl").read_text("utf-8").splitlines()]
    read_back = {(r["channel"], r["item"]): r.get("read_back") for r in records if r["action"] == "delivery.sent"}
    assert {key for key, found in read_back.items() if found} == READ_BACK
    assert set(read_back[key] for key in READ_BACK) == {"matches"}
