"""Weibo (新浪微博), served under ``/weibo/2/…``: written from platforms.md §3 and Weibo's own wiki pages.

Sources (stored copies; [V] official page, [C] secondary, [U] unverified, as in platforms.md):
- ``POST /2/statuses/share.json`` [V] open.weibo.com/wiki/2/statuses/share: `access_token`; `status`
  URL-encoded, at most 140 Chinese characters, no "#话题词#", at least one URL under the app's bound
  安全域名; `pic` optional, one JPEG/GIF/PNG under 5 MB, multipart/form-data when sent, else a normal
  form body; `rip` required ("请传操作用户的真实有效IP"). Answer: the status object (created_at, id,
  mid, idstr, text, source, …, thumbnail_pic/bmiddle_pic/original_pic with a picture, user).
- ``POST /2/statuses/destroy.json`` (`id`, only one's own posts) [V] open.weibo.com/wiki/Statuses/destroy
  and C/2/statuses/destroy/biz: answers the deleted status.
- ``GET /2/statuses/count.json?ids=`` [V] open.weibo.com/wiki/2/statuses/count: up to 100 ids, comma
  separated; answers a list ``[{"id", "comments", "reposts", "attitudes"}]``. A deleted post is left out
  of the list [U] (the page does not say). The counts grow with the audience's clock (sandbox/growth.py).
- Errors: ``{"request", "error_code", "error"}`` [V] open.weibo.com/wiki/Error_code (error_code may be a
  string there). Codes [C] (copies of the Error_code table): 10007 unsupported media type, 10016
  missing parameter, 10017 invalid parameter value (a status without a safe-domain URL gets "appkey
  not bind domain!", reported with 10017 [C]), 10022/10023/10024 IP / user / user-per-API rate limits,
  20005 image type, 20006 image too big, 20012 text over 140, 20019 repeated content ("连续两次发布的
  微博不可以重复" [V] upload_url_text), 20021 illegal content, 20101 no such status, 20102 not your
  status; tokens 21327 expired_token, 21332 invalid_access_token, 21301 no token [U].
- HTTP statuses of errors [U]: 400 (weibo4j: "400: The request was invalid"), 403 for rate limits,
  401 for token errors. The adapter must classify by error_code, whatever the status.
- 30 posts an hour per user [V] open.weibo.com/wiki/Rate-limiting: the 31st is 10024.
- Length [C]: a character counts 1, a half-width (ASCII) one ½, rounded up (the web composer's count);
  how a URL counts (Weibo shortens it to t.cn) is not documented in the sources [U]: counted as
  written, which is never shorter than a short link for a URL of 20 characters or more.

- OAuth [C] the Weibo 授权机制 page (platforms.md §3), answers [S] node-weibo's example
  (hxwang/TweetCrawler src/get-token.js), error table [C] (ncmonl/BlogSource threee-way-login-error-code.md):
  ``GET /oauth2/authorize`` (client_id, redirect_uri, response_type=code, state) stands for the user's
  consent and redirects at once to ``redirect_uri?code=…&state=…`` (the sandbox's user is the query's
  ``sandbox_uid``, else a uid derived from the client_id); ``POST /oauth2/access_token`` (client_id,
  client_secret, grant_type=authorization_code, code, redirect_uri; form or query) answers
  ``{access_token, remind_in, expires_in, uid}``; a code serves once, for its client_id and redirect_uri
  (21325 invalid_grant, 21322 redirect_uri_mismatch, 21324 invalid_client, 21323 invalid_request,
  21328 unsupported_grant_type). No refresh token (only the mobile SDK has them). Access tokens live
  `token_ttl` seconds (the sandbox's option).

Tokens come from that flow (`mediactl auth`), or `Sandbox.issue_token("weibo", uid)` in tests of the
routes themselves. The app's safe domains are `safe_domains` (default the example project's ``example-bank.cn``, subdomains
included). Faults: "reject" → 20021 on share.json.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import re
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

from mediactl.sandbox import growth
from mediactl.sandbox.core import Bounded, Ctx, MiB, Platform, Refusal, Reply, Request, Route, uploaded
from mediactl.sandbox.files import sniff
from mediactl.sandbox.multipart import parse_multipart

MAX_CHARS = 140
PIC_LIMIT = 5 * MiB  # "<5M"
_URL = re.compile(r"https?://[\x21-\x7e]+", re.IGNORECASE)
_TOPIC = re.compile(r"#[^#\s]+#")
_CST = timezone(timedelta(hours=8))
FIRST_ID = 4_900_000_000_000_000  # status ids of the sandbox: 16 digits, as Weibo's are (below 2**53)
CODE_SECONDS = 600  # an authorisation code's life [U]: Weibo does not say; OAuth 2.0 recommends ≤10 minutes


def weibo_length(text: str) -> int:
    """The length Weibo's composer shows: 1 per character, ½ per half-width (ASCII) one, rounded up [C]."""
    return math.ceil(sum(0.5 if ord(char) < 128 else 1 for char in text))


