"""A finding: one rule broken at one place, with everything a person needs to fix it."""

from __future__ import annotations

import operator
from typing import Any, NamedTuple


class Finding(NamedTuple):
    """Immutable, and a tuple on purpose: a large check holds and moves tens of thousands of these
    between worker processes, and a tuple pickles ~5x faster (both ways) than a slotted dataclass.
    The first fields make the order within one file: findings sort as plain tuples (file, line, column, rule, …).
    """

    file: str
    line: int
    column: int  # 1-based, in code points
    rule: str
    severity: str
    message: str
    matched: str  # the original text, exactly as written (with any inserted characters)
    source: str
    suggestion: str = ""
    field: str = ""
    item: str = ""
    channel: str = ""
    normalisations: tuple[str, ...] = ()  # non-empty: found only after folding — itself a sign of evasion
    suppressed: str = ""  # the reason, when an allowance covers this finding
    region: tuple[int, int, int, int] | None = None  # words in a picture: their box (x, y, w, h) in its pixels
    time: float | None = None  # words in a video frame: seconds into the video
    until: float | None = (
        None  # ... and when they leave the screen (the next frame read with other words); None: its end
    )

    def with_context(self, **changes: Any) -> Finding:
        return self._replace(**changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain fields, in declaration order."""
        data = self._asdict()
        data["normalisations"] = list(self.normalisations)
        data["suppressed"] = self.suppressed or None
        del data["region"], data["time"], data["until"]  # optional keys: a report without pictures reads as before
        if self.region is not None:
            data["region"] = dict(zip(("x", "y", "w", "h"), self.region, strict=True))
        if self.time is not None:
            data["time"] = self.time
        if self.until is not None:
            data["until"] = self.until
        return data

    @property
    def place(self) -> str:
        """Where in a picture, for people: ' @00:12.5 (x=10, y=20, w=300, h=40)'; '' for text."""
        at = f" @{timestamp(self.time)}" if self.time is not None else ""
        if self.region is not None:
            x, y, w, h = self.region
            at += f" (x={x}, y={y}, w={w}, h={h})"
        return at

    @property
    def sort_key(self) -> tuple[Any, ...]:
        return SORT_KEY(self)


def timestamp(seconds: float) -> str:
    """12.5 -> '00:12.5': a video frame's time as findings show it."""
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes):02d}:{rest:04.1f}"


#: How findings are ordered in every report (item, channel, file, line, column, rule), as a C-level key
#: function: sorting tens of thousands of findings through a lambda and a property cost ~0.1 s.
SORT_KEY = operator.itemgetter(10, 11, 0, 1, 2, 3)
