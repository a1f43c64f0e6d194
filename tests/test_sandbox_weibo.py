"""Weibo in the sandbox, checked against Weibo's documentation (not against the adapter), and Weibo's own JSON
examples replayed through the adapter's parser, so adapter and sandbox cannot merely agree with each other.

Sources: platforms.md §3; open.weibo.com/wiki/2/statuses/share, /wiki/Error_code, /wiki/Rate-limiting,
/wiki/C/2/statuses/destroy/biz (stored copies found with the `search` tool, pages corpus).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mediactl.config.model import load_config
from mediactl.publish.adapters.base import Rejected, Transient, Unknown
from mediactl.publish.adapters.http import TokenExpired
from mediactl.publish.adapters.weibo import WeiboAdapter, WeiboError, classify
from mediactl.sandbox import Sandbox, SandboxOptions
from mediactl.sandbox.platforms.weibo import weibo_length
from oauthflow import static_token

SHARE = "/weibo/2/statuses/share.json"
DESTROY = "/weibo/2/statuses/destroy.json"
URL = "https://www.example-bank.cn/a"  # on the sandbox app's safe domain (example-bank.cn)
JPEG = b"\xff\xd8\xff\xe0" + bytes(64)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
GIF = b"GIF89a" + bytes(64)
BMP = b"BM" + bytes(64)


@pytest.fixture
def token(sandbox: Sandbox) -> str:
    return sandbox.issue_token("weibo", "1404376560")


def share(client: httpx.Client, token: str | None, status: str | None = "看看 " + URL, rip: str | None = "211.156.0.1",
          pic: bytes | None = None) -> httpx.Response:  # fmt: skip
    data = {k: v for k, v in {"access_token": token, "status": status, "rip": rip}.items() if v is not None}
    if pic is None:
        return client.post(SHARE, data=data)
    return client.post(SHARE, data=data, files={"pic": ("p.bin", pic, "application/octet-stream")})


def code(response: httpx.Response) -> int:
    body = response.json()
    assert set(body) == {"request", "error_code", "error"}, body  # Weibo's error shape [V] Error_code
    assert body["request"] == response.request.url.path.removeprefix("/weibo")
    return int(body["error_code"])


# ---- statuses/share.json: what the documentation requires ------------------------------------------


CALLBACK = "https://www.example-bank.cn/oauth/callback"


def consent(client: httpx.Client, uid: str = "1404376560", **changes: str) -> str:
    """The code the sandbox's authorize page redirects to the callback with (the user allows access at once)."""
    query = {"client_id": "3141592653", "redirect_uri": CALLBACK, "response_type": "code", "state": "s-1",
             "sandbox_uid": uid, **changes}  # fmt: skip
    answer = client.get("/weibo/oauth2/authorize", params=query)
    assert answer.status_code == 302 and answer.headers["Location"].startswith(CALLBACK + "?code=")
    assert answer.headers["Location"].endswith("&state=s-1")
    return str(answer.json()["code"])


def exchange(client: httpx.Client, code: str, **changes: str) -> httpx.Response:
    form = {"client_id": "3141592653", "client_secret": "app-secret", "grant_type": "authorization_code",
            "code": code, "redirect_uri": CALLBACK, **changes}  # fmt: skip
    return client.post("/weibo/oauth2/access_token", data=form)


