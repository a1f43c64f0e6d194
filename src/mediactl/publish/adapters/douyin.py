"""Douyin (抖音): upload the video (whole, or init/parts/complete), create the post, poll its review.

Facts from platforms.md §4, kept in data/platforms/douyin.yaml: every call carries the account's
access token in the `access-token` header and its `open_id` in the query (both from the channel's
grant: `mediactl auth CHANNEL`, publish/adapters/oauth.py, which also renews the token); answers are
``{"data": {"error_code", "description", …}, "extra": {"error_code", "logid", "now", …}}`` with
HTTP 200 for most failures. A file up to 128 MB goes to `/video/upload/`; a larger one must go in
parts (`/video/part/init/`, `/video/part/upload/` numbered from 1, `/video/part/complete/`), which
the shared `upload.py` sends. `/video/create/` posts it with `text` (the title with the variant's
`#topics` inline) and `cover_tsp` (the second whose frame is the cover: the variant's `video.cover_at`,
from its video template's `cover.at`, so the cover is approved with the video, inside the content
hash); a video_id serves one create only, so every attempt uploads afresh.

Review follows creation: `/video/data/` reports `is_reviewed` and `video_status` (4 under review,
1/5 published, 6/7 published but visible to friends only / private, 2 unsuitable for public).
Crash safety as for WeChat: the `item_id` is recorded on the job (Store.record_remote_id) before
polling, so a run that dies while polling, or polls that run out, leave a job the next run asks
`/video/data/` about (`find`). A crash between sending `/video/create/` and reading its answer
leaves no id: Douyin has no lookup by our key, so that job ends `unknown` for a person
(`queue resolve` or `queue retry`), never re-sent blindly.
"""

from __future__ import annotations

import json
from typing import Any

from mediactl.core.redaction import redact
from mediactl.publish.adapters.base import NotPublished, Receipt, Transient, Variant, shown
from mediactl.publish.adapters.codes import ErrorTable, as_int, mapping
from mediactl.publish.adapters.http import json_object
from mediactl.publish.adapters.metrics import MetricsSpec
from mediactl.publish.adapters.oauth import OAuthAdapter
from mediactl.publish.adapters.poll import poll
from mediactl.publish.adapters.upload import send_file
from mediactl.publish.adapters.video import caption_problems, mime_type, read_video, video_problems


