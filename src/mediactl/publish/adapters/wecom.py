"""WeCom (企业微信) customer contact: 1-to-1 pushes (mode push) and customer moments (mode moments).

Facts from platforms.md §2 and the wecom facts file (endpoints, limits, error codes as data).
Errors come as HTTP 200 with `errcode`; 40014/41001/42001 mean the token must be fetched again
(once, through HttpAdapter.with_token; in WeCom 40001 is a wrong secret, not an expired token);
-1/45009/45033 are rate limits (transient). The token comes from `gettoken` with corpid and
corpsecret and is cached by the shared token mechanism (HttpAdapter.token).

- push: images and a video are uploaded with `media/upload`, then `externalcontact/add_msg_template`
  creates a task with the variant's text and up to 9 attachments (images, the video, a link card to
  the item, the channel's mini-program) for the customers of the item's segments
  (wecom_targets.py), or for customer groups (chat_type: group).
- moments: one kind per post (a video, or 9 images, or one link card whose picture is the
  article's image), media through `media/upload_attachment`, then `add_moment_task`, whose jobid
  is recorded at once and polled (bounded) with `get_moment_task_result` until the moment exists.

Neither is sent when WeCom accepts it: staff confirm it in the WeCom client. Both end
`awaiting-confirmation`; `confirmation()` (publish --due, queue sync) counts what staff did
(wecom_tally.py), reminds those who have not confirmed (push only, within 3 a day), and ends the
job sent at the channel's `confirm_share`, or expired after `expire_after` (stopping what is left
of the task, so nobody sends it late). `withdraw` (recall) stops what staff have not sent, and says what a person must do about what they did.

Reconciliation (`find`): the msgid of a push is recorded as soon as WeCom answers; when the answer
was lost, WeCom's own list of the corp's tasks (`get_groupmsg_list_v2`, from the moment the job was
claimed) is searched for one with exactly this variant's text and link. A moment's jobid is
recorded before polling and asked about again; a moment whose jobid never arrived cannot be
found, and its job ends `unknown` for a person.
"""

from __future__ import annotations

import json
import time
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from mediactl.config.options import WecomOptions, wecom_options
from mediactl.config.platforms import get_platform
from mediactl.core.errors import MediactlError
from mediactl.core.redaction import redact
from mediactl.publish.adapters import linktracker
from mediactl.publish.adapters import wecom_tally as tally
from mediactl.publish.adapters.base import (
    Confirmation,
    DeliveryError,
    NotPublished,
    NotWithdrawable,
    Receipt,
    Rejected,
    Variant,
)
from mediactl.publish.adapters.codes import ErrorTable, errcode_answer
from mediactl.publish.adapters.http import HttpAdapter
from mediactl.publish.adapters.metrics import Metrics
from mediactl.publish.adapters.poll import poll
from mediactl.publish.adapters.wecom_targets import moment_range, push_fields, resolve
from mediactl.publish.store import Job, JobState

if TYPE_CHECKING:  # annotations only
    from mediactl.config.model import Channel, Config
    from mediactl.library.content import Item

FACTS = get_platform("wecom").facts
ENDPOINTS: dict[str, str] = {name: spec["path"] for name, spec in FACTS["endpoints"].items()}
LIMITS: dict[str, int] = {name: int(spec["max"]) for name, spec in FACTS["limits"].items()}
UPLOAD = FACTS["endpoints"]["upload"]
LINK_PICTURES = frozenset(FACTS["moments"]["link_pictures"])
MOMENT_DONE = 3  # get_moment_task_result: 1 started, 2 running, 3 done ([U] platforms.md §2)
PAGE = 1000  # rows asked for per page of a task's lists
LIST_MARGIN = 300.0  # seconds before the claim a lost push's task is looked for (clocks differ)