@dataclass
class _Status:
    idstr: str
    uid: str
    text: str
    body: dict[str, Any]  # what share.json answered
    url: str
    born: float = 0.0  # published at, on the audience's clock (Core.audience_time)


@dataclass(frozen=True)
class _Code:
    client_id: str
    redirect_uri: str
    uid: str
    expires_at: float  # time.monotonic()


@dataclass
class _Account:
    last_text: str | None = None  # the previous post's text: a repeat is refused (20019)
    posted_at: deque[float] = field(default_factory=deque)  # monotonic times of the last hour's posts


class Weibo(Platform):
    name = "weibo"
    routes: ClassVar[tuple[Route, ...]] = (
        Route("GET", "/oauth2/authorize", "authorize", needs_token=False),
        Route("POST", "/oauth2/access_token", "access_token", needs_token=False),
        Route("POST", "/2/statuses/share.json", "share", mutating=True, post=True),
        Route("POST", "/2/statuses/destroy.json", "destroy", mutating=True, post=True),
        Route("GET", "/2/statuses/count.json", "count", numbers=True),
    )
    COUNTS: ClassVar[dict[str, float]] = {
        "comments": 0.012,
        "reposts": 0.008,
        "attitudes": 0.05,
    }  # shares of a post's reach (sandbox/growth.py)
    MAX_IDS = 100  # [V] statuses/count
    transient_kinds = ("500", "429", "quota")

    def __init__(self, core: Any) -> None:
        super().__init__(core)
        self.safe_domains: tuple[str, ...] = ("example-bank.cn",)  # the app's 安全域名 (a test may change them)
        self.posts_per_hour = 30  # per user [V] Rate-limiting
        self._statuses = Bounded()  # idstr → _Status
        self._accounts = Bounded()  # uid → _Account
        self._codes = Bounded()  # authorisation code → _Code (single use)

    # ---- the shape of Weibo's answers --------------------------------------------------------------

    def error(self, req: Request, code: int, message: str, status: int = 400) -> Reply:
        path = req.path.removeprefix(f"/{self.name}")  # Weibo names the API path, without our prefix
        return Reply(status, {"request": path, "error_code": code, "error": message})

    def error_code(self, reply: Reply) -> int | None:
        body = reply.body if isinstance(reply.body, dict) else {}
        if "error_code" in body:
            return int(body["error_code"])
        return 0 if reply.status == 200 else None

    def transient(self, req: Request, kind: str) -> Reply:
        if kind == "quota":
            return self.error(req, 10023, "User requests out of rate limit! (sandbox)", 403)
        if kind == "429":
            reply = self.error(req, 10022, "IP requests out of rate limit! (sandbox)", 429)
            reply.headers["Retry-After"] = "1"
            return reply
        return self.error(req, 10001, "System error (sandbox)", 500)

    def token_error(self, req: Request, problem: str) -> Reply:
        if problem == "missing":
            return self.error(req, 21301, "auth by Null spi!", 401)
        if problem == "invalid":
            return self.error(req, 21332, "invalid_access_token", 401)
        return self.error(req, 21327, "expired_token", 401)

    def token_of(self, req: Request) -> str | None:
        header = req.headers.get("authorization", "")
        if header.startswith("OAuth2 "):
            return header.removeprefix("OAuth2 ").strip() or None
        return req.query.get("access_token") or _form(self, req).get("access_token") or None

    # ---- OAuth 2.0 -------------------------------------------------------------------------------------

    def authorize(self, req: Request, ctx: Ctx) -> Reply:
        """The user's consent, given at once: a redirect to the app's redirect_uri with a code and the state."""
        query = req.query
        client_id, redirect = query.get("client_id", ""), query.get("redirect_uri", "")
        if not client_id or not redirect or query.get("response_type", "code") != "code":
            return self._oauth_error(req, 21323, "invalid_request", "client_id and redirect_uri are required")
        uid = query.get("sandbox_uid") or str(
            1_000_000_000 + int(hashlib.sha1(client_id.encode()).hexdigest(), 16) % 10**9
        )
        code = secrets.token_hex(16)
        self._codes[code] = _Code(client_id, redirect, uid, time.monotonic() + CODE_SECONDS)
        ctx.channel = uid
        answer = {"code": code, **({"state": query["state"]} if "state" in query else {})}
        location = f"{redirect}{'&' if '?' in redirect else '?'}{urlencode(answer)}"
        return Reply(302, answer, {"Location": location})

    def access_token(self, req: Request, ctx: Ctx) -> Reply:
        """The code exchanged for the user's access token (no refresh token)."""
        form = {**req.query, **_form(self, req)}  # Weibo takes the parameters in the body or the query string
        if not form.get("client_id") or not form.get("client_secret"):
            return self._oauth_error(req, 21324, "invalid_client", "client_id or client_secret is missing")
        if form.get("grant_type") != "authorization_code":
            return self._oauth_error(req, 21328, "unsupported_grant_type", "grant_type must be authorization_code")
        code = self._codes.pop(form.get("code", ""), None)  # single use, whatever follows
        if code is None or code.expires_at <= time.monotonic() or code.client_id != form["client_id"]:
            return self._oauth_error(req, 21325, "invalid_grant", "the code is unknown, used, expired or another app's")
        if code.redirect_uri != form.get("redirect_uri"):
            return self._oauth_error(
                req, 21322, "redirect_uri_mismatch", "redirect_uri differs from the authorize call's"
            )
        ctx.channel = code.uid
        token, ttl = self.core.issue_token(self.name, code.uid)
        return Reply(200, {"access_token": token, "remind_in": str(ttl), "expires_in": ttl, "uid": code.uid})

    def _oauth_error(self, req: Request, code: int, error: str, description: str) -> Reply:
        reply = self.error(req, code, error)
        reply.body["error_description"] = f"{description} (sandbox)"
        return reply

    # ---- statuses/share ------------------------------------------------------------------------------

    def share(self, req: Request, ctx: Ctx) -> Reply:
        form = _form(self, req)
        status, rip = form.get("status"), form.get("rip")
        if not status:
            raise Refusal(self.error(req, 10016, "Miss required parameter (status) , see doc for more info"))
        media_type = req.headers.get("content-type", "").partition(";")[0].strip().lower()
        ctx.summary = {"status": status[:200], "body": media_type}
        self._check_rip(req, rip)
        self._check_text(req, status)
        pic = self._pic(req, ctx)
        uid = str(ctx.account)
        account = self._accounts.get(uid) or _Account()
        self._accounts[uid] = account
        self._check_rate(req, account)
        if self.core.take_fault(ctx, "reject"):
            return self.error(req, 20021, "Content is illegal! (sandbox fault: reject)")
        if account.last_text == status:
            return self.error(req, 20019, "Repeat content!")
        body = self._publish(uid, self.core.edited(ctx, status), pic)
        account.last_text = status
        account.posted_at.append(time.monotonic())
        self.core.mark_applied(req, ctx, body["idstr"])
        ctx.summary.update(idstr=body["idstr"], pic=pic is not None)
        return self.core.withhold(ctx, Reply(200, body))

    def _check_rip(self, req: Request, rip: str | None) -> None:
        if not rip:
            raise Refusal(self.error(req, 10016, "Miss required parameter (rip) , see doc for more info"))
        try:
            ipaddress.ip_address(rip)
        except ValueError:
            message = f"Parameter (rip)'s value invalid, expect (an IP address like 211.156.0.1) , but get ({rip[:60]})"
            raise Refusal(self.error(req, 10017, message)) from None

    def _check_text(self, req: Request, status: str) -> None:
        if _TOPIC.search(status):
            raise Refusal(self.error(req, 10017, "Parameter (status)'s value invalid: share.json takes no #话题词#"))
        if weibo_length(status) > MAX_CHARS:
            raise Refusal(self.error(req, 20012, "Text too long, please input text less than 140 characters!"))
        if not any(self._safe(url) for url in _URL.findall(status)):
            raise Refusal(
                self.error(req, 10017, "appkey not bind domain! (the status needs a URL on the app's 安全域名)")
            )

    def _safe(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == domain or host.endswith("." + domain) for domain in self.safe_domains)

    def _pic(self, req: Request, ctx: Ctx) -> tuple[bytes, str] | None:
        part = next((p for p in _parts(self, req) if p.name == "pic"), None)
        if part is None:
            return None
        kind = sniff(part.data)
        if kind not in ("jpg", "gif", "png"):
            raise Refusal(self.error(req, 20005, "Unsupported image type, only suport JPG, GIF, PNG!"))
        if len(part.data) >= PIC_LIMIT:
            raise Refusal(self.error(req, 20006, f"Image size too large ({len(part.data)} bytes, limit <5M)"))
        ctx.extra["uploaded"] = uploaded(part.data)
        return part.data, kind

    def _check_rate(self, req: Request, account: _Account) -> None:
        hour_ago = time.monotonic() - 3600
        while account.posted_at and account.posted_at[0] < hour_ago:
            account.posted_at.popleft()
        if len(account.posted_at) >= self.posts_per_hour:
            raise Refusal(self.error(req, 10024, "User requests for (statuses/share) out of rate limit!", 403))

    def _short_link(self, match: re.Match[str]) -> str:
        return f"http://t.cn/{hashlib.sha1(match.group(0).encode()).hexdigest()[:7]}"

    def _publish(self, uid: str, text: str, pic: tuple[bytes, str] | None) -> dict[str, Any]:
        idstr = str(FIRST_ID + self.core.new_id())
        body: dict[str, Any] = {
            "created_at": datetime.now(_CST).strftime("%a %b %d %H:%M:%S +0800 %Y"),
            "id": int(idstr),
            "mid": idstr,
            "idstr": idstr,
            "text": _URL.sub(self._short_link, text),  # Weibo shows every link as its own t.cn short link
            "source": '<a href="" rel="nofollow">mediactl sandbox</a>',
            "favorited": False,
            "truncated": False,
            "in_reply_to_status_id": "",
            "in_reply_to_user_id": "",
            "in_reply_to_screen_name": "",
            "geo": None,
            "user": {"id": int(uid) if uid.isdigit() else uid, "idstr": uid, "screen_name": uid, "name": uid},
            "reposts_count": 0,
            "comments_count": 0,
            "attitudes_count": 0,
        }
        if pic is not None:
            name = f"{hashlib.sha1(pic[0]).hexdigest()}.{pic[1]}"
            for size in ("thumbnail", "bmiddle", "large"):
                key = "original_pic" if size == "large" else f"{size}_pic"
                body[key] = self.core.local_url(self.name, f"/{size}/{name}")
        url = self.core.public_url(
            self.name, f"/{uid}/{idstr}", {"idstr": idstr, "text": body["text"], "deleted": False}
        )
        self._statuses[idstr] = _Status(idstr, uid, text, body, url, self.core.audience_time())
        return body

    # ---- statuses/count --------------------------------------------------------------------------------

    def count(self, req: Request, ctx: Ctx) -> Reply:
        """The comments, reposts and attitudes of each of the account's posts named in `ids` (others left out)."""
        ids = [i.strip() for i in req.query.get("ids", "").split(",") if i.strip()]
        if not ids or len(ids) > self.MAX_IDS or not all(i.isdigit() for i in ids):
            raise Refusal(
                self.error(req, 10017, f"Parameter (ids)'s value invalid: 1 to {self.MAX_IDS} ids, comma separated")
            )
        now = self.core.audience_time()
        found = [(i, self._statuses.get(i)) for i in ids]
        return Reply(200, [{"id": int(i), **growth.counts(i, now - status.born, self.COUNTS)}
                           for i, status in found if status is not None and status.uid == ctx.account])  # fmt: skip

    # ---- statuses/destroy ----------------------------------------------------------------------------

    def destroy(self, req: Request, ctx: Ctx) -> Reply:
        raw = _form(self, req).get("id")
        if not raw:
            raise Refusal(self.error(req, 10016, "Miss required parameter (id) , see doc for more info"))
        if not raw.isdigit():
            raise Refusal(
                self.error(req, 10017, f"Parameter (id)'s value invalid, expect (int64) , but get ({raw[:40]})")
            )
        ctx.summary = {"id": raw}
        status = self._statuses.get(raw)
        if status is None:
            return self.core.withhold(ctx, self.error(req, 20101, "Target weibo does not exist!"))
        if status.uid != ctx.account:
            return self.core.withhold(ctx, self.error(req, 20102, "Not your own weibo!"))
        del self._statuses[raw]
        self.core.public_url(self.name, f"/{status.uid}/{raw}", {"idstr": raw, "text": status.text, "deleted": True})
        self.core.mark_applied(req, ctx, raw)
        return self.core.withhold(ctx, Reply(200, status.body))


def _form(platform: Weibo, req: Request) -> dict[str, str]:
    """The request's form fields (a normal form body, or the text parts of a multipart one)."""
    media_type = req.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type == "multipart/form-data":
        return {p.name: p.data.decode("utf-8", "replace") for p in _parts(platform, req) if p.filename is None}
    if media_type not in ("application/x-www-form-urlencoded", "") or (not media_type and req.body):
        raise Refusal(platform.error(req, 10007, f"Unsupport mediatype ({media_type or 'none'})"))
    try:
        fields = parse_qs(req.body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise Refusal(platform.error(req, 10017, "the form body is not URL-encoded UTF-8")) from None
    return {name: values[0] for name, values in fields.items()}


def _parts(platform: Weibo, req: Request) -> list[Any]:
    if not req.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        return []
    try:
        return parse_multipart(req.body, req.headers["content-type"])
    except ValueError as exc:
        raise Refusal(platform.error(req, 10008, f"Param error: bad multipart body: {exc}")) from None
