"""Regex rules see the text with separators between Chinese characters taken out (收 益 高 → 收益高), offsets mapped back.

Term rules match on the compact text, so 保 本, 保·本 and 保\u200b本 are 保本 to them; regex rules ran on the folded
text with its spaces, so spacing a claim out (收 益 率 高 达 15%) defeated every regex rule. Here a run of the
characters the compact text leaves out is removed where it sits between two Han characters and the matcher's gap
policy (check/matcher.py) would accept it: at most ``max_gap`` visible characters, no line break (a list item or a
paragraph stays apart), no clause or sentence mark (确保。本周 is two clauses), no title mark 《》 (a rule never
crosses a title), and no ASCII punctuation, which patterns read as content (＋微信 is 加微信 to a rule; 保*本 is
left to the term rules, which fold it). Between Latin letters and digits spaces are words' own boundaries and are kept, so the regex rules
see exactly the folded text there (`\\s*` in a pattern still reads 5 万).

Only the text is squeezed; a match is mapped back to the folded (and original: the fold is one to one) offsets, so
a finding quotes the copy as written, separators included, and the quoting contexts read the folded text as before.
The squeeze is worked out once per check call and only when such a run exists: most copy has none, and then the
regex rules run on the folded text itself.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from typing import Any

from mediactl.check.matcher import CLAUSE_MARKS
from mediactl.check.normalize import INVISIBLE

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
#: What never counts as a separator between two Han characters: line breaks, clause and sentence marks, title marks,
#: and ASCII punctuation (full-width forms fold to it): the patterns read those as content, a plus sign for 加
#: (的＋微信), a decimal point, a percent sign. Spaces, invisible characters, dots and symbols from other blocks
#: (·, ★, emoji) are what is taken out.
_KEPT = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029《》〈〉" + CLAUSE_MARKS + "".join(
    chr(code) for code in range(0x21, 0x7F) if not chr(code).isalnum()
)
_INVISIBLE = frozenset(INVISIBLE)


@functools.cache
def _gap_pattern(removed_class: str) -> re.Pattern[str]:
    """A Han character, then a run of removed characters (none of _KEPT), then a Han character (looked ahead)."""
    kept = re.escape(_KEPT)
    return re.compile(f"[{_HAN}]((?:(?![{kept}]){removed_class}){{1,12}})(?=[{_HAN}])")


class Squeezed:
    """The folded text without its separator runs between Han characters, and the way back to folded offsets.

    Quacks like the engine's normalised text (``base``) and joined segments (``finditer``, ``locate``, ``starts``,
    ``segments``) for the regex rules: `joined` answers in folded offsets, the searches run on the squeezed text.
    """

    def __init__(self, base: str, gaps: list[tuple[int, int]], joined: Any) -> None:
        self.joined = self  # the engine passes this object both as the normalised text and as the joined segments
        self._inner = joined
        self.segments: Sequence[Any] = joined.segments
        self.starts: list[int] = joined.starts
        pieces, self._kept_at, self._squeezed_at = [], [0], [0]  # piece i: base[kept_at[i]:…] at squeezed_at[i]
        previous = 0
        for start, end in gaps:
            pieces.append(base[previous:start])
            self._squeezed_at.append(self._squeezed_at[-1] + start - previous)
            self._kept_at.append(end)
            previous = end
        pieces.append(base[previous:])
        self.base = "".join(pieces)

    def to_folded(self, index: int) -> int:
        """The folded offset of squeezed index `index` (a character kept)."""
        piece = bisect_right(self._squeezed_at, index) - 1
        return self._kept_at[piece] + index - self._squeezed_at[piece]

    def to_squeezed(self, index: int) -> int:
        """The squeezed offset of folded index `index` (a segment's bounds, never inside a removed run)."""
        piece = bisect_right(self._kept_at, index) - 1
        return self._squeezed_at[piece] + index - self._kept_at[piece]

    def finditer(self, pattern: Any, base: str, numbers: list[int]) -> Iterator[_Mapped]:
        """`pattern`'s matches in the given segments, searched in the squeezed text, in folded offsets."""
        for number in numbers:
            start = self.starts[number]
            end = start + len(self.segments[number].text)
            for match in pattern.finditer(self.base, self.to_squeezed(start), self.to_squeezed(end)):
                yield _Mapped(match, self)

    def locate(self, start: int, end: int) -> tuple[Any, int] | None:
        return self._inner.locate(start, end)  # folded offsets: the segments' own

    @property
    def every_segment(self) -> list[int]:
        return list(range(len(self.segments)))


class _Mapped:
    """A match found in the squeezed text, answering in folded offsets; its text is the squeezed one (validators)."""

    __slots__ = ("_end", "_match", "_start")

    def __init__(self, match: Any, squeezed: Squeezed) -> None:
        self._match = match
        self._start = squeezed.to_folded(match.start())
        self._end = squeezed.to_folded(match.end() - 1) + 1 if match.end() > match.start() else self._start

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end

    def group(self, index: int = 0) -> str:
        return str(self._match.group(index))


def squeezed(normalized: Any, joined: Any, max_gap: int = 3) -> Squeezed | None:
    """The squeezed view of `normalized.base`, or None when no separator run sits between two Han characters."""
    base = normalized.base
    gaps = []
    for found in _gap_pattern(normalized._removal.everything).finditer(base):
        run = found.group(1)
        if sum(char not in _INVISIBLE for char in run) <= max_gap:
            gaps.append(found.span(1))
    return Squeezed(base, gaps, joined) if gaps else None
