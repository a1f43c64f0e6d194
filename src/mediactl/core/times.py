"""Times as the project's people read them: ISO 8601, to the second, with the project zone's UTC offset.

The store keeps epoch seconds and the audit log UTC (what its chain hashes); a person reading output
should not have to convert either. `zoned` formats one moment; `zoned_json` does it for every moment in a
JSON document on its way out (console.emit_json). A moment is known by its type, never by its key's name:
an aware `datetime`, or a `Moment` (epoch seconds the producer of the document marked as a moment, since a
float alone cannot say whether it is one). So a moment under any key is converted, and a number or text
under a key that merely looks like a time's (a sequence number `anchored_at`, a video's `cover_at` second,
a character position `at`, a user's own front matter field) is printed as it is. A script that needs the
number asks for it by name: a field `*_epoch` is a plain number.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import Any


class Moment(float):
    """Epoch seconds that are a moment in time: JSON output shows it as ISO 8601 in the project's zone (written
    to a file by json.dumps, it stays the number)."""

    __slots__ = ()


def moment(seconds: float | None) -> Moment | None:
    """`seconds` marked as a moment; None (no such time, e.g. a job never claimed) stays None."""
    return None if seconds is None else Moment(seconds)


def moments(row: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """`row` (a record of a known schema) with the epoch seconds of the fields its schema names as times marked
    as moments; the schema is the caller's, so no other field is touched."""
    return {**row, **{name: moment(row[name]) for name in names if name in row}}


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
    """`data` (dicts, lists, scalars) with each moment (a `Moment`, an aware datetime) in `tz`, whatever its key."""
    if isinstance(data, Moment):
        return zoned(data, tz)
    if isinstance(data, datetime):
        return zoned(data, tz) if data.tzinfo is not None else data
    if isinstance(data, dict):
        return {key: zoned_json(value, tz) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [zoned_json(value, tz) for value in data]
    return data