def test_the_authorisation_code_flow_gives_a_token_share_json_takes(client: httpx.Client) -> None:
    """[C] 授权机制: authorize → redirect with code → POST oauth2/access_token → {access_token, remind_in, expires_in,
    uid} [S]; the token posts as that uid. A code serves once (21325 invalid_grant)."""
    granted = exchange(client, consent(client))
    body = granted.json()
    assert granted.status_code == 200 and set(body) == {"access_token", "remind_in", "expires_in", "uid"}
    assert body["uid"] == "1404376560" and body["expires_in"] > 0 and body["remind_in"] == str(body["expires_in"])
    assert share(client, body["access_token"]).json()["user"]["idstr"] == "1404376560"
    code = consent(client)
    assert exchange(client, code).status_code == 200
    again = exchange(client, code)
    assert again.json()["error_code"] == 21325 and again.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"redirect_uri": "https://elsewhere.example.com/cb"}, 21322),  # redirect_uri_mismatch
        ({"client_secret": ""}, 21324),  # invalid_client
        ({"client_id": "another-app"}, 21325),  # invalid_grant: another app's code
        ({"grant_type": "refresh_token"}, 21328),  # unsupported_grant_type: Weibo gives no refresh token
    ],
)
def test_an_exchange_weibo_would_refuse(client: httpx.Client, changes: dict[str, str], expected: int) -> None:
    refused = exchange(client, consent(client), **changes)
    assert refused.status_code == 400 and refused.json()["error_code"] == expected
    assert refused.json()["request"] == "/oauth2/access_token"


def test_the_documented_token_answer_is_read_as_weibo_means_it(example) -> None:
    """node-weibo's example answer (hxwang/TweetCrawler src/get-token.js) through the shared OAuth parser, as Weibo's
    `oauth:` facts name its fields: the token, its life in seconds from now, the uid as the account; no refresh."""
    import time

    from mediactl.publish.adapters.oauth import OAuthAdapter

    config = load_config(example / "mediactl.yaml")
    adapter = OAuthAdapter(config.channel("bank-weibo"), config)
    try:
        answer = {"access_token": "2.007PQfjF5BbcAD1015be62680rnSn1", "remind_in": "161405", "expires_in": 161405,
                  "uid": "5255433188"}  # fmt: skip
        grant = adapter._grant(answer)
    finally:
        adapter.close()
    assert (grant.access_token, grant.account, grant.refresh_token) == (
        "2.007PQfjF5BbcAD1015be62680rnSn1",
        "5255433188",
        "",
    )
    assert abs(grant.expires_at - (time.time() + 161405)) < 60


def test_a_documented_share_succeeds_with_the_documented_fields(client: httpx.Client, token: str, sandbox) -> None:
    r = share(client, token, pic=JPEG)
    assert r.status_code == 200
    body = r.json()
    # the field list of share.json's JSON example [V] open.weibo.com/wiki/2/statuses/share
    documented = {"created_at", "id", "mid", "idstr", "text", "source", "favorited", "truncated",
                  "in_reply_to_status_id", "in_reply_to_user_id", "in_reply_to_screen_name", "thumbnail_pic",
                  "bmiddle_pic", "original_pic", "geo", "user"}  # fmt: skip
    assert documented <= set(body)
    assert body["idstr"] == body["mid"] == str(body["id"]) and len(body["idstr"]) == 16
    assert re.fullmatch(r"看看 http://t\.cn/\w{7}", body["text"])  # Weibo shows links as its own short links
    assert body["user"]["id"] == 1404376560
    assert all(body[k].startswith(f"{sandbox.url}/weibo/") for k in ("thumbnail_pic", "bmiddle_pic", "original_pic"))
    page = client.get(f"/weibo/1404376560/{body['idstr']}").json()
    assert page == {
        "sandbox": True,
        "platform": "weibo",
        "idstr": body["idstr"],
        "text": body["text"],
        "deleted": False,
    }
    without = share(client, token, status="再看 " + URL).json()
    assert "original_pic" not in without  # pictures only when one was sent


def test_the_token_travels_in_the_form_or_an_oauth2_header(client: httpx.Client, token: str) -> None:
    assert code(share(client, None)) == 21301
    assert code(share(client, "not-a-token")) == 21332  # invalid_access_token
    header = client.post(
        SHARE, data={"status": "头 " + URL, "rip": "1.2.3.4"}, headers={"Authorization": f"OAuth2 {token}"}
    )
    assert header.status_code == 200


