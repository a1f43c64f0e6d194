"""WeCom (企业微信) customer contact, served under ``/wecom/cgi-bin/…``: platforms.md §2.

Written from platforms.md §2 and WeCom's documentation pages it cites, not from mediactl's adapter.
Errors are HTTP 200 with ``{"errcode", "errmsg"}``; token 41001 missing, 40014 invalid, 42001
expired; "quota" is 45009 (api freq out of limit) [V] document/path/90455.

- `gettoken` (corpid, corpsecret; the secret "wrong" is refused with 40001, WeCom's wrong-secret code).
- `media/upload?type=` and `media/upload_attachment?media_type=&attachment_type=1`: multipart
  field "media", more than 5 bytes, image JPG/PNG ≤10 MB, video MP4 ≤10 MB [V] 96484, 96347;
  moments take only images and videos, and only attachment media.
- `externalcontact/add_msg_template`: chat_type single|group, ≤9 attachments of image, link,
  miniprogram, video, file; group needs `sender` and takes ≤2000 chat ids [V] 92135. It creates
  a task, one per staff member holding the customers, that nobody receives until that staff member
  confirms (``POST /_sandbox/wecom/confirm {"id": msgid, "staff": N}`` or ``"users": [...]``). Then
  each customer's result is 1 sent, 2 failed (not a friend: ids ending in "-nf", and every fourth
  customer of a tag) or 3 failed (already received: the sandbox's receive limit is 1 a day per
  customer, the strictest admin setting) [C] platforms.md §2. Ids starting "invalid" are refused in
  `fail_list`. ``POST /_sandbox/wecom/received {"corp", "customers": [...]}`` says those customers
  received another push today (another team's task), so this one fails for them with 3.
- `get_groupmsg_list_v2`, `get_groupmsg_task` (status 0 not sent, 2 sent), `get_groupmsg_send_result`,
  `remind_groupmsg_send` (≤3 per task in 24 h [V] 97610; a 4th is refused with 45009 [U]),
  `cancel_groupmsg_send` (staff who have not sent can no longer).
- `add_moment_task` (text ≤2000 chars and 4000 bytes, else 'invalid text size'; 9 images or 1 video
  or 1 link, one kind [V] 96351) → jobid; `get_moment_task_result` answers status 2 (running)
  `publish_polls` times, then 3 with the moment_id ("publish-fail": the result carries an errcode);
  `get_moment_task` (publish_status 0/1 per staff member), `cancel_moment_task`.

The sandbox's corp has three staff members (zhangsan, lisi, wangwu). A tag stands for four
customers, ``wm-<tag>-0`` … ``-3``, held round-robin by the staff (the fourth is not a friend);
customers named by id are held by the staff member their id hashes to.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, ClassVar

from mediactl.sandbox.core import Bounded, Ctx, MiB, Refusal, Reply, Request, Route, uploaded
from mediactl.sandbox.files import sniff
from mediactl.sandbox.multipart import parse_multipart
from mediactl.sandbox.platforms.tencent import TencentPlatform, wx

STAFF = ("zhangsan", "lisi", "wangwu")
CUSTOMERS_PER_TAG = 4
MAX_ATTACHMENTS = 9  # [V] 92135
MAX_CHAT_IDS = 2000  # [V] 92135
MAX_MOMENT_IMAGES = 9  # [V] 96351
MOMENT_TEXT = (2000, 4000)  # chars, bytes [V] 96351
REMINDERS_PER_DAY = 3  # [V] 97610
RECEIVE_PER_DAY = 1  # [V] 92135/96997: one of the admin's settings, the strictest
UPLOAD = {"image": ({"jpg", "png"}, 10 * MiB, 40009), "video": ({"mp4"}, 10 * MiB, 40011)}  # [V] 96484
PUSH_ATTACHMENTS = {"image", "link", "miniprogram", "video", "file"}  # [V] 92135
_U_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u[0-9A-Fa-f]{4}")  # 40033: 不能包含\uxxxx格式的字符 [V] 90455


@dataclass
class _StaffTask:
    targets: list[str]  # external_userids, or chat ids for a group push
    status: int = 0  # get_groupmsg_task: 0 not sent, 2 sent
    send_time: int | None = None
    results: dict[str, int] = field(default_factory=dict)  # target → 1 sent, 2 not a friend, 3 already received


@dataclass
class _Push:
    corp: str
    msgid: str
    chat_type: str
    create_time: int
    text: dict[str, Any]
    attachments: list[dict[str, Any]]
    staff: dict[str, _StaffTask]
    cancelled: bool = False
    reminders: deque[float] = field(default_factory=deque)  # monotonic times


@dataclass
class _Moment:
    corp: str
    jobid: str
    polls_left: int
    staff: list[str]
    invalid_senders: list[str]
    failed: bool = False
    moment_id: str = ""
    published: dict[str, int] = field(default_factory=dict)  # userid → publish_status 0/1
    cancelled: bool = False


def _ok(**body: Any) -> Reply:
    return Reply(200, {"errcode": 0, "errmsg": "ok", **body})


class Wecom(TencentPlatform):
    quota_message = "api freq out of limit (sandbox)"
    name = "wecom"
    routes: ClassVar[tuple[Route, ...]] = (
        Route("GET", "/cgi-bin/gettoken", "gettoken", needs_token=False),
        Route("POST", "/cgi-bin/media/upload", "upload", mutating=True),
        Route("POST", "/cgi-bin/media/upload_attachment", "upload_attachment", mutating=True),
        Route("POST", "/cgi-bin/externalcontact/add_msg_template", "add_msg_template", mutating=True, post=True),
        Route("POST", "/cgi-bin/externalcontact/get_groupmsg_list_v2", "groupmsg_list"),
        Route("POST", "/cgi-bin/externalcontact/get_groupmsg_task", "groupmsg_task"),
        Route("POST", "/cgi-bin/externalcontact/get_groupmsg_send_result", "groupmsg_send_result"),
        Route("POST", "/cgi-bin/externalcontact/remind_groupmsg_send", "remind", mutating=True, post=True),
        Route("POST", "/cgi-bin/externalcontact/cancel_groupmsg_send", "cancel", mutating=True, post=True),
        Route("POST", "/cgi-bin/externalcontact/add_moment_task", "add_moment_task", mutating=True, post=True),
        Route("GET", "/cgi-bin/externalcontact/get_moment_task_result", "moment_task_result"),
        Route("POST", "/cgi-bin/externalcontact/get_moment_task", "moment_task"),
        Route("POST", "/cgi-bin/externalcontact/cancel_moment_task", "cancel_moment", mutating=True, post=True),
    )
    transient_kinds = ("500", "429", "quota")
    controls: ClassVar[dict[str, str]] = {"confirm": "confirm", "received": "received"}

    def __init__(self, core: Any) -> None:
        super().__init__(core)
        self._media = Bounded()  # media_id → (corp, kind, source: "upload" | "attachment")
        self._pushes = Bounded()  # msgid → _Push
        self._moments = Bounded()  # jobid → _Moment
        self._moment_ids = Bounded()  # moment_id → jobid
        self._received = Bounded()  # (corp, customer) → times (time.time()) a message reached them

    # ---- token ------------------------------------------------------------------------------------

    def gettoken(self, req: Request, ctx: Ctx) -> Reply:
        corpid, secret = req.query.get("corpid"), req.query.get("corpsecret")
        if not corpid:
            return wx(41002, "corpid missing")
        ctx.channel = corpid
        if not secret:
            return wx(41004, "corpsecret missing")
        if secret == "wrong":
            return wx(40001, "invalid credential (corpsecret)")
        token, ttl = self.core.issue_token(self.name, corpid)
        return _ok(access_token=token, expires_in=ttl)

    # ---- media ------------------------------------------------------------------------------------

    def upload(self, req: Request, ctx: Ctx) -> Reply:
        kind = req.query.get("type", "")
        if kind not in UPLOAD and kind != "file":
            return wx(40005, f"invalid type {kind!r} (image, voice, video or file)")
        return self._store_media(req, ctx, kind, "upload")

    def upload_attachment(self, req: Request, ctx: Ctx) -> Reply:
        kind, purpose = req.query.get("media_type", ""), req.query.get("attachment_type", "")
        if purpose not in ("1", "2"):
            return wx(40035, "invalid attachment_type (1: moments, 2: product album)")
        if purpose == "1" and kind not in UPLOAD:
            return wx(40005, f"invalid media_type {kind!r}: moments take images and videos only")
        return self._store_media(req, ctx, kind, "attachment")

    def _store_media(self, req: Request, ctx: Ctx, kind: str, source: str) -> Reply:
        try:
            parts = parse_multipart(req.body, req.headers.get("content-type", ""))
        except ValueError as exc:
            return wx(41005, f"media data missing: {exc}")
        media = next((p for p in parts if p.name == "media" and p.filename), None)
        if media is None:
            return wx(41005, "media data missing")
        if len(media.data) <= 5:
            return wx(40006, "invalid file size (every file must be more than 5 bytes)")
        if kind in UPLOAD:
            formats, limit, size_code = UPLOAD[kind]
            found = sniff(media.data)
            if found not in formats:
                return wx(
                    40004, f"invalid media file type ({kind}: {'/'.join(sorted(formats))}, got {found or 'unknown'})"
                )
            if len(media.data) > limit:
                return wx(size_code, f"invalid {kind} size ({len(media.data)} > {limit} bytes)")
        ctx.extra["uploaded"] = uploaded(media.data)
        media_id = secrets.token_urlsafe(32)
        self._media[media_id] = (str(ctx.account), kind, source)
        return _ok(type=kind, media_id=media_id, created_at=str(int(time.time())))

    def _require_media(self, media_id: Any, corp: str, kinds: tuple[str, ...], source: str, where: str) -> None:
        found = self._media.get(media_id) if isinstance(media_id, str) else None
        if found is None or found[0] != corp or found[1] not in kinds or found[2] != source:
            endpoint = "media/upload_attachment" if source == "attachment" else "media/upload"
            raise Refusal(wx(40007, f"invalid media_id ({where}: not a {'/'.join(kinds)} from {endpoint})"))

    # ---- 1-to-1 and group pushes --------------------------------------------------------------------

    def add_msg_template(self, req: Request, ctx: Ctx) -> Reply:
        corp = str(ctx.account)
        data = _json(req)
        if self.core.take_fault(ctx, "reject"):
            return wx(40035, "invalid parameter: the content was refused (sandbox fault: reject)")
        chat_type = data.get("chat_type", "single")
        if chat_type not in ("single", "group"):
            return wx(40035, f"invalid chat_type {chat_type!r}")
        text, attachments = data.get("text") or {}, data.get("attachments") or []
        if not isinstance(text, dict) or not isinstance(attachments, list):
            return wx(40035, "text must be an object and attachments a list")
        if not text.get("content") and not attachments:
            return wx(40035, "a message needs text.content or at least one attachment")
        if len(attachments) > MAX_ATTACHMENTS:
            return wx(40035, f"{len(attachments)} attachments: at most {MAX_ATTACHMENTS}")
        for i, attachment in enumerate(attachments):
            self._check_attachment(attachment, i, corp)
        staff, fail_list = self._push_staff(data, chat_type)
        if not staff:
            return wx(40035, "no customer or customer group to send to")
        msgid = "msg" + secrets.token_urlsafe(24)
        self._pushes[msgid] = _Push(corp, msgid, chat_type, int(time.time()), text, attachments, staff)
        self.core.mark_applied(req, ctx, msgid)
        ctx.summary = {"msgid": msgid, "chat_type": chat_type, "staff": sorted(staff), "attachments": len(attachments),
                       "targets": sum(len(s.targets) for s in staff.values()), "text": str(text.get("content", ""))[:200]}  # fmt: skip
        self.core.public_url(
            self.name, f"/task/{msgid}", {"msgid": msgid, "chat_type": chat_type, "staff": sorted(staff)}
        )
        return self.core.withhold(ctx, _ok(fail_list=fail_list, msgid=msgid))

    def _check_attachment(self, attachment: Any, i: int, corp: str) -> None:
        where = f"attachments[{i}]"
        kind = attachment.get("msgtype") if isinstance(attachment, dict) else None
        body = attachment.get(kind) if kind in PUSH_ATTACHMENTS else None
        if not isinstance(body, dict):
            raise Refusal(
                wx(40008, f"invalid msgtype ({where}: image, link, miniprogram, video or file, with its object)")
            )
        if kind == "image" and not body.get("pic_url"):
            self._require_media(body.get("media_id"), corp, ("image",), "upload", where)
        elif kind in ("video", "file"):
            self._require_media(body.get("media_id"), corp, (kind,), "upload", where)
        elif kind == "link" and not (body.get("title") and body.get("url")):
            raise Refusal(wx(40035, f"invalid parameter ({where}: a link needs title and url)"))
        elif kind == "miniprogram":
            if not all(body.get(k) for k in ("title", "appid", "page")):
                raise Refusal(wx(40035, f"invalid parameter ({where}: a miniprogram needs title, appid and page)"))
            self._require_media(body.get("pic_media_id"), corp, ("image",), "upload", f"{where}.pic_media_id")

    def _push_staff(self, data: dict[str, Any], chat_type: str) -> tuple[dict[str, _StaffTask], list[str]]:
        """Who gets the task and for whom: each staff member holding some of the customers (or the sender's groups)."""
        sender = data.get("sender")
        if chat_type == "group":
            chats = data.get("chat_id_list") or []
            if not sender:
                raise Refusal(wx(40035, "sender is required when chat_type is group"))
            if not isinstance(chats, list) or len(chats) > MAX_CHAT_IDS:
                raise Refusal(wx(40035, f"chat_id_list: a list of at most {MAX_CHAT_IDS} chat ids"))
            return ({str(sender): _StaffTask([str(c) for c in chats])} if chats else {}), []
        customers, fail_list = self._customers(data)
        held: dict[str, list[str]] = {}
        for customer, holder in customers:
            held.setdefault(str(sender) if sender else holder, []).append(customer)
        return {userid: _StaffTask(targets) for userid, targets in held.items()}, fail_list

    def _customers(self, data: dict[str, Any]) -> tuple[list[tuple[str, str]], list[str]]:
        """(customer, the staff member holding them) for the named customers and the tags' customers."""
        named = data.get("external_userid") or []
        groups = ((data.get("tag_filter") or {}).get("group_list")) or []
        if not isinstance(named, list) or not isinstance(groups, list):
            raise Refusal(wx(40035, "external_userid and tag_filter.group_list must be lists"))
        found = [(str(c), STAFF[int(hashlib.sha1(str(c).encode()).hexdigest(), 16) % len(STAFF)])
                 for c in named if not str(c).startswith("invalid")]  # fmt: skip
        for group in groups:
            tags = group.get("tag_list") if isinstance(group, dict) else None
            if not isinstance(tags, list) or not tags:
                raise Refusal(wx(40068, "invalid tag id list (tag_filter.group_list[].tag_list)"))
            found += [(f"wm-{tag}-{i}", STAFF[i % len(STAFF)]) for tag in tags for i in range(CUSTOMERS_PER_TAG)]
        unique = list(dict.fromkeys(found))
        return unique, [str(c) for c in named if str(c).startswith("invalid")]

    def _push(self, data: dict[str, Any], corp: str) -> _Push:
        push = self._pushes.get(data.get("msgid")) if isinstance(data.get("msgid"), str) else None
        if push is None or push.corp != corp:
            raise Refusal(wx(40035, "invalid msgid"))
        return push

    def groupmsg_list(self, req: Request, ctx: Ctx) -> Reply:
        data = _json(req)
        start, end = data.get("start_time"), data.get("end_time")
        if not isinstance(start, int) or not isinstance(end, int) or end < start:
            return wx(40035, "start_time and end_time are required (end after start)")
        chat_type = data.get("chat_type", "single")
        rows = [
            {"msgid": p.msgid, "creator": "", "create_time": str(p.create_time), "create_type": 0, "text": p.text,
             "attachments": p.attachments}
            for p in self._pushes.values()
            if p.corp == ctx.account and p.chat_type == chat_type and start <= p.create_time <= end
        ]  # fmt: skip
        page, cursor = _page(rows, data, 100)
        return _ok(next_cursor=cursor, group_msg_list=page)

    def groupmsg_task(self, req: Request, ctx: Ctx) -> Reply:
        data = _json(req)
        push = self._push(data, str(ctx.account))
        rows = [{"userid": userid, "status": task.status, **({"send_time": task.send_time} if task.send_time else {})}
                for userid, task in push.staff.items()]  # fmt: skip
        page, cursor = _page(rows, data, 1000)
        return _ok(next_cursor=cursor, task_list=page)

    def groupmsg_send_result(self, req: Request, ctx: Ctx) -> Reply:
        data = _json(req)
        push = self._push(data, str(ctx.account))
        userid = str(data.get("userid") or "")
        task = push.staff.get(userid)
        if task is None:
            return wx(40003, "invalid userid (no task of this message)")
        key = "chat_id" if push.chat_type == "group" else "external_userid"
        rows = [{key: target, "userid": userid, "status": task.results.get(target, 0),
                 **({"send_time": task.send_time} if target in task.results else {})}
                for target in task.targets]  # fmt: skip
        page, cursor = _page(rows, data, 1000)
        return _ok(next_cursor=cursor, send_list=page)

    def remind(self, req: Request, ctx: Ctx) -> Reply:
        push = self._push(_json(req), str(ctx.account))
        now = time.monotonic()
        while push.reminders and now - push.reminders[0] >= 86400:
            push.reminders.popleft()
        if len(push.reminders) >= REMINDERS_PER_DAY:
            return self.core.withhold(ctx, wx(45009, f"api freq out of limit: at most {REMINDERS_PER_DAY} reminders of a "
                                                      "task in 24 hours (sandbox)"))  # fmt: skip
        push.reminders.append(now)
        ctx.summary = {"msgid": push.msgid, "reminders": len(push.reminders)}
        return self.core.withhold(ctx, _ok())

    def cancel(self, req: Request, ctx: Ctx) -> Reply:
        push = self._push(_json(req), str(ctx.account))
        push.cancelled = True
        ctx.summary = {"msgid": push.msgid, "cancelled": True}
        return self.core.withhold(ctx, _ok())

    # ---- customer moments --------------------------------------------------------------------------

    def add_moment_task(self, req: Request, ctx: Ctx) -> Reply:
        corp = str(ctx.account)
        data = _json(req)
        if self.core.take_fault(ctx, "reject"):
            return wx(40035, "invalid parameter: the content was refused (sandbox fault: reject)")
        content = str((data.get("text") or {}).get("content") or "")
        if len(content) > MOMENT_TEXT[0] or len(content.encode("utf-8")) > MOMENT_TEXT[1]:
            return wx(45002, "invalid text size")
        attachments = data.get("attachments") or []
        self._check_moment_attachments(attachments, corp)
        if not content and not attachments:
            return wx(40035, "a moment needs text or an attachment")
        visible = data.get("visible_range") or {}
        senders = ((visible.get("sender_list") or {}).get("user_list")) or list(STAFF)
        tags = ((visible.get("external_contact_list") or {}).get("tag_list")) or []
        if not isinstance(senders, list) or not isinstance(tags, list):
            return wx(40035, "visible_range: user_list and tag_list must be lists")
        jobid = "job" + secrets.token_urlsafe(24)
        valid = [s for s in senders if s in STAFF]
        self._moments[jobid] = _Moment(corp, jobid, self.core.options.publish_polls, valid,
                                       [s for s in senders if s not in STAFF],
                                       failed=bool(self.core.take_fault(ctx, "publish-fail")))  # fmt: skip
        self.core.mark_applied(req, ctx, jobid)
        ctx.summary = {"jobid": jobid, "kind": attachments[0].get("msgtype") if attachments else "text",
                       "attachments": len(attachments), "tags": tags, "text": content[:200]}  # fmt: skip
        return self.core.withhold(ctx, _ok(jobid=jobid))

    def _check_moment_attachments(self, attachments: Any, corp: str) -> None:
        """9 images, or 1 video, or 1 link: one kind per post [V] 96351; media from upload_attachment only."""
        if not isinstance(attachments, list):
            raise Refusal(wx(40035, "attachments must be a list"))
        kinds = {a.get("msgtype") if isinstance(a, dict) else None for a in attachments}
        if len(kinds) > 1:
            raise Refusal(wx(40035, f"one kind of attachment per moment, got {sorted(map(str, kinds))}"))
        kind = next(iter(kinds), None)
        most = {"image": MAX_MOMENT_IMAGES, "video": 1, "link": 1}.get(str(kind))
        if attachments and most is None:
            raise Refusal(wx(40008, f"invalid msgtype {kind!r} (image, video or link)"))
        if most is not None and len(attachments) > most:
            raise Refusal(wx(40035, f"{len(attachments)} {kind} attachments: a moment takes at most {most}"))
        for i, attachment in enumerate(attachments):
            body = attachment.get(kind) or {}
            where = f"attachments[{i}]"
            if kind == "link":
                if not (body.get("title") and body.get("url")):
                    raise Refusal(wx(40035, f"invalid parameter ({where}: a link needs title and url)"))
                if body.get("media_id"):
                    self._require_media(body["media_id"], corp, ("image",), "attachment", where)
            else:
                self._require_media(body.get("media_id"), corp, (str(kind),), "attachment", where)

    def moment_task_result(self, req: Request, ctx: Ctx) -> Reply:
        moment = self._moments.get(req.query.get("jobid", ""))
        if moment is None or moment.corp != ctx.account:
            return wx(40035, "invalid jobid")
        if moment.polls_left > 0:
            moment.polls_left -= 1
            return _ok(status=2, type="add_moment_task")
        if moment.failed:
            return _ok(status=3, type="add_moment_task",
                       result={"errcode": 40035, "errmsg": "moment task failed (sandbox fault: publish-fail)"})  # fmt: skip
        if not moment.moment_id:
            moment.moment_id = "mom" + secrets.token_urlsafe(24)
            moment.published = dict.fromkeys(moment.staff, 0)
            self._moment_ids[moment.moment_id] = moment.jobid
        result = {"errcode": 0, "errmsg": "ok", "moment_id": moment.moment_id,
                  "invalid_sender_list": {"user_list": moment.invalid_senders, "department_list": []},
                  "invalid_external_contact_list": {"tag_list": []}}  # fmt: skip
        return _ok(status=3, type="add_moment_task", result=result)

    def _moment(self, data: dict[str, Any], corp: str) -> _Moment:
        jobid = self._moment_ids.get(data.get("moment_id")) if isinstance(data.get("moment_id"), str) else None
        moment = self._moments.get(jobid) if jobid else None
        if moment is None or moment.corp != corp:
            raise Refusal(wx(40035, "invalid moment_id"))
        return moment

    def moment_task(self, req: Request, ctx: Ctx) -> Reply:
        data = _json(req)
        moment = self._moment(data, str(ctx.account))
        rows = [{"userid": userid, "publish_status": status} for userid, status in moment.published.items()]
        page, cursor = _page(rows, data, 1000)
        return _ok(next_cursor=cursor, task_list=page)

    def cancel_moment(self, req: Request, ctx: Ctx) -> Reply:
        moment = self._moment(_json(req), str(ctx.account))
        moment.cancelled = True
        ctx.summary = {"moment_id": moment.moment_id, "cancelled": True}
        return self.core.withhold(ctx, _ok())

    # ---- control: staff confirm in the WeCom client -----------------------------------------------

    def confirm(self, data: dict[str, Any]) -> dict[str, Any]:
        """``{"id": msgid or moment_id, "staff": N}`` (the next N who have not) or ``"users": [...]``: they confirm."""
        target = data["id"]
        push = self._pushes.get(target)
        if push is not None:
            return self._confirm_push(push, data)
        jobid = self._moment_ids.get(target)
        if jobid is None:
            raise ValueError(f"no task or moment {target!r} (a moment exists once get_moment_task_result says done)")
        moment = self._moments[jobid]
        if moment.cancelled:
            raise ValueError(f"moment {target} was cancelled: nobody can post it")
        chosen = _chosen(data, [u for u, status in moment.published.items() if not status])
        moment.published.update(dict.fromkeys(chosen, 1))
        return {"confirmed": chosen, "staff": len(moment.published)}

    def received(self, data: dict[str, Any]) -> dict[str, Any]:
        """``{"corp": corpid, "customers": [external_userid, …]}``: each received another push just now (another team's
        task), so a push a staff member sends them today fails with status 3, already received (the receive limit)."""
        corp, customers = data.get("corp"), data.get("customers")
        if (
            not isinstance(corp, str)
            or not isinstance(customers, list)
            or not all(isinstance(c, str) for c in customers)
        ):
            raise ValueError('give {"corp": corpid, "customers": [external_userid, …]}')
        now = int(time.time())
        for customer in customers:
            self._received[(corp, customer)] = [*self._received.get((corp, customer), []), now]
        return {"received": len(customers)}

    def _confirm_push(self, push: _Push, data: dict[str, Any]) -> dict[str, Any]:
        if push.cancelled:
            raise ValueError(f"task {push.msgid} was cancelled: nobody can send it")
        chosen = _chosen(data, [u for u, task in push.staff.items() if not task.status])
        now = int(time.time())
        for userid in chosen:
            task = push.staff[userid]
            task.status, task.send_time = 2, now
            task.results = {target: self._deliver(push, target, now) for target in task.targets}
        return {"confirmed": chosen, "staff": len(push.staff)}

    def _deliver(self, push: _Push, target: str, now: int) -> int:
        """A target's result: 2 not a friend, 3 already received today (the receive limit), else 1 sent."""
        if push.chat_type == "single" and target.endswith(("-nf", f"-{CUSTOMERS_PER_TAG - 1}")):
            return 2
        times = [t for t in self._received.get((push.corp, target), []) if now - t < 86400]
        if len(times) >= RECEIVE_PER_DAY:
            return 3
        self._received[(push.corp, target)] = [*times, now]
        return 1


def _chosen(data: dict[str, Any], waiting: list[str]) -> list[str]:
    if "users" in data:
        users = data["users"]
        if not isinstance(users, list) or any(u not in waiting for u in users):
            raise ValueError(f"users must be staff who have not confirmed yet: {waiting}")
        return list(users)
    count = data.get("staff", len(waiting))
    if not isinstance(count, int) or count < 0:
        raise ValueError("staff must be a whole number ≥ 0")
    return waiting[:count]


def _page(rows: list[dict[str, Any]], data: dict[str, Any], most: int) -> tuple[list[dict[str, Any]], str]:
    """One page of a cursor-paged list: `limit` rows (at most `most`) from the opaque cursor."""
    limit = data.get("limit", most)
    if not isinstance(limit, int) or not 1 <= limit <= most:
        raise Refusal(wx(40035, f"invalid limit (1–{most})"))
    cursor = data.get("cursor") or "0"
    start = int(cursor) if isinstance(cursor, str) and cursor.isdigit() else 0
    end = start + limit
    return rows[start:end], (str(end) if end < len(rows) else "")


def _json(req: Request) -> dict[str, Any]:
    if _U_ESCAPE.search(req.body):
        raise Refusal(wx(40033, "invalid request character: \\uxxxx escapes are not allowed; send raw UTF-8"))
    try:
        data = json.loads(req.body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError) as exc:
        raise Refusal(wx(47001, f"data format error: {exc}")) from None
    if not isinstance(data, dict):
        raise Refusal(wx(47001, "data format error: a JSON object is expected"))
    return data
