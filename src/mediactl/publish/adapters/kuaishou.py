"""Kuaishou (快手): start an upload, send the video raw or in fragments to the returned endpoint, publish with caption and cover.

Facts from platforms.md §5, kept in data/platforms/kuaishou.yaml: calls to open.kuaishou.com carry
`access_token` (from the channel's grant: `mediactl auth CHANNEL`, publish/adapters/oauth.py) and `app_id` in the query and answer ``{"result": 1, …}`` on success, another
`result` with `error_msg` on failure. `/openapi/photo/start_upload` returns an `upload_token` and the
upload gateway's host (`endpoint`); a file under 10 MB goes there raw to `/api/upload`, a larger
one in fragments of at most 10 MB (`/api/upload/fragment`, `fragment_id` from 0) closed by
`/api/upload/complete` with the `fragment_count` (the shared `upload.py` sends them). The docs
show the gateway as plain http; mediactl uses the API's own scheme, https, because the upload
token would otherwise travel in clear text and anyone on the path could replace the video.
`/openapi/photo/publish` (multipart: `caption`, the required `cover` image) answers with
`video_info.photo_id` and `play_url`.

Publishing is asynchronous (the answer "does not mean the video is on the user's page"):
`/openapi/photo/info` reports `pending` until processing ends. The photo_id is recorded on the job
(Store.record_remote_id) before polling, so a run that dies while polling, or polls that run out,
leave a job the next run asks about (`find`). A crash between sending the publish call and
reading its answer leaves no id: Kuaishou has no lookup by our key, so that job ends `unknown`
for a person. Kuaishou documents no review refusal after publishing; a work the platform
removes later is not reported here.
"""

from __future__ import annotations

from typing import Any

import httpx

from mediactl.config.platforms import get_platform
from mediactl.core.redaction import redact, register_secret
from mediactl.publish.adapters.base import Receipt, Rejected, Unknown, Variant, shown
from mediactl.publish.adapters.codes import ErrorTable, as_int, mapping
from mediactl.publish.adapters.http import json_object
from mediactl.publish.adapters.metrics import MetricsSpec
from mediactl.publish.adapters.oauth import OAuthAdapter
from mediactl.publish.adapters.poll import poll
from mediactl.publish.adapters.upload import send_file
from mediactl.publish.adapters.video import caption_problems, mime_type, read_video, video_problems


