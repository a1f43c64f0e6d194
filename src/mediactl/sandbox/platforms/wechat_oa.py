"""WeChat Official Account (公众号), served under ``/wechat_oa/cgi-bin/…``: platforms.md §1.

Tokens (`token`, `stable_token`), body images (`media/uploadimg`), permanent material
(`material/add_material`), drafts (`draft/add`), and the asynchronous publish (`freepublish/submit`,
then `freepublish/get` answering publish_status 1 `publish_polls` times before its final status).
Errors are HTTP 200 with ``{"errcode", "errmsg"}``. Faults: "reject" → 87014 on draft/add,
"publish-fail" → the submitted article ends with publish_status 4 (refused by review).
Published articles get URLs on the sandbox's host (``/wechat_oa/s/<id>``), images
``/wechat_oa/mmbiz/<sha1>.<ext>``: never a Tencent domain.

The data cube (``POST /wechat_oa/datacube/getarticletotaldetail {begin_date, end_date}``) answers
``{"list": [{ref_date, msgid, publish_type, title, detail_list: [{stat_date, read_user, …}]}],
"is_delay": false}`` for the account's articles published (on the audience's clock, Beijing days)
in the window, `msgid` = "<msg_data_id>_<index>" as freepublish/submit returned msg_data_id (never
the publish_id: the two differ here as at WeChat), one detail per day up to end_date, each the
totals from publishing to the end of that day, growing with the audience's clock
(sandbox/growth.py). end_date after yesterday, or a window over 30 days, is 61501 (date range
error); a date not YYYY-MM-DD is 61500 [C]. Sources: [V] developers.weixin.qq.com/doc/subscription/
api/wedata/news/api_getarticletotaldetail (fields, end_date ≤ yesterday, 30 days per article);
like_user, zaikan_user, comment_count [V] api_getbizsummary; collection_user [C] clients of the call;
the window's upper bound of 30 days [U].
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from mediactl.sandbox import growth
from mediactl.sandbox.core import Bounded, Ctx, MiB, Refusal, Reply, Request, Route, uploaded
from mediactl.sandbox.files import sniff
from mediactl.sandbox.multipart import Part, parse_multipart
from mediactl.sandbox.platforms.tencent import TencentPlatform, wx

# A JSON \uXXXX escape: a backslash-u preceded by an even number of backslashes (so an escaped
# literal backslash followed by "u" in the text is not one).
_U_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u[0-9A-Fa-f]{4}")
_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_SRC = re.compile(r"""\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
BEIJING = ZoneInfo("Asia/Shanghai")  # the data cube's days
_SCRIPT = re.compile(r"<script\b.*?(?:</script\s*>|$)", re.IGNORECASE | re.DOTALL)


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
    articles: list[dict[str, Any]]  # as freepublish/getarticle shows them (the "drift" fault edits the first title)
    final_status: int = 0  # what freepublish/get ends with: 0 published, 4 rejected by review (fault publish-fail)
    msg_data_id: str = ""  # what the data cube keys the articles by (msgid = "<msg_data_id>_<index>")
    born: float = 0.0  # published at, on the audience's clock (Core.audience_time)


