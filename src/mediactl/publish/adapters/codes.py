"""A platform's error codes as data: which codes mean which outcome, read from its facts file's `errors:` block.

Platforms answer most failures with HTTP 200 and a code in the body (Douyin `data.error_code`,
Kuaishou `result`). What mediactl must do about a code is one of a few outcomes, so a facts file
lists its codes under these classes, each with its source:

- `token_expired`: refresh the access token once and retry (`TokenExpired`);
- `rate_limited`: nothing was published; retry later (`Transient`, after the class's `retry_after`);
- `reauthorise`: the grant itself is gone (refresh token expired, scope withdrawn): a person must
  authorise again (`Rejected`, saying so);
- `invalid_media`, `content_refused`, `invalid_request`: the platform refused this post (`Rejected`);
- `platform_error`: the platform's own trouble (Weibo's system errors): after a mutating call the post may exist
  (`Unknown`, reconciled or resolved by a person, never re-sent blindly), after a safe one nothing was done
  (`Transient`).

A class may carry a `meaning:` of its own (WeChat's 87014 is its content security check), said after the
platform's words instead of the class's general one. A refusal is a `Refused` carrying the platform's code (a caller may tolerate one: Weibo's 20101, the post is gone
already). A code the table does not list is refused with the
platform's own words: an unknown refusal is never retried blindly.

WeChat and WeCom answer alike (`{"errcode", "errmsg"}`, 0 for success): `errcode_answer` reads that shape for both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mediactl.config.platforms import get_platform
from mediactl.publish.adapters.base import DeliveryError, Rejected, Transient, Unknown
from mediactl.publish.adapters.http import TokenExpired, json_object

_MEANING = {
    "reauthorise": "the platform's grant is gone: a person must authorise the channel again",
    "invalid_media": "the platform refused the media",
    "content_refused": "the platform refused the content",
    "invalid_request": "the platform refused the request",
}


class Refused(Rejected):
    """The platform refused, in its own words, with its error code."""

    def __init__(self, message: str, error_code: int) -> None:
        super().__init__(message)
        self.error_code = error_code


@dataclass(frozen=True)
class ErrorTable:
    """Code → outcome class for one platform."""

    platform: str
    classes: Mapping[int, str]
    retry_after: float = 60.0
    meanings: Mapping[str, str] = field(default_factory=lambda: dict(_MEANING))

    @classmethod
    def of(cls, platform: str) -> ErrorTable:
        """The table in `data/platforms/<platform>.yaml` (`errors: {class: {codes: […], meaning: …, source: …}}`)."""
        table = get_platform(platform).facts.get("errors") or {}
        classes = {int(code): name for name, spec in table.items() for code in spec.get("codes", ())}
        retry_after = float((table.get("rate_limited") or {}).get("retry_after", 60.0))
        meanings = {**_MEANING, **{name: str(spec["meaning"]) for name, spec in table.items() if spec.get("meaning")}}
        return cls(platform, classes, retry_after, meanings)

    def error(self, code: int, message: str, *, mutating: bool = False) -> DeliveryError:
        """The outcome of the platform's error `code` after a call (`mutating`: one that may have published);
        `message` names the step and carries the platform's words."""
        kind = self.classes.get(code)
        if kind == "token_expired":
            return TokenExpired(message)
        if kind == "rate_limited":
            return Transient(f"{message} (rate limited: retried later)", retry_after=self.retry_after)
        if kind == "platform_error":
            return Unknown(f"{message}; the post may exist") if mutating else Transient(message)
        if kind is not None and kind in self.meanings:
            return Refused(f"{message} ({self.meanings[kind]})", code)
        return Refused(message, code)

    def codes(self, kind: str) -> frozenset[int]:
        return frozenset(code for code, name in self.classes.items() if name == kind)


def errcode_answer(response: Any, table: ErrorTable, *, step: str, mutating: bool, who: str) -> dict[str, Any]:
    """A WeChat or WeCom answer (`{"errcode": 0, …}`) when it is a success; otherwise its code's outcome raised,
    with the platform's `errmsg` (a missing errcode is a success: WeChat leaves it out of many answers)."""
    answer = json_object(response, step=step, mutating=mutating, who=who)
    code = as_int(answer.get("errcode") or 0)
    if code == 0:
        return answer
    raise table.error(code, f"errcode {code}: {answer.get('errmsg', '')}")


def as_int(value: Any) -> int:
    """A platform's code as an int (some send "1", some 1); anything unreadable is -1, which no table lists."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def mapping(value: Any) -> dict[str, Any]:
    """A JSON object of a platform's answer, or {} when the platform sent something else there."""
    return value if isinstance(value, dict) else {}
