"""What Tencent's APIs (WeChat Official Accounts, WeCom) answer alike: `{"errcode", "errmsg"}` with HTTP 200,
and the same codes for a missing (41001), invalid (40014) or expired (42001) access token, and for a quota
(45009). Their emulators inherit this, so the shared shape is written once."""

from __future__ import annotations

from typing import ClassVar

from mediactl.sandbox.core import Platform, Reply, Request


def wx(errcode: int, errmsg: str) -> Reply:
    """An answer in Tencent's shape: HTTP 200 whatever the outcome, the outcome in `errcode`."""
    return Reply(200, {"errcode": errcode, "errmsg": errmsg})


class TencentPlatform(Platform):
    quota_message: ClassVar[str] = "api freq out of limit (sandbox)"  # each platform's own words for 45009

    def error(self, req: Request, code: int, message: str, status: int = 200) -> Reply:
        return Reply(status, {"errcode": code, "errmsg": message})

    def error_code(self, reply: Reply) -> int | None:
        body = reply.body
        return body.get("errcode", 0 if reply.status == 200 else None) if isinstance(body, dict) else None

    def transient(self, req: Request, kind: str) -> Reply:
        if kind == "quota":
            return wx(45009, self.quota_message)
        return super().transient(req, kind)

    def token_error(self, req: Request, problem: str) -> Reply:
        return {
            "missing": wx(41001, "access_token missing"),
            "invalid": wx(40014, "invalid access_token"),
        }.get(problem) or wx(42001, "access_token expired")