class WechatOfficialAccount(TencentPlatform):
    quota_message = "reach max api daily quota limit (sandbox)"
    name = "wechat_oa"
    routes: ClassVar[tuple[Route, ...]] = (
        Route("GET", "/cgi-bin/token", "token", needs_token=False),
        Route("POST", "/cgi-bin/stable_token", "stable_token", needs_token=False),
        Route("POST", "/cgi-bin/media/uploadimg", "uploadimg", mutating=True),
        Route("POST", "/cgi-bin/material/add_material", "add_material", mutating=True),
        Route("POST", "/cgi-bin/draft/add", "draft_add", mutating=True, post=True),
        Route("POST", "/cgi-bin/freepublish/submit", "submit", mutating=True, post=True),
        Route("POST", "/cgi-bin/freepublish/get", "publish_get"),
        Route("POST", "/cgi-bin/freepublish/delete", "publish_delete", mutating=True),
        Route("POST", "/cgi-bin/freepublish/getarticle", "getarticle"),
        Route("POST", "/datacube/getarticletotaldetail", "article_total_detail", numbers=True),
    )
    # Shares of an article's reach (sandbox/growth.py): readers, then likes, 在看, shares, favorites, comments.
    COUNTS: ClassVar[dict[str, float]] = {"read_user": 0.6, "like_user": 0.04, "zaikan_user": 0.02, "share_user": 0.03,
                                          "collection_user": 0.015, "comment_count": 0.005}  # fmt: skip
    DATA_CUBE_DAYS = 30  # an article's numbers are counted for 30 days after publishing [V]
    transient_kinds = ("500", "429", "quota")

    def __init__(self, core: Any) -> None:
        super().__init__(core)
        self._stable: dict[str, str] = {}  # appid → current stable_token
        self._materials = Bounded()
        self._images = Bounded()  # image URLs this sandbox issued (the only ones an article may show)
        self._drafts = Bounded()
        self._publishes = Bounded()

    # ---- tokens ------------------------------------------------------------------------------------

    def token(self, req: Request, ctx: Ctx) -> Reply:
        q = req.query
        return self._issue(ctx, q.get("grant_type"), q.get("appid"), q.get("secret"), stable=False, force=False)

    def stable_token(self, req: Request, ctx: Ctx) -> Reply:
        data = _json(req)
        force = data.get("force_refresh") in (True, "true", 1)
        return self._issue(ctx, data.get("grant_type"), data.get("appid"), data.get("secret"), True, force)

    def _issue(self, ctx: Ctx, grant: Any, appid: Any, secret: Any, stable: bool, force: bool) -> Reply:
        if grant != "client_credential":
            return wx(40002, "invalid grant_type")
        if not isinstance(appid, str) or not appid:
            return wx(41002, "appid missing")
        ctx.channel = appid
        if not isinstance(secret, str) or not secret:
            return wx(41004, "appsecret missing")
        if secret == "wrong":
            return wx(40125, "invalid appsecret")
        if stable and not force:
            current = self._stable.get(appid, "")
            remaining = self.core.token_life(current) if current else None
            if remaining is not None:
                return Reply(200, {"access_token": current, "expires_in": remaining})
        token, ttl = self.core.issue_token(self.name, appid)
        if stable:
            self._stable[appid] = token
        return Reply(200, {"access_token": token, "expires_in": ttl})

    # ---- uploads -----------------------------------------------------------------------------------

    def uploadimg(self, req: Request, ctx: Ctx) -> Reply:
        media = _media(req)
        kind = _check_file(media, _UPLOADIMG)
        ctx.extra["uploaded"] = uploaded(media.data)
        return Reply(200, {"url": self._image_url(media.data, kind, str(ctx.account)), "errcode": 0, "errmsg": "ok"})

    def add_material(self, req: Request, ctx: Ctx) -> Reply:
        appid = str(ctx.account)
        mtype = req.query.get("type", "")
        spec = _MATERIAL.get(mtype)
        if spec is None:
            return wx(40004, f"invalid media type {mtype!r}")
        media = _media(req)
        kind = _check_file(media, spec)
        ctx.extra["uploaded"] = uploaded(media.data)
        media_id = secrets.token_urlsafe(32)
        self._materials[media_id] = _Material(appid, mtype, hashlib.sha1(media.data).hexdigest(), len(media.data))
        body: dict[str, Any] = {"media_id": media_id}
        if mtype == "image":
            body["url"] = self._image_url(media.data, kind, appid)
        return Reply(200, body)

    def _image_url(self, data: bytes, kind: str, appid: str) -> str:
        url = self.core.local_url(self.name, f"/mmbiz/{hashlib.sha1(data).hexdigest()}.{kind}")
        self._images[url] = appid
        return url

    def _permanent(self, media_id: Any, appid: str, types: tuple[str, ...], where: str) -> None:
        material = self._materials.get(media_id) if isinstance(media_id, str) else None
        if material is None or material.appid != appid or material.type not in types:
            raise Refusal(wx(40007, f"invalid media_id ({where}: not a permanent {'/'.join(types)} material)"))

    # ---- drafts ------------------------------------------------------------------------------------

    def draft_add(self, req: Request, ctx: Ctx) -> Reply:
        appid = str(ctx.account)
        if self.core.take_fault(ctx, "reject"):
            return wx(87014, "risky content (sandbox fault: reject)")
        if _U_ESCAPE.search(req.body):
            return wx(47001, "data format error: \\uXXXX escape in the body; send raw UTF-8 (ensure_ascii=False)")
        data = _json(req)
        articles = data.get("articles")
        if not isinstance(articles, list):
            return wx(47001, "data format error: articles must be a list")
        if not articles:
            return wx(44003, "empty news data")
        if len(articles) > 8:
            return wx(45008, "article size out of limit (at most 8)")
        ctx.summary = {"title": articles[0].get("title") if isinstance(articles[0], dict) else None}
        stored = [self._article(article, i, appid, ctx) for i, article in enumerate(articles, 1)]
        media_id = secrets.token_urlsafe(32)
        self._drafts[media_id] = _Draft(appid, stored)
        self.core.mark_applied(req, ctx, media_id)
        ctx.summary.update(articles=len(stored), media_id=media_id, thumb_media_id=stored[0].get("thumb_media_id"))
        return Reply(200, {"media_id": media_id})

    def _article(self, article: Any, i: int, appid: str, ctx: Ctx) -> dict[str, Any]:
        def refuse(errcode: int, errmsg: str) -> Refusal:
            return Refusal(wx(errcode, f"{errmsg} (article {i})"))

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

    def _clean(self, content: str, i: int, ctx: Ctx) -> str:
        """What WeChat keeps of the HTML: no scripts, no images from outside its own CDN (here: this sandbox)."""

        def script(match: re.Match[str]) -> str:
            ctx.warnings.append(f"article {i}: script removed")
            return ""

        def image(match: re.Match[str]) -> str:
            src = _SRC.search(match.group(0))
            url = next((g for g in src.groups() if g is not None), "") if src else ""
            if url in self._images:
                return match.group(0)
            ctx.warnings.append(f"article {i}: external image removed: {url[:200]!r}")
            return ""

        return _IMG.sub(image, _SCRIPT.sub(script, content))

    # ---- publishing (asynchronous) -----------------------------------------------------------------

    def submit(self, req: Request, ctx: Ctx) -> Reply:
        appid = str(ctx.account)
        data = _json(req)
        sent_id = data.get("media_id")
        media_id = sent_id if isinstance(sent_id, str) else None
        ctx.summary = {"media_id": media_id}
        draft = self._drafts.get(media_id) if media_id is not None else None
        if media_id is None or draft is None or draft.appid != appid:
            return self.core.withhold(ctx, wx(40007, "invalid media_id (no such draft)"))
        n = self.core.new_id()
        publish_id, msg_data_id = str(100_000_000 + n), str(2_247_483_647 + n)
        view = {"publish_id": publish_id}
        urls = [
            self.core.public_url(self.name, f"/s/{secrets.token_urlsafe(16)}", {**view, "title": article.get("title")})
            for article in draft.articles
        ]
        final = 4 if self.core.take_fault(ctx, "publish-fail") else 0  # accepted now, refused by the review later
        shown = [dict(article, url=url) for article, url in zip(draft.articles, urls, strict=True)]
        shown[0]["title"] = self.core.edited(ctx, shown[0]["title"])
        self._publishes[publish_id] = _Publish(
            appid,
            media_id,
            self.core.options.publish_polls,
            secrets.token_urlsafe(24),
            urls,
            shown,
            final,
            msg_data_id,
            self.core.audience_time(),
        )
        self.core.mark_applied(req, ctx, publish_id)
        ctx.summary["publish_id"] = publish_id
        body = {"errcode": 0, "errmsg": "ok", "publish_id": publish_id, "msg_data_id": msg_data_id}
        return self.core.withhold(ctx, Reply(200, body))

    def publish_get(self, req: Request, ctx: Ctx) -> Reply:
        data = _json(req)
        raw = data.get("publish_id")
        publish_id = str(raw) if isinstance(raw, str | int) and not isinstance(raw, bool) else ""
        job = self._publishes.get(publish_id)
        if job is None or job.appid != ctx.account:
            return wx(40007, "invalid publish_id")
        if job.polls_left > 0:
            job.polls_left -= 1
            return Reply(200, {"publish_id": publish_id, "publish_status": 1, "fail_idx": []})
        if job.final_status == 5:  # the account deleted the articles after publishing (freepublish/delete)
            return Reply(200, {"publish_id": publish_id, "publish_status": 5, "fail_idx": []})
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

    def getarticle(self, req: Request, ctx: Ctx) -> Reply:
        """freepublish/getarticle {article_id}: the published articles as readers see them, `news_item[]` with title,
        author, digest, content, content_source_url, thumb_media_id, url and is_deleted. Source:
        developers.weixin.qq.com …/offiaccount/Publish/Get_article_from_id.html; errcode 53600 for an unknown id."""
        article_id = _json(req).get("article_id")
        job = next((j for j in self._publishes.values() if j.article_id == article_id and j.appid == ctx.account
                    and j.polls_left == 0 and j.final_status != 4), None)  # fmt: skip
        if job is None:
            return wx(53600, "Article ID 无效")
        deleted = job.final_status == 5
        keys = ("title", "author", "digest", "content", "content_source_url", "thumb_media_id", "need_open_comment",
                "only_fans_can_comment", "url")  # fmt: skip
        items = [{**{k: a.get(k, "") for k in keys}, "show_cover_pic": 1, "is_deleted": deleted} for a in job.articles]
        return Reply(200, {"news_item": items})

    def publish_delete(self, req: Request, ctx: Ctx) -> Reply:
        """freepublish/delete {article_id, index?}: the published articles (index 0 or none: all) are deleted for good;
        freepublish/get then answers publish_status 5. Source: developers.weixin.qq.com …/api_freepublishdelete."""
        data = _json(req)
        article_id, index = data.get("article_id"), data.get("index", 0)
        job = next((j for j in self._publishes.values() if j.article_id == article_id and j.appid == ctx.account
                    and j.polls_left == 0 and not j.final_status), None)  # fmt: skip
        if job is None:
            return wx(40007, "invalid article_id")
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index <= len(job.urls):
            return wx(40097, "invalid args: index")
        if index == 0 or len(job.urls) == 1:
            job.final_status = 5
        else:
            job.urls.pop(index - 1)
            job.articles.pop(index - 1)
        ctx.applied = True
        return wx(0, "ok")

    # ---- the data cube ---------------------------------------------------------------------------

    def article_total_detail(self, req: Request, ctx: Ctx) -> Reply:
        """datacube/getarticletotaldetail: the account's articles published in [begin_date, end_date], each with one
        detail per day from its publishing to end_date (totals up to the end of that day, Beijing time)."""
        data = _json(req)
        first, last = _day(data.get("begin_date")), _day(data.get("end_date"))
        today = datetime.fromtimestamp(self.core.audience_time(), BEIJING).date()
        if last < first or last >= today or (last - first).days >= self.DATA_CUBE_DAYS:
            return wx(61501, f"date range error: end_date from begin_date to yesterday ({today - timedelta(days=1)}), "
                             f"at most {self.DATA_CUBE_DAYS} days")  # fmt: skip
        listed = []
        for job in self._publishes.values():
            published = datetime.fromtimestamp(job.born, BEIJING).date()
            if job.appid != ctx.account or not job.msg_data_id or job.final_status == 4 or job.polls_left > 0:
                continue
            if first <= published <= last:
                listed += [self._article_detail(job, index, article, published, last)
                           for index, article in enumerate(job.articles, 1)]  # fmt: skip
        ctx.summary = {"begin_date": first.isoformat(), "end_date": last.isoformat(), "articles": len(listed)}
        return Reply(200, {"list": listed, "is_delay": False})

    def _article_detail(self, job: _Publish, index: int, article: dict[str, Any], published: date,
                        last: date) -> dict[str, Any]:  # fmt: skip
        msgid = f"{job.msg_data_id}_{index}"
        days = [published + timedelta(days=n) for n in range(min((last - published).days + 1, self.DATA_CUBE_DAYS))]
        details = []
        for day in days:
            end_of_day = datetime.combine(day + timedelta(days=1), datetime.min.time(), BEIJING).timestamp()
            details.append({"stat_date": day.isoformat(), **growth.counts(msgid, end_of_day - job.born, self.COUNTS)})
        return {"ref_date": published.isoformat(), "msgid": msgid, "publish_type": 0, "title": article.get("title"),
                "detail_list": details}  # fmt: skip


