"""The sandbox's platform-neutral core: dispatch, records, faults, idempotency, tokens, introspection.

The HTTP layer (`server.py`) turns a request into a `Request`, calls `Core.handle` and writes the
`Reply`. Each emulated platform (`platforms/`) is served under its own prefix, ``/<platform>/…``
(``/wechat_oa/cgi-bin/draft/add``, ``/weibo/2/statuses/share.json``), so platforms whose real paths
collide (WeChat OA and WeCom both under ``/cgi-bin/``) never meet. One lock guards all state,
every platform's included; every store is bounded (oldest entries go first).

Order of checks for a platform call, the same for every platform: route (404/405) → transient
failure (scripted "429"/"500", then the `fail_rate` draw) → token (missing, unknown, expired, the
scripted "expired-token") → the platform's handler (its own scripted "reject"/"publish-fail", its
validation, its effect) → scripted "drop"/"timeout" via `withhold` (the effect stays, only the
answer is withheld). A transient failure or a refusal has no effect, so a retry is safe. The
core builds no error body itself: each platform answers in its own shape (`Platform.error`).
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
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from mediactl.sandbox.options import SandboxOptions, check_fault

if TYPE_CHECKING:  # annotations only
    from collections.abc import Callable

MAX_RECORDS = 10_000  # posts and calls kept for introspection
MAX_OBJECTS = 100_000  # any platform's objects (materials, drafts, statuses …) and idempotency receipts
MAX_TOKENS = 10_000
MAX_RECORDED_BODY = 64 * 1024  # payloads larger than this are summarised, not kept
MiB = 1024 * 1024
TRANSIENT_KINDS = ("500", "429", "quota")  # "quota": the platform's own rate-limit answer (WeChat 45009, Weibo 10023)
GARBLED_PAGE = "<html><body><h1>502 Bad Gateway</h1><p>nginx (sandbox fault: garbled)</p></body></html>"
EDITED = "（发布后已修改）"  # what the "drift" fault adds to a post's text on the platform
_SEGMENT = re.compile(r"\{([a-z_]+)\}")


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
class Route:
    """One endpoint of a platform: where it is, what it needs, and which handler answers it."""

    method: str
    path: str  # below the platform's prefix, as the real API spells it; a "{name}" segment matches one segment
    handler: str  # the name of the platform's method: handler(request, ctx) -> Reply
    needs_token: bool = True  # the core checks the platform's token before the handler runs
    mutating: bool = False  # repeating it could publish twice: scripted "500" faults target it
    numbers: bool = False  # a post's numbers (metrics): scripted "500" faults target it too, so a failed pull is tested
    post: bool = False  # recorded in /_sandbox/posts

    def pattern(self) -> re.Pattern[str]:
        parts = _SEGMENT.split(self.path)  # literal, name, literal, name, …, literal
        regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]{{1,200}})" for i, p in enumerate(parts))
        return re.compile(f"^{regex}$")


@dataclass
class Ctx:
    """What one request did, for its records; handlers fill it in."""

    platform: str
    route: Route
    key: str | None  # the idempotency key the client sent (X-Mediactl-Idempotency-Key or Idempotency-Key)
    params: dict[str, str] = field(default_factory=dict)  # the route's "{name}" segments
    account: str | None = None  # whose token the call carried (set by the core's token check)
    channel: str | None = None  # shown in the records: the account, a webhook's name …
    fault: str | None = None
    duplicate: bool = False
    applied: bool = False
    summary: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


class Refusal(Exception):
    """Raised by a handler (or a core check) to answer at once: the call has no effect."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply


class Bounded(OrderedDict):
    """A dict that forgets its oldest entries beyond `limit`: no store of the sandbox grows without end."""

    def __init__(self, limit: int = MAX_OBJECTS) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        while len(self) > self.limit:
            self.popitem(last=False)


@dataclass
class Token:
    platform: str
    account: str
    expires_at: float  # time.monotonic()


