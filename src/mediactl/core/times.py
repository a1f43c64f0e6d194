"""Times as the project's people read them: ISO 8601, to the second, with the project zone's UTC offset.

The store keeps epoch seconds and the audit log UTC (what its chain hashes); a person reading output
should not have to convert either. `zoned` formats one moment; `zoned_json` does it for every time in a
JSON document on its way out (console.emit_json), so no command can forget. A script that needs the
number asks for it by name: a field `*_epoch` is never converted.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

#: 2000-01-01 in epoch seconds. A smaller number under a time's key is not a moment but a sequence
#: number (log verify's anchored_at) or an offset in seconds (a video's cover_at): left as it is.
EPOCH_FLOOR = 946_684_800.0

#: Keys whose values are moments, besides every `*_at`: a switch's or a record's `at`, the audit record's time, a
#: window's start (a drift's `at`, a character position, stays under EPOCH_FLOOR).
TIME_KEYS = frozenset({"at", "time", "since"})


def zoned(moment: float | datetime, tz: tzinfo) -> str:
    """One moment (epoch seconds, or an aware datetime) in `tz`: 2026-12-07T08:00:00+08:00."""
    when = moment if isinstance(moment, datetime) else datetime.fromtimestamp(moment, tz)
    return when.astimezone(tz).isoformat(timespec="seconds")


def zoned_text(recorded: str, tz: tzinfo) -> str:
    """An ISO time with its zone (a record's UTC time) in `tz`; any other text as it is: a time already in
    `tz`'s offset (written at the precision its writer chose: the calendar's minutes), a naive time (no zone to
    convert from), or text that is no time (`log verify` says what is wrong with a record's time)."""
    try:
        when = datetime.fromisoformat(recorded)
    except (TypeError, ValueError):
        return str(recorded)
    if when.tzinfo is None or when.utcoffset() == when.astimezone(tz).utcoffset():
        return recorded
    return zoned(when, tz)


def zoned_json(data: Any, tz: tzinfo) -> Any:
    """`data` (dicts, lists, scalars) with each time under a time's key (`*_at`, `at`, `time`, `since`) in `tz`."""
    if isinstance(data, dict):
        return {key: _zoned_value(value, tz) if _is_time_key(key) else zoned_json(value, tz)
                for key, value in data.items()}  # fmt: skip
    if isinstance(data, list):
        return [zoned_json(value, tz) for value in data]
    return data


def _is_time_key(key: Any) -> bool:
    return isinstance(key, str) and (key.endswith("_at") or key in TIME_KEYS)


def _zoned_value(value: Any, tz: tzinfo) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, datetime)):
        return value
    if isinstance(value, str):
        return zoned_text(value, tz)
    if isinstance(value, datetime):
        return zoned(value, tz) if value.tzinfo is not None else value
    return zoned(value, tz) if value >= EPOCH_FLOOR else value
