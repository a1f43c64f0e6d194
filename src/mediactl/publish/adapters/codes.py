"""A platform's error codes as data: which codes mean which outcome, read from its facts file's `errors:` block.

Platforms answer most failures with HTTP 200 and a code in the body (Douyin `data.error_code`,
Kuaishou `result`). What mediactl must do about a code is one of a few outcomes, so a facts file
lists its codes under these classes, each with its source:

- `token_expired`: refresh the access token once and retry (`TokenExpired`);
- `rate_limited`: nothing was published; retry later (`Transient`, after the class's `retry_after`);
- `reauthorise`: the grant itself is gone (refresh token expired, scope withdrawn): a person must
  authorise again (`Rejected`, saying so);
- `invalid_media`, `content_refused`, `invalid_request`: the platform refused this post (`Rejected`).

A code the table does not list is `Rejected` with the platform's own words: an unknown refusal is
never retried blindly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mediactl.config.platforms import get_platform
from mediactl.publish.adapters.base import DeliveryError, Rejected, Transient
from mediactl.publish.adapters.http import TokenExpired

_MEANING = {
    "reauthorise": "the platform's grant is gone: a person must authorise the channel again",
    "invalid_media": "the platform refused the media",
    "content_refused": "the platform refused the content",
    "invalid_request": "the platform refused the request",
}


@dataclass(frozen=True)
class ErrorTable:
    """Code → outcome class for one platform."""

    platform: str
    classes: Mapping[int, str]
    retry_after: float = 60.0

    @classmethod
    def of(cls, platform: str) -> ErrorTable:
        """The table in `data/platforms/<platform>.yaml` (`errors: {class: {codes: […], source: …}}`)."""
        table = get_platform(platform).facts.get("errors") or {}
        classes = {int(code): name for name, spec in table.items() for code in spec.get("codes", ())}
        retry_after = float((table.get("rate_limited") or {}).get("retry_after", 60.0))
        return cls(platform, classes, retry_after)

    def error(self, code: int, message: str) -> DeliveryError:
        """The outcome of the platform's error `code`; `message` names the step and carries the platform's words."""
        kind = self.classes.get(code)
        if kind == "token_expired":
            return TokenExpired(message)
        if kind == "rate_limited":
            return Transient(f"{message} (rate limited: retried later)", retry_after=self.retry_after)
        if kind in _MEANING:
            return Rejected(f"{message} ({_MEANING[kind]})")
        return Rejected(message)

    def codes(self, kind: str) -> frozenset[int]:
        return frozenset(code for code, name in self.classes.items() if name == kind)


def as_int(value: Any) -> int:
    """A platform's code as an int (some send "1", some 1); anything unreadable is -1, which no table lists."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def mapping(value: Any) -> dict[str, Any]:
    """A JSON object of a platform's answer, or {} when the platform sent something else there."""
    return value if isinstance(value, dict) else {}