class Platform:
    """One emulated platform. Subclass it in `platforms/<name>.py` and list it in `platforms.PLATFORMS`.

    A subclass declares `name` (its prefix, the mediactl platform name), `routes`, one handler
    method per route, and its error shape: `error` (every refusal, and the core's 404/405),
    `transient` (the core's scripted and random failures), `token_error` and `token_of` (where its
    clients put the access token). It keeps its own objects in `Bounded` stores and reaches the
    core's mechanisms through `self.core` (tokens, idempotency, faults, public URLs).
    """

    name: ClassVar[str] = ""
    routes: ClassVar[tuple[Route, ...]] = ()
    transient_kinds: ClassVar[tuple[str, ...]] = ("500", "429")  # what fail_rate draws from; add "quota" if answered
    # Test and demo controls, ``POST /_sandbox/<name>/<control>`` (JSON): control → method(data) -> answer, run under
    # the lock; a ValueError is a 400. What a person does on the platform (WeCom staff confirming a task).
    controls: ClassVar[dict[str, str]] = {}

    def __init__(self, core: Core) -> None:
        self.core = core

    # --- the platform's answer shapes (override) --------------------------------------------

    def error(self, req: Request, code: int, message: str, status: int = 200) -> Reply:
        """A refusal in this platform's shape; `code` is its error code (-1 where it has none)."""
        raise NotImplementedError

    def error_code(self, reply: Reply) -> int | None:
        """The platform's error code in an answer, for the records (0 for success where it has codes)."""
        return None

    def transient(self, req: Request, kind: str) -> Reply:
        """A transient failure: HTTP 500, HTTP 429 (Retry-After: 1), or "quota" (the platform's own code)."""
        if kind == "429":
            reply = self.error(req, -1, "too many requests (sandbox)", 429)
            reply.headers["Retry-After"] = "1"
            return reply
        return self.error(req, -1, "system error (sandbox)", 500)

    def token_error(self, req: Request, problem: str) -> Reply:
        """The answer to a call whose token is `missing`, `invalid` or `expired`."""
        return self.error(req, -1, f"access token {problem} (sandbox)", 401)

    def token_of(self, req: Request) -> str | None:
        """The access token a call carries (a query parameter, a form field, a header: per platform)."""
        return req.query.get("access_token") or None


def uploaded(data: bytes) -> dict[str, Any]:
    """What a test needs to prove which bytes arrived (kept as the call's `uploaded`): their sha256 and size."""
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


def _generic(status: int, message: str) -> Reply:
    """An answer outside every platform (an unknown prefix, the control API)."""
    return Reply(status, {"errcode": -1, "errmsg": message})


