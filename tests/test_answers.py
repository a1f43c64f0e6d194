"""An answer that is not the platform's JSON (a proxy's error page, a cut body) is classified by one rule.

After a safe step nothing was done: Transient, retried. After the step that publishes, the post may exist: Unknown,
never re-sent blindly. The sandbox's "garbled" fault makes the publishing step happen and answers with an nginx page
instead, as a proxy in between does.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from exampleflow import approve_library
from mediactl.publish.adapters.base import Transient, Unknown
from mediactl.publish.adapters.http import json_object
from mediactl.sandbox import Sandbox

PAST = "2020-01-01T00:00"


@pytest.mark.parametrize("body", [b"<html>502 Bad Gateway</html>", b'["a list"]', b'{"cut": '])
def test_an_answer_that_is_not_a_json_object_is_transient_after_a_safe_step_and_unknown_after_a_mutating_one(
    body: bytes,
) -> None:
    response = httpx.Response(200, content=body, request=httpx.Request("POST", "https://api.example/x"))
    with pytest.raises(Transient) as safe:
        json_object(response, step="media/upload", mutating=False, who="WeCom")
    assert type(
        safe.value
    ) is Transient and "media/upload: WeCom answered with something that is not a JSON object" in (safe.value.message)
    with pytest.raises(Unknown) as mutating:
        json_object(response, step="add_msg_template", mutating=True, who="WeCom")
    assert "the post may exist" in mutating.value.message
    ok = httpx.Response(200, json={"errcode": 0}, request=response.request)
    assert json_object(ok, step="x", mutating=True, who="WeCom") == {"errcode": 0}


pytestmark = pytest.mark.sandbox(publish_polls=0)


@pytest.mark.parametrize(
    ("channel", "item", "path"),
    [
        ("bank-wechat", "anti-fraud-2026", "/wechat_oa/cgi-bin/freepublish/submit"),
        ("bank-weibo", "anti-fraud-2026", "/weibo/2/statuses/share.json"),
        ("bank-wecom", "wealth-steady-plus", "/wecom/cgi-bin/externalcontact/add_msg_template"),
        ("bank-douyin", "spring-festival-greeting", "/douyin/video/create/"),
        ("bank-kuaishou", "spring-festival-greeting", "/kuaishou/openapi/photo/publish"),
        ("bank-bilibili", "spring-festival-greeting", "/bilibili/arcopen/fn/archive/add-by-utoken"),
    ],
)
def test_a_garbled_answer_to_the_publishing_step_leaves_the_job_unknown_and_never_sends_twice(
    cli, example: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, channel: str, item: str, path: str
) -> None:
    root = approve_library(cli, example, sandbox, monkeypatch)
    sandbox.add_fault("garbled")
    result = cli(root, "publish", item, "--channel", channel, "--at", PAST, "--json")
    (outcome,) = json.loads(result.stdout)
    assert outcome["state"] == "unknown", outcome
    assert "not a JSON object" in outcome["detail"] and "may exist" in outcome["detail"]
    assert sandbox.pending_faults == []
    made = [p for p in sandbox.posts() if p["path"] == path]
    assert len(made) == 1  # the platform did publish

    again = cli(root, "publish", "--due", "--json")
    assert [p for p in sandbox.posts() if p["path"] == path] == made, again.output  # never re-sent blindly
