"""Bilibili open platform (服务端视频稿件投递), served under ``/bilibili/…``: platforms.md §6 and the platform's docs.

Written from the documentation, not from mediactl's adapter; each check names its source:
- [SIG] 接口签名实现标准 (open.bilibili.com/doc/4/8673959e-f7bb-56e6-6e68-d225f971b81b, as quoted in
  bilibili-openplatform/SignatureAlgorithm_DotnetDemo README): every member.bilibili.com call carries
  Accept: application/json, x-bili-content-md5 (md5 of the body except files; of "" for GET or an
  empty body), x-bili-timestamp (≤10 minutes old), x-bili-signature-method HMAC-SHA256,
  x-bili-signature-nonce (unique), x-bili-accesskeyid (client_id), x-bili-signature-version (2.0,
  which needs access-token) and Authorization = hex HMAC-SHA256(app_secret, the sorted x-bili-*
  headers as `name:value` lines). Status codes 4000–4009 as that page lists them.
- [FLOW] platforms.md §6 and bilibili-openplatform/demo + OpenPlatform_CSharpDemo: video/init (utype
  "1" whole ≤100 MB, "0" parts) → openupos /video/v2/upload or /video/v2/part/upload?part_number=N
  (no signature: the upload_token authorises) → video/complete → cover/upload (multipart `file`) →
  add-by-utoken?upload_token (title <80, tid, tag ≤200 comma-separated, desc ≤250, copyright 1|2 with
  source for 2) → resource_id; archive/view answers addit_info.state; archive/delete.
- [CODES] the status-code table of the same doc (127001 token, 127022 upload_token, 1230xx submission).
- [STAT] 数据开放服务 获取单个稿件数据 (apifox mirror of the open platform's docs, docs-site/1106400 api-23908635):
  ``GET /arcopen/fn/data/arc/stat?resource_id=`` answers data {view, danmaku, reply, favorite, coin, share,
  like}; an unknown or deleted submission answers 123004/123005 as archive/view does [U].
- OAuth (account-oauth2/v1/token, refresh_token: refresh tokens are single use; expires_in is an
  absolute Unix time) [S] bilibili-openplatform/demo golang/auth.go and the open platform's 账号授权 doc.
``GET /pc/account-pc/auth/oauth`` (client_id, gourl, state) stands for the account owner's consent and
redirects at once to ``gourl?code=…&state=…`` (the user is the query's ``sandbox_open_id``, else one
derived from the client_id); a code serves one exchange, for its client_id (else 122002).
In the sandbox every app's secret is `APP_SECRET` below (the sandbox cannot know a real one).
Faults: "reject" → 123024 on add-by-utoken, "publish-fail" → the review ends in state -2 (被打回);
"drop"/"timeout" withhold the answer of add-by-utoken or archive/delete (uploads are not publishing steps).
A submission answers state -1 (待审) `publish_polls` times, then 0 (开放浏览) with a share_url on the
sandbox's host.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode

from mediactl.sandbox import growth
from mediactl.sandbox.core import Bounded, Ctx, MiB, Platform, Refusal, Reply, Request, Route, uploaded
from mediactl.sandbox.files import sniff
from mediactl.sandbox.multipart import parse_multipart

APP_SECRET = "sandbox-app-secret"  # every client_id's app secret in the sandbox
SIGNED = ("x-bili-accesskeyid", "x-bili-content-md5", "x-bili-signature-method", "x-bili-signature-nonce",
          "x-bili-signature-version", "x-bili-timestamp")  # fmt: skip
MAX_SKEW = 600  # [SIG] a timestamp more than 10 minutes off is dropped
WHOLE_MAX = 100 * MiB  # [FLOW] utype "1"
MAX_PARTS = 10_000
TYPES = {21: "日常", 207: "财经商业", 229: "人文历史"}  # a few real category ids (分区) for type/list and tid checks
_BV = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _ok(data: Any = None) -> Reply:
    body: dict[str, Any] = {"code": 0, "message": "0", "ttl": 1, "request_id": secrets.token_hex(8)}
    if data is not None:
        body["data"] = data
    return Reply(200, body)


def _fail(code: int, message: str) -> Reply:
    return Reply(200, {"code": code, "message": message, "ttl": 1, "request_id": secrets.token_hex(8)})


@dataclass
class _Upload:
    account: str
    name: str
    utype: str
    parts: dict[int, bytes] = field(default_factory=dict)
    video: bytes | None = None  # the whole file, once uploaded or completed
    used: bool = False  # add-by-utoken consumed it


@dataclass
class _Archive:
    account: str
    fields: dict[str, Any]
    polls_left: int
    final_state: int  # 0 开放浏览, -2 被打回 (fault publish-fail)
    url: str
    deleted: bool = False
    born: float = 0.0  # submitted at, on the audience's clock (Core.audience_time)


class Bilibili(Platform):
    name = "bilibili"
    routes: ClassVar[tuple[Route, ...]] = (
        Route("GET", "/pc/account-pc/auth/oauth", "oauth_consent", needs_token=False),
        Route("POST", "/x/account-oauth2/v1/token", "oauth_token", needs_token=False),
        Route("POST", "/x/account-oauth2/v1/refresh_token", "oauth_refresh", needs_token=False),
        Route("POST", "/arcopen/fn/archive/video/init", "video_init", mutating=True),
        Route("POST", "/video/v2/upload", "upload_whole", needs_token=False, mutating=True),
        Route("POST", "/video/v2/part/upload", "upload_part", needs_token=False, mutating=True),
        Route("POST", "/arcopen/fn/archive/video/complete", "video_complete", mutating=True),
        Route("POST", "/arcopen/fn/archive/cover/upload", "cover_upload", mutating=True),
        Route("POST", "/arcopen/fn/archive/add-by-utoken", "archive_add", mutating=True, post=True),
        Route("GET", "/arcopen/fn/archive/view", "archive_view"),
        Route("POST", "/arcopen/fn/archive/delete", "archive_delete", mutating=True, post=True),
        Route("GET", "/arcopen/fn/archive/type/list", "type_list"),
        Route("GET", "/arcopen/fn/data/arc/stat", "arc_stat", numbers=True),
    )
    transient_kinds = ("500", "429", "quota")

    def __init__(self, core: Any) -> None:
        super().__init__(core)
        self._nonces = Bounded()
        self._codes = Bounded()  # authorisation code → (client_id, account, monotonic expiry) (single use)
        self._refresh = Bounded()  # refresh token → account (single use)
        self._uploads = Bounded()
        self._covers = Bounded()  # cover URLs this sandbox issued
        self._archives = Bounded()

    # ---- the shape of Bilibili's answers ------------------------------------------------------------

    def error(self, req: Request, code: int, message: str, status: int = 200) -> Reply:
        reply = _fail(code, message)
        reply.status = status
        return reply

    def error_code(self, reply: Reply) -> int | None:
        return reply.body.get("code") if isinstance(reply.body, dict) else None

    def transient(self, req: Request, kind: str) -> Reply:
        if kind == "quota":
            return _fail(127306, "接口请求频率过高，请确保请求量正常 (sandbox)")
        return super().transient(req, kind)

    def token_error(self, req: Request, problem: str) -> Reply:
        if problem == "missing":
            return _fail(127000, "缺少鉴权参数 (access-token)")
        return _fail(127001, f"access_token验证错误 ({problem})")

    def token_of(self, req: Request) -> str | None:
        return req.headers.get("access-token") or None

    # ---- [SIG] the signature every member.bilibili.com call carries ----------------------------------

    def _signed(self, req: Request, *, json_body: bool) -> None:
        headers = req.headers
        missing = [name for name in (*SIGNED, "authorization") if not headers.get(name)]
        if missing:
            raise Refusal(_fail(4000, f"参数错误: missing {', '.join(missing)}"))
        if headers.get("accept", "").split(";")[0].strip() != "application/json":
            raise Refusal(_fail(4009, "Accept不为application/json"))
        if headers["x-bili-signature-method"] != "HMAC-SHA256":
            raise Refusal(_fail(4005, "签名method异常"))
        if headers["x-bili-signature-version"] != "2.0":
            raise Refusal(_fail(4006, "签名版本异常 (2.0 carries the access-token)"))
        try:
            skew = abs(time.time() - int(headers["x-bili-timestamp"]))
        except ValueError:
            skew = float("inf")
        if skew > MAX_SKEW:
            raise Refusal(_fail(4003, "请求过期"))
        if json_body and headers.get("content-type", "").split(";")[0].strip() != "application/json":
            raise Refusal(_fail(4007, "Content-Type不为application/json"))
        covered = req.body if json_body else b""  # the body except files: a multipart upload signs ""
        if headers["x-bili-content-md5"] != hashlib.md5(covered).hexdigest():
            raise Refusal(_fail(4008, "MD5校验失败"))
        text = "\n".join(f"{name}:{headers[name]}" for name in sorted(SIGNED))
        expected = hmac.new(APP_SECRET.encode(), text.encode("utf-8"), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers["authorization"]):
            raise Refusal(_fail(4002, f"签名异常 (in the sandbox every app's secret is {APP_SECRET!r})"))
        nonce = headers["x-bili-signature-nonce"]
        if nonce in self._nonces:
            raise Refusal(_fail(4004, "重复请求"))
        self._nonces[nonce] = True

    # ---- OAuth ------------------------------------------------------------------------------------------

    def oauth_consent(self, req: Request, ctx: Ctx) -> Reply:
        """The account owner allows the app, at once: a redirect to `gourl` with a code and the state."""
        client_id, gourl = req.query.get("client_id", ""), req.query.get("gourl", "")
        if not client_id or not gourl:
            return _fail(4000, "参数错误: client_id and gourl are required")
        account = req.query.get("sandbox_open_id") or f"user-of-{client_id}"
        code = secrets.token_hex(16)
        self._codes[code] = (client_id, account, time.monotonic() + 600)
        ctx.channel = account
        answer = {"code": code, "state": req.query.get("state", "")}
        return Reply(302, answer, {"Location": f"{gourl}{'&' if '?' in gourl else '?'}{urlencode(answer)}"})

    def oauth_token(self, req: Request, ctx: Ctx) -> Reply:
        form = _form(req)
        if not form.get("client_id"):
            return _fail(122000, "client_id错误")
        if form.get("client_secret") != APP_SECRET:
            return _fail(122001, "client_secret 错误")
        found = self._codes.pop(form.get("code", ""), None)  # single use
        if form.get("grant_type") != "authorization_code" or found is None:
            return _fail(122002, "code未找到")
        client_id, account, expires_at = found
        if client_id != form["client_id"] or expires_at <= time.monotonic():
            return _fail(122002, "code未找到")
        return self._grant(ctx, account)

    def oauth_refresh(self, req: Request, ctx: Ctx) -> Reply:
        form = _form(req)
        if form.get("client_secret") != APP_SECRET:
            return _fail(122001, "client_secret 错误")
        account = self._refresh.pop(form.get("refresh_token", ""), None)  # single use
        if form.get("grant_type") != "refresh_token" or account is None:
            return _fail(122007, "refreshToken不合法")
        return self._grant(ctx, account)

    def _grant(self, ctx: Ctx, account: str) -> Reply:
        ctx.channel = account
        token, ttl = self.core.issue_token(self.name, account)
        refresh = secrets.token_hex(16)
        self._refresh[refresh] = account
        expires = int(time.time()) + ttl  # an absolute Unix time, as the platform answers
        return _ok({"access_token": token, "refresh_token": refresh, "expires_in": expires, "scopes": ["ARC_BASE"]})

    # ---- uploads ------------------------------------------------------------------------------------------

    def video_init(self, req: Request, ctx: Ctx) -> Reply:
        self._signed(req, json_body=True)
        data = _json(req)
        name, utype = data.get("name"), str(data.get("utype", "0"))
        if not isinstance(name, str) or "." not in name or name.rsplit(".", 1)[1].lower() not in ("mp4", "flv"):
            return _fail(4000, "参数错误: name must be a file name with its extension (mp4, flv)")
        if utype not in ("0", "1"):
            return _fail(4000, "参数错误: utype is 0 (parts) or 1 (one small file)")
        upload_token = secrets.token_hex(16)
        self._uploads[upload_token] = _Upload(str(ctx.account), name, utype)
        return _ok({"upload_token": upload_token})

    def _upload(self, req: Request, utype: str | None = None) -> _Upload:
        upload = self._uploads.get(req.query.get("upload_token", ""))
        if upload is None or upload.used or (utype is not None and upload.utype != utype):
            raise Refusal(_fail(127022, "upload_token验证错误"))
        return upload

    def upload_whole(self, req: Request, ctx: Ctx) -> Reply:
        upload = self._upload(req, "1")
        if len(req.body) > WHOLE_MAX:
            return _fail(4000, f"参数错误: a single upload is at most {WHOLE_MAX} bytes; use parts")
        _video(req.body)
        upload.video = req.body
        ctx.extra["uploaded"] = uploaded(req.body)
        return _ok()

    def upload_part(self, req: Request, ctx: Ctx) -> Reply:
        upload = self._upload(req, "0")
        number = req.query.get("part_number", "")
        if not number.isdigit() or not 1 <= int(number) <= MAX_PARTS or not req.body:
            return _fail(4000, "参数错误: part_number counts from 1, and a part is not empty")
        upload.parts[int(number)] = req.body
        ctx.extra["uploaded"] = uploaded(req.body)
        return _ok()

    def video_complete(self, req: Request, ctx: Ctx) -> Reply:
        self._signed(req, json_body=True)
        upload = self._upload(req, "0")
        numbers = sorted(upload.parts)
        if not numbers or numbers != list(range(1, len(numbers) + 1)):
            return _fail(4000, f"参数错误: parts 1…N expected, have {numbers[:10]}")
        whole = b"".join(upload.parts[n] for n in numbers)
        _video(whole)
        upload.video = whole
        ctx.extra["uploaded"] = uploaded(whole)
        return _ok()

    def cover_upload(self, req: Request, ctx: Ctx) -> Reply:
        self._signed(req, json_body=False)
        try:
            parts = parse_multipart(req.body, req.headers.get("content-type", ""))
        except ValueError as exc:
            return _fail(4000, f"参数错误: bad multipart body: {exc}")
        cover = next((p for p in parts if p.name == "file" and p.filename), None)
        if cover is None:
            return _fail(4000, "参数错误: the multipart field `file` is missing")
        kind = sniff(cover.data)
        if kind == "gif":
            return _fail(123038, "封面不允许使用gif")
        if kind not in ("jpg", "png") or len(cover.data) > 5 * MiB:
            return _fail(123008, "参数错误: a cover is a jpeg or png of at most 5 MB")
        ctx.extra["uploaded"] = uploaded(cover.data)
        url = self.core.local_url(self.name, f"/bfs/archive/{hashlib.sha1(cover.data).hexdigest()}.{kind}")
        self._covers[url] = ctx.account
        return _ok({"url": url})

    # ---- submission, review, deletion ----------------------------------------------------------------

    def archive_add(self, req: Request, ctx: Ctx) -> Reply:
        self._signed(req, json_body=True)
        upload = self._upload(req)
        if upload.account != ctx.account or upload.video is None:
            return _fail(127022, "upload_token验证错误 (no uploaded video for it)")
        data = _json(req)
        ctx.summary = {"title": data.get("title"), "tid": data.get("tid")}
        _check_submission(data, self._covers)
        if self.core.take_fault(ctx, "reject"):
            return _fail(123024, "当前输入有敏感信息,请修正 (sandbox fault: reject)")
        upload.used = True
        n = self.core.new_id()
        bvid = "BV1" + "".join(_BV[(n * 7919 + i * 104729) % len(_BV)] for i in range(9))
        final = -2 if self.core.take_fault(ctx, "publish-fail") else 0
        url = self.core.public_url(self.name, f"/video/{bvid}", {"resource_id": bvid, "title": data.get("title")})
        shown = {**data, "title": self.core.edited(ctx, str(data["title"]))}
        self._archives[bvid] = _Archive(str(ctx.account), shown, self.core.options.publish_polls, final, url,
                                        born=self.core.audience_time())  # fmt: skip
        self.core.mark_applied(req, ctx, bvid)
        ctx.summary["resource_id"] = bvid
        ctx.extra["uploaded"] = uploaded(upload.video)
        return self.core.withhold(ctx, _ok({"resource_id": bvid}))

    def _asked_archive(self, req: Request, ctx: Ctx) -> tuple[str, _Archive]:
        """The signed question's archive (`resource_id`), the caller's own and not deleted; else Refusal with
        Bilibili's answer (123004 no such submission, 123005 deleted)."""
        self._signed(req, json_body=False)
        bvid = req.query.get("resource_id", "")
        archive = self._archives.get(bvid)
        if archive is None or archive.account != ctx.account:
            raise Refusal(_fail(123004, "不存在该稿件"))
        if archive.deleted:
            raise Refusal(_fail(123005, "稿件已经被删除"))
        return bvid, archive

    def archive_view(self, req: Request, ctx: Ctx) -> Reply:
        bvid, archive = self._asked_archive(req, ctx)
        if archive.polls_left > 0:
            archive.polls_left -= 1
            state, desc, reason = -1, "待审", ""
        elif archive.final_state:
            state, desc, reason = -2, "已退回", "视频内容不符合社区规范 (sandbox fault: publish-fail)"
        else:
            state, desc, reason = 0, "开放浏览", ""
        fields = archive.fields
        view = {
            "resource_id": bvid, "title": fields.get("title"), "cover": fields.get("cover"), "tid": fields.get("tid"),
            "tag": fields.get("tag"), "desc": fields.get("desc"), "copyright": fields.get("copyright"),
            "addit_info": {"state": state, "state_desc": desc, "reject_reason": reason},
            "video_info": {"share_url": archive.url} if state == 0 else {},  # empty until open, as viewlist's doc says
        }  # fmt: skip
        return _ok(view)

    STAT: ClassVar[dict[str, float]] = {
        "view": 1.0,
        "like": 0.06,
        "coin": 0.02,
        "favorite": 0.025,
        "share": 0.01,
        "reply": 0.008,
        "danmaku": 0.015,
    }  # shares of the reach (sandbox/growth.py)

    def arc_stat(self, req: Request, ctx: Ctx) -> Reply:
        """[STAT] One submission's numbers: none until it is open (开放浏览), then growing with the audience's clock."""
        bvid, archive = self._asked_archive(req, ctx)
        is_open = archive.polls_left == 0 and archive.final_state == 0
        seconds = self.core.audience_time() - archive.born if is_open else 0.0
        return _ok(growth.counts(bvid, seconds, self.STAT))

    def archive_delete(self, req: Request, ctx: Ctx) -> Reply:
        self._signed(req, json_body=True)
        bvid = _json(req).get("resource_id")
        archive = self._archives.get(bvid) if isinstance(bvid, str) else None
        ctx.summary = {"resource_id": bvid}
        if archive is None or archive.account != ctx.account:
            return _fail(123004, "不存在该稿件")
        if archive.deleted:
            return _fail(123005, "稿件已经被删除")
        archive.deleted = True
        self.core.mark_applied(req, ctx, str(bvid))
        return self.core.withhold(ctx, _ok())

    def type_list(self, req: Request, ctx: Ctx) -> Reply:
        self._signed(req, json_body=False)
        return _ok(
            [{"id": tid, "parent": 0, "name": name, "description": "", "children": []} for tid, name in TYPES.items()]
        )


