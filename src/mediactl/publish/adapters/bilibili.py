"""Bilibili (哔哩哔哩) open platform: signed calls, the video whole or in parts, cover, submit, review.

Facts (platforms.md §6 and the `hosts`/`signature`/`upload`/`poll`/`review`/`errors` blocks of
data/platforms/bilibili.yaml, each with its source):
- every call to member.bilibili.com is signed (`signed_headers`): the x-bili-* headers sorted, as
  `key:value` lines, HMAC-SHA256 with the app secret, hex, in `Authorization`; version 2.0 carries
  the user's token in `access-token`. The video's bytes go to openupos unsigned, by upload_token;
- `video/init` (utype "1": one request up to 100 MB, "0": 8 MB parts numbered from 1, then
  `video/complete`) → `cover/upload` (multipart `file`) → `add-by-utoken` with title, cover, tid
  (the channel's `tid`), comma-separated tags and desc → `resource_id` (the BV id);
- the submission enters review: `archive/view` answers `addit_info.state` (0 open, -2 sent back …).
Answers are HTTP 200 with `{"code", "message", "data"}`: 127001 is a refused token (renewed once),
the busy and rate-limit codes are transient, every other code a refusal with Bilibili's words.

Crash safety: the resource_id is recorded on the job (Store.record_remote_id) as soon as
add-by-utoken answers, before polling, so `find` asks archive/view about it after a crash or when the
polls run out. A crash between add-by-utoken and its answer leaves no id: Bilibili has no client
key to ask by, so that job ends `unknown` for a person (never submitted twice).

Authorisation: the user's access token is the channel's grant (`mediactl auth CHANNEL`), renewed with
its refresh token by OAuthAdapter (publish/adapters/oauth.py), or a static `access_token` credential.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from pathlib import PurePosixPath
from typing import Any

import httpx

from mediactl.core.redaction import redact, redacted_excerpt
from mediactl.publish.adapters.base import NotPublished, Receipt, Rejected, Transient, Unknown, Variant, shown
from mediactl.publish.adapters.http import TokenExpired, json_object
from mediactl.publish.adapters.metrics import MetricsSpec
from mediactl.publish.adapters.oauth import OAuthAdapter
from mediactl.publish.adapters.poll import poll
from mediactl.publish.adapters.upload import send_file

MEMBER, UPLOAD, ACCOUNT = "member", "upload", "account"


def canonical(headers: dict[str, str]) -> str:
    """The string Bilibili signs: the x-bili-* headers sorted by name, `name:value`, one a line, no final newline."""
    return "\n".join(f"{name}:{value}" for name, value in sorted(headers.items()) if name.startswith("x-bili-"))


def signed_headers(
    client_id: str, app_secret: str, access_token: str, body: bytes, *, timestamp: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:  # fmt: skip
    """Every header a member.bilibili.com call needs (signature version 2.0); `body` is what the md5 covers."""
    headers = {
        "x-bili-accesskeyid": client_id,
        "x-bili-content-md5": hashlib.md5(body).hexdigest(),
        "x-bili-signature-method": "HMAC-SHA256",
        "x-bili-signature-nonce": nonce or str(uuid.uuid4()),
        "x-bili-signature-version": "2.0",
        "x-bili-timestamp": str(int(time.time()) if timestamp is None else timestamp),
    }
    signature = hmac.new(app_secret.encode("utf-8"), canonical(headers).encode("utf-8"), hashlib.sha256)
    return {
        **headers,
        "Authorization": signature.hexdigest(),
        "access-token": access_token,
        "Accept": "application/json",
    }


class BilibiliAdapter(OAuthAdapter):
    platform = "bilibili"

    # --- requests -----------------------------------------------------------------------------

    def host(self, name: str) -> str:
        """member, upload or account: all one root in the sandbox or with a base_url, else the platform's hosts."""
        if self.sandbox() or self.channel.base_url:
            return self.api_base()
        return str(self.facts["hosts"][name]).rstrip("/")

    def call(
        self, method: str, path: str, *, step: str, mutating: bool = False, query: dict[str, str] | None = None,
        body: dict[str, Any] | None = None, files: Any = None, key: str = "", gone: frozenset[int] = frozenset(),
    ) -> dict[str, Any]:  # fmt: skip
        """A signed member.bilibili.com call; the answer's `data`. A refused token is renewed once (with_token)."""
        content = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else b""

        def attempt(token: str) -> dict[str, Any]:
            headers = signed_headers(self.client_id(), self.client_secret(), token, content)
            if key:
                headers["X-Mediactl-Idempotency-Key"] = key
            payload: dict[str, Any] = {"files": files} if files else {"content": content}
            if not files:
                headers["Content-Type"] = "application/json"
            response = self.send(method, f"{self.host(MEMBER)}{path}", step=step, mutating=mutating, params=query,
                                 headers=headers, **payload)  # fmt: skip
            return self.answer(response, step, mutating=mutating, gone=gone)

        return self.with_token(attempt)

    def answer(self, response: httpx.Response, step: str, *, mutating: bool,
               gone: frozenset[int] = frozenset()) -> dict[str, Any]:  # fmt: skip
        """The `data` of a Bilibili answer, or the classified error: token, busy, rate limited, or refused; a code in
        `gone` (where the caller knows it means the submission no longer exists) is NotPublished."""
        answer = json_object(response, step=step, mutating=mutating, who="Bilibili")
        if not isinstance(answer.get("code"), int):
            what = f"{step}: Bilibili answered without a code: {redacted_excerpt(response.text, 120)}"
            raise Unknown(f"{what}; the post may exist") if mutating else Transient(what)
        code = answer["code"]
        if code == 0:
            data = answer.get("data")
            return data if isinstance(data, dict) else {}
        errors = self.facts["errors"]
        message = f"{step}: code {code}: {answer.get('message', '')}"
        if code in errors["token"]:
            raise TokenExpired(message)
        if code in errors["rate"]:
            raise Transient(message + " (rate limited)", retry_after=float(errors["rate"][code]))
        if code in errors["busy"]:
            raise Transient(message)
        if code in gone:
            raise NotPublished(f"{message} (the submission is gone)")
        raise Rejected(message)

    def upload_call(self, path: str, query: dict[str, str], data: bytes, step: str) -> None:
        """A call to the upload host: the bytes, by upload_token; no signature (the token authorises it)."""
        response = self.send("POST", f"{self.host(UPLOAD)}{path}", step=step, mutating=False, params=query,
                             content=data, headers={"Content-Type": "application/octet-stream"})  # fmt: skip
        self.answer(response, step, mutating=False)

    # --- validation and publishing --------------------------------------------------------------

    def validate(self, variant: Variant) -> list[str]:
        problems = []
        if not _tid(self.channel.options.get("tid")):
            problems.append(f"channels.{self.channel.name}.tid: a category id (分区, a positive integer) is required")
        video = variant.document.get("video")
        if not video:
            problems.append("the variant has no video; a Bilibili submission is a video")
        elif PurePosixPath(video["file"]).suffix.lower().lstrip(".") not in self.facts["video"]["formats"]:
            problems.append(
                f"video {PurePosixPath(video['file']).name}: Bilibili takes {', '.join(self.facts['video']['formats'])}"
            )
        elif int(video.get("bytes") or 0) > int(self.facts["video"]["max_bytes"]):
            problems.append(f"video of {video['bytes']} bytes is over Bilibili's {self.facts['video']['max_bytes']}")
        if not variant.media("cover"):
            problems.append("the variant has no cover image; a Bilibili submission needs one")
        if not variant.text("tag").strip():
            problems.append("no tags: a Bilibili submission needs at least one (the item's tags)")
        return problems

    def publish(self, variant: Variant, key: str) -> Receipt:
        upload_token = self._upload_video(variant)
        cover = self._upload_cover(variant)
        body = {"title": variant.text("title"), "cover": cover, "tid": _tid(self.channel.options.get("tid")),
                "tag": variant.text("tag"), "desc": variant.text("desc"), "copyright": 1}  # fmt: skip
        submitted = self.call("POST", "/arcopen/fn/archive/add-by-utoken", step="archive/add-by-utoken", mutating=True,
                              query={"upload_token": upload_token}, body=body, key=key)  # fmt: skip
        resource_id = str(submitted.get("resource_id") or "")
        if not resource_id:
            raise Unknown("archive/add-by-utoken answered without a resource_id; the submission may exist")
        return self.await_verdict(key, resource_id, lambda: poll(lambda: self.status(resource_id), self.poll_plan),
                                  what=resource_id, who="Bilibili")  # fmt: skip

    def ask_metrics(self, spec: MetricsSpec, params: dict[str, Any]) -> Any:
        """`arc/stat` (数据开放服务), signed like every member call; a submission Bilibili no longer has is gone."""
        gone = frozenset(int(code) for code in spec.extra.get("gone", ()))
        return self.call(spec.method, spec.path(self.facts), step="arc/stat", query=params, gone=gone)

    def withdraw(self, remote_id: str) -> None:
        """Delete the submission (稿件删除)."""
        self.call(
            "POST", "/arcopen/fn/archive/delete", step="archive/delete", mutating=True, body={"resource_id": remote_id}
        )

    def describe(self, variant: Variant, key: str) -> list[dict[str, Any]]:
        member, upload = redact(self.host(MEMBER)), redact(self.host(UPLOAD))
        video = variant.document.get("video") or {}
        parts = self.part_plan.parts(int(video.get("bytes") or 0))
        uploads = ([f"POST {upload}/video/v2/part/upload (parts 1–{len(parts)})",
                    f"POST {member}/arcopen/fn/archive/video/complete"] if parts
                   else [f"POST {upload}/video/v2/upload (whole)"])  # fmt: skip
        lines = [f"POST {member}/arcopen/fn/archive/video/init (signed x-bili-* headers; Authorization and access-token not shown)",
                 *uploads, f"POST {member}/arcopen/fn/archive/cover/upload",
                 f"POST {member}/arcopen/fn/archive/add-by-utoken (title {variant.text('title')!r}, "
                 f"tid {self.channel.options.get('tid')})", f"GET {member}/arcopen/fn/archive/view (poll)"]  # fmt: skip
        return [{"request": line} for line in lines]

    # --- the steps ------------------------------------------------------------------------------

    def _upload_video(self, variant: Variant) -> str:
        video = variant.document["video"]
        name = PurePosixPath(video["file"]).name
        return send_file(variant.read(video, name), self.part_plan, _VideoSteps(self, name))

    def _upload_cover(self, variant: Variant) -> str:
        cover = variant.media("cover")[0]
        mime = "image/png" if cover["file"].lower().endswith(".png") else "image/jpeg"
        files = {"file": (cover["file"], variant.read(cover, "cover"), mime)}
        answer = self.call("POST", "/arcopen/fn/archive/cover/upload", step="cover/upload", files=files)
        if not answer.get("url"):
            raise Transient("cover/upload answered without a url")
        return str(answer["url"])

    def status(self, resource_id: str) -> Receipt | None:
        """The submission's review state: a receipt once open (or removed after), None while in review."""
        data = self.call("GET", "/arcopen/fn/archive/view", step="archive/view", query={"resource_id": resource_id})
        info = data.get("addit_info") or {}
        state = info.get("state")
        review = self.facts["review"]
        url = str((data.get("video_info") or {}).get("share_url") or f"https://www.bilibili.com/video/{resource_id}")
        if state in review["published"]:
            return Receipt(
                "sent", resource_id, url, {"state": state}, live=shown(data, title="title", desc="desc", tag="tag")
            )
        if state in review["removed"]:
            return Receipt("sent", resource_id, url, {"state": state, "note": review["removed"][state]})
        if state in review["rejected"]:
            reason = info.get("reject_reason") or info.get("state_desc") or review["rejected"][state]
            raise NotPublished(f"{resource_id}: {review['rejected'][state]} (state {state}): {reason}")
        return None


