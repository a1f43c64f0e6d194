"""WeChat Official Account (公众号): stable token → body images → cover material → draft → publish → poll.

Facts from platforms.md §1: errors come as HTTP 200 with `errcode`; 40001/40014/42001 mean
the token must be refreshed (once); 45009/45011 are quota limits (transient); 87014 is
content refused by WeChat's security check; `freepublish/submit` only queues the publish
and `freepublish/get` reports its status (0 published, 1 publishing, 2–6 failures).
Bodies are sent as raw UTF-8 JSON: WeChat rejects `\\uXXXX` escapes (47001).

Crash safety: the `publish_id` is written to the job as soon as WeChat accepts the submit,
before polling. A run that dies while polling, or polls that run out, leave a job whose
outcome the next run asks `freepublish/get` about (`find`), instead of an `unknown` for a
person. One adapter serves all of a channel's delivery threads: nothing per post is kept
on it (the idempotency key travels as an argument).
"""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from mediactl.core.redaction import redact
from mediactl.publish.adapters.base import DeliveryError, NotPublished, Receipt, Rejected, Variant, shown
from mediactl.publish.adapters.codes import ErrorTable, errcode_answer
from mediactl.publish.adapters.http import HttpAdapter

if TYPE_CHECKING:  # annotations only
    from mediactl.publish.adapters.metrics import MetricsSpec
    from mediactl.publish.store import Job

PUBLISH_STATUS = {
    2: "original-content check failed",
    3: "publishing failed",
    4: "rejected by the platform's review",
    5: "deleted by the account after publishing",
    6: "banned by the platform after publishing",
}
PUBLISHED_THEN_REMOVED = {5, 6}  # published, then deleted by the account or banned: it was delivered
POLLS = 20
BEIJING = ZoneInfo("Asia/Shanghai")
POLL_SECONDS = 3.0  # polls back off from 0.2 s to this; 20 polls bound the wait to about a minute


