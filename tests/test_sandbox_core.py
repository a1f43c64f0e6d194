"""The sandbox's platform-neutral core: one prefix per platform, one registration table, tokens, marks."""

from __future__ import annotations

from typing import ClassVar

import httpx
import pytest

from mediactl.publish.adapters.http import HttpAdapter
from mediactl.sandbox import Sandbox, SandboxOptions
from mediactl.sandbox.core import Core, Ctx, Platform, Reply, Request, Route
from mediactl.sandbox.platforms import PLATFORMS


def test_each_platform_is_served_under_its_own_prefix_only(client: httpx.Client, sandbox: Sandbox) -> None:
    params = {"grant_type": "client_credential", "appid": "wx", "secret": "s"}
    assert client.get("/wechat_oa/cgi-bin/token", params=params).status_code == 200
    unprefixed = client.get("/cgi-bin/token", params=params)  # a real path without its platform: no platform's
    assert unprefixed.status_code == 404 and "unknown path" in unprefixed.json()["errmsg"]
    assert sandbox.base("wechat_oa") == f"{sandbox.url}/wechat_oa"
    with pytest.raises(ValueError, match="no platform 'nope'"):
        sandbox.base("nope")
    listed = client.get("/_sandbox/platforms").json()
    assert set(listed) == {cls.name for cls in PLATFORMS}
    assert "POST /wechat_oa/cgi-bin/draft/add" in listed["wechat_oa"] and "POST /webhook/{name}" in listed["webhook"]


def test_every_answer_carries_the_sandbox_mark(client: httpx.Client) -> None:
    for response in (client.get("/wechat_oa/cgi-bin/token"), client.post("/webhook/a", json={}), client.get("/x")):
        assert response.headers["X-Mediactl-Sandbox"] == "1"


class _Colliding(Platform):
    """A second platform whose real paths are WeChat's (as WeCom's are): it must not meet WeChat's routes."""

    name = "twin"
    routes: ClassVar[tuple[Route, ...]] = (Route("GET", "/cgi-bin/token", "token", needs_token=False),)

    def error(self, req: Request, code: int, message: str, status: int = 200) -> Reply:
        return Reply(status, {"code": code, "msg": message})

    def token(self, req: Request, ctx: Ctx) -> Reply:
        return Reply(200, {"twin": True})


def test_platforms_with_colliding_real_paths_do_not_meet() -> None:
    core = Core(SandboxOptions(), (*PLATFORMS, _Colliding))
    twin = core.handle(Request("GET", "/twin/cgi-bin/token", {}, {}))
    wechat = core.handle(
        Request("GET", "/wechat_oa/cgi-bin/token", {"grant_type": "client_credential", "appid": "a", "secret": "s"}, {})
    )
    assert twin.body == {"twin": True} and "access_token" in wechat.body
    assert core.handle(Request("POST", "/twin/cgi-bin/token", {}, {})).body == {
        "code": -1,
        "msg": "POST not allowed on /twin/cgi-bin/token",
    }
    with pytest.raises(ValueError, match="invalid or taken"):
        Core(SandboxOptions(), (*PLATFORMS, _Colliding, _Colliding))


def test_tokens_are_issued_per_platform_and_checked_by_the_core(client: httpx.Client, sandbox: Sandbox) -> None:
    token = sandbox.issue_token("wechat_oa", "wx-1", ttl=60)
    answer = client.post("/wechat_oa/cgi-bin/freepublish/get", params={"access_token": token}, json={"publish_id": "1"})
    assert answer.json()["errcode"] == 40007  # the token was accepted: the publish_id is what is unknown
    assert client.post("/weibo/2/statuses/share.json", data={"access_token": token}).json()["error_code"] == 21332
    # No token is handed out over HTTP: an OAuth platform's come from its own endpoints (mediactl auth)
    assert client.post("/_sandbox/tokens", json={"platform": "wechat_oa", "account": "a"}).status_code == 404


class _Plain(HttpAdapter):
    platform = "webhook"


def test_the_audit_mark_comes_from_the_sandbox_only(monkeypatch) -> None:
    """A channel is marked `sandbox: true` once an answer carried the sandbox's header, or MEDIACTL_SANDBOX_URL is set."""
    monkeypatch.delenv("MEDIACTL_SANDBOX_URL", raising=False)
    adapter = _Plain.__new__(_Plain)
    HttpAdapter.__init__(adapter, _FakeChannel(), None, client=httpx.Client(transport=httpx.MockTransport(_answer)))  # type: ignore[arg-type]
    adapter.send("GET", "http://127.0.0.1:9/real", step="real", mutating=False)
    assert adapter.audit_fields() == {}  # a platform's answer: no mark
    adapter.send("GET", "http://127.0.0.1:9/sandboxed", step="sandbox", mutating=False)
    assert adapter.audit_fields() == {"sandbox": True}
    fresh = _Plain.__new__(_Plain)
    HttpAdapter.__init__(fresh, _FakeChannel(), None, client=httpx.Client(transport=httpx.MockTransport(_answer)))  # type: ignore[arg-type]
    monkeypatch.setenv("MEDIACTL_SANDBOX_URL", "http://127.0.0.1:9")
    assert fresh.audit_fields() == {"sandbox": True} and fresh.api_base() == "http://127.0.0.1:9/webhook"


class _FakeChannel:
    name = "plain"
    platform = "webhook"
    base_url = "http://127.0.0.1:9"
    credentials: ClassVar[dict[str, str]] = {}


def _answer(request: httpx.Request) -> httpx.Response:
    headers = {"X-Mediactl-Sandbox": "1"} if request.url.path == "/sandboxed" else {}
    return httpx.Response(200, json={}, headers=headers)
