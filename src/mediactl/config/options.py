"""A channel's platform options (the keys its facts file lists under `options:`), validated when the config loads.

Options steer delivery, so a typo must not wait for publishing day: `confirm_share: 80%` or
`expire_after: three days` is an error naming file, line and key, like every other config
problem. A platform with a checker here gets its options normalised (durations in seconds, a
receive limit as `{max, per}`); the others keep them as written. Adapters read the normalised
values through the typed accessors below (`wecom_options`), which also hold the defaults, so a
default lives in one place.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mediactl.config.schema import Checker, type_name
from mediactl.config.yamlpos import KeyPath

if TYPE_CHECKING:  # annotations only
    from mediactl.config.model import Channel

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
DAY = 86400


def platform_options(check: Checker, platform: str, option_keys: list[str], data: dict[str, Any],
                     path: KeyPath) -> dict[str, Any]:  # fmt: skip
    """The options of one channel as adapters read them: validated (problems go to `check`) and normalised."""
    for key, where in MOVED.get(platform, {}).items():
        if key in data:
            check.error((*path, key), f"this option moved: {where}; delete it here")
    raw = {key: data[key] for key in option_keys if key in data}
    validate = _CHECKS.get(platform)
    return validate(check, raw, path) if validate is not None else raw


# Options that moved elsewhere: an error saying where, not an "unknown key" warning that lets them be ignored.
MOVED: dict[str, dict[str, str]] = {
    "douyin": {
        "cover_tsp": "the cover frame's second is the video template's `cover.at` (templates/media/video-vertical.yaml, "
        "or the channel's `templates: {video: NAME}`), recorded in each variant's `video.cover_at` and approved with "
        "it; a channel option lies outside the content hash, so it could change an approved cover",
    },
}


def moved_options(platform: str) -> tuple[str, ...]:
    return tuple(MOVED.get(platform, {}))


def duration(check: Checker, value: Any, path: KeyPath) -> int | None:
    """`3d`, `36h`, `90m`, `2w` or a number of seconds, as whole seconds (at least one)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    match = _DURATION.match(value) if isinstance(value, str) else None
    seconds = int(float(match.group(1)) * _UNIT_SECONDS[match.group(2)]) if match else 0
    if seconds < 1:
        check.error(path, f"expected a duration such as 3d, 36h or 90m, got {value!r}")
        return None
    return seconds


# --- WeCom (企业微信) ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WecomOptions:
    """A wecom channel's options with their defaults (see the wecom facts file for what each means)."""

    mode: str = "push"  # push (add_msg_template) | moments (add_moment_task)
    chat_type: str = "single"  # push: single (customers) | group (customer groups)
    sender: str | None = None
    senders: tuple[str, ...] = ()
    allow_select: bool = False
    miniprogram: dict[str, str] | None = None  # {appid, page, title}
    confirm_share: float = 1.0  # share of the staff given the task who must confirm it
    expire_after: int = 3 * DAY  # seconds staff have to confirm
    receive_limit: dict[str, Any] | None = None  # {max, per}: the corp's per-customer receive limit
    remind: bool = True  # push: remind staff who have not confirmed


def wecom_options(channel: Channel) -> WecomOptions:
    """The typed options of a wecom channel (validated and normalised when the config loaded)."""
    known = {key: value for key, value in channel.options.items() if key in WecomOptions.__dataclass_fields__}
    if "senders" in known:
        known["senders"] = tuple(known["senders"])
    return WecomOptions(**known)


def _wecom(check: Checker, raw: dict[str, Any], path: KeyPath) -> dict[str, Any]:
    out: dict[str, Any] = {}
    out["mode"] = check.string(raw.get("mode", "push"), (*path, "mode"), choices=("push", "moments"), what="mode")
    out["chat_type"] = check.string(raw.get("chat_type", "single"), (*path, "chat_type"), choices=("single", "group"),
                                    what="chat_type")  # fmt: skip
    for key in ("sender",):
        if key in raw:
            out[key] = check.string(raw[key], (*path, key), required=True)
    if "senders" in raw:
        out["senders"] = check.string_list(raw["senders"], (*path, "senders"))
    for key in ("allow_select", "remind"):
        if key in raw:
            out[key] = check.boolean(raw[key], (*path, key), getattr(WecomOptions, key))
    if "confirm_share" in raw:
        out["confirm_share"] = _share(check, raw["confirm_share"], (*path, "confirm_share"))
    if "expire_after" in raw:
        out["expire_after"] = duration(check, raw["expire_after"], (*path, "expire_after"))
    if "receive_limit" in raw:
        out["receive_limit"] = _receive_limit(check, raw["receive_limit"], (*path, "receive_limit"))
    if "miniprogram" in raw:
        out["miniprogram"] = _miniprogram(check, raw["miniprogram"], (*path, "miniprogram"))
    _wecom_combinations(check, raw, out, path)
    return {key: value for key, value in out.items() if value is not None}


def _wecom_combinations(check: Checker, raw: dict[str, Any], out: dict[str, Any], path: KeyPath) -> None:
    """Options that only make sense together, or only in one mode."""
    if out.get("mode") == "push" and out.get("chat_type") == "group" and not out.get("sender"):
        check.error((*path, "chat_type"), "a push to customer groups (chat_type: group) needs `sender`: the staff "
                    "member whose groups receive it (add_msg_template requires it)")  # fmt: skip
    if out.get("mode") == "moments":
        for key in ("chat_type", "allow_select", "miniprogram", "sender", "remind"):
            if key in raw:
                check.error((*path, key), f"'{key}' is an option of mode: push; a moments post cannot use it "
                            "(moments name their staff with `senders`)")  # fmt: skip


def _miniprogram(check: Checker, value: Any, path: KeyPath) -> dict[str, str] | None:
    data = check.mapping(value, path, known=("appid", "page", "title"), required=("appid", "page", "title"))
    fields = {key: check.string(data.get(key), (*path, key)) for key in ("appid", "page", "title")}
    return {key: text for key, text in fields.items() if text} if all(fields.values()) else None


def _share(check: Checker, value: Any, path: KeyPath) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        check.error(
            path, f"expected a share of the staff between 0 and 1 (0.8 = 80 %), got {type_name(value)} {value!r}"
        )
        return None
    return float(value)


def _receive_limit(check: Checker, value: Any, path: KeyPath) -> dict[str, Any] | None:
    """The corp's per-customer receive limit, in the windows frequency caps count in (`{max: 7, per: week}`)."""
    from mediactl.config.model import CAP_WINDOWS  # lazy: the model imports this module

    data = check.mapping(value, path, known=("max", "per"), required=("max", "per"))
    count = check.integer(data.get("max"), (*path, "max"), minimum=1)
    per = check.string(data.get("per"), (*path, "per"), choices=CAP_WINDOWS, what="window")
    return {"max": count, "per": per} if count and per else None


_CHECKS: dict[str, Callable[[Checker, dict[str, Any], KeyPath], dict[str, Any]]] = {"wecom": _wecom}
