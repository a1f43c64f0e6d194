"""Douyin (抖音开放平台), served under ``/douyin/…``: platforms.md §4, each check with its source.

- OAuth [V account-permission pages]: ``GET /platform/oauth/connect/`` stands for the user's
  consent and redirects at once to ``redirect_uri?code=…&state=…`` (the sandbox's user is the query's
  ``sandbox_open_id``, else one derived from the client_key); ``POST /oauth/access_token/`` and
  ``POST /oauth/refresh_token/`` take form fields and answer ``data{access_token, expires_in,
  refresh_token, refresh_expires_in, open_id, scope}``. A refresh keeps the refresh token and its
  expiry. Access tokens live ``token_ttl`` seconds (the sandbox's option; Douyin's are 15 days).
- Every other call carries the token in the ``access-token`` header and the user in ``?open_id=``
  (another user's open_id: 2190015). Answers have Douyin's shape, HTTP 200 with
  ``{"data": {…, "error_code", "description"}, "extra": {"error_code", "description",
  "sub_error_code", "sub_description", "logid", "now"}}``.
- Upload [V upload page]: ``/video/upload/`` (multipart ``video``) up to `DIRECT_MAX_BYTES` (128 MB;
  more: 2190005); ``/video/part/init/`` → ``upload_id`` valid 2 h, ``/video/part/upload/?upload_id=&part_number=N``
  (from 1), ``/video/part/complete/``: the parts must be 1…N with none missing and all but the last
  at least `MIN_PART_BYTES` (5 MB), at most `MAX_TOTAL_BYTES` (4 GB) in all. mp4 or webm only;
  over 15 minutes (read from the MP4): 2190006. A video_id serves one create (2190007 after).
- ``/video/create/`` JSON ``{video_id, text, cover_tsp}`` → ``item_id``: `cover_tsp` must be a second
  inside the video; a title (the text before its first ``#``/``@``) over 30 characters is recorded
  as a warning only, since that limit is the creator centre's [C], not the API's.
- Review [S douyin-go Video]: ``/video/data/`` answers ``is_reviewed: false, video_status: 4`` for
  `publish_polls` questions, then ``true`` with 5 (public, with ``share_url`` on the sandbox's host)
  or, after the "publish-fail" fault, 2 (unsuitable for public).
- Numbers [S douyin-go Video.Statistics; EnigmaNet.DouYinOpenApi VideoStatistics]: ``/video/data/``'s
  `statistics` {play_count, digg_count, comment_count, share_count, forward_count, download_count} grow
  with the audience's clock once the video is public (sandbox/growth.py); a deleted video leaves the list.
- ``/video/delete/`` JSON ``{item_id}`` [S douyin-go VideoDelete]: the video leaves ``/video/data/``.
- Faults: "reject" → 2111001 (sensitive words) on create; "quota" → 2190001; "expired-token" → 2190008.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode

from mediactl.sandbox import growth
from mediactl.sandbox.core import Bounded, Ctx, MiB, Platform, Refusal, Reply, Request, Route, uploaded
from mediactl.sandbox.files import HELD_MAX_BYTES, held, mp4_info, sniff
from mediactl.sandbox.multipart import Part, parse_multipart

PARAM_ERROR = 2100005  # [V] parameter error


@dataclass
class _Grant:
    client_key: str
    open_id: str
    scope: str
    expires_at: float  # time.monotonic()


@dataclass
class _Video:
    open_id: str
    sha256: str
    size: int
    seconds: float | None
    used: bool = False


@dataclass
class _PartUpload:
    open_id: str
    opened_at: float  # time.monotonic()
    parts: dict[int, bytes] = field(default_factory=dict)


@dataclass
class _Item:
    open_id: str
    text: str
    create_time: int
    polls_left: int
    final_status: int  # 5 public, 2 unsuitable for public (fault publish-fail)
    share_url: str
    deleted: bool = False
    born: float = 0.0  # published at, on the audience's clock (Core.audience_time)


class Douyin(Platform):
    name = "douyin"
    routes: ClassVar[tuple[Route, ...]] = (
        Route("GET", "/platform/oauth/connect/", "connect", needs_token=False),
        Route("POST", "/oauth/access_token/", "access_token", needs_token=False),
        Route("POST", "/oauth/refresh_token/", "refresh_token", needs_token=False),
        Route("POST", "/video/upload/", "upload"),
        Route("POST", "/video/part/init/", "part_init"),
        Route("POST", "/video/part/upload/", "part_upload"),
        Route("POST", "/video/part/complete/", "part_complete"),
        Route("POST", "/video/create/", "create", mutating=True, post=True),
        Route("POST", "/video/data/", "data", numbers=True),
        Route("POST", "/video/delete/", "delete", post=True),
    )
    transient_kinds = ("500", "429", "quota")

    # Limits as class attributes, so a test can lower them to run the part path on a small file.
    DIRECT_MAX_BYTES: ClassVar[int] = 128 * MiB  # [V] part upload required above 128 MB
    MIN_PART_BYTES: ClassVar[int] = 5 * MiB  # [V] parts ≥5 MB (but the last)
    MAX_TOTAL_BYTES: ClassVar[int] = 4096 * MiB  # [V] ≤4 GB in total
    MAX_SECONDS: ClassVar[float] = 15 * 60  # [V] ≤15 min (2190006)
    UPLOAD_ID_SECONDS: ClassVar[float] = 2 * 3600  # [V] an upload_id is valid 2 h
    REFRESH_SECONDS: ClassVar[float] = 30 * 86400  # [V] a refresh token lives 30 days
    TITLE_CHARS: ClassVar[int] = 30  # [C] creator-centre tools keep the title ≤30 characters: a warning only

    def __init__(self, core: Any) -> None:
        super().__init__(core)
        self._codes = Bounded()  # authorisation code → _Grant (single use)
        self._refresh = Bounded()  # refresh token → _Grant
        self._videos = Bounded()  # video_id → _Video
        self._uploads = Bounded(64)  # upload_id → _PartUpload (their parts are held in memory: few at once)
        self._items = Bounded()  # item_id → _Item

    # ---- the shape of Douyin's answers ---------------------------------------------------------

    def error(self, req: Request, code: int, message: str, status: int = 200) -> Reply:
        return _answer({"error_code": code, "description": message}, code, message, status)

    def error_code(self, reply: Reply) -> int | None:
        body = reply.body if isinstance(reply.body, dict) else {}
        data = body.get("data")
        return data.get("error_code") if isinstance(data, dict) else None

    def transient(self, req: Request, kind: str) -> Reply:
        if kind == "quota":
            return self.error(req, 2190001, "quota used up (sandbox)")
        return super().transient(req, kind)

    def token_error(self, req: Request, problem: str) -> Reply:
        if problem == "expired":
            return self.error(req, 2190008, "access_token过期,请刷新或重新授权")
        return self.error(req, 2190002, f"access_token无效 ({problem})")

    def token_of(self, req: Request) -> str | None:
        return req.headers.get("access-token") or None  # [V] header access-token

    # ---- OAuth ------------------------------------------------------------------------------------

    def connect(self, req: Request, ctx: Ctx) -> Reply:
        q = req.query
        client_key, redirect = q.get("client_key", ""), q.get("redirect_uri", "")
        if not client_key or not redirect or q.get("response_type") != "code":
            return self.error(req, PARAM_ERROR, "client_key, response_type=code and redirect_uri are required")
        open_id = q.get("sandbox_open_id") or f"sandbox-{hashlib.sha1(client_key.encode()).hexdigest()[:12]}"
        code = secrets.token_urlsafe(16)
        self._codes[code] = _Grant(client_key, open_id, q.get("scope", ""), time.monotonic() + 600)
        ctx.channel = open_id
        location = (
            f"{redirect}{'&' if '?' in redirect else '?'}{urlencode({'code': code, 'state': q.get('state', '')})}"
        )
        return Reply(302, {"code": code, "state": q.get("state", "")}, {"Location": location})

    def access_token(self, req: Request, ctx: Ctx) -> Reply:
        form = _form(self, req)
        if form.get("grant_type") != "authorization_code":
            return self.error(req, PARAM_ERROR, "grant_type must be authorization_code")
        grant = self._codes.pop(form.get("code", ""), None)
        if grant is None or grant.client_key != form.get("client_key") or not form.get("client_secret"):
            return self.error(req, PARAM_ERROR, "invalid code, client_key or client_secret")
        refresh = secrets.token_urlsafe(32)
        self._refresh[refresh] = _Grant(
            grant.client_key, grant.open_id, grant.scope, time.monotonic() + self.REFRESH_SECONDS
        )
        ctx.channel = grant.open_id
        return self._tokens(grant, refresh)

    def refresh_token(self, req: Request, ctx: Ctx) -> Reply:
        form = _form(self, req)
        if form.get("grant_type") != "refresh_token":
            return self.error(req, PARAM_ERROR, "grant_type must be refresh_token")
        grant = self._refresh.get(form.get("refresh_token", ""))
        if grant is None or grant.expires_at <= time.monotonic():
            return self.error(req, 10010, "refresh_token过期,请重新授权")  # [V] refresh page
        if grant.client_key != form.get("client_key"):
            return self.error(req, PARAM_ERROR, "client_key does not match the refresh token")
        ctx.channel = grant.open_id
        return self._tokens(grant, form["refresh_token"])

    def _tokens(self, grant: _Grant, refresh: str) -> Reply:
        token, ttl = self.core.issue_token(self.name, grant.open_id)
        left = max(1, int(grant.expires_at - time.monotonic()))
        return _ok({"access_token": token, "expires_in": ttl, "refresh_token": refresh, "refresh_expires_in": left,
                    "open_id": grant.open_id, "scope": grant.scope})  # fmt: skip

    def _user(self, req: Request, ctx: Ctx) -> str:
        open_id = req.query.get("open_id", "")
        if not open_id:
            raise Refusal(self.error(req, PARAM_ERROR, "open_id is required"))
        if open_id != ctx.account:
            raise Refusal(self.error(req, 2190015, "access_token与open_id不匹配"))
        return open_id

    # ---- upload -------------------------------------------------------------------------------------

    def upload(self, req: Request, ctx: Ctx) -> Reply:
        open_id = self._user(req, ctx)
        video = _video_part(self, req)
        ctx.extra["uploaded"] = uploaded(video.data)
        if len(video.data) > self.DIRECT_MAX_BYTES:
            return self.error(
                req, 2190005, f"file of {len(video.data)} bytes is over {self.DIRECT_MAX_BYTES}: use part upload"
            )
        return self._store(req, open_id, video.data)

    def part_init(self, req: Request, ctx: Ctx) -> Reply:
        open_id = self._user(req, ctx)
        upload_id = secrets.token_urlsafe(24)
        self._uploads[upload_id] = _PartUpload(open_id, time.monotonic())
        return _ok({"upload_id": upload_id})

    def _open_upload(self, req: Request, open_id: str) -> tuple[str, _PartUpload]:
        upload_id = req.query.get("upload_id", "")
        upload = self._uploads.get(upload_id)
        if upload is None or upload.open_id != open_id:
            raise Refusal(self.error(req, PARAM_ERROR, "invalid upload_id"))
        if time.monotonic() - upload.opened_at > self.UPLOAD_ID_SECONDS:
            raise Refusal(self.error(req, PARAM_ERROR, "upload_id expired (valid 2 hours)"))
        return upload_id, upload

    def part_upload(self, req: Request, ctx: Ctx) -> Reply:
        open_id = self._user(req, ctx)
        _, upload = self._open_upload(req, open_id)
        raw = req.query.get("part_number", "")
        if not raw.isdigit() or int(raw) < 1:
            return self.error(req, PARAM_ERROR, f"part_number must be a whole number from 1, not {raw!r}")
        video = _video_part(self, req)
        ctx.extra["uploaded"] = uploaded(video.data)
        if held(self._uploads.values(), "parts") + len(video.data) > HELD_MAX_BYTES:
            return self.error(req, 2190005, f"the sandbox holds at most {HELD_MAX_BYTES} bytes of unfinished uploads")
        upload.parts[int(raw)] = video.data
        return _ok({})

    def part_complete(self, req: Request, ctx: Ctx) -> Reply:
        open_id = self._user(req, ctx)
        upload_id, upload = self._open_upload(req, open_id)
        numbers = sorted(upload.parts)
        if not numbers or numbers != list(range(1, len(numbers) + 1)):
            return self.error(req, PARAM_ERROR, f"parts must be numbered 1…N with none missing; got {numbers}")
        small = [n for n in numbers[:-1] if len(upload.parts[n]) < self.MIN_PART_BYTES]
        if small:
            return self.error(
                req, PARAM_ERROR, f"parts {small} are under {self.MIN_PART_BYTES} bytes (only the last may be)"
            )
        data = b"".join(upload.parts[n] for n in numbers)
        del self._uploads[upload_id]
        if len(data) > self.MAX_TOTAL_BYTES:
            return self.error(req, 2190005, f"file of {len(data)} bytes is over {self.MAX_TOTAL_BYTES}")
        ctx.summary = {"parts": len(numbers), **uploaded(data)}
        return self._store(req, open_id, data)

    def _store(self, req: Request, open_id: str, data: bytes) -> Reply:
        kind = sniff(data)
        if kind not in ("mp4", "webm"):  # [V] mp4 or webm
            return self.error(req, PARAM_ERROR, f"video format {kind or 'unknown'}: mp4 or webm only")
        seconds, width, height = mp4_info(data) if kind == "mp4" else (None, None, None)
        if seconds is not None and seconds > self.MAX_SECONDS:
            return self.error(req, 2190006, f"video of {seconds:.0f} s is over {self.MAX_SECONDS:.0f} s")
        video_id = f"v0200{secrets.token_hex(14)}"
        self._videos[video_id] = _Video(open_id, hashlib.sha256(data).hexdigest(), len(data), seconds)
        return _ok({"video": {"video_id": video_id, "width": width or 0, "height": height or 0}})

    # ---- create, review, delete ------------------------------------------------------------------

    def create(self, req: Request, ctx: Ctx) -> Reply:
        open_id = self._user(req, ctx)
        body = _json(self, req)
        video_id, text, tsp = body.get("video_id"), body.get("text", ""), body.get("cover_tsp")
        ctx.summary = {"video_id": video_id, "text": text, "cover_tsp": tsp}
        video = self._videos.get(video_id) if isinstance(video_id, str) else None
        if video is None or video.open_id != open_id or video.used:
            return self.core.withhold(
                ctx, self.error(req, 2190007, "invalid video_id (upload afresh for every create)")
            )
        if not isinstance(text, str):
            return self.error(req, PARAM_ERROR, "text must be a string")
        if tsp is not None and (isinstance(tsp, bool) or not isinstance(tsp, int | float) or tsp < 0
                                or (video.seconds is not None and tsp > video.seconds)):  # fmt: skip
            return self.error(req, PARAM_ERROR, f"cover_tsp {tsp!r} is not a second inside the video")
        if self.core.take_fault(ctx, "reject"):
            return self.error(req, 2111001, "内容包含敏感词 (sandbox fault: reject)")
        title = text.split("#", 1)[0].split("@", 1)[0].strip()
        if len(title) > self.TITLE_CHARS:
            ctx.warnings.append(
                f"title of {len(title)} characters: creator-centre tools keep it ≤{self.TITLE_CHARS} [C]"
            )
        video.used = True
        item_id = f"@{secrets.token_urlsafe(18)}"
        final = 2 if self.core.take_fault(ctx, "publish-fail") else 5
        view = {"item_id": item_id, "text": text, "video_sha256": video.sha256}
        url = self.core.public_url(self.name, f"/video/{self.core.new_id()}", view)
        self._items[item_id] = _Item(
            open_id,
            self.core.edited(ctx, text),
            int(time.time()),
            self.core.options.publish_polls,
            final,
            url,
            born=self.core.audience_time(),
        )
        self.core.mark_applied(req, ctx, item_id)
        ctx.summary.update(item_id=item_id, video_sha256=video.sha256)
        return self.core.withhold(ctx, _ok({"item_id": item_id}))

    def data(self, req: Request, ctx: Ctx) -> Reply:
        open_id = self._user(req, ctx)
        ids = _json(self, req).get("item_ids")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            return self.error(req, PARAM_ERROR, "item_ids must be a non-empty list of strings")
        found = [(i, self._items.get(i)) for i in ids]
        return _ok(
            {
                "list": [
                    self._video(i, item) for i, item in found if item and item.open_id == open_id and not item.deleted
                ]
            }
        )

    def _video(self, item_id: str, item: _Item) -> dict[str, Any]:
        """One entry of /video/data/'s list; asking counts down the review."""
        reviewing = item.polls_left > 0
        if reviewing:
            item.polls_left -= 1
        status = 4 if reviewing else item.final_status
        return {"item_id": item_id, "title": item.text, "cover": "", "is_top": False, "create_time": item.create_time,
                "is_reviewed": not reviewing, "video_status": status, "media_type": 4,
                "share_url": item.share_url if status == 5 else "",
                "statistics": self._statistics(item_id, item, public=status == 5)}  # fmt: skip

    STATISTICS: ClassVar[dict[str, float]] = {
        "play_count": 1.0,
        "digg_count": 0.07,
        "comment_count": 0.01,
        "share_count": 0.008,
        "forward_count": 0.004,
        "download_count": 0.002,
    }  # shares of the reach (sandbox/growth.py)

    def _statistics(self, item_id: str, item: _Item, *, public: bool) -> dict[str, int]:
        """A video's counts: none while in review or hidden, then growing with the audience's clock."""
        seconds = self.core.audience_time() - item.born if public else 0.0
        return growth.counts(item_id, seconds, self.STATISTICS)

    def delete(self, req: Request, ctx: Ctx) -> Reply:
        open_id = self._user(req, ctx)
        item_id = _json(self, req).get("item_id")
        item = self._items.get(item_id) if isinstance(item_id, str) else None
        ctx.summary = {"item_id": item_id}
        if item is None or item.open_id != open_id or item.deleted:
            return self.error(req, PARAM_ERROR, "item_id does not exist")
        item.deleted = True
        self.core.mark_applied(req, ctx, str(item_id))
        return _ok({})


