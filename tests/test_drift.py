"""Drift: a post the platform shows differently from the approved variant is reported, not taken as a plain success.

Each platform that answers with the post as it shows it (WeChat's freepublish/getarticle, Weibo's share answer,
Douyin's video/data, Kuaishou's photo/info, Bilibili's archive/view) is published to at the sandbox with its
"drift" fault queued: the sandbox then shows the post with words added, as a review or a colleague in the console
might. The run must still record the post as sent (it is out), keep the difference on the job and in the audit
record, and exit 1 so a person looks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import audit_records
from exampleflow import approve_library
from mediactl.config.model import Channel
from mediactl.publish import drift
from mediactl.publish.adapters import wechat_oa
from mediactl.publish.adapters.base import Receipt, Variant
from mediactl.sandbox import Sandbox, SandboxOptions
from mediactl.sandbox.core import EDITED

PAST = "2020-01-01T00:00"


pytestmark = pytest.mark.sandbox(publish_polls=0)


@pytest.fixture
def approved(cli, example: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Path:
    return approve_library(cli, example, sandbox, monkeypatch)


def queued(cli, root: Path, channel: str) -> dict[str, Any]:
    (job,) = [j for j in json.loads(cli(root, "queue", "ls", "--json").stdout) if j["channel"] == channel]
    return job


@pytest.mark.parametrize(
    ("channel", "item", "field"),
    [
        ("bank-wechat", "anti-fraud-2026", "title"),
        ("bank-weibo", "anti-fraud-2026", "status"),
        ("bank-douyin", "spring-festival-greeting", "text"),
        ("bank-kuaishou", "spring-festival-greeting", "caption"),
        ("bank-bilibili", "spring-festival-greeting", "title"),
    ],
)
def test_a_post_the_platform_shows_changed_is_sent_with_its_drift_reported(
    cli, approved: Path, sandbox: Sandbox, channel: str, item: str, field: str
) -> None:
    sandbox.add_fault("drift")
    result = cli(approved, "publish", item, "--channel", channel, "--at", PAST, "--json")

    assert result.exit_code == 1, result.output  # a person must look
    assert sandbox.pending_faults == []  # the sandbox did edit the post
    (outcome,) = json.loads(result.stdout)
    assert outcome["state"] == "sent" and outcome["attention"]
    assert "drift" in outcome["detail"] and f"{field} at character" in outcome["detail"]
    assert EDITED in outcome["detail"] and "mediactl recall" in outcome["detail"]

    (record,) = audit_records(approved, "delivery.sent")
    assert record["read_back"] == "drift"
    (difference,) = record["drift"]
    assert difference["field"] == field and EDITED in difference["live"] and EDITED not in difference["approved"]
    job = queued(cli, approved, channel)
    assert job["state"] == "sent" and "drift" in job["error"]

    posts = len(sandbox.posts())
    again = cli(approved, "publish", item, "--channel", channel, "--at", PAST, "--json")
    assert [o["state"] for o in json.loads(again.stdout)] != ["sent"], again.output  # drift never re-sends
    assert len(sandbox.posts()) == posts


def test_a_post_shown_as_approved_is_sent_quietly(cli, approved: Path, sandbox: Sandbox) -> None:
    result = cli(approved, "publish", "anti-fraud-2026", "--channel", "bank-weibo", "--at", PAST, "--json")
    assert result.exit_code == 0, result.output
    (record,) = audit_records(approved, "delivery.sent")
    assert record["read_back"] == "matches" and "drift" not in record


def test_drift_found_when_a_later_run_settles_the_publish(cli, example: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """WeChat still publishing when the run's polls end: the job is `unknown` with its publish_id; the next run asks,
    finds it published, reads it back, and reports the drift then."""
    with Sandbox(SandboxOptions(publish_polls=1)) as slow:
        root = approve_library(cli, example, slow, monkeypatch)
        monkeypatch.setattr(wechat_oa, "POLLS", 1)
        slow.add_fault("drift")
        first = cli(root, "publish", "anti-fraud-2026", "--channel", "bank-wechat", "--at", PAST, "--json")
        assert [o["state"] for o in json.loads(first.stdout)] == ["unknown"]

        later = cli(root, "publish", "--due", "--json")
        (settled,) = json.loads(later.stdout)
        assert settled["state"] == "sent" and settled["attention"] and "title at character" in settled["detail"]
        assert later.exit_code == 1
        (record,) = audit_records(root, "delivery.sent")
        assert record["read_back"] == "drift" and record["drift"][0]["field"] == "title"


def test_drift_reads_sent_posts_back_later_and_says_which_platforms_cannot_show_them(
    cli, approved: Path, sandbox: Sandbox
) -> None:
    for channel in ("bank-douyin", "bank-kuaishou"):
        result = cli(approved, "publish", "spring-festival-greeting", "--channel", channel, "--at", PAST)
        assert result.exit_code == 0, result.output
    sandbox.add_fault("drift")  # the Bilibili post is shown edited
    cli(approved, "publish", "spring-festival-greeting", "--channel", "bank-bilibili", "--at", PAST)
    assert cli(approved, "publish", "anti-fraud-2026", "--channel", "bank-weibo", "--at", PAST).exit_code == 0
    asked = len(sandbox.posts())

    result = cli(approved, "drift", "--json")
    assert result.exit_code == 1, result.output
    found = {entry["channel"]: entry for entry in json.loads(result.stdout)}
    assert {c: e["found"] for c, e in found.items()} == {
        "bank-douyin": "matches", "bank-kuaishou": "matches", "bank-bilibili": "drift", "bank-weibo": "unreadable",
    }  # fmt: skip
    assert found["bank-bilibili"]["drift"][0]["field"] == "title" and EDITED in found["bank-bilibili"]["detail"]
    assert "cannot show this post back" in found["bank-weibo"]["detail"]
    (record,) = audit_records(approved, "drift.found")
    assert record["channel"] == "bank-bilibili" and record["drift"][0]["field"] == "title"
    assert len(sandbox.posts()) == asked  # reading back sends nothing

    only = cli(approved, "drift", "spring-festival-greeting", "--channel", "bank-douyin")
    assert only.exit_code == 0 and "matches" in only.output
    nothing = cli(approved, "drift", "wealth-steady-plus")
    assert nothing.exit_code == 2 and "no sent post of wealth-steady-plus" in nothing.output
    unknown = cli(approved, "drift", "--channel", "bank-nowhere")
    assert unknown.exit_code == 2 and "bank-nowhere" in unknown.output


# ---- the comparison itself ----------------------------------------------------------------------------


def variant(platform: str, texts: dict[str, str], files: dict[str, str] | None = None) -> Variant:
    channel = Channel(name=f"bank-{platform}", platform=platform)
    files = files or {name: f"{name}.txt" for name in texts}
    return Variant(channel, "item", "0" * 64, {"texts": texts, "files": files}, lambda sha, what: b"")


def test_html_is_compared_as_the_text_a_reader_sees() -> None:
    approved = variant("wechat_oa", {"content": '<p>谨防<strong>电信诈骗</strong></p>\n<p><img src="a.png">请勿转账。</p>'},
                       {"content": "content.html"})  # fmt: skip
    rewritten = '<section><p style="margin:0">谨防<b>电信诈骗</b></p><p><img data-src="https://mmbiz/1">请勿转账。</p></section>'
    assert drift.differences(approved, {"content": rewritten}) == []
    (found,) = drift.differences(approved, {"content": rewritten.replace("请勿转账", "请尽快转账")})
    assert found.field == "content" and "请勿" in found.approved and "请尽快" in found.live


def test_links_compare_equal_only_where_the_platform_shortens_them() -> None:
    text = "守护钱袋子，详见 https://www.example-bank.cn/anti-fraud 。"
    shortened = text.replace("https://www.example-bank.cn/anti-fraud", "http://t.cn/A6abcde")
    assert drift.differences(variant("weibo", {"status": text}), {"status": shortened}) == []
    (found,) = drift.differences(variant("douyin", {"text": text}), {"text": shortened})
    assert found.field == "text"


def test_white_space_does_not_count_but_punctuation_does() -> None:
    approved = variant("douyin", {"text": "新春快乐，\n  福满人间！#春节"})
    assert drift.differences(approved, {"text": "新春快乐， 福满人间！#春节"}) == []
    (found,) = drift.differences(approved, {"text": "新春快乐, 福满人间!#春节"})  # full-width turned half-width
    assert found.at == 4 and found.approved.startswith("新春快乐，") and found.live.startswith("新春快乐,")


def test_only_fields_the_variant_has_are_compared_and_a_cut_text_is_found() -> None:
    approved = variant("bilibili", {"title": "守护养老钱", "desc": "一" * 60})
    assert drift.differences(approved, {"title": "守护养老钱", "share_url": "x"}) == []
    (found,) = drift.differences(approved, {"desc": "一" * 30})
    assert found.at == 30 and found.live.endswith("一") and found.approved.endswith("…")


def test_a_receipt_without_live_texts_is_left_as_it_is() -> None:
    approved = variant("douyin", {"text": "新春快乐"})
    receipt = Receipt("sent", "1")
    assert drift.checked(approved, receipt) == (receipt, {})
    waiting = Receipt("awaiting-confirmation", "1", live={"text": "别的"})
    assert drift.checked(approved, waiting) == (waiting, {})
    changed, record = drift.checked(approved, Receipt("sent", "1", note="reviewed", live={"text": "新春快乐！"}))
    assert changed.attention and changed.note.startswith("reviewed; the live post differs")
    assert record["read_back"] == "drift" and record["drift"][0]["field"] == "text"