class Core:
    """The sandbox's state: the platforms, the records and the shared mechanisms, behind one lock."""

    def __init__(self, options: SandboxOptions, platforms: tuple[type[Platform], ...]) -> None:
        self.options = options
        self.lock = threading.Lock()
        self.base_url = "http://127.0.0.1"  # the sandbox's own address, set when it starts serving
        self._rng = random.Random(options.seed)
        self._faults: deque[str] = deque(options.faults)
        self._posts: deque[dict[str, Any]] = deque(maxlen=MAX_RECORDS)
        self._calls: deque[dict[str, Any]] = deque(maxlen=MAX_RECORDS)
        self._post_seq = 0
        self._call_seq = 0
        self._counter = 0
        self._tokens: Bounded = Bounded(MAX_TOKENS)
        self._applied: Bounded = Bounded(MAX_OBJECTS)  # (path, idempotency key) → result id
        self._pages: Bounded = Bounded(MAX_OBJECTS)  # public URL path → what a GET of it shows
        self.clock_offset = 0.0  # seconds the audience's clock runs ahead (`advance_clock`): posts' numbers grow
        self.platforms: dict[str, Platform] = {}
        self._routes: dict[str, list[tuple[re.Pattern[str], Route, Callable[[Request, Ctx], Reply]]]] = {}
        for cls in platforms:
            self._register(cls)

    def _register(self, cls: type[Platform]) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", cls.name) or cls.name in self.platforms or cls.name == "_sandbox":
            raise ValueError(f"sandbox platform name {cls.name!r} is invalid or taken")
        platform = cls(self)
        self.platforms[cls.name] = platform
        self._routes[cls.name] = [(route.pattern(), route, getattr(platform, route.handler)) for route in cls.routes]

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

    def audience_time(self) -> float:
        """The time the sandbox's audience lives in: the wall clock, moved on by `advance_clock`, so a test (or the
        chart's demo) sees numbers grow between two pulls without sleeping. Tokens keep the real clock."""
        return time.time() + self.clock_offset

    def advance_clock(self, seconds: float) -> float:
        """Move the audience's clock on (never back: numbers only grow); the new time."""
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or not 0 <= seconds <= 10 * 365 * 86400:
            raise ValueError(f"advance takes 0 to ten years of seconds, not {seconds!r}")
        with self.lock:
            self.clock_offset += float(seconds)
            return time.time() + self.clock_offset

    def add_fault(self, kind: str) -> None:
        check_fault(kind)
        with self.lock:
            self._faults.append(kind)

    def note_call(self, method: str, path: str, status: int | str) -> None:
        """Record a request the HTTP layer answered itself (oversized or unreadable body)."""
        with self.lock:
            self._call(None, method, path, status, None, None)

    def _call(
        self, platform: str | None, method: str, path: str, status: int | str, errcode: int | None, fault: str | None,
        uploaded: dict[str, Any] | None = None,
    ) -> None:  # fmt: skip
        self._call_seq += 1
        self._calls.append(
            {
                "seq": self._call_seq,
                "time": _now(),
                "platform": platform,
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
        prefix, _, rest = req.path[1:].partition("/")
        platform = self.platforms.get(prefix)
        if platform is None:
            return self._unrouted(None, req, _generic(404, f"unknown path {req.method} {req.path} (sandbox)"))
        page = self._page(req) if req.method == "GET" else None
        if page is not None:
            return page
        found = self._match(prefix, "/" + rest, req.method)
        if isinstance(found, Reply):
            return self._unrouted(prefix, req, found)
        route, handler, params = found
        key = req.headers.get("x-mediactl-idempotency-key") or req.headers.get("idempotency-key") or None
        ctx = Ctx(prefix, route, key, params)
        with self.lock:
            try:
                reply = self._transient(platform, req, ctx)
                if reply is None:
                    if route.needs_token:
                        self._check_token(platform, req, ctx)
                    reply = handler(req, ctx)
            except Refusal as refusal:
                reply = refusal.reply
            status: int | str = {"drop": "dropped", "delay": "timeout"}.get(reply.action, reply.status)
            errcode = platform.error_code(reply)
            self._call(prefix, req.method, req.path, status, errcode, ctx.fault, ctx.extra.pop("uploaded", None))
            if route.post:
                self._record_post(req, ctx, status, errcode)
        return reply

    def _match(
        self, prefix: str, path: str, method: str
    ) -> tuple[Route, Callable[[Request, Ctx], Reply], dict[str, str]] | Reply:
        platform = self.platforms[prefix]
        allowed = []
        for pattern, route, handler in self._routes[prefix]:
            match = pattern.match(path)
            if match and route.method == method:
                return route, handler, match.groupdict()
            if match:
                allowed.append(route.method)
        request = Request(method, path, {}, {})
        if allowed:
            reply = platform.error(request, -1, f"{method} not allowed on /{prefix}{path}", 405)
            reply.headers["Allow"] = ", ".join(allowed)
            return reply
        return platform.error(request, -1, f"unknown path {method} /{prefix}{path} (sandbox)", 404)

    def _unrouted(self, platform: str | None, req: Request, reply: Reply) -> Reply:
        with self.lock:
            self._call(platform, req.method, req.path, reply.status, None, None)
        return reply

    def _record_post(self, req: Request, ctx: Ctx, status: int | str, errcode: int | None) -> None:
        self._post_seq += 1
        record = {
            "seq": self._post_seq,
            "time": _now(),
            "platform": ctx.platform,
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

    # ---- faults: for the core and for platforms' handlers -----------------------------------

    def take_fault(self, ctx: Ctx, *kinds: str) -> str | None:
        """The head of the fault queue if it is one of `kinds` (consumed and noted on the call), else None."""
        if self._faults and self._faults[0] in kinds:
            kind = self._faults.popleft()
            ctx.fault = kind
            return kind
        return None

    def edited(self, ctx: Ctx, text: str) -> str:
        """A post's text as the platform will show it: as sent, or after a scripted "drift" fault with words added (as
        a platform's review or a colleague in its console might), so the drift check has something to find."""
        return f"{text}{EDITED}" if self.take_fault(ctx, "drift") else text

    def _transient(self, platform: Platform, req: Request, ctx: Ctx) -> Reply | None:
        failing = ctx.route.mutating or ctx.route.numbers
        kind = self.take_fault(ctx, "429", "500") if failing else self.take_fault(ctx, "429")
        if kind is None and self.options.fail_rate > 0 and self._rng.random() < self.options.fail_rate:
            kind = self._rng.choice(platform.transient_kinds)
            ctx.fault = f"fail_rate:{kind}"
        return None if kind is None else platform.transient(req, kind)

    def withhold(self, ctx: Ctx, reply: Reply) -> Reply:
        """Apply a scripted "drop"/"timeout"/"garbled" to this answer: the effect stays, the answer does not arrive
        (garbled: a proxy in between answers with its own HTML page instead)."""
        kind = self.take_fault(ctx, "drop", "timeout", "garbled") if ctx.fault is None else None
        if kind == "garbled":
            return Reply(200, GARBLED_PAGE, {"Content-Type": "text/html; charset=utf-8"})
        if kind is not None:
            reply.action = "drop" if kind == "drop" else "delay"
        return reply

    # ---- idempotency receipts, ids, public URLs -------------------------------------------------

    def mark_applied(self, req: Request, ctx: Ctx, result_id: str) -> None:
        """The call took effect; a repeat of its idempotency key on this path is flagged `duplicate`."""
        ctx.applied = True
        if ctx.key:
            ctx.duplicate = (req.path, ctx.key) in self._applied
            self._applied[(req.path, ctx.key)] = result_id

    def applied_before(self, req: Request, ctx: Ctx) -> str | None:
        """The result of an earlier call with this idempotency key on this path (platforms that dedupe by key)."""
        return self._applied.get((req.path, ctx.key)) if ctx.key else None

    def new_id(self) -> int:
        self._counter += 1
        return self._counter

    def public_url(self, platform: str, path: str, view: dict[str, Any]) -> str:
        """A post's URL on the sandbox's own host (never a real platform's domain); a GET of it shows `view`."""
        local = f"/{platform}{path}"
        self._pages[local] = {"sandbox": True, "platform": platform, **view}
        return f"{self.base_url}{local}"

    def local_url(self, platform: str, path: str) -> str:
        """A URL on the sandbox's host that nothing answers (an uploaded image's address)."""
        return f"{self.base_url}/{platform}{path}"

    def _page(self, req: Request) -> Reply | None:
        """A GET of a post's public URL: what the sandbox published there."""
        with self.lock:
            view = self._pages.get(req.path)
            return None if view is None else Reply(200, copy.deepcopy(view))

    # ---- tokens ---------------------------------------------------------------------------

    def issue_token(self, platform: str, account: str, ttl: int | None = None) -> tuple[str, int]:
        """A new access token of `account` on `platform`, and its lifetime in seconds (call under the lock)."""
        ttl = self.options.token_ttl if ttl is None else ttl
        token = secrets.token_urlsafe(48)
        self._tokens[token] = Token(platform, account, time.monotonic() + ttl)
        return token, ttl

    def token_life(self, token: str) -> int | None:
        """Whole seconds `token` has left, or None when it is unknown or expired."""
        entry = self._tokens.get(token)
        left = entry.expires_at - time.monotonic() if entry is not None else 0
        return max(1, math.ceil(left)) if left > 0 else None

    def _check_token(self, platform: Platform, req: Request, ctx: Ctx) -> None:
        token = platform.token_of(req)
        if not token:
            raise Refusal(platform.token_error(req, "missing"))
        entry = self._tokens.get(token)
        if entry is None or entry.platform != platform.name:
            raise Refusal(platform.token_error(req, "invalid"))
        ctx.account = ctx.channel = entry.account
        now = time.monotonic()
        if entry.expires_at <= now:
            raise Refusal(platform.token_error(req, "expired"))
        if self.take_fault(ctx, "expired-token"):
            entry.expires_at = now  # it stays expired: the caller must get a new one
            raise Refusal(platform.token_error(req, "expired"))

    # ---- /_sandbox/ ---------------------------------------------------------------------------

    def _introspect(self, req: Request) -> Reply:
        def ok(body: Any) -> Reply:
            return Reply(200, body, platform=False)

        def bad(status: int, message: str) -> Reply:
            return Reply(status, {"errcode": -1, "errmsg": message}, platform=False)

        refusal = _foreign_control(req)
        if refusal:
            return bad(403, f"sandbox control refused: {refusal}")
        target = (req.method, req.path)
        if target == ("GET", "/_sandbox/health"):
            return ok({"ok": True})
        if target == ("GET", "/_sandbox/posts"):
            return ok(self.posts())
        if target == ("DELETE", "/_sandbox/posts"):
            return ok({"ok": True, "cleared": self.clear_records()})
        if target == ("GET", "/_sandbox/calls"):
            return ok(self.calls())
        if target == ("GET", "/_sandbox/platforms"):
            return ok({name: [f"{r.method} /{name}{r.path}" for r in p.routes] +
                          [f"POST /_sandbox/{name}/{control} (control)" for control in p.controls]
                       for name, p in self.platforms.items()})  # fmt: skip
        if target == ("POST", "/_sandbox/clock"):
            try:
                return ok({"now": self.advance_clock(json.loads(req.body.decode("utf-8") or "{}").get("advance", 0))})
            except (ValueError, AttributeError) as exc:
                return bad(400, f"expected {{'advance': SECONDS}}: {exc}")
        if target == ("GET", "/_sandbox/faults"):
            return ok({"pending": self.pending_faults()})
        if target == ("POST", "/_sandbox/faults"):
            try:
                self.add_fault(json.loads(req.body.decode("utf-8"))["fault"])
            except (ValueError, KeyError, TypeError) as exc:
                return bad(400, f"expected {{'fault': KIND}}: {exc}")
            return ok({"pending": self.pending_faults()})
        name, _, control = req.path.removeprefix("/_sandbox/").partition("/")
        platform = self.platforms.get(name)
        if req.method == "POST" and platform is not None and control in platform.controls:
            try:
                data = json.loads(req.body.decode("utf-8") or "{}")
                with self.lock:
                    return ok(getattr(platform, platform.controls[control])(data))
            except (ValueError, KeyError, TypeError) as exc:
                return bad(400, f"{name} {control}: {exc}")
        return bad(404, f"unknown path {req.method} {req.path} (sandbox)")