class WechatOfficialAccountAdapter(HttpAdapter):
    platform = "wechat_oa"

    # --- the mechanism's hooks --------------------------------------------------------------

    def fetch_token(self) -> tuple[str, float]:
        body = {"grant_type": "client_credential", "appid": self.secret("appid"), "secret": self.secret("secret"),
                "force_refresh": False}  # fmt: skip
        answer = self._json(self.send("POST", f"{self.api_base()}/cgi-bin/stable_token", step="stable_token",
                                      mutating=False, content=_utf8(body)), step="stable_token", mutating=False)  # fmt: skip
        return str(answer["access_token"]), float(answer.get("expires_in", 7200))

    def _api(
        self, path: str, *, step: str, mutating: bool, key: str = "", body: Any = None, files: Any = None,
        params: Any = None, under: str = "/cgi-bin",
    ) -> dict[str, Any]:  # fmt: skip
        """A call below `under` (the API's /cgi-bin, or the data cube's /datacube) with the token as a parameter."""
        headers = {"X-Mediactl-Idempotency-Key": key} if key else {}
        payload: dict[str, Any] = {"files": files} if files else {"content": _utf8(body)}
        if not files:
            headers["Content-Type"] = "application/json; charset=utf-8"

        def call(token: str) -> dict[str, Any]:
            url = f"{self.api_base()}{under}/{path}"
            query = {"access_token": token, **(params or {})}
            return self._json(
                self.send("POST", url, step=step, mutating=mutating, params=query, headers=headers, **payload),
                step=step,
                mutating=mutating,
            )

        return self.with_token(call)

    def _json(self, response: Any, *, step: str, mutating: bool) -> dict[str, Any]:
        return errcode_answer(response, ErrorTable.of(self.platform), step=step, mutating=mutating, who="WeChat")

    # --- publishing -------------------------------------------------------------------------

    def publish(self, variant: Variant, key: str) -> Receipt:
        content = self._with_uploaded_images(variant, key)
        thumb = self._cover(variant, key)
        article = {
            "title": variant.text("title"),
            "author": variant.text("author"),
            "digest": variant.text("digest"),
            "content": content,
            "content_source_url": variant.text("content_source_url"),
            "thumb_media_id": thumb,
            "need_open_comment": 0,
            "only_fans_can_comment": 0,
        }
        draft = self._api("draft/add", step="draft/add", mutating=False, key=key, body={"articles": [article]})
        submitted = self._api("freepublish/submit", step="freepublish/submit", mutating=True, key=key,
                              body={"media_id": draft["media_id"]})  # fmt: skip
        publish_id, msg_data_id = str(submitted["publish_id"]), str(submitted.get("msg_data_id") or "")
        return self.await_verdict(key, publish_id, lambda: self._await(publish_id, polls=POLLS, msg_data_id=msg_data_id),
                                  what=f"publish {publish_id}", who="WeChat")  # fmt: skip

    def status(self, remote_id: str) -> Receipt | None:
        """freepublish/get once: NotPublished for publish_status 2-4."""
        return self._await(remote_id, polls=1)

    def withdraw(self, remote_id: str) -> None:
        """`mediactl recall`: freepublish/get gives the publish's article_id, then freepublish/delete removes every
        article of it (index 0), for good. An article already deleted (publish_status 5 or 6) is withdrawn."""
        answer = self._api("freepublish/get", step="freepublish/get", mutating=False, body={"publish_id": remote_id})
        if answer.get("publish_status") in (5, 6):
            return
        article_id = answer.get("article_id")
        if not article_id:
            raise Rejected(f"publish {remote_id} has no published article to delete (publish_status "
                           f"{answer.get('publish_status')})")  # fmt: skip
        self._api("freepublish/delete", step="freepublish/delete", mutating=False,
                  body={"article_id": str(article_id), "index": 0})  # fmt: skip

    def _with_uploaded_images(self, variant: Variant, key: str) -> str:
        """Body images must be WeChat-hosted (uploadimg); external image URLs are filtered by WeChat."""
        content = variant.text("content")
        for image in variant.document.get("body_images", []):
            if image.get("external"):
                raise Rejected(f"body image {image['src']} is an external URL; WeChat filters those: use a local file")
            name = PurePosixPath(image["file"]).name
            answer = self._api("media/uploadimg", step="media/uploadimg", mutating=False, key=key,
                               files={"media": (name, variant.read(image, f"body image {name}"), _mime(name))})  # fmt: skip
            content = content.replace(f'src="{image["src"]}"', f'src="{answer["url"]}"')
        return content

    def _cover(self, variant: Variant, key: str) -> str:
        covers = variant.media("cover")
        if not covers:
            raise Rejected("the variant has no cover image; a WeChat article needs one (thumb_media_id)")
        cover = covers[0]
        answer = self._api("material/add_material", step="material/add_material", mutating=False, key=key,
                           params={"type": "image"},
                           files={"media": (cover["file"], variant.read(cover, "cover"), _mime(cover["file"]))})  # fmt: skip
        return str(answer["media_id"])

    def _await(self, publish_id: str, *, polls: int, msg_data_id: str = "") -> Receipt | None:
        """freepublish is asynchronous: poll its status, bounded; None while it is still publishing. The receipt keeps
        the submit's `msg_data_id` and the day (Beijing) it was published: the data cube finds the article by them
        (`metrics`). A publish found again by its publish_id alone (reconciliation) has no msg_data_id to keep."""
        for attempt in range(polls):
            if attempt:
                time.sleep(min(POLL_SECONDS, 0.2 * 2 ** (attempt - 1)))
            status = self._api(
                "freepublish/get", step="freepublish/get", mutating=False, body={"publish_id": publish_id}
            )
            code = int(status.get("publish_status", 1))
            if code == 0:
                items = (status.get("article_detail") or {}).get("item") or [{}]
                article_id = status.get("article_id")
                ids = {"article_id": article_id, **({"msg_data_id": msg_data_id} if msg_data_id else {}),
                       "published_on": _beijing_day(time.time())}  # fmt: skip
                return Receipt("sent", publish_id, str(items[0].get("article_url", "")), ids,
                               live=self._live(str(article_id or "")))  # fmt: skip
            if code in PUBLISHED_THEN_REMOVED:  # it did go out: sent, with what became of it
                return Receipt("sent", publish_id, "", {"publish_status": code, "note": PUBLISH_STATUS[code]})
            if code in PUBLISH_STATUS:
                raise NotPublished(f"publish {publish_id}: {PUBLISH_STATUS[code]} (publish_status {code})")
        return None

    # --- numbers back: the data cube --------------------------------------------------------------

    def metrics_values(self, job: Job, now: float, spec: MetricsSpec) -> dict[str, str]:
        """The data cube's question: the articles published on the post's day (Beijing), their numbers up to
        yesterday (the data cube's latest day), at most `days` after publishing; the article is found by
        msgid = "<msg_data_id>_1" (mediactl publishes one article per publish). A skip before the next day, or
        when the job keeps no msg_data_id (sent before mediactl kept it, or found again by reconciliation)."""
        remote = job.remote()
        msg_data_id, published_on = str(remote.get("msg_data_id") or ""), str(remote.get("published_on") or "")
        if not msg_data_id or not published_on:
            return {
                "skip": "no numbers can be asked: WeChat's data cube finds an article by the msg_data_id of its "
                "submit, which this job does not keep (sent before mediactl kept it, or reconciled)"
            }
        first = date.fromisoformat(published_on)
        yesterday = date.fromisoformat(_beijing_day(now)) - timedelta(days=1)
        if yesterday < first:
            return {
                "skip": f"no numbers yet: WeChat's data cube has an article's numbers from the day after it was "
                f"published ({published_on}, Beijing time)"
            }
        last = min(yesterday, first + timedelta(days=int(spec.extra.get("days", 30)) - 1))
        return {"msgid": f"{msg_data_id}_1", "begin_date": first.isoformat(), "end_date": last.isoformat()}

    def ask_metrics(self, spec: MetricsSpec, params: dict[str, Any]) -> Any:
        under, _, name = spec.path(self.facts).rpartition("/")
        return self._api(name, step=name, mutating=False, body=params, under=under)

    def _live(self, article_id: str) -> dict[str, str] | None:
        """The published article as WeChat shows it (freepublish/getarticle): its title, author, digest and body,
        for the drift check. Reading it back is not part of publishing: if it fails, the article is still out."""
        if not article_id:
            return None
        try:
            answer = self._api("freepublish/getarticle", step="freepublish/getarticle", mutating=False,
                               body={"article_id": article_id})  # fmt: skip
        except DeliveryError:
            return None
        articles = [a for a in answer.get("news_item") or [] if isinstance(a, dict)]
        if not articles or articles[0].get("is_deleted"):
            return None
        return shown(articles[0], title="title", author="author", digest="digest", content="content")

    def describe(self, variant: Variant, key: str) -> list[dict[str, Any]]:
        base = redact(f"{self.api_base()}/cgi-bin")  # a base_url may carry a password
        uploads = [
            f"POST {base}/media/uploadimg ({image.get('src')})" for image in variant.document.get("body_images", [])
        ]
        return [{"request": line} for line in (f"POST {base}/stable_token (appid, secret=***)", *uploads,
                f"POST {base}/material/add_material?type=image (cover)", f"POST {base}/draft/add (title {variant.text('title')!r})",
                f"POST {base}/freepublish/submit", f"POST {base}/freepublish/get (poll)")]  # fmt: skip


def _utf8(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def _beijing_day(at: float) -> str:
    """The day (YYYY-MM-DD) in Beijing at `at`: the data cube's days are China's."""
    return datetime.fromtimestamp(at, BEIJING).date().isoformat()


def _mime(name: str) -> str:
    return {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif"}.get(
        PurePosixPath(name).suffix.lower(), "application/octet-stream"
    )