class _VideoSteps:
    """Bilibili's upload requests for the shared part uploader: init, whole or parts, complete."""

    def __init__(self, adapter: BilibiliAdapter, name: str) -> None:
        self.adapter = adapter
        self.name = name

    def _init(self, utype: str) -> str:
        data = self.adapter.call("POST", "/arcopen/fn/archive/video/init", step="video/init",
                                 body={"name": self.name, "utype": utype})  # fmt: skip
        if not data.get("upload_token"):
            raise Transient("video/init answered without an upload_token")
        return str(data["upload_token"])

    def whole(self, data: bytes) -> str:
        upload_token = self._init("1")
        self.adapter.upload_call("/video/v2/upload", {"upload_token": upload_token}, data, "video/upload")
        return upload_token

    def begin(self, size: int, count: int) -> str:
        return self._init("0")

    def part(self, session: str, number: int, chunk: bytes, count: int) -> None:
        query = {"upload_token": session, "part_number": str(number)}
        self.adapter.upload_call("/video/v2/part/upload", query, chunk, f"video part {number}/{count}")

    def finish(self, session: str, count: int) -> str:
        self.adapter.call("POST", "/arcopen/fn/archive/video/complete", step="video/complete",
                          query={"upload_token": session})  # fmt: skip
        return session


def _tid(value: Any) -> int | None:
    """The channel's category id, when it is a positive integer."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