def _check_submission(data: dict[str, Any], covers: Bounded) -> None:
    """[FLOW]/[CODES] what add-by-utoken refuses, each with its code."""
    title, tag, desc = data.get("title"), data.get("tag"), data.get("desc", "")
    if not isinstance(title, str) or not title.strip():
        raise Refusal(_fail(123013, "标题不合法"))
    if len(title) > 80:
        raise Refusal(_fail(123030, "稿件标题过长,已经超过80个字符"))
    if not isinstance(data.get("cover"), str) or data["cover"] not in covers:
        raise Refusal(_fail(123008, "参数错误: cover must be a URL from cover/upload"))
    if data.get("tid") not in TYPES:
        raise Refusal(_fail(123009, "该分区不存在"))
    if not isinstance(tag, str) or not tag or len(tag) > 200 or any(not t.strip() for t in tag.split(",")):
        raise Refusal(_fail(123012, "Tag参数不合法 (comma-separated, at most 200 characters in all)"))
    if not isinstance(desc, str) or len(desc) > 250:
        raise Refusal(_fail(123018, "稿件描述长度太长，已超过限制"))
    if data.get("copyright") not in (1, 2):
        raise Refusal(_fail(123008, "参数错误: copyright is 1 (原创) or 2 (转载)"))
    if data["copyright"] == 2 and not data.get("source"):
        raise Refusal(_fail(123016, "稿件转载来源不能为空"))


def _video(data: bytes) -> None:
    """A video Bilibili takes (mp4 or flv, by its first bytes), else 123006."""
    if sniff(data) != "mp4" and not data.startswith(b"FLV"):
        raise Refusal(_fail(123006, "异常视频提交 (not an mp4 or flv file)"))


def _json(req: Request) -> dict[str, Any]:
    try:
        data = json.loads(req.body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError) as exc:
        raise Refusal(_fail(4000, f"参数错误: body is not JSON: {exc}")) from None
    if not isinstance(data, dict):
        raise Refusal(_fail(4000, "参数错误: a JSON object is expected"))
    return data


def _form(req: Request) -> dict[str, str]:
    """OAuth parameters: a form body or the query string (the demos send either)."""
    form = {k: v[0] for k, v in parse_qs(req.body.decode("utf-8", errors="replace")).items()}
    return {**req.query, **form}