class DouyinAdapter(OAuthAdapter):
    platform = "douyin"

    # --- calls -------------------------------------------------------------------------------

    def _api(self, endpoint: str, *, step: str, mutating: bool, key: str = "", params: dict[str, Any] | None = None,
             body: Any = None, files: Any = None) -> dict[str, Any]:  # fmt: skip
        """One call to an `endpoints:` path with the access token (refreshed once if Douyin says it expired)."""
        headers = {"X-Mediactl-Idempotency-Key": key} if key else {}
        payload: dict[str, Any] = {"files": files} if files else {}
        if body is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
            payload["content"] = json.dumps(body, ensure_ascii=False).encode("utf-8")
        query = {"open_id": self.account(), **(params or {})}  # the authorised account (the grant's open_id)

        def call(token: str) -> dict[str, Any]:
            response = self.send("POST", self.api_url(self.facts["endpoints"][endpoint]), step=step, mutating=mutating,
                                 params=query, headers={**headers, "access-token": token}, **payload)  # fmt: skip
            return self._data(response, step, mutating=mutating)

        return self.with_token(call)

    def _data(self, response: Any, step: str, *, mutating: bool) -> dict[str, Any]:
        """The answer's `data`, or the outcome its error code means (codes as data: douyin.yaml `errors:`)."""
        answer = json_object(response, step=step, mutating=mutating, who="Douyin")
        data, extra = mapping(answer.get("data")), mapping(answer.get("extra"))
        code = as_int(data.get("error_code", extra.get("error_code", 0)) or 0)
        if code == 0:
            return data
        message = f"{step}: error_code {code}: {data.get('description') or extra.get('description') or ''}"
        raise ErrorTable.of(self.platform).error(code, message)

    # --- checks -------------------------------------------------------------------------------

    def validate(self, variant: Variant) -> list[str]:
        problems = video_problems(variant, self.platform)
        problems += caption_problems(variant, "text", "text (the video's title and topics) is empty")
        value = (variant.document.get("video") or {}).get("cover_at")
        if value is not None and _cover_tsp(variant) is None:
            problems.append(f"the variant's video.cover_at must be a number of seconds ≥ 0, not {value!r}")
        return problems

    # --- publishing -------------------------------------------------------------------------

    def publish(self, variant: Variant, key: str) -> Receipt:
        name, data = read_video(variant)
        video_id = send_file(data, self.part_plan, _DouyinUpload(self, name))
        body: dict[str, Any] = {"video_id": video_id, "text": variant.text("text")}
        if _cover_tsp(variant) is not None:  # a variant rendered before cover_at was recorded: Douyin chooses
            body["cover_tsp"] = _cover_tsp(variant)
        created = self._api("create", step="video/create", mutating=True, key=key, body=body)
        item_id = str(created["item_id"])
        return self.await_verdict(key, item_id, lambda: poll(lambda: self.status(item_id), self.poll_plan),
                                  what=f"video {item_id}", who="Douyin")  # fmt: skip

    def status(self, item_id: str) -> Receipt | None:
        """One `/video/data/` question: the receipt once reviewed and published, None while under review."""
        data = self._api("data", step="video/data", mutating=False, body={"item_ids": [item_id]})
        found = [v for v in data.get("list") or [] if isinstance(v, dict) and str(v.get("item_id")) == item_id]
        if not found:
            return None  # not listed yet (indexing lags creation): still pending
        video = found[0]
        status = as_int(video.get("video_status"))
        review = self.facts["review"]
        if not video.get("is_reviewed") or status in review["pending"]:
            return None
        if status in review["refused"]:
            raise NotPublished(f"video {item_id}: {review['refused'][status]} (video_status {status})")
        detail: dict[str, Any] = {"video_status": status, "note": review["published"].get(status, "reviewed")}
        return Receipt("sent", item_id, str(video.get("share_url") or ""), detail, live=shown(video, text="title"))

    def ask_metrics(self, spec: MetricsSpec, params: dict[str, Any]) -> Any:
        """`/video/data/` for the one video: its `statistics` (the facts' `metrics:` block maps them)."""
        return self._api(spec.endpoint, step="video/data", mutating=False, body=params)

    def withdraw(self, remote_id: str) -> None:
        """Delete a published video (`/video/delete/`, scope video.delete); raises the classified failure.

        Not a publishing step: a repeat deletes nothing more, so a timeout is Transient (ask again)."""
        self._api("delete", step="video/delete", mutating=False, body={"item_id": remote_id})

    def describe(self, variant: Variant, key: str) -> list[dict[str, Any]]:
        base = redact(self.api_base())  # a base_url may carry a password
        ends = self.facts["endpoints"]
        video = variant.document.get("video") or {}
        size = int(video.get("bytes", 0))
        parts = self.part_plan.parts(size)
        uploads = ([f"POST {base}{ends['part_init']}", f"POST {base}{ends['part_upload']} × {len(parts)} parts",
                    f"POST {base}{ends['part_complete']}"] if parts
                   else [f"POST {base}{ends['upload']} ({video.get('file')}, {size} bytes)"])  # fmt: skip
        create = f"POST {base}{ends['create']} (text {variant.text('text')!r}, cover_tsp {_cover_tsp(variant)})"
        lines = ["header access-token: ***", *uploads, create, f"POST {base}{ends['data']} (poll the review)"]
        return [{"request": line} for line in lines]


def _cover_tsp(variant: Variant) -> float | None:
    """The second whose frame is the cover: the approved variant's `video.cover_at` (none in an older manifest)."""
    value = (variant.document.get("video") or {}).get("cover_at")
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    return float(value)


class _DouyinUpload:
    """Douyin's upload requests as `upload.PartSteps`: the result is the video_id `/video/create/` takes."""

    def __init__(self, adapter: DouyinAdapter, name: str) -> None:
        self.adapter = adapter
        self.name = name

    def _file(self, chunk: bytes) -> dict[str, Any]:
        return {"video": (self.name, chunk, mime_type(self.name))}

    def whole(self, data: bytes) -> str:
        answer = self.adapter._api("upload", step="video/upload", mutating=False, files=self._file(data))
        return _video_id(answer, "video/upload")

    def begin(self, size: int, count: int) -> str:
        answer = self.adapter._api("part_init", step="video/part/init", mutating=False)
        return str(answer["upload_id"])

    def part(self, session: str, number: int, chunk: bytes, count: int) -> None:
        self.adapter._api("part_upload", step=f"video/part/upload (part {number} of {count})", mutating=False,
                          params={"upload_id": session, "part_number": number}, files=self._file(chunk))  # fmt: skip

    def finish(self, session: str, count: int) -> str:
        answer = self.adapter._api("part_complete", step="video/part/complete", mutating=False,
                                   params={"upload_id": session})  # fmt: skip
        return _video_id(answer, "video/part/complete")


def _video_id(data: dict[str, Any], step: str) -> str:
    video = data.get("video")
    if not isinstance(video, dict) or not video.get("video_id"):
        raise Transient(f"{step}: Douyin's answer has no video.video_id; the upload is repeated")
    return str(video["video_id"])
