"""What each emulated endpoint answers: the sandbox's platform state and rules, without sockets.

The HTTP layer (`server.py`) turns a request into a `Request`, calls `State.handle` and writes
the `Reply`. One lock guards all state. Every store is bounded (oldest entries go first).

Order of checks for a platform call: route (404/405) → transient failure (scripted "429"/"500",
then the `fail_rate` draw) → token (41001/40014/42001, scripted "expired-token") → scripted
"reject" → the endpoint's own validation → effect → scripted "drop"/"timeout" (the effect stays,
only the answer is withheld). A transient failure or a refusal has no effect, so a retry is safe.
"""

from __future__ import annotations

import copy
import hashlib
import ipaddress
import json
import math
import random
import re
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from mediactl.sandbox.multipart import Part, parse_multipart
from mediactl.sandbox.options import SandboxOptions, check_fault

MAX_RECORDS = 10_000  # posts and calls kept for introspection
MAX_OBJECTS = 100_000  # materials, images, drafts, publish jobs, idempotency receipts (WeChat's library cap)
MAX_TOKENS = 10_000
MAX_RECORDED_BODY = 64 * 1024  # webhook payloads larger than this are summarised, not kept

MiB = 1024 * 1024
MMBIZ = "http://mmbiz.qpic.cn/sandbox/"
ARTICLE_URL = "https://mp.weixin.qq.com/s/"