def test_a_token_of_another_platform_or_past_its_life_is_refused() -> None:
    with Sandbox(SandboxOptions(token_ttl=1)) as sb, httpx.Client(base_url=sb.url, trust_env=False) as client:
        wechat = sb.issue_token("wechat_oa", "wx")
        assert code(share(client, wechat)) == 21332
        weibo = sb.issue_token("weibo", "1")
        sb._state._tokens[weibo].expires_at = 0  # past its life without waiting for it
        assert code(share(client, weibo)) == 21327  # expired_token


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"status": None}, 10016),  # status is required
        ({"rip": None}, 10016),  # rip is required ("请传操作用户的真实有效IP")
        ({"rip": "my-laptop"}, 10017),
        ({"status": "看看"}, 10017),  # no URL at all: "appkey not bind domain!"
        ({"status": "看看 https://evil.example.org/example-bank.cn"}, 10017),  # a URL, not on the safe domain
        ({"status": "看看 https://example-bank.cn.evil.org/"}, 10017),
        ({"status": "#反诈# 看看 " + URL}, 10017),  # "文本中不能包含“#话题词#”"
    ],
)
def test_share_refusals(client: httpx.Client, token: str, fields: dict[str, Any], expected: int, sandbox) -> None:
    r = share(client, token, **fields)
    assert r.status_code == 400 and code(r) == expected
    assert not any(p["applied"] for p in sandbox.posts())


def test_140_characters_counted_as_weibo_does(client: httpx.Client, token: str) -> None:
    """A character counts 1, a half-width one ½, rounded up [C]; the URL counts as written (how Weibo counts a
    shortened link is not in the sources [U])."""
    tail = " " + URL  # 29 half-width characters: 14.5
    assert weibo_length("长" * 125 + tail) == 140 and weibo_length("长" * 126 + tail) == 141
    assert weibo_length("a") == 1 and weibo_length("ab") == 1 and weibo_length("长a") == 2
    assert share(client, token, status="长" * 125 + tail).status_code == 200
    assert code(share(client, token, status="长" * 126 + tail)) == 20012


def test_a_subdomain_of_the_safe_domain_counts(client: httpx.Client, token: str, sandbox) -> None:
    assert share(client, token, status="看 https://m.example-bank.cn/x").status_code == 200
    sandbox.platform("weibo").safe_domains = ("other-bank.cn",)
    assert code(share(client, token, status="再看 https://m.example-bank.cn/x")) == 10017


@pytest.mark.parametrize(("pic", "expected"), [(JPEG, 200), (PNG, 200), (GIF, 200), (BMP, 20005)])
def test_pic_types(client: httpx.Client, token: str, pic: bytes, expected: int) -> None:
    r = share(client, token, pic=pic)
    assert (r.status_code if expected == 200 else code(r)) == expected


def test_pic_must_be_under_5_mb(client: httpx.Client, token: str) -> None:
    limit = 5 * 1024 * 1024
    assert share(client, token, status="一 " + URL, pic=JPEG + bytes(limit - 1 - len(JPEG))).status_code == 200
    assert code(share(client, token, status="二 " + URL, pic=JPEG + bytes(limit - len(JPEG)))) == 20006


def test_a_body_that_is_no_form_is_refused(client: httpx.Client, token: str) -> None:
    r = client.post(SHARE, json={"access_token": token, "status": URL, "rip": "1.2.3.4"})
    assert code(r) == 10007  # "Unsupport mediatype": not even the token can be read from a JSON body


def test_a_repeat_of_the_previous_post_is_refused(client: httpx.Client, token: str, sandbox) -> None:
    """ "连续两次发布的微博不可以重复" [V]: the same text as this user's previous post is 20019; others may post it."""
    assert share(client, token).status_code == 200
    assert code(share(client, token)) == 20019
    assert share(client, sandbox.issue_token("weibo", "2")).status_code == 200  # another user
    assert share(client, token, status="别的 " + URL).status_code == 200
    assert share(client, token).status_code == 200  # no longer the previous one


def test_30_posts_an_hour_per_user(client: httpx.Client, token: str, sandbox) -> None:
    """[V] Rate-limiting: "发微博接口单授权用户每小时只能请求 30 次"; the 31st is 10024, at HTTP 403 [U]."""
    for n in range(30):
        assert share(client, token, status=f"第{n}条 {URL}").status_code == 200
    r = share(client, token, status="第31条 " + URL)
    assert r.status_code == 403 and code(r) == 10024
    assert share(client, sandbox.issue_token("weibo", "2"), status="别人 " + URL).status_code == 200


