"""The sandbox answers malformed uploads as a client error, and no web page can reconfigure it."""

from __future__ import annotations

import httpx
import pytest

from mediactl.sandbox import Sandbox


def token(client: httpx.Client) -> str:
    params = {"grant_type": "client_credential", "appid": "wx-test", "secret": "s3cret"}
    return client.get("/wechat_oa/cgi-bin/token", params=params).json()["access_token"]


@pytest.mark.parametrize(
    "disposition",
    [
        "form-data; name=\"media\"; filename*=x-no-such-charset''%E5%9B%BE.png",
        "form-data; name=\"media\"; filename*=rot13''%E5%9B%BE.png",  # a codec, but not a text encoding
    ],
)
def test_a_multipart_upload_with_a_bad_charset_is_a_400_with_an_errcode(client: httpx.Client, disposition: str) -> None:
    body = (
        b"--b0undary\r\nContent-Disposition: " + disposition.encode() + b"\r\n"
        b"Content-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n\r\n--b0undary--\r\n"
    )
    r = client.post(
        "/wechat_oa/cgi-bin/media/uploadimg",
        params={"access_token": token(client)},
        content=body,
        headers={"Content-Type": "multipart/form-data; boundary=b0undary"},
    )
    assert r.status_code == 400, r.text
    assert r.json()["errcode"] == 41005 and "charset" in r.json()["errmsg"]


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"Origin": "http://evil.example", "Content-Type": "application/json"}, b'{"fault": "reject"}'),
        ({"Origin": "null", "Content-Type": "application/json"}, b'{"fault": "reject"}'),
        ({"Content-Type": "text/plain"}, b'{"fault": "reject"}'),  # what a page's form or fetch can send
        ({"Content-Type": "application/x-www-form-urlencoded"}, b"fault=reject"),
        ({}, b'{"fault": "reject"}'),
    ],
    ids=["foreign-origin", "null-origin", "text-plain", "form", "no-content-type"],
)
def test_a_cross_site_request_cannot_set_a_fault(client: httpx.Client, sandbox: Sandbox, headers, body) -> None:
    r = client.post("/_sandbox/faults", content=body, headers=headers)
    assert r.status_code == 403, r.text
    assert "errcode" in r.json()
    assert sandbox.pending_faults == []


def test_a_foreign_origin_cannot_clear_posts_nor_a_rebound_host_read_them(client: httpx.Client, sandbox) -> None:
    assert client.delete("/_sandbox/posts", headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.get("/_sandbox/posts", headers={"Host": "evil.example"}).status_code == 403  # DNS rebinding


def test_loopback_origins_and_plain_clients_still_work(client: httpx.Client, sandbox: Sandbox) -> None:
    port = sandbox.url.rsplit(":", 1)[1]
    for origin in (None, f"http://127.0.0.1:{port}", "http://localhost:5173", "http://[::1]:8080"):
        headers = {"Origin": origin} if origin else {}
        r = client.post("/_sandbox/faults", json={"fault": "reject"}, headers=headers)
        assert r.status_code == 200, (origin, r.text)
    assert sandbox.pending_faults == ["reject"] * 4
    assert client.delete("/_sandbox/posts").status_code == 200
    assert client.get("/_sandbox/health", headers={"Host": f"localhost:{port}"}).status_code == 200