# A JSON \uXXXX escape: a backslash-u preceded by an even number of backslashes (so an escaped
# literal backslash followed by "u" in the text is not one).
_U_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u[0-9A-Fa-f]{4}")
_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_SRC = re.compile(r"""\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_SCRIPT = re.compile(r"<script\b.*?(?:</script\s*>|$)", re.IGNORECASE | re.DOTALL)
_WEBHOOK = re.compile(r"^/webhook/([^/]{1,200})$")


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # without the query string
    query: Mapping[str, str]  # first value of each parameter
    headers: Mapping[str, str]  # lower-case names
    body: bytes = b""


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    action: str = "send"  # send | drop (close without answering) | delay (hold the answer 30 s)
    platform: bool = True  # False for /_sandbox/ introspection (no latency)


@dataclass(frozen=True)
class _Route:
    name: str
    needs_token: bool = True
    mutating: bool = False
    post: bool = False  # recorded in /_sandbox/posts


_WECHAT: dict[str, tuple[str, _Route]] = {
    "/cgi-bin/token": ("GET", _Route("token", needs_token=False)),
    "/cgi-bin/stable_token": ("POST", _Route("stable_token", needs_token=False)),
    "/cgi-bin/media/uploadimg": ("POST", _Route("uploadimg", mutating=True)),
    "/cgi-bin/material/add_material": ("POST", _Route("add_material", mutating=True)),
    "/cgi-bin/draft/add": ("POST", _Route("draft_add", mutating=True, post=True)),
    "/cgi-bin/freepublish/submit": ("POST", _Route("freepublish_submit", mutating=True, post=True)),
    "/cgi-bin/freepublish/get": ("POST", _Route("freepublish_get")),
}
_WEBHOOK_ROUTE = _Route("webhook", needs_token=False, mutating=True, post=True)


@dataclass(frozen=True)
class _MaterialSpec:
    exts: frozenset[str]
    kinds: frozenset[str]
    max_bytes: int
    size_errcode: int
    size_errmsg: str


# platforms.md §1 "Permanent material" [V]; 40010/40011 are WeChat's global codes for voice/video size.
_MATERIAL = {
    "image": _MaterialSpec(
        frozenset({"bmp", "png", "jpeg", "jpg", "gif"}),
        frozenset({"bmp", "png", "jpg", "gif"}),
        10 * MiB,
        40009,
        "invalid image size",
    ),
    "thumb": _MaterialSpec(frozenset({"jpg", "jpeg"}), frozenset({"jpg"}), 64 * 1024, 40009, "invalid image size"),
    "voice": _MaterialSpec(
        frozenset({"mp3", "wma", "wav", "amr"}),
        frozenset({"mp3", "wma", "wav", "amr"}),
        2 * MiB,
        40010,
        "invalid voice size",
    ),
    "video": _MaterialSpec(frozenset({"mp4"}), frozenset({"mp4"}), 10 * MiB, 40011, "invalid video size"),
}
_UPLOADIMG = _MaterialSpec(
    frozenset({"jpg", "jpeg", "png"}), frozenset({"jpg", "png"}), MiB, 40009, "invalid image size"
)


def sniff(data: bytes) -> str | None:
    """The file format from its first bytes (only the formats WeChat uploads accept)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data.startswith(b"BM") and len(data) > 14:
        return "bmp"
    if data[4:8] == b"ftyp":
        return "mp4"
    if data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "mp3"
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data.startswith(b"#!AMR"):
        return "amr"
    if data.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return "wma"
    return None


class _Bounded(OrderedDict):
    """A dict that forgets its oldest entries beyond `limit`."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        while len(self) > self.limit:
            self.popitem(last=False)


@dataclass
class _Token:
    appid: str
    expires_at: float  # time.monotonic()


@dataclass(frozen=True)
class _Material:
    appid: str
    type: str
    sha1: str
    size: int


@dataclass(frozen=True)
class _Draft:
    appid: str
    articles: list[dict[str, Any]]


@dataclass
class _Publish:
    appid: str
    media_id: str
    polls_left: int
    article_id: str
    urls: list[str]
    final_status: int = 0  # what freepublish/get ends with: 0 published, 4 rejected by review (fault publish-fail)


@dataclass
class _Ctx:
    """What one request did, for its records."""

    route: _Route
    key: str | None
    channel: str | None = None
    fault: str | None = None
    duplicate: bool = False
    applied: bool = False
    summary: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


class _Refusal(Exception):
    def __init__(self, reply: Reply) -> None:
        self.reply = reply


def _wx(errcode: int, errmsg: str) -> Reply:
    return Reply(200, {"errcode": errcode, "errmsg": errmsg})


def _uploaded(data: bytes) -> dict[str, Any]:
    """What a test needs to prove which bytes arrived: their sha256 and size."""
    return {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def _foreign_control(req: Request) -> str | None:
    """Why a ``/_sandbox/`` request may come from a web page, or None when it cannot.

    The sandbox listens on loopback, yet a browser on the same machine reaches it too: any
    page can send a "simple request" (a form, text/plain) to any origin, and a name rebound
    to 127.0.0.1 makes a page's requests look same-origin. So a request naming a foreign
    Origin or Host is refused, and so is a POST or a body that is not JSON: a page cannot
    send JSON across origins without a CORS preflight, which the sandbox never grants.
    """
    origin = req.headers.get("origin")
    if origin is not None and not _is_loopback(urlsplit(origin).hostname):
        return f"Origin {origin!r} is not a loopback address"
    host = req.headers.get("host")
    if host and not _is_loopback(urlsplit(f"//{host}").hostname):
        return f"Host {host!r} is not a loopback address"
    media_type = req.headers.get("content-type", "").partition(";")[0].strip().lower()
    if (req.method == "POST" or req.body) and media_type != "application/json":
        return "send Content-Type: application/json"
    return None


def _is_loopback(name: str | None) -> bool:
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name or "").is_loopback
    except ValueError:
        return False


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class State:
    """The emulated platforms' state and the sandbox's records, behind one lock."""

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self.lock = threading.Lock()
        self._rng = random.Random(options.seed)
        self._faults: deque[str] = deque(options.faults)
        self._posts: deque[dict[str, Any]] = deque(maxlen=MAX_RECORDS)
        self._calls: deque[dict[str, Any]] = deque(maxlen=MAX_RECORDS)
        self._post_seq = 0
        self._call_seq = 0
        self._counter = 0
        self._tokens: _Bounded = _Bounded(MAX_TOKENS)
        self._stable: dict[str, str] = {}  # appid → current stable_token
        self._materials: _Bounded = _Bounded(MAX_OBJECTS)
        self._images: _Bounded = _Bounded(MAX_OBJECTS)  # mmbiz URLs this sandbox issued
        self._drafts: _Bounded = _Bounded(MAX_OBJECTS)
        self._publishes: _Bounded = _Bounded(MAX_OBJECTS)
        self._applied: _Bounded = _Bounded(MAX_OBJECTS)  # (path, idempotency key) → result id

    # ---- introspection and control --------------------------------------------------------

    def posts(self) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(list(self._posts))

    def calls(self) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(list(self._calls))

    def pending_faults(self) -> list[str]:
        with self.lock:
            return list(self._faults)

    def clear_records(self) -> int:
        with self.lock:
            count = len(self._posts)
            self._posts.clear()
            self._calls.clear()
            return count

    def add_fault(self, kind: str) -> None:
        check_fault(kind)
        with self.lock:
            self._faults.append(kind)

    def note_call(self, method: str, path: str, status: int | str) -> None:
        """Record a request the HTTP layer answered itself (oversized or unreadable body)."""
        with self.lock:
            self._call(method, path, status, None, None)

    def _call(
        self, method: str, path: str, status: int | str, errcode: int | None, fault: str | None,
        uploaded: dict[str, Any] | None = None,
    ) -> None:  # fmt: skip
        self._call_seq += 1
        self._calls.append(
            {
                "seq": self._call_seq,
                "time": _now(),
                "method": method,
                "path": path,
                "status": status,
                "errcode": errcode,
                "fault": fault,
                **({"uploaded": uploaded} if uploaded else {}),  # sha256 and size of an uploaded file
            }
        )

    # ---- dispatch ------------------------------------------------------------------------------

    def handle(self, req: Request) -> Reply:
        if req.path.startswith("/_sandbox/"):
            return self._introspect(req)
        route, allowed = self._route(req.path)
        if route is None or req.method != allowed:
            if route is None:
                reply = Reply(404, {"errcode": -1, "errmsg": f"unknown path {req.method} {req.path} (sandbox)"})
            else:
                reply = Reply(
                    405, {"errcode": -1, "errmsg": f"{req.method} not allowed on {req.path}"}, {"Allow": allowed}
                )
            self.note_call(req.method, req.path, reply.status)
            return reply
        key = req.headers.get("x-mediactl-idempotency-key") or req.headers.get("idempotency-key") or None
        ctx = _Ctx(route, key)
        webhook = route is _WEBHOOK_ROUTE
        with self.lock:
            try:
                transient = self._transient(ctx, webhook)
                if transient is not None:
                    reply = transient
                else:
                    reply = self._webhook(req, ctx) if webhook else self._wechat(req, ctx)
            except _Refusal as refusal:
                reply = refusal.reply
            status: int | str = {"drop": "dropped", "delay": "timeout"}.get(reply.action, reply.status)
            errcode = None
            if not webhook and isinstance(reply.body, dict):
                errcode = reply.body.get("errcode", 0 if reply.status == 200 else None)
            self._call(req.method, req.path, status, errcode, ctx.fault, ctx.extra.pop("uploaded", None))
            if route.post:
                self._record_post(req, ctx, status, errcode)
        return reply

    @staticmethod
    def _route(path: str) -> tuple[_Route | None, str]:
        if path in _WECHAT:
            method, route = _WECHAT[path]
            return route, method
        if _WEBHOOK.match(path):
            return _WEBHOOK_ROUTE, "POST"
        return None, ""

    def _record_post(self, req: Request, ctx: _Ctx, status: int | str, errcode: int | None) -> None:
        self._post_seq += 1
        record = {
            "seq": self._post_seq,
            "time": _now(),
            "method": req.method,
            "path": req.path,
            "channel": ctx.channel,
            "idempotency_key": ctx.key,
            "duplicate": ctx.duplicate,
            "status": status,
            "errcode": errcode,
            "applied": ctx.applied,
            "fault": ctx.fault,
            "summary": ctx.summary,
            "warnings": ctx.warnings,
            **ctx.extra,
        }
        self._posts.append(record)

    def _pop_fault(self, *kinds: str) -> str | None:
        """The head of the fault queue if it is one of `kinds` (consumed), else None."""
        if self._faults and self._faults[0] in kinds:
            return self._faults.popleft()
        return None

    def _transient(self, ctx: _Ctx, webhook: bool) -> Reply | None:
        kind = self._pop_fault("429", "500") if ctx.route.mutating else self._pop_fault("429")
        if kind is not None:
            ctx.fault = kind
        elif self.options.fail_rate > 0 and self._rng.random() < self.options.fail_rate:
            kind = self._rng.choice(("500", "429") if webhook else ("500", "429", "45009"))
            ctx.fault = f"fail_rate:{kind}"
        if kind is None:
            return None
        if kind == "45009":
            return _wx(45009, "reach max api daily quota limit (sandbox)")
        headers = {"Retry-After": "1"} if kind == "429" else {}
        status = int(kind)
        message = "too many requests (sandbox)" if status == 429 else "system error (sandbox)"
        body = {"ok": False, "error": message} if webhook else {"errcode": -1, "errmsg": message}
        return Reply(status, body, headers)

    def _withhold(self, ctx: _Ctx, reply: Reply) -> Reply:
        """Apply a scripted "drop"/"timeout" to this answer: the effect stays, the answer does not arrive."""
        kind = self._pop_fault("drop", "timeout") if ctx.fault is None else None
        if kind is not None:
            ctx.fault = kind
            reply.action = "drop" if kind == "drop" else "delay"
        return reply

    def _mark_applied(self, req: Request, ctx: _Ctx, result_id: str) -> None:
        ctx.applied = True
        if ctx.key:
            ctx.duplicate = (req.path, ctx.key) in self._applied
            self._applied[(req.path, ctx.key)] = result_id

    def _new_id(self) -> int:
        self._counter += 1
        return self._counter

    # ---- webhook ---------------------------------------------------------------------------

    def _webhook(self, req: Request, ctx: _Ctx) -> Reply:
        match = _WEBHOOK.match(req.path)
        assert match is not None
        ctx.channel = match.group(1)
        ctx.extra["headers"] = {
            "signature": req.headers.get("x-mediactl-signature"),
            "timestamp": req.headers.get("x-mediactl-timestamp"),
            "content_type": req.headers.get("content-type"),
        }
        ctx.extra["body"] = None
        if self._pop_fault("reject"):
            ctx.fault = "reject"
            return Reply(422, {"ok": False, "error": "content refused (sandbox fault: reject)"})
        try:
            payload = json.loads(req.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            return self._withhold(ctx, Reply(400, {"ok": False, "error": f"body is not UTF-8 JSON: {exc}"}))
        if len(req.body) <= MAX_RECORDED_BODY:
            ctx.extra["body"] = payload
        if isinstance(payload, dict) and isinstance(payload.get("title"), str):
            ctx.summary["title"] = payload["title"][:200]
        previous = self._applied.get((req.path, ctx.key)) if ctx.key else None
        if previous is not None:
            ctx.duplicate = True
            ctx.summary["id"] = previous
            return self._withhold(ctx, Reply(200, {"ok": True, "id": previous, "duplicate": True}))
        receipt = f"rcpt-{self._new_id():06d}"
        self._mark_applied(req, ctx, receipt)
        ctx.summary["id"] = receipt
        return self._withhold(ctx, Reply(200, {"ok": True, "id": receipt}))

    # ---- WeChat Official Account -------------------------------------------------------------

    def _wechat(self, req: Request, ctx: _Ctx) -> Reply:
        name = ctx.route.name
        if name == "token":
            q = req.query
            return self._issue(ctx, q.get("grant_type"), q.get("appid"), q.get("secret"), stable=False, force=False)
        if name == "stable_token":
            data = self._json(req)
            force = data.get("force_refresh") in (True, "true", 1)
            return self._issue(ctx, data.get("grant_type"), data.get("appid"), data.get("secret"), True, force)
        appid = self._auth(req, ctx)
        handler = {
            "uploadimg": self._uploadimg,
            "add_material": self._add_material,
            "draft_add": self._draft_add,
            "freepublish_submit": self._submit,
            "freepublish_get": self._publish_get,
        }[name]
        return handler(req, ctx, appid)

    def _issue(self, ctx: _Ctx, grant: Any, appid: Any, secret: Any, stable: bool, force: bool) -> Reply:
        if grant != "client_credential":
            return _wx(40002, "invalid grant_type")
        if not isinstance(appid, str) or not appid:
            return _wx(41002, "appid missing")
        ctx.channel = appid
        if not isinstance(secret, str) or not secret:
            return _wx(41004, "appsecret missing")
        if secret == "wrong":
            return _wx(40125, "invalid appsecret")
        now = time.monotonic()
        if stable and not force:
            current = self._tokens.get(self._stable.get(appid, ""))
            if current is not None and current.expires_at > now:
                remaining = max(1, math.ceil(current.expires_at - now))
                return Reply(200, {"access_token": self._stable[appid], "expires_in": remaining})
        token = secrets.token_urlsafe(64)
        self._tokens[token] = _Token(appid, now + self.options.token_ttl)
        if stable:
            self._stable[appid] = token
        return Reply(200, {"access_token": token, "expires_in": self.options.token_ttl})

    def _auth(self, req: Request, ctx: _Ctx) -> str:
        token = req.query.get("access_token")
        if not token:
            raise _Refusal(_wx(41001, "access_token missing"))
        entry = self._tokens.get(token)
        if entry is None:
            raise _Refusal(_wx(40014, "invalid access_token"))
        ctx.channel = entry.appid
        now = time.monotonic()
        if entry.expires_at <= now:
            raise _Refusal(_wx(42001, "access_token expired"))
        if self._pop_fault("expired-token"):
            ctx.fault = "expired-token"
            entry.expires_at = now  # it stays expired: the caller must fetch a new one
            raise _Refusal(_wx(42001, "access_token expired"))
        return entry.appid

    @staticmethod
    def _json(req: Request) -> dict[str, Any]:
        if not req.body.strip():
            raise _Refusal(_wx(44002, "empty post data"))
        try:
            data = json.loads(req.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise _Refusal(_wx(47001, f"data format error: {exc}")) from None
        if not isinstance(data, dict):
            raise _Refusal(_wx(47001, "data format error: a JSON object is expected"))
        return data

    @staticmethod
    def _media(req: Request) -> Part:
        content_type = req.headers.get("content-type", "")
        try:
            parts = parse_multipart(req.body, content_type)
        except ValueError as exc:
            if content_type.lower().startswith("multipart/form-data"):  # claimed, but unreadable: the client's bug
                raise _Refusal(
                    Reply(400, {"errcode": 41005, "errmsg": f"media data missing: bad multipart body: {exc}"})
                ) from None
            parts = []
        media = next((p for p in parts if p.name == "media"), None)
        if media is None or media.filename is None:
            raise _Refusal(_wx(41005, "media data missing"))
        return media

    @staticmethod
    def _check_file(media: Part, spec: _MaterialSpec) -> str:
        ext = media.filename.rpartition(".")[2].lower() if media.filename and "." in media.filename else ""
        kind = sniff(media.data)
        if ext not in spec.exts or kind not in spec.kinds:
            raise _Refusal(_wx(40005, f"invalid file type (file name {media.filename!r}, content {kind or 'unknown'})"))
        if len(media.data) > spec.max_bytes:
            raise _Refusal(_wx(spec.size_errcode, f"{spec.size_errmsg} ({len(media.data)} > {spec.max_bytes} bytes)"))
        return kind

    def _image_url(self, data: bytes, kind: str, appid: str) -> str:
        url = f"{MMBIZ}{hashlib.sha1(data).hexdigest()}.{kind}"
        self._images[url] = appid
        return url

    def _uploadimg(self, req: Request, ctx: _Ctx, appid: str) -> Reply:
        media = self._media(req)
        kind = self._check_file(media, _UPLOADIMG)
        ctx.extra["uploaded"] = _uploaded(media.data)
        return Reply(200, {"url": self._image_url(media.data, kind, appid), "errcode": 0, "errmsg": "ok"})

    def _add_material(self, req: Request, ctx: _Ctx, appid: str) -> Reply:
        mtype = req.query.get("type", "")
        spec = _MATERIAL.get(mtype)
        if spec is None:
            return _wx(40004, f"invalid media type {mtype!r}")
        media = self._media(req)
        kind = self._check_file(media, spec)
        ctx.extra["uploaded"] = _uploaded(media.data)
        media_id = secrets.token_urlsafe(32)
        self._materials[media_id] = _Material(appid, mtype, hashlib.sha1(media.data).hexdigest(), len(media.data))
        body: dict[str, Any] = {"media_id": media_id}
        if mtype == "image":
            body["url"] = self._image_url(media.data, kind, appid)
        return Reply(200, body)

    def _permanent(self, media_id: Any, appid: str, types: tuple[str, ...], where: str) -> None:
        material = self._materials.get(media_id) if isinstance(media_id, str) else None
        if material is None or material.appid != appid or material.type not in types:
            raise _Refusal(_wx(40007, f"invalid media_id ({where}: not a permanent {'/'.join(types)} material)"))

    def _draft_add(self, req: Request, ctx: _Ctx, appid: str) -> Reply:
        if self._pop_fault("reject"):
            ctx.fault = "reject"
            return _wx(87014, "risky content (sandbox fault: reject)")
        if _U_ESCAPE.search(req.body):
            return _wx(47001, "data format error: \\uXXXX escape in the body; send raw UTF-8 (ensure_ascii=False)")
        data = self._json(req)
        articles = data.get("articles")
        if not isinstance(articles, list):
            return _wx(47001, "data format error: articles must be a list")
        if not articles:
            return _wx(44003, "empty news data")
        if len(articles) > 8:
            return _wx(45008, "article size out of limit (at most 8)")
        ctx.summary = {"title": articles[0].get("title") if isinstance(articles[0], dict) else None}
        stored = [self._article(article, i, appid, ctx) for i, article in enumerate(articles, 1)]
        media_id = secrets.token_urlsafe(32)
        self._drafts[media_id] = _Draft(appid, stored)
        self._mark_applied(req, ctx, media_id)
        ctx.summary.update(articles=len(stored), media_id=media_id, thumb_media_id=stored[0].get("thumb_media_id"))
        return Reply(200, {"media_id": media_id})

    def _article(self, article: Any, i: int, appid: str, ctx: _Ctx) -> dict[str, Any]:
        def refuse(errcode: int, errmsg: str) -> _Refusal:
            return _Refusal(_wx(errcode, f"{errmsg} (article {i})"))

        if not isinstance(article, dict):
            raise refuse(47001, "data format error: an article must be an object")
        kind = article.get("article_type", "news")
        if kind not in ("news", "newspic"):
            raise refuse(47001, f"data format error: article_type {kind!r}")
        for name in ("title", "content"):
            if not isinstance(article.get(name), str) or not article[name]:
                raise refuse(47001, f"data format error: {name} is required")
        for name in ("author", "digest", "content_source_url", "thumb_media_id"):
            if name in article and not isinstance(article[name], str):
                raise refuse(47001, f"data format error: {name} must be a string")
        for name in ("need_open_comment", "only_fans_can_comment"):
            if name in article and article[name] not in (0, 1):
                raise refuse(47001, f"data format error: {name} must be 0 or 1")
        if len(article["title"]) > 32:
            raise refuse(45003, "title size out of limit")
        if len(article.get("author", "")) > 16:
            raise refuse(45110, "author size out of limit")
        if len(article.get("digest", "")) > 128:
            raise refuse(45004, "description size out of limit")
        content = article["content"]
        if len(content) >= 20_000 or len(content.encode("utf-8")) >= 1_000_000:
            raise refuse(45002, "content size out of limit")
        if len(article.get("content_source_url", "").encode("utf-8")) > 1024:
            raise refuse(45005, "link size out of limit")
        if kind == "news":
            self._permanent(article.get("thumb_media_id"), appid, ("image", "thumb"), f"article {i} thumb_media_id")
        else:
            info = article.get("image_info")
            images = info.get("image_list") if isinstance(info, dict) else None
            if not isinstance(images, list) or not 1 <= len(images) <= 20:
                raise refuse(47001, "data format error: newspic needs image_info.image_list of 1–20 images")
            for image in images:
                media_id = image.get("image_media_id") if isinstance(image, dict) else None
                self._permanent(media_id, appid, ("image",), f"article {i} image_media_id")
        return {**article, "content": self._clean(content, i, ctx)}

    def _clean(self, content: str, i: int, ctx: _Ctx) -> str:
        """What WeChat keeps of the HTML: no scripts, no images from outside its own CDN."""

        def script(match: re.Match[str]) -> str:
            ctx.warnings.append(f"article {i}: script removed")
            return ""

        def image(match: re.Match[str]) -> str:
            src = _SRC.search(match.group(0))
            url = next((g for g in src.groups() if g is not None), "") if src else ""
            if re.sub(r"^https://", "http://", url) in self._images:
                return match.group(0)
            ctx.warnings.append(f"article {i}: external image removed: {url[:200]!r}")
            return ""

        return _IMG.sub(image, _SCRIPT.sub(script, content))

    def _submit(self, req: Request, ctx: _Ctx, appid: str) -> Reply:
        data = self._json(req)
        sent_id = data.get("media_id")
        media_id = sent_id if isinstance(sent_id, str) else None
        ctx.summary = {"media_id": media_id}
        draft = self._drafts.get(media_id) if media_id is not None else None
        if media_id is None or draft is None or draft.appid != appid:
            return self._withhold(ctx, _wx(40007, "invalid media_id (no such draft)"))
        n = self._new_id()
        publish_id, msg_data_id = str(100_000_000 + n), str(2_247_483_647 + n)
        urls = [f"{ARTICLE_URL}{secrets.token_urlsafe(16)}" for _ in draft.articles]
        final = 4 if self._pop_fault("publish-fail") else 0  # accepted now, refused by the review later
        if final:
            ctx.fault = "publish-fail"
        self._publishes[publish_id] = _Publish(
            appid, media_id, self.options.publish_polls, secrets.token_urlsafe(24), urls, final
        )
        self._mark_applied(req, ctx, publish_id)
        ctx.summary["publish_id"] = publish_id
        body = {"errcode": 0, "errmsg": "ok", "publish_id": publish_id, "msg_data_id": msg_data_id}
        return self._withhold(ctx, Reply(200, body))

    def _publish_get(self, req: Request, ctx: _Ctx, appid: str) -> Reply:
        data = self._json(req)
        raw = data.get("publish_id")
        publish_id = str(raw) if isinstance(raw, str | int) and not isinstance(raw, bool) else ""
        job = self._publishes.get(publish_id)
        if job is None or job.appid != appid:
            return _wx(40007, "invalid publish_id")
        if job.polls_left > 0:
            job.polls_left -= 1
            return Reply(200, {"publish_id": publish_id, "publish_status": 1, "fail_idx": []})
        if job.final_status:
            failed = list(range(1, len(job.urls) + 1))
            return Reply(200, {"publish_id": publish_id, "publish_status": job.final_status, "fail_idx": failed})
        items = [{"idx": i, "article_url": url} for i, url in enumerate(job.urls, 1)]
        return Reply(
            200,
            {
                "publish_id": publish_id,
                "publish_status": 0,
                "article_id": job.article_id,
                "article_detail": {"count": len(items), "item": items},
                "fail_idx": [],
            },
        )

    # ---- /_sandbox/ ---------------------------------------------------------------------------

    def _introspect(self, req: Request) -> Reply:
        def ok(body: Any) -> Reply:
            return Reply(200, body, platform=False)

        refusal = _foreign_control(req)
        if refusal:
            return Reply(403, {"errcode": -1, "errmsg": f"sandbox control refused: {refusal}"}, platform=False)
        target = (req.method, req.path)
        if target == ("GET", "/_sandbox/health"):
            return ok({"ok": True})
        if target == ("GET", "/_sandbox/posts"):
            return ok(self.posts())
        if target == ("DELETE", "/_sandbox/posts"):
            return ok({"ok": True, "cleared": self.clear_records()})
        if target == ("GET", "/_sandbox/calls"):
            return ok(self.calls())
        if target == ("GET", "/_sandbox/faults"):
            return ok({"pending": self.pending_faults()})
        if target == ("POST", "/_sandbox/faults"):
            try:
                kind = json.loads(req.body.decode("utf-8"))["fault"]
                self.add_fault(kind)
            except (ValueError, KeyError, TypeError) as exc:
                return Reply(400, {"errcode": -1, "errmsg": f"expected {{'fault': KIND}}: {exc}"}, platform=False)
            return ok({"pending": self.pending_faults()})
        return Reply(404, {"errcode": -1, "errmsg": f"unknown path {req.method} {req.path} (sandbox)"}, platform=False)