def test_faults_in_weibos_shape(token: str) -> None:
    with Sandbox(SandboxOptions(faults=("reject", "500", "429"))) as sb, httpx.Client(base_url=sb.url) as client:
        token = sb.issue_token("weibo", "1")
        assert code(share(client, token)) == 20021  # illegal content, scripted
        r = share(client, token)
        assert r.status_code == 500 and code(r) == 10001
        r = share(client, token)
        assert r.status_code == 429 and r.headers["Retry-After"] == "1" and code(r) == 10022
        assert share(client, token).status_code == 200
    with Sandbox(SandboxOptions(fail_rate=1.0, seed=4)) as sb, httpx.Client(base_url=sb.url) as client:
        token = sb.issue_token("weibo", "1")
        answers = {(r.status_code, code(r)) for r in (share(client, token) for _ in range(20))}
        assert answers == {(500, 10001), (429, 10022), (403, 10023)} and not any(p["applied"] for p in sb.posts())


# ---- statuses/destroy.json ------------------------------------------------------------------------------


def test_destroy_deletes_only_ones_own_post(client: httpx.Client, token: str, sandbox) -> None:
    idstr = share(client, token).json()["idstr"]
    other = sandbox.issue_token("weibo", "2")
    assert code(client.post(DESTROY, data={"access_token": other, "id": idstr})) == 20102
    assert code(client.post(DESTROY, data={"access_token": token})) == 10016
    assert code(client.post(DESTROY, data={"access_token": token, "id": "x1"})) == 10017
    deleted = client.post(DESTROY, data={"access_token": token, "id": idstr})
    assert deleted.status_code == 200 and deleted.json()["idstr"] == idstr
    assert code(client.post(DESTROY, data={"access_token": token, "id": idstr})) == 20101
    assert client.get(f"/weibo/1404376560/{idstr}").json()["deleted"] is True


# ---- Weibo's own JSON, through the adapter's parser -------------------------------------------------------

# The JSON example of open.weibo.com/wiki/2/statuses/share, verbatim as far as the stored copy goes (it is cut
# after "geo"); "user" completed from the statuses/repost example of the same wiki (its first fields).
SHARE_EXAMPLE = {
    "created_at": "Wed Oct 24 23:49:17 +0800 2012",
    "id": 3504803600500000,
    "mid": "3504803600502730",
    "idstr": "3504803600502730",
    "text": "分组定向图片微博",
    "source": "新浪微博</a>",
    "favorited": False,
    "truncated": False,
    "in_reply_to_status_id": "",
    "in_reply_to_user_id": "",
    "in_reply_to_screen_name": "",
    "thumbnail_pic": "http://ww2.sinaimg.cn/thumbnail/71666d49jw1dy6q8t3p0rj.jpg",
    "bmiddle_pic": "http://ww2.sinaimg.cn/bmiddle/71666d49jw1dy6q8t3p0rj.jpg",
    "original_pic": "http://ww2.sinaimg.cn/large/71666d49jw1dy6q8t3p0rj.jpg",
    "geo": {"type": "Point", "coordinates": [40.413467, 116.646439]},
    "user": {"id": 1404376560, "screen_name": "zaku", "name": "zaku", "province": "11", "city": "5"},
}
# open.weibo.com/wiki/C/2/statuses/destroy/biz, "成功返回" (the wiki's "source" has unescaped quotes: escaped here).
DESTROY_EXAMPLE = {
    "created_at": "Tue May 31 17:46:55 +0800 2011",
    "id": 11488058246,
    "text": "求关注。",
    "source": '<a href="http://weibo.com" rel="nofollow">新浪微博</a>',
    "favorited": False,
    "truncated": False,
    "in_reply_to_status_id": "",
    "in_reply_to_user_id": "",
    "in_reply_to_screen_name": "",
    "geo": None,
    "mid": "5612814510546515491",
    "reposts_count": 8,
    "comments_count": 9,
    "annotations": [],
    "user": {"id": 1404376560, "screen_name": "zaku", "name": "zaku"},
}