def _extra(code: int, message: str) -> dict[str, Any]:
    return {"error_code": code, "description": message, "sub_error_code": 0, "sub_description": "",
            "logid": secrets.token_hex(16).upper(), "now": int(time.time() * 1000)}  # fmt: skip


def _answer(data: dict[str, Any], code: int, message: str, status: int = 200) -> Reply:
    return Reply(status, {"data": data, "extra": _extra(code, message)})


def _ok(data: dict[str, Any]) -> Reply:
    return _answer({**data, "error_code": 0, "description": ""}, 0, "")


def _json(platform: Douyin, req: Request) -> dict[str, Any]:
    try:
        data = json.loads(req.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise Refusal(platform.error(req, PARAM_ERROR, f"body is not JSON: {exc}")) from None
    if not isinstance(data, dict):
        raise Refusal(platform.error(req, PARAM_ERROR, "a JSON object is expected"))
    return data


def _form(platform: Douyin, req: Request) -> dict[str, str]:
    """Form fields of an OAuth call (application/x-www-form-urlencoded [V])."""
    if not req.headers.get("content-type", "").lower().startswith("application/x-www-form-urlencoded"):
        raise Refusal(
            platform.error(req, PARAM_ERROR, "send the fields form-encoded (application/x-www-form-urlencoded)")
        )
    return {k: v[0] for k, v in parse_qs(req.body.decode("utf-8", "replace"), keep_blank_values=True).items()}


def _video_part(platform: Douyin, req: Request) -> Part:
    try:
        parts = parse_multipart(req.body, req.headers.get("content-type", ""))
    except ValueError as exc:
        raise Refusal(
            platform.error(req, PARAM_ERROR, f"multipart/form-data with a field video is required: {exc}")
        ) from None
    video = next((p for p in parts if p.name == "video" and p.filename), None)
    if video is None or not video.data:
        raise Refusal(platform.error(req, PARAM_ERROR, "the multipart field video (a file) is missing"))
    return video