class KuaishouAdapter(OAuthAdapter):
    platform = "kuaishou"

    # --- calls -------------------------------------------------------------------------------

    def _api(self, endpoint: str, *, step: str, mutating: bool, method: str = "POST", key: str = "",
             params: dict[str, Any] | None = None, data: Any = None, files: Any = None,
             tolerate: frozenset[int] = frozenset()) -> dict[str, Any]:  # fmt: skip
        """One call to an open-platform path with the access token (refreshed once if Kuaishou refuses it)."""
        headers = {"X-Mediactl-Idempotency-Key": key} if key else {}
        payload = {name: value for name, value in (("data", data), ("files", files)) if value is not None}

        def call(token: str) -> dict[str, Any]:
            query = {"access_token": token, "app_id": self.client_id(), **(params or {})}
            response = self.send(method, self.api_url(self.facts["endpoints"][endpoint]), step=step, mutating=mutating,
                                 params=query, headers=headers, **payload)  # fmt: skip
            return self._result(response, step, mutating=mutating, tolerate=tolerate)

        return self.with_token(call)

    def _result(
        self, response: Any, step: str, *, mutating: bool, tolerate: frozenset[int] = frozenset()
    ) -> dict[str, Any]:
        """The answer when `result` is 1 (or a tolerated code), else the outcome its code means (kuaishou.yaml `errors:`)."""
        answer = json_object(response, step=step, mutating=mutating, who="Kuaishou")
        code = as_int(answer.get("result"))
        if code == 1 or code in tolerate:
            return answer
        words = answer.get("error_msg") or answer.get("error") or ""
        raise ErrorTable.of(self.platform).error(code, f"{step}: result {code}: {words}")

    # --- checks -------------------------------------------------------------------------------

    def validate(self, variant: Variant) -> list[str]:
        problems = video_problems(variant, self.platform)
        problems += caption_problems(variant, "caption", "caption is empty; Kuaishou's publish requires one")
        covers = variant.media("cover")
        if not covers:
            problems.append("the variant has no cover image; Kuaishou's publish requires one (cover)")
        else:
            limit = get_platform(self.platform).facts["images"]["cover"].get("max_bytes")
            if limit is not None and int(covers[0].get("bytes", 0)) > int(limit):
                problems.append(
                    f"cover {covers[0]['file']}: {covers[0]['bytes']} bytes is over Kuaishou's {limit} bytes"
                )
        return problems

    # --- publishing -------------------------------------------------------------------------

    def publish(self, variant: Variant, key: str) -> Receipt:
        name, data = read_video(variant)
        covers = variant.media("cover")
        if not covers:
            raise Rejected("the variant has no cover image; Kuaishou's publish requires one; nothing was sent")
        cover = covers[0]
        cover_bytes = variant.read(cover, "cover")
        started = self._api("start_upload", step="photo/start_upload", mutating=False)
        upload_token = str(started["upload_token"])
        register_secret(upload_token)  # it authorises writing the video: never printed
        send_file(
            data, self.part_plan, _KuaishouUpload(self, self._gateway(str(started["endpoint"])), upload_token, name)
        )
        published = self._api(
            "publish", step="photo/publish", mutating=True, key=key, params={"upload_token": upload_token},
            data={"caption": variant.text("caption")},
            files={"cover": (cover["file"], cover_bytes, mime_type(cover["file"]))},
        )  # fmt: skip
        info = mapping(published.get("video_info"))
        if not info.get("photo_id"):
            raise Unknown("photo/publish answered success without video_info.photo_id; the post may exist")
        photo_id = str(info["photo_id"])
        return self.await_verdict(key, photo_id, lambda: poll(lambda: self.status(photo_id), self.poll_plan),
                                  what=f"work {photo_id}", who="Kuaishou")  # fmt: skip

    def _gateway(self, endpoint: str) -> str:
        """The upload gateway's root: the returned host with the API's own scheme (never plainer than the API)."""
        scheme = httpx.URL(self.api_base()).scheme or "https"
        try:
            url = httpx.URL(f"{scheme}://{endpoint}")
        except (httpx.InvalidURL, ValueError):
            url = None
        if url is None or not url.host or url.userinfo or url.query or url.fragment:
            raise Rejected(
                f"photo/start_upload returned an upload endpoint that is not a host: {endpoint!r}; nothing was sent"
            )
        return str(url).rstrip("/")

    def status(self, photo_id: str) -> Receipt | None:
        """One `/openapi/photo/info` question: the receipt once processed, None while `pending` (or not listed yet)."""
        not_found = ErrorTable.of(self.platform).codes("not_found")
        answer = self._api("info", step="photo/info", mutating=False, method="GET", params={"photo_id": photo_id},
                           tolerate=not_found)  # fmt: skip
        info = answer.get("video_info") if isinstance(answer.get("video_info"), dict) else None
        if info is None or info.get("pending"):
            return None  # still processing, or not listed yet right after publishing
        # The caption is read back for drift only (live); the receipt's detail goes into the audit record and the
        # job, which keep the platform's ids, not the post's words.
        return Receipt("sent", photo_id, str(info.get("play_url") or ""), live=shown(info, caption="caption"))

    def ask_metrics(self, spec: MetricsSpec, params: dict[str, Any]) -> Any:
        """`/openapi/photo/info`: its `video_info` counts; a work Kuaishou says does not exist answers without one."""
        not_found = ErrorTable.of(self.platform).codes("not_found")
        return self._api(spec.endpoint, step="photo/info", mutating=False, method=spec.method, params=params,
                         tolerate=not_found)  # fmt: skip

    def withdraw(self, remote_id: str) -> None:
        """Delete a published work (`/openapi/photo/delete`); raises the classified failure (a repeat is harmless).

        A work Kuaishou says does not exist (120001) is gone already (deleted in the app, or by an earlier recall):
        withdrawn."""
        gone = ErrorTable.of(self.platform).codes("not_found")
        self._api(
            "delete", step="photo/delete", mutating=False, method="GET", params={"photo_id": remote_id}, tolerate=gone
        )

    def describe(self, variant: Variant, key: str) -> list[dict[str, Any]]:
        base = redact(self.api_base())  # a base_url may carry a password
        ends = self.facts["endpoints"]
        video = variant.document.get("video") or {}
        size = int(video.get("bytes", 0))
        parts = self.part_plan.parts(size)
        uploads = ([f"POST {{endpoint}}{ends['fragment']} × {len(parts)} fragments", f"POST {{endpoint}}{ends['complete']}"]
                   if parts else [f"POST {{endpoint}}{ends['upload']} ({video.get('file')}, {size} bytes, raw)"])  # fmt: skip
        lines = [f"POST {base}{ends['start_upload']}?access_token=***&app_id=…", *uploads,
                 f"POST {base}{ends['publish']} (caption {variant.text('caption')!r}, cover)",
                 f"GET {base}{ends['info']} (poll until processed)"]  # fmt: skip
        return [{"request": line} for line in lines]


class _KuaishouUpload:
    """Kuaishou's gateway requests as `upload.PartSteps` (the upload token names the file; nothing is returned)."""

    def __init__(self, adapter: KuaishouAdapter, gateway: str, upload_token: str, name: str) -> None:
        self.adapter = adapter
        self.gateway = gateway
        self.token = upload_token
        self.name = name

    def _post(self, endpoint: str, step: str, params: dict[str, Any], content: bytes | None = None,
              content_type: str = "application/octet-stream") -> None:  # fmt: skip
        url = f"{self.gateway}{self.adapter.facts['endpoints'][endpoint]}"
        headers = {"Content-Type": content_type} if content is not None else {}
        response = self.adapter.send("POST", url, step=step, mutating=False, params={"upload_token": self.token, **params},
                                     content=content, headers=headers)  # fmt: skip
        self.adapter._result(response, step, mutating=False)

    def whole(self, data: bytes) -> None:
        self._post("upload", "upload", {}, data, mime_type(self.name))  # the raw bytes: no multipart framing [V]

    def begin(self, size: int, count: int) -> None:
        return None  # start_upload already opened it

    def part(self, session: None, number: int, chunk: bytes, count: int) -> None:
        self._post("fragment", f"upload/fragment ({number + 1} of {count})", {"fragment_id": number}, chunk)

    def finish(self, session: None, count: int) -> None:
        self._post("complete", "upload/complete", {"fragment_count": count})