@pytest.fixture
def adapter(example, monkeypatch) -> Iterator[WeiboAdapter]:
    """An adapter for the real Weibo (no sandbox), fed recorded answers by a mock transport."""
    static_token(example, "bank-weibo", "BANK_WEIBO_TOKEN")  # a token of the app's own: no grant, no store needed
    monkeypatch.setenv("BANK_WEIBO_TOKEN", "recorded-token")
    config = load_config(example / "mediactl.yaml")
    weibo = WeiboAdapter(config.channel("bank-weibo"), config)
    yield weibo
    weibo.close()


def answered(adapter: WeiboAdapter, status: int, body: Any) -> WeiboAdapter:
    adapter.client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(status, json=body)))
    return adapter


def test_the_documented_share_answer_gives_the_idstr_and_the_weibo_url(adapter: WeiboAdapter) -> None:
    response = httpx.Response(200, json=SHARE_EXAMPLE)
    receipt = adapter.receipt(response, step="statuses/share")
    # idstr, not id: the example's own "id" was rounded by a JSON number reader (…500000 against …502730)
    assert receipt.remote_id == "3504803600502730"
    assert receipt.url == "https://weibo.com/1404376560/3504803600502730"
    assert adapter.audit_fields() == {}  # a real platform's answer carries no sandbox mark


def test_the_documented_destroy_answer_is_a_withdrawal(adapter: WeiboAdapter) -> None:
    assert answered(adapter, 200, DESTROY_EXAMPLE).withdraw("11488058246") is None  # no error: withdrawn
    with pytest.raises(WeiboError, match="20102"):
        answered(
            adapter, 400, {"request": "/2/statuses/destroy.json", "error_code": 20102, "error": "Not your own weibo!"}
        ).withdraw("1")


# The error examples of open.weibo.com/wiki/Error_code and its copies: error_code is a string there.
@pytest.mark.parametrize(
    "body",
    [
        {"request": "/statuses/home_timeline.json", "error_code": "20502", "error": "Need you follow uid."},
        {"request": "/statuses/update.json", "error_code": "10006", "error": "Source paramter (appkey) is missing."},
    ],
)
def test_the_documented_error_examples_are_refusals_in_weibos_words(adapter: WeiboAdapter, body: dict) -> None:
    error = classify(body, step="statuses/share", mutating=True)
    assert isinstance(error, WeiboError) and error.error_code == int(body["error_code"])
    assert body["error"] in error.message


@pytest.mark.parametrize(
    ("error_code", "error", "kind"),
    [
        (10022, "IP requests out of rate limit", Transient),  # platforms.md §3: rate limits, retried later
        (10023, "User requests out of rate limit", Transient),
        (10024, "User requests for (statuses/share) out of rate limit", Transient),
        (21327, "expired_token", TokenExpired),  # refresh once
        (21332, "invalid_access_token", TokenExpired),
        (20019, "Repeat content!", Rejected),  # the platform's words
        (20021, "Content is illegal!", Rejected),
        (20012, "Text too long, please input text less than 140 characters!", Rejected),
        (10001, "System error", Unknown),  # on share.json: the post may exist
    ],
)
def test_documented_codes_are_classified(adapter: WeiboAdapter, error_code: int, error: str, kind: type) -> None:
    body = {"request": "/2/statuses/share.json", "error_code": error_code, "error": error}
    for status in (400, 403):  # the HTTP status of Weibo's errors is not documented [U]: the code decides
        with pytest.raises(kind) as caught:
            answered(adapter, status, body).send("POST", "https://api.weibo.com/2/statuses/share.json",
                                                 step="statuses/share", mutating=True)  # fmt: skip
        assert error in caught.value.message and str(error_code) in caught.value.message
        assert kind is not Rejected or type(caught.value) is WeiboError
    with pytest.raises(kind):  # an error inside a 200 answer is classified the same way
        adapter.answer(httpx.Response(200, json=body), step="statuses/share", mutating=True)