def _day(text: Any) -> date:
    try:
        return date.fromisoformat(text) if isinstance(text, str) and len(text) == 10 else date.fromisoformat("")
    except ValueError:
        raise Refusal(wx(61500, f"date format error: {str(text)[:40]!r} (YYYY-MM-DD)")) from None


def _json(req: Request) -> dict[str, Any]:
    if not req.body.strip():
        raise Refusal(wx(44002, "empty post data"))
    try:
        data = json.loads(req.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise Refusal(wx(47001, f"data format error: {exc}")) from None
    if not isinstance(data, dict):
        raise Refusal(wx(47001, "data format error: a JSON object is expected"))
    return data


def _media(req: Request) -> Part:
    content_type = req.headers.get("content-type", "")
    try:
        parts = parse_multipart(req.body, content_type)
    except ValueError as exc:
        if content_type.lower().startswith("multipart/form-data"):  # claimed, but unreadable: the client's bug
            raise Refusal(
                Reply(400, {"errcode": 41005, "errmsg": f"media data missing: bad multipart body: {exc}"})
            ) from None
        parts = []
    media = next((p for p in parts if p.name == "media"), None)
    if media is None or media.filename is None:
        raise Refusal(wx(41005, "media data missing"))
    return media


def _check_file(media: Part, spec: _MaterialSpec) -> str:
    ext = media.filename.rpartition(".")[2].lower() if media.filename and "." in media.filename else ""
    kind = sniff(media.data)
    if ext not in spec.exts or kind not in spec.kinds:
        raise Refusal(wx(40005, f"invalid file type (file name {media.filename!r}, content {kind or 'unknown'})"))
    if len(media.data) > spec.max_bytes:
        raise Refusal(wx(spec.size_errcode, f"{spec.size_errmsg} ({len(media.data)} > {spec.max_bytes} bytes)"))
    return kind
