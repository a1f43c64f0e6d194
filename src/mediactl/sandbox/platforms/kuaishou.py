"""Kuaishou (快手开放平台), served under ``/kuaishou/…``: platforms.md §5, each check with its source.

- OAuth [S TS type defs in code index]: ``GET /oauth2/authorize`` stands for the user's consent and
  redirects at once to ``redirect_uri?code=…`` (the user is ``sandbox_open_id``, else derived from
  the app_id); ``/oauth2/access_token`` (grant_type=authorization_code) and ``/oauth2/refresh_token``
  (grant_type=refresh_token) take query or form fields and answer ``{result: 1, access_token,
  expires_in, refresh_token, refresh_token_expires_in, open_id, scopes}``. Access tokens live
  ``token_ttl`` seconds (the sandbox's option; Kuaishou's are 48 hours).
- Open-platform calls carry ``?access_token=&app_id=`` and answer ``{"result": 1, …}``; a failure is
  ``{"result": CODE, "error", "error_msg"}`` (100200102 invalid access_token [V]; 10000200
  parameter error [V]).
- ``POST /openapi/photo/start_upload`` [V createAVideo] → ``{result, upload_token, endpoint}``, where the
  endpoint is this sandbox's host with the ``/kuaishou`` prefix (a real one is a bare host). The
  gateway below it takes no access token, only the upload token: ``/api/upload`` the raw bytes
  (multipart framing refused [V]: "不要在body中放boundary"), ``/api/upload/multipart`` field ``file``,
  both for files under `DIRECT_MAX_BYTES` (10 MB); ``/api/upload/fragment?fragment_id=N`` (from 0)
  with at most `FRAGMENT_MAX_BYTES` (10 MB) each, and ``/api/upload/complete?fragment_count=N``, which
  needs fragments 0…N-1 exactly. Each answers ``{"result": 1}``.
- ``POST /openapi/photo/publish?upload_token=`` [S], multipart ``caption`` (required) and ``cover``
  (required, a jpg or png image; over 10 MB a warning, since that cap is tools' [S]) →
  ``{result: 1, video_info: {photo_id, play_url, …}}``; an upload not completed: 120002; the fault
  "reject": 120003 (publish failed) [S apifox mirror]. Kuaishou publishes no caption limit [U].
- Numbers: photo/info's `view_count`, `like_count` and `comment_count` [S] (the same clients) grow with the
  audience's clock once processing ends (sandbox/growth.py).
- ``GET /openapi/photo/info?photo_id=`` [S] answers ``video_info`` with ``pending: true`` for
  `publish_polls` questions, then ``false``; an unknown work: 100120001 video_not_exist [S].
- ``/openapi/photo/delete?photo_id=`` (GET per the apifox mirror of the docs, POST per other clients:
  both) [S]: the work leaves photo/info (120001 afterwards).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

from mediactl.sandbox import growth
from mediactl.sandbox.core import Bounded, Ctx, MiB, Platform, Refusal, Reply, Request, Route, uploaded
from mediactl.sandbox.files import HELD_MAX_BYTES, held, sniff
from mediactl.sandbox.multipart import Part, parse_multipart

PARAM_ERROR = 10000200  # [V] parameter error
TOKEN_INVALID = 100200102  # [V] invalid access_token


@dataclass
class _Grant:
    app_id: str
    open_id: str
    scopes: list[str]
    expires_at: float  # time.monotonic()


@dataclass
class _Upload:
    app_id: str
    open_id: str
    fragments: dict[int, bytes] = field(default_factory=dict)
    video_sha256: str | None = None  # set once uploaded whole or completed (the bytes are not kept)
    published: bool = False


@dataclass
class _Work:
    open_id: str
    caption: str
    cover_sha256: str
    video_sha256: str
    create_time: int
    polls_left: int
    play_url: str
    deleted: bool = False
    born: float = 0.0  # published at, on the audience's clock (Core.audience_time)


class Kuaishou(Platform):
    name = "kuaishou"
    routes: ClassVar[tuple[Route, ...]] = (
        Route("GET", "/oauth2/authorize", "authorize", needs_token=False),
        Route("GET", "/oauth2/access_token", "access_token", needs_token=False),
        Route("POST", "/oauth2/access_token", "access_token", needs_token=False),
        Route("GET", "/oauth2/refresh_token", "refresh_token", needs_token=False),
        Route("POST", "/oauth2/refresh_token", "refresh_token", needs_token=False),
        Route("POST", "/openapi/photo/start_upload", "start_upload"),
        Route("POST", "/api/upload", "upload", needs_token=False),
        Route("POST", "/api/upload/multipart", "upload_multipart", needs_token=False),
        Route("POST", "/api/upload/fragment", "fragment", needs_token=False),
        Route("POST", "/api/upload/complete", "complete", needs_token=False),
        Route("POST", "/openapi/photo/publish", "publish", mutating=True, post=True),
        Route("GET", "/openapi/photo/info", "info", numbers=True),
        Route("GET", "/openapi/photo/delete", "delete", post=True),
        Route("POST", "/openapi/photo/delete", "delete", post=True),
    )

    DIRECT_MAX_BYTES: ClassVar[int] = 10 * MiB - 1  # [V] direct upload for files under 10 MB
    FRAGMENT_MAX_BYTES: ClassVar[int] = 10 * MiB  # [V] fragments of at most 10 MB
    COVER_WARN_BYTES: ClassVar[int] = 10 * MiB  # [S] tools cap the cover at 10 MB: a warning only
    REFRESH_SECONDS: ClassVar[float] = 180 * 86400  # [S] a refresh token lives 180 days

    def __init__(self, core: Any) -> None:
        super().__init__(core)
        self._codes = Bounded()  # authorisation code → _Grant (single use)
        self._refresh = Bounded()  # refresh token → _Grant
        self._uploads = Bounded(64)  # upload token → _Upload (their bytes are held in memory: few at once)
        self._works = Bounded()  # photo_id → _Work

    # ---- the shape of Kuaishou's answers ---------------------------------------------------------

    def error(self, req: Request, code: int, message: str, status: int = 200) -> Reply:
        return Reply(
            status, {"result": code, "error": message.split(" (")[0].replace(" ", "_").lower(), "error_msg": message}
        )

    def error_code(self, reply: Reply) -> int | None:
        body = reply.body if isinstance(reply.body, dict) else {}
        return body.get("result") if isinstance(body.get("result"), int) else None

    def token_error(self, req: Request, problem: str) -> Reply:
        if problem == "missing":
            return self.error(req, PARAM_ERROR, "access_token is required")
        return self.error(req, TOKEN_INVALID, f"invalid access_token ({problem})")

    def _app(self, req: Request) -> str:
        app_id = req.query.get("app_id", "")
        if not app_id:
            raise Refusal(self.error(req, PARAM_ERROR, "app_id is required"))
        return app_id

    # ---- OAuth ------------------------------------------------------------------------------------

    def authorize(self, req: Request, ctx: Ctx) -> Reply:
        q = req.query
        app_id, redirect = q.get("app_id", ""), q.get("redirect_uri", "")
        if not app_id or not redirect or q.get("response_type") != "code":
            return self.error(req, PARAM_ERROR, "app_id, response_type=code and redirect_uri are required")
        open_id = q.get("sandbox_open_id") or f"sandbox-{hashlib.sha1(app_id.encode()).hexdigest()[:12]}"
        code = secrets.token_urlsafe(16)
        scopes = [s for s in q.get("scope", "").split(",") if s]
        self._codes[code] = _Grant(app_id, open_id, scopes, time.monotonic() + 600)
        ctx.channel = open_id
        location = (
            f"{redirect}{'&' if '?' in redirect else '?'}{urlencode({'code': code, 'state': q.get('state', '')})}"
        )
        return Reply(302, {"result": 1, "code": code}, {"Location": location})

    def access_token(self, req: Request, ctx: Ctx) -> Reply:
        fields = _fields(req)
        if fields.get("grant_type") != "authorization_code" or not fields.get("app_secret"):
            return self.error(req, PARAM_ERROR, "grant_type=authorization_code and app_secret are required")
        grant = self._codes.pop(fields.get("code", ""), None)
        if grant is None or grant.app_id != fields.get("app_id"):
            return self.error(req, PARAM_ERROR, "invalid code or app_id")
        refresh = secrets.token_urlsafe(32)
        self._refresh[refresh] = _Grant(
            grant.app_id, grant.open_id, grant.scopes, time.monotonic() + self.REFRESH_SECONDS
        )
        ctx.channel = grant.open_id
        return self._tokens(grant, refresh)

    def refresh_token(self, req: Request, ctx: Ctx) -> Reply:
        fields = _fields(req)
        if fields.get("grant_type") != "refresh_token" or not fields.get("app_secret"):
            return self.error(req, PARAM_ERROR, "grant_type=refresh_token and app_secret are required")
        grant = self._refresh.get(fields.get("refresh_token", ""))
        if grant is None or grant.expires_at <= time.monotonic() or grant.app_id != fields.get("app_id"):
            return self.error(req, TOKEN_INVALID, "invalid refresh_token")
        ctx.channel = grant.open_id
        return self._tokens(grant, fields["refresh_token"])

    def _tokens(self, grant: _Grant, refresh: str) -> Reply:
        token, ttl = self.core.issue_token(self.name, grant.open_id)
        left = max(1, int(grant.expires_at - time.monotonic()))
        return Reply(200, {"result": 1, "access_token": token, "expires_in": ttl, "refresh_token": refresh,
                           "refresh_token_expires_in": left, "open_id": grant.open_id, "scopes": grant.scopes})  # fmt: skip

    # ---- upload -------------------------------------------------------------------------------------

    def start_upload(self, req: Request, ctx: Ctx) -> Reply:
        token = secrets.token_urlsafe(12)
        self._uploads[token] = _Upload(self._app(req), str(ctx.account))
        endpoint = f"{urlsplit(self.core.base_url).netloc}/{self.name}"  # a real endpoint is a bare host
        return Reply(200, {"result": 1, "upload_token": token, "endpoint": endpoint})

    def _upload_of(self, req: Request, ctx: Ctx) -> _Upload:
        upload = self._uploads.get(req.query.get("upload_token", ""))
        if upload is None:
            raise Refusal(self.error(req, PARAM_ERROR, "invalid upload_token"))
        ctx.channel = upload.open_id
        if upload.video_sha256 is not None:
            raise Refusal(self.error(req, PARAM_ERROR, "this upload_token's upload is complete"))
        return upload

    def upload(self, req: Request, ctx: Ctx) -> Reply:
        upload = self._upload_of(req, ctx)
        if req.headers.get("content-type", "").lower().startswith("multipart/"):
            return self.error(
                req, PARAM_ERROR, "send the file's raw bytes, no multipart framing (or use /api/upload/multipart)"
            )
        return self._whole(req, ctx, upload, req.body)

    def upload_multipart(self, req: Request, ctx: Ctx) -> Reply:
        upload = self._upload_of(req, ctx)
        try:
            parts = parse_multipart(req.body, req.headers.get("content-type", ""))
        except ValueError as exc:
            return self.error(req, PARAM_ERROR, f"multipart/form-data with a field file is required: {exc}")
        file = next((p for p in parts if p.name == "file" and p.filename), None)
        return self._whole(req, ctx, upload, file.data if file else b"")

    def _whole(self, req: Request, ctx: Ctx, upload: _Upload, data: bytes) -> Reply:
        ctx.extra["uploaded"] = uploaded(data)
        if not data:
            return self.error(req, PARAM_ERROR, "the file is empty")
        if len(data) > self.DIRECT_MAX_BYTES:
            return self.error(
                req, PARAM_ERROR, f"file of {len(data)} bytes: direct upload is for files under 10 MB; use fragments"
            )
        return self._finish(req, upload, data)

    def fragment(self, req: Request, ctx: Ctx) -> Reply:
        upload = self._upload_of(req, ctx)
        raw = req.query.get("fragment_id", "")
        if not raw.isdigit():
            return self.error(req, PARAM_ERROR, f"fragment_id must be a whole number from 0, not {raw!r}")
        ctx.extra["uploaded"] = uploaded(req.body)
        if not req.body or len(req.body) > self.FRAGMENT_MAX_BYTES:
            return self.error(
                req, PARAM_ERROR, f"a fragment holds 1 to {self.FRAGMENT_MAX_BYTES} bytes, not {len(req.body)}"
            )
        if held(self._uploads.values(), "fragments") + len(req.body) > HELD_MAX_BYTES:
            return self.error(
                req, PARAM_ERROR, f"the sandbox holds at most {HELD_MAX_BYTES} bytes of unfinished uploads"
            )
        upload.fragments[int(raw)] = req.body
        return Reply(200, {"result": 1})

    def complete(self, req: Request, ctx: Ctx) -> Reply:
        upload = self._upload_of(req, ctx)
        raw = req.query.get("fragment_count", "")
        count = int(raw) if raw.isdigit() else -1
        if count < 1 or sorted(upload.fragments) != list(range(count)):
            return self.error(
                req, PARAM_ERROR, f"fragment_count {raw!r} does not match fragments {sorted(upload.fragments)}"
            )
        data = b"".join(upload.fragments[i] for i in range(count))
        upload.fragments.clear()
        ctx.summary = {"fragments": count, **uploaded(data)}
        return self._finish(req, upload, data)

    def _finish(self, req: Request, upload: _Upload, data: bytes) -> Reply:
        if sniff(data) != "mp4":
            return self.error(req, PARAM_ERROR, f"video format {sniff(data) or 'unknown'}: mp4 expected")
        upload.video_sha256 = hashlib.sha256(data).hexdigest()
        return Reply(200, {"result": 1})

    # ---- publish, info, delete --------------------------------------------------------------------

    def publish(self, req: Request, ctx: Ctx) -> Reply:
        app_id = self._app(req)
        upload = self._uploads.get(req.query.get("upload_token", ""))
        if upload is None or upload.app_id != app_id or upload.open_id != ctx.account:
            return self.core.withhold(ctx, self.error(req, PARAM_ERROR, "invalid upload_token"))
        if upload.video_sha256 is None or upload.published:
            return self.error(req, 120002, "video not uploaded (视频未上传)")
        caption, cover = _publish_fields(self, req)
        ctx.summary = {"caption": caption, "cover": uploaded(cover.data)}
        if len(cover.data) > self.COVER_WARN_BYTES:
            ctx.warnings.append(f"cover of {len(cover.data)} bytes: tools cap it at 10 MB [S]")
        if self.core.take_fault(ctx, "reject"):
            return self.error(req, 120003, "video publish failed (视频发布失败) (sandbox fault: reject)")
        upload.published = True
        photo_id = f"3x{secrets.token_hex(7)}"
        video_sha = upload.video_sha256
        view = {"photo_id": photo_id, "caption": caption, "video_sha256": video_sha}
        url = self.core.public_url(self.name, f"/short-video/{photo_id}", view)
        self._works[photo_id] = _Work(str(ctx.account), self.core.edited(ctx, caption), hashlib.sha256(cover.data).hexdigest(), video_sha,
                                      int(time.time()), self.core.options.publish_polls, url,
                                      born=self.core.audience_time())  # fmt: skip
        self.core.mark_applied(req, ctx, photo_id)
        ctx.summary.update(photo_id=photo_id, video_sha256=video_sha)
        return self.core.withhold(ctx, Reply(200, {"result": 1, "video_info": {"photo_id": photo_id, "play_url": url}}))

    def _work(self, req: Request, ctx: Ctx) -> tuple[str, _Work]:
        self._app(req)
        photo_id = req.query.get("photo_id", "")
        work = self._works.get(photo_id)
        if work is None or work.open_id != ctx.account or work.deleted:
            raise Refusal(Reply(200, {"result": 100120001, "error": "video_not_exist", "error_msg": "VIDEO_NOT_EXIST"}))
        return photo_id, work

    def info(self, req: Request, ctx: Ctx) -> Reply:
        photo_id, work = self._work(req, ctx)
        pending = work.polls_left > 0
        if pending:
            work.polls_left -= 1
        return Reply(200, {"result": 1, "video_info": {
            "photo_id": photo_id, "caption": work.caption, "cover": "", "play_url": work.play_url,
            "create_time": work.create_time * 1000, "pending": pending,
            **growth.counts(photo_id, 0.0 if pending else self.core.audience_time() - work.born, self.COUNTS)}})  # fmt: skip

    COUNTS: ClassVar[dict[str, float]] = {
        "view_count": 1.0,
        "like_count": 0.05,
        "comment_count": 0.008,
    }  # shares of the reach (sandbox/growth.py)

    def delete(self, req: Request, ctx: Ctx) -> Reply:
        try:
            photo_id, work = self._work(req, ctx)
        except Refusal:
            return self.error(req, 120001, "video does not exist (视频不存在)")
        work.deleted = True
        ctx.summary = {"photo_id": photo_id}
        self.core.mark_applied(req, ctx, photo_id)
        return Reply(200, {"result": 1})


def _fields(req: Request) -> dict[str, str]:
    """OAuth fields from the query or a form body (clients send both ways)."""
    fields = dict(req.query)
    if req.headers.get("content-type", "").lower().startswith("application/x-www-form-urlencoded"):
        fields.update({k: v[0] for k, v in parse_qs(req.body.decode("utf-8", "replace")).items()})
    return fields


def _publish_fields(platform: Kuaishou, req: Request) -> tuple[str, Part]:
    try:
        parts = parse_multipart(req.body, req.headers.get("content-type", ""))
    except ValueError as exc:
        raise Refusal(
            platform.error(req, PARAM_ERROR, f"multipart/form-data with caption and cover is required: {exc}")
        ) from None
    caption = next((p for p in parts if p.name == "caption" and p.filename is None), None)
    cover = next((p for p in parts if p.name == "cover" and p.filename), None)
    text = caption.data.decode("utf-8", "replace") if caption else ""
    if not text.strip():
        raise Refusal(platform.error(req, PARAM_ERROR, "caption is required"))
    if cover is None or sniff(cover.data) not in ("jpg", "png"):
        raise Refusal(platform.error(req, PARAM_ERROR, "cover (a jpg or png image file) is required"))
    return text, cover