class WecomAdapter(HttpAdapter):
    platform = "wecom"
    confirms_manually = True

    @property
    def options(self) -> WecomOptions:
        return wecom_options(self.channel)

    # --- the mechanism's hooks --------------------------------------------------------------

    def fetch_token(self) -> tuple[str, float]:
        params = {"corpid": self.secret("corpid"), "corpsecret": self.secret("corpsecret")}
        response = self.send("GET", self._url("token"), step="gettoken", mutating=False, params=params)
        answer = self._json(response, step="gettoken", mutating=False)
        return str(answer["access_token"]), float(answer.get("expires_in", 7200))

    def _url(self, endpoint: str) -> str:
        return f"{self.api_base()}{ENDPOINTS[endpoint]}"

    def _api(self, endpoint: str, *, mutating: bool = False, key: str = "", body: Any = None, files: Any = None,
             params: dict[str, Any] | None = None, method: str = "POST") -> dict[str, Any]:  # fmt: skip
        """One call of a WeCom endpoint (by its name in the facts file), with the token, classified."""
        headers = {"X-Mediactl-Idempotency-Key": key} if key else {}
        payload: dict[str, Any] = {}
        if files:
            payload["files"] = files
        elif method == "POST":
            payload["content"] = json.dumps(body or {}, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=utf-8"

        def call(token: str) -> dict[str, Any]:
            query = {"access_token": token, **(params or {})}
            step = ENDPOINTS[endpoint].rsplit("/", 1)[-1]
            response = self.send(method, self._url(endpoint), step=step, mutating=mutating, params=query,
                                 headers=headers, **payload)  # fmt: skip
            return self._json(response, step=step, mutating=mutating)

        return self.with_token(call)

    def _json(self, response: Any, *, step: str, mutating: bool) -> dict[str, Any]:
        return errcode_answer(response, ErrorTable.of(self.platform), step=step, mutating=mutating, who="WeCom")

    # --- before sending ------------------------------------------------------------------------

    def validate(self, variant: Variant) -> list[str]:
        """What WeCom would refuse, before anything is uploaded: attachment counts, one kind per moment, media."""
        problems = [self._media_problem(entry, kind) for kind, entry in self._media(variant)]
        options = self.options
        if options.mode == "push":
            count = len(self._push_plan(variant, options))
            if count > LIMITS["attachments"]:
                problems.append(f"{count} attachments; a WeCom push takes at most {LIMITS['attachments']}")
            if options.miniprogram and not variant.media():
                problems.append("the channel's mini-program card needs a picture, and this variant has no image")
        else:
            images = [e for kind, e in self._media(variant) if kind == "image"]
            if not variant.document.get("video") and len(images) > LIMITS["moment_images"]:
                problems.append(f"{len(images)} images; a moment takes at most {LIMITS['moment_images']}")
            if not (variant.document.get("video") or images or variant.document.get("link")):
                problems.append("a moment needs an image, a video or a link, and this variant has none")
        return [p for p in problems if p]

    def _media(self, variant: Variant) -> list[tuple[str, dict[str, Any]]]:
        video = variant.document.get("video")
        return [("image", m) for m in variant.media()] + ([("video", video)] if video else [])

    @staticmethod
    def _media_problem(entry: dict[str, Any], kind: str) -> str:
        name = str(entry.get("file", ""))
        extension = PurePosixPath(name).suffix.lower().lstrip(".").replace("jpeg", "jpg")
        limit = int(UPLOAD["max_bytes"][kind])
        if extension not in UPLOAD["formats"][kind]:
            return f"{name}: WeCom takes {kind}s as {'/'.join(UPLOAD['formats'][kind])} only"
        if int(entry.get("bytes") or 0) > limit:
            return f"{name}: {entry.get('bytes')} bytes, more than WeCom's {limit // (1024 * 1024)} MB for a {kind}"
        return ""

    @classmethod
    def item_refusal(cls, channel: Channel, config: Config, item: Item) -> str | None:
        """An audience that reaches nobody on WeCom as the channel is configured (no audience, a segment the config
        does not define, tags where the mode needs customers …) is refused while planning, not at delivery."""
        options = wecom_options(channel)
        try:
            targets = resolve(config, ",".join(item.audience))
            moment_range(targets, options) if options.mode == "moments" else push_fields(targets, options)
        except Rejected as exc:
            return exc.message.removesuffix("; nothing was sent")
        return None

    # --- publishing -----------------------------------------------------------------------------

    def publish(self, variant: Variant, key: str) -> Receipt:
        job = self.store.by_key(key) if self.store is not None else None
        targets = resolve(self.config, job.audience if job is not None else "")
        options = self.options
        if options.mode == "moments":
            return self._post_moment(variant, key, moment_range(targets, options))
        return self._push(variant, key, push_fields(targets, options))

    def _push(self, variant: Variant, key: str, addressing: dict[str, Any]) -> Receipt:
        uploaded: dict[str, str] = {}
        attachments = [
            self._attachment(step, variant, key, uploaded) for step in self._push_plan(variant, self.options)
        ]
        body = {**addressing, "text": {"content": variant.text("text")}, "attachments": attachments}
        answer = self._api("push", mutating=True, key=key, body=body)
        msgid = str(answer["msgid"])
        if self.store is not None:  # before anything else: a run that dies now leaves a job the next run can ask about
            self.store.record_remote_id(key, msgid)
        detail = {"mode": "push", "msgid": msgid, "since": time.time(), "reminders": [],
                  "invalid_customers": len(answer.get("fail_list") or []),
                  **({"link": variant.document["link"]} if variant.document.get("link") else {})}  # fmt: skip
        return Receipt(JobState.AWAITING_CONFIRMATION, msgid, "", detail, note=self._waiting_note("push", msgid))

    def _push_plan(self, variant: Variant, options: WecomOptions) -> list[tuple[str, dict[str, Any]]]:
        """The attachments of a push, in order: every image, the video, the link card, the mini-program."""
        plan: list[tuple[str, dict[str, Any]]] = [(kind, entry) for kind, entry in self._media(variant)]
        if variant.document.get("link"):
            plan.append(("link", {}))
        if options.miniprogram:
            plan.append(("miniprogram", options.miniprogram))
        return plan

    def _attachment(self, step: tuple[str, dict[str, Any]], variant: Variant, key: str,
                    uploaded: dict[str, str]) -> dict[str, Any]:  # fmt: skip
        kind, entry = step
        if kind in ("image", "video"):
            media_id = self._upload(variant, entry, kind, key, attachment=False)
            uploaded.setdefault(kind, media_id)
            return {"msgtype": kind, kind: {"media_id": media_id}}
        if kind == "link":
            link = {"title": variant.text("link_title") or variant.text("text")[:32], "url": variant.document["link"]}
            if variant.text("link_desc"):
                link["desc"] = variant.text("link_desc")
            return {"msgtype": "link", "link": link}
        card = {
            "title": entry["title"],
            "pic_media_id": uploaded["image"],
            "appid": entry["appid"],
            "page": entry["page"],
        }
        return {"msgtype": "miniprogram", "miniprogram": card}

    def _upload(self, variant: Variant, entry: dict[str, Any], kind: str, key: str, *, attachment: bool) -> str:
        """A temporary media id (valid 3 days): `media/upload` for a push, `media/upload_attachment` for a moment."""
        name = PurePosixPath(str(entry["file"])).name
        files = {"media": (name, variant.read(entry, name), _mime(name))}
        if attachment:
            params = {"media_type": kind, "attachment_type": FACTS["endpoints"]["upload_attachment"]["attachment_type"]}
            answer = self._api("upload_attachment", key=key, files=files, params=params)
        else:
            answer = self._api("upload", key=key, files=files, params={"type": kind})
        return str(answer["media_id"])

    def _post_moment(self, variant: Variant, key: str, visible: dict[str, Any]) -> Receipt:
        body = {
            "text": {"content": variant.text("text")},
            "attachments": self._moment_attachments(variant, key),
            "visible_range": visible,
        }
        jobid = str(self._api("moment", mutating=True, key=key, body=body)["jobid"])
        return self.await_verdict(key, jobid, lambda: poll(lambda: self._moment_created(jobid), self.poll_plan),
                                  what=f"moment task {jobid}", who="WeCom")  # fmt: skip

    def _moment_attachments(self, variant: Variant, key: str) -> list[dict[str, Any]]:
        """One kind per moment: the video; else the link card (an article's picture); else the images."""
        video = variant.document.get("video")
        if video:
            return [
                {"msgtype": "video", "video": {"media_id": self._upload(variant, video, "video", key, attachment=True)}}
            ]
        pictures = [m for m in variant.media() if m["name"] in LINK_PICTURES]
        if variant.document.get("link") and (pictures or not variant.media()):
            link = {"title": variant.text("link_title") or variant.text("text")[:32], "url": variant.document["link"]}
            if pictures:
                link["media_id"] = self._upload(variant, pictures[0], "image", key, attachment=True)
            return [{"msgtype": "link", "link": link}]
        return [{"msgtype": "image", "image": {"media_id": self._upload(variant, m, "image", key, attachment=True)}}
                for m in variant.media()]  # fmt: skip

    def _moment_created(self, jobid: str) -> Receipt | None:
        """One look at a moment task: its receipt once done, None while WeCom is still creating it."""
        answer = self._api("moment_result", method="GET", params={"jobid": jobid})
        if int(answer.get("status") or 0) != MOMENT_DONE:
            return None
        result = answer.get("result") or {}
        code = int(result.get("errcode") or 0)
        if code or not result.get("moment_id"):
            raise NotPublished(f"moment task {jobid} failed: errcode {code}: {result.get('errmsg', '')}")
        moment_id = str(result["moment_id"])
        detail = {"mode": "moments", "jobid": jobid, "moment_id": moment_id, "since": time.time(),
                  "invalid_senders": len((result.get("invalid_sender_list") or {}).get("user_list") or []),
                  "invalid_tags": len((result.get("invalid_external_contact_list") or {}).get("tag_list") or [])}  # fmt: skip
        return Receipt(
            JobState.AWAITING_CONFIRMATION, moment_id, "", detail, note=self._waiting_note("moment", moment_id)
        )

    def _waiting_note(self, what: str, remote_id: str) -> str:
        """What happens next, for the person who ran publish: staff confirm in the WeCom client, runs count them."""
        share = f"{self.options.confirm_share:.0%}"
        hours = self.options.expire_after / 3600
        return (f"{what} {remote_id} waits for staff to confirm it in the WeCom client; `mediactl queue sync` (and every "
                f"`publish --due`) counts them: sent when {share} have, expired after {hours:g} h")  # fmt: skip

    # --- reconciliation ---------------------------------------------------------------------------

    def status(self, remote_id: str) -> Receipt | None:
        """A moment task asked about by its recorded jobid (None while WeCom is still creating it); a push's msgid
        needs no question (`find`)."""
        return self._moment_created(remote_id) if self.options.mode == "moments" else None

    def find(self, key: str, variant: Variant | None) -> Receipt | None:
        """A job whose outcome a run did not learn: a moment by its recorded jobid (HttpAdapter.find); a push by its
        recorded msgid, or else the corp's task with exactly this variant's text and link. Trouble in asking is
        "cannot tell" (None), never "failed"."""
        if self.options.mode == "moments":
            return super().find(key, variant)
        job = self.store.by_key(key) if self.store is not None else None
        if job is None:
            return None
        if job.remote_id:
            return Receipt(JobState.AWAITING_CONFIRMATION, job.remote_id, "", _since(job, "push", msgid=job.remote_id))
        try:
            return self._find_push(job, variant)
        except (DeliveryError, MediactlError):
            return None

    def _find_push(self, job: Job, variant: Variant | None) -> Receipt | None:
        if variant is None or job.claimed_at is None:
            return None
        wanted = (variant.text("text"), variant.document.get("link") or None)
        body = {"chat_type": self.options.chat_type, "start_time": int(job.claimed_at - LIST_MARGIN),
                "end_time": int(time.time()) + 60, "filter_type": 0, "limit": 100}  # fmt: skip
        for message in self._pages("push_list", body, "group_msg_list"):
            links = [
                a.get("link", {}).get("url") for a in message.get("attachments") or [] if a.get("msgtype") == "link"
            ]
            if ((message.get("text") or {}).get("content"), links[0] if links else None) == wanted:
                msgid = str(message["msgid"])
                return Receipt(JobState.AWAITING_CONFIRMATION, msgid, "", _since(job, "push", msgid=msgid))
        return None

    def _pages(self, endpoint: str, body: dict[str, Any], rows: str, *, most: int = 50) -> list[dict[str, Any]]:
        """Every row of a cursor-paged list (at most `most` pages: a list never loops forever)."""
        found: list[dict[str, Any]] = []
        cursor = ""
        for _ in range(most):
            answer = self._api(endpoint, body={**body, **({"cursor": cursor} if cursor else {})})
            found += list(answer.get(rows) or [])
            cursor = str(answer.get("next_cursor") or "")
            if not cursor:
                break
        return found

    # --- confirmation: staff confirm in the WeCom client ------------------------------------------

    def confirmation(self, job: Job, now: float) -> Confirmation | None:
        if not job.remote_id:
            return None
        options = self.options
        detail = {**job.confirmed(), **({} if job.confirmation else _since(job, options.mode))}
        detail["staff"] = self._moment_staff(job.remote_id) if options.mode == "moments" else \
            self._push_staff(job.remote_id, detail.get("staff") or {})  # fmt: skip
        detail["total"] = tally.total(detail["staff"])
        state = tally.verdict(detail, confirm_share=options.confirm_share, expire_after=options.expire_after, now=now)
        reminded = 0
        if state == JobState.EXPIRED:
            detail["stopped"] = self._stop_rest(job.remote_id, options)
        elif state == JobState.AWAITING_CONFIRMATION and options.mode == "push" and options.remind:
            reminded = self._remind(job.remote_id, detail, now)
        return Confirmation(state, detail, tally.summary(detail, options.confirm_share), reminded=reminded)

    def _push_staff(self, msgid: str, before: dict[str, Any]) -> dict[str, Any]:
        """Per staff member: confirmed or not, and their customers' results (asked again until all are final)."""
        staff = {}
        for task in self._pages("push_tasks", {"msgid": msgid, "limit": PAGE}, "task_list"):
            userid = str(task.get("userid"))
            confirmed = tally.as_int(task.get("status")) != tally.TASK_NOT_SENT
            known = before.get(userid) or {}
            if confirmed and known.get("confirmed") and not known.get("not_sent"):
                staff[userid] = known  # confirmed earlier and every customer's result is in: nothing new to ask
                continue
            body = {"msgid": msgid, "userid": userid, "limit": PAGE}
            staff[userid] = tally.staff_entry(confirmed, self._pages("push_results", body, "send_list"))
        return staff

    # --- numbers back: what reached the customers of a 1-to-1 push --------------------------------------

    def metrics(self, job: Job, now: float) -> Metrics | None:
        """A push's customers, summed over its staff (get_groupmsg_task, then get_groupmsg_send_result per staff
        member: status 1 delivered, 2 not a friend, 3 already received another push, 0 not sent yet), and the clicks
        on its link card's tracked link where the channel names a link tracker (WeCom counts none). Moments: None,
        WeCom tells an app who posted a moment, not who saw it."""
        if self.options.mode != "push" or not job.remote_id:
            return None
        totals = tally.total(self._push_staff(job.remote_id, {}))
        counters = {ours: int(totals.get(theirs, 0)) for theirs, ours in PUSH_COUNTERS.items()}
        link = str(job.confirmed().get("link") or "")  # the link card's tracked link, kept when the task was made
        if self.channel.link_tracker and link:
            counters["clicks"] = linktracker.clicks(self, link)
        return Metrics(counters, note=f"{totals.get('confirmed', 0)} of {totals.get('staff', 0)} staff confirmed")

    def _moment_staff(self, moment_id: str) -> dict[str, Any]:
        tasks = self._pages("moment_tasks", {"moment_id": moment_id, "limit": PAGE}, "task_list")
        return {
            str(t.get("userid")): tally.staff_entry(tally.as_int(t.get("publish_status")) == 1, None) for t in tasks
        }

    def _remind(self, msgid: str, detail: dict[str, Any], now: float) -> int:
        """Remind the staff who have not confirmed, within WeCom's limit (3 a day per task); a refusal is noted."""
        if not tally.due_reminder(detail, now=now, per_day=LIMITS["reminders"]):
            return 0
        try:
            self._api("remind", mutating=True, body={"msgid": msgid})
        except (DeliveryError, MediactlError) as exc:
            detail["remind_error"] = redact(exc.message)
            return 0
        detail["reminders"] = [*(detail.get("reminders") or []), now]
        detail.pop("remind_error", None)
        return 1

    def _stop_rest(self, remote_id: str, options: WecomOptions) -> str:
        """An expired task is stopped, so no staff member sends it after the job was closed; what happened."""
        try:
            return self._cancel(remote_id, options)
        except (DeliveryError, MediactlError) as exc:
            return f"not stopped: {redact(exc.message)}"

    # --- withdrawing --------------------------------------------------------------------------------

    def withdraw(self, remote_id: str) -> None:
        """`mediactl recall`: stop the task (cancel_groupmsg_send; moments: cancel_moment_task), so staff who have not
        sent it cannot. What staff already sent stays with the customers: WeCom cannot take a sent message (or a
        posted moment) back, so when anyone has, the stop is done and NotWithdrawable says what a person must do."""
        options = self.options
        staff = self._moment_staff(remote_id) if options.mode == "moments" else self._push_staff(remote_id, {})
        self._cancel(remote_id, options)
        totals = tally.total(staff)
        if totals["confirmed"]:
            reached = f" to {totals['sent']} customer(s)" if "sent" in totals else ""
            raise NotWithdrawable(
                f"stopped for the staff who had not sent it ({self._cancelled_by(options)}), but {totals['confirmed']} "
                f"of {totals['staff']} staff already sent it{reached}; WeCom cannot take a sent message or a posted "
                "moment back: ask those staff to recall or delete it in the WeCom client where it still can be, or tell "
                "the customers"
            )

    @staticmethod
    def _cancelled_by(options: WecomOptions) -> str:
        return "cancel_moment_task" if options.mode == "moments" else "cancel_groupmsg_send"

    def _cancel(self, remote_id: str, options: WecomOptions) -> str:
        if options.mode == "moments":
            self._api("moment_cancel", mutating=True, body={"moment_id": remote_id})
            return f"moment {remote_id} stopped (cancel_moment_task): staff who have not posted it cannot any more"
        self._api("cancel", mutating=True, body={"msgid": remote_id})
        return f"task {remote_id} stopped (cancel_groupmsg_send): staff who have not sent it cannot any more"

    # --- dry run ---------------------------------------------------------------------------------------

    def describe(self, variant: Variant, key: str) -> list[dict[str, Any]]:
        base = redact(self.api_base())  # a base_url may carry a password
        options = self.options
        lines = [f"GET {base}{ENDPOINTS['token']} (corpid, corpsecret=***)"]
        if options.mode == "moments":
            lines += [
                f"POST {base}{ENDPOINTS['upload_attachment']} ({kind} {e.get('file')})"
                for kind, e in self._media(variant)
            ]
            lines += [f"POST {base}{ENDPOINTS['moment']} (visible to the tags of the item's audience segments)",
                      f"GET {base}{ENDPOINTS['moment_result']} (poll)",
                      f"POST {base}{ENDPOINTS['moment_tasks']} (publish --due, queue sync: staff who posted it)"]  # fmt: skip
        else:
            plan = self._push_plan(variant, options)
            lines += [
                f"POST {base}{ENDPOINTS['upload']}?type={kind} ({e.get('file')})"
                for kind, e in plan
                if kind in ("image", "video")
            ]
            lines += [f"POST {base}{ENDPOINTS['push']} (chat_type {options.chat_type}, {len(plan)} attachment(s), to the "
                      "customers of the item's audience segments)",
                      f"POST {base}{ENDPOINTS['push_tasks']} + {ENDPOINTS['push_results']} (publish --due, queue sync)"]  # fmt: skip
        return [{"request": line} for line in lines]


PUSH_COUNTERS = {
    "sent": "delivered",
    "not_friend": "failed_not_friend",
    "already_received": "already_received",
    "not_sent": "not_sent",
}  # wecom_tally's counts → our counters (publish/adapters/metrics.py)


def _since(job: Job, mode: str, **more: Any) -> dict[str, Any]:
    """The start of a task's confirmation, when the adapter did not see it created (reconciled): the claim."""
    return {"mode": mode, "since": job.claimed_at or job.updated_at, "reminders": [], **more}


def _mime(name: str) -> str:
    return {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".mp4": "video/mp4"}.get(
        PurePosixPath(name).suffix.lower(), "application/octet-stream"
    )
