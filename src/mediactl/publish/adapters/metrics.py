"""Numbers back from a platform: the counters we name once, and each platform's mapping to them as data.

A platform's facts file says, in a `metrics:` block, which call gives a post's numbers and how its
answer's fields map to our counter names, so adding a platform (or a field a platform renames) is a
change of data, not code:

    metrics:
      endpoint: /2/statuses/count.json        # a path below the API root, or a name under `endpoints:`
      method: GET
      ask: {ids: "{remote_id}"}               # the question's parameters; "{remote_id}" is the post's id
      record: "[id={remote_id}]"              # where the post's numbers are in the answer (see `locate`)
      absent: gone                            # no record: the post is gone (NotPublished), or `not_yet`
      counters: {comments: comments, reposts: reposts, likes: attitudes}   # the answer's field → our name
      cannot: "reads: …"                      # what the platform does not tell an app (the README's table)
      source: "…"

Every HTTP adapter reads its numbers through `HttpAdapter.metrics` (publish/adapters/http.py), which
asks through the adapter's own authenticated call and then `MetricsSpec.read`s the answer here: one
place that locates the record, maps the fields and classifies what is missing or unreadable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mediactl.publish.adapters.base import NotPublished, Transient

# Our names for what platforms count, each defined once; the README's "Numbers" table uses them.
COUNTERS: dict[str, str] = {
    "reads": "people or times a post was read (WeChat: readers of the article page)",
    "plays": "video plays",
    "views": "views of a post or video (Bilibili, Kuaishou)",
    "likes": "likes (点赞, Weibo's attitudes, Douyin's digg)",
    "shares": "shares or forwards",
    "comments": "comments (Bilibili's reply)",
    "reposts": "reposts (Weibo 转发)",
    "favorites": "favorites or saves (收藏)",
    "recommends": "WeChat 在看 (recommended to the reader's friends; likes are the thumbs-up 赞)",
    "coins": "Bilibili coins (投币)",
    "danmaku": "Bilibili bullet comments (弹幕)",
    "delivered": "WeCom 1-to-1: customers the push reached",
    "failed_not_friend": "WeCom 1-to-1: not sent, the customer is no longer the staff member's contact",
    "already_received": "WeCom 1-to-1: not sent, the customer already received a push in the period",
    "not_sent": "WeCom 1-to-1: not sent yet (the staff member has not confirmed)",
    "clicks": "clicks on the tracked link (the bank's link tracker)",
}

_SEGMENT = re.compile(r"(?P<key>[^.\[\]]*)(?:\[(?P<pick>[^\]]*)\])?")


@dataclass(frozen=True)
class Metrics:
    """A post's counters at the time it was asked (our names → whole numbers), and a note for people."""

    counters: dict[str, int]
    note: str = ""


@dataclass(frozen=True)
class MetricsSpec:
    """A platform's `metrics:` block, read once per question."""

    endpoint: str
    method: str
    ask: dict[str, Any]
    record: str
    counters: dict[str, str]  # the answer's field → our counter name
    absent: str = "gone"  # gone | not_yet
    cannot: str = ""
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # a platform's own keys (WeChat's date window …)

    @classmethod
    def of(cls, facts: dict[str, Any]) -> MetricsSpec | None:
        """The facts' `metrics:` block, or None when the platform gives no numbers to an app."""
        block = facts.get("metrics")
        if not isinstance(block, dict) or not block.get("counters"):
            return None
        known = {"endpoint", "method", "ask", "record", "counters", "absent", "cannot", "source"}
        unknown = sorted(set(block["counters"].values()) - set(COUNTERS))
        if unknown:
            raise ValueError(f"metrics.counters maps to unknown counters {unknown}; known: {', '.join(COUNTERS)}")
        return cls(str(block.get("endpoint", "")), str(block.get("method", "GET")).upper(), dict(block.get("ask") or {}),
                   str(block.get("record", "")), dict(block["counters"]), str(block.get("absent", "gone")),
                   str(block.get("cannot", "")), str(block.get("source", "")),
                   {k: v for k, v in block.items() if k not in known})  # fmt: skip

    def path(self, facts: dict[str, Any]) -> str:
        """The call's path: as written, or the `endpoints:` entry it names."""
        return self.endpoint if self.endpoint.startswith("/") else str(facts["endpoints"][self.endpoint])

    def params(self, values: dict[str, str]) -> dict[str, Any]:
        """The question's parameters with "{remote_id}" (and the adapter's other values) filled in."""
        return _filled(self.ask, values)

    def read(self, answer: Any, values: dict[str, str], *, what: str) -> Metrics:
        """The post's counters in `answer`. No record for the post: NotPublished when `absent` is gone (the post was
        deleted or removed), else no numbers yet; a counter that is not a whole number: Transient (ask again)."""
        record = locate(answer, _filled(self.record, values))
        if record is None:
            if self.absent == "not_yet":
                return Metrics({}, note="no numbers yet: the platform has none for this post so far")
            raise NotPublished(f"{what}: the platform has no such post any more (deleted or removed)")
        counters: dict[str, int] = {}
        for theirs, ours in self.counters.items():
            value = record.get(theirs) if isinstance(record, dict) else None
            if value is None:
                continue  # a field the platform left out: not counted, rather than counted as 0
            try:
                counters[ours] = counters.get(ours, 0) + int(value)
            except (TypeError, ValueError):
                raise Transient(f"{what}: {theirs} is not a whole number ({str(value)[:40]!r})") from None
        return Metrics(counters)


def locate(answer: Any, path: str) -> Any:
    """The value at `path` in a JSON answer, or None. Segments are separated by dots; each is a key, then optionally
    one pick in brackets: `[n]` the n-th element of a list (-1 the last), `[key=value]` the element whose `key` is
    `value` (compared as text, so 123 and "123" match). "" is the answer itself."""
    value = answer
    for segment in filter(None, path.split(".")):
        match = _SEGMENT.fullmatch(segment)
        if match is None:
            return None
        if match["key"]:
            value = value.get(match["key"]) if isinstance(value, dict) else None
        if match["pick"] is not None:
            value = _pick(value, match["pick"])
        if value is None:
            return None
    return value


def _pick(value: Any, pick: str) -> Any:
    if not isinstance(value, list):
        return None
    key, equals, wanted = pick.partition("=")
    if equals:
        return next((v for v in value if isinstance(v, dict) and str(v.get(key)) == wanted), None)
    try:
        return value[int(pick)]
    except (ValueError, IndexError):
        return None


def _filled(template: Any, values: dict[str, str]) -> Any:
    if isinstance(template, str):
        for name, value in values.items():
            template = template.replace("{" + name + "}", value)
        return template
    if isinstance(template, dict):
        return {key: _filled(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [_filled(value, values) for value in template]
    return template
