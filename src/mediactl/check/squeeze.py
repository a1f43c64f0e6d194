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
The squeeze is worked out per segment, the first time a rule that reads Chinese (a Han character in its pattern)
searches it: only the segments holding a rule's prefilter literal are searched, and a segment without such a run is
searched in the folded text itself. Rules that read digits or URLs (pii.*, diversion.link) are not squeezed.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from collections.abc import Iterator
from typing import Any, NamedTuple

from mediactl.check.matcher import CLAUSE_MARKS
from mediactl.check.normalize import ASTRAL, INVISIBLE, char_class

_HAN_BMP = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN = _HAN_BMP + "\U00020000-\U0003134f"
#: What never counts as a separator between two Han characters: line breaks, clause and sentence marks, title marks,
#: and ASCII punctuation (full-width forms fold to it): the patterns read those as content, a plus sign for 加
#: (的＋微信), a decimal point, a percent sign. Spaces, invisible characters, dots and symbols from other blocks
#: (·, ★, emoji) are what is taken out.
_KEPT = (
    "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029《》〈〉"
    + CLAUSE_MARKS
    + "".join(chr(code) for code in range(0x21, 0x7F) if not chr(code).isalnum())
)
_INVISIBLE = frozenset(INVISIBLE)


class _Gaps(NamedTuple):
    """A separator (a removed character, none of _KEPT), and a run of them between two Han characters."""

    any_separator: re.Pattern[str]
    runs: re.Pattern[str]


@functools.cache
def _gap_patterns(removed: frozenset[str], astral: bool) -> _Gaps:
    """The separators as one class of ranges (normalize.char_class), and the runs; the first is a quick test: a
    paragraph without any separator (six in seven on the Markdown bench) is not scanned for runs. Without `astral`, for a text of the Basic Multilingual Plane only: re then tests
    a character against a table, not a list of ranges (measured 2026-12-07: 28 -> 4 us for 1,280 characters of copy)."""
    separators = char_class(char for char in removed - frozenset(_KEPT) if astral or char <= "\uffff")
    han = _HAN if astral else _HAN_BMP
    return _Gaps(re.compile(separators), re.compile(f"(?<=[{han}]){separators}{{1,12}}(?=[{han}])"))


@functools.cache
def reads_chinese(pattern: str) -> bool:
    """Whether a regex rule's pattern holds a Han character: a rule that reads Chinese words is searched squeezed; one
    that reads digits or a URL (pii.*, diversion.link) is searched in the folded text, where nothing changes for it."""
    return re.search(f"[{_HAN}]", pattern) is not None


class Squeezed:
    """The joined segments as the regex rules see them: each segment's folded text without its separator runs between
    Han characters, worked out the first time a rule searches that segment (only the segments holding a rule's
    prefilter literal are ever searched), and the way back to folded offsets.

    Stands in for the engine's normalised text (``base``) and joined segments (``finditer``, ``locate``) in
    ``Engine._pattern_findings``: the matches it yields answer in folded offsets of the joined text.
    """

    def __init__(self, normalized: Any, joined: Any, max_gap: int = 3) -> None:
        self.base = normalized.base
        self._joined = joined
        self._gaps = _gap_patterns(normalized._removal.chars, ASTRAL.search(self.base) is not None)
        self._max_gap = max_gap
        self._views: dict[int, _View | None] = {}
        self.every_segment = list(range(len(joined.segments)))

    def finditer(self, pattern: Any, base: str, numbers: list[int]) -> Iterator[Any]:
        """`pattern`'s matches in the given segments, each searched on its own (as the engine's joined text does):
        squeezed where the segment has separator runs between Han characters, folded offsets either way."""
        for number in numbers:
            start = self._joined.starts[number]
            end = start + len(self._joined.segments[number].text)
            if number not in self._views:
                self._views[number] = self._view(start, end)
            view = self._views[number]
            if view is None:
                yield from pattern.finditer(self.base, start, end)
            else:
                for match in pattern.finditer(view.text):
                    yield _Mapped(match, view)

    def locate(self, start: int, end: int) -> tuple[Any, int] | None:
        return self._joined.locate(start, end)  # folded offsets: the segments' own

    def _view(self, start: int, end: int) -> _View | None:
        if self._gaps.any_separator.search(self.base, start, end) is None:
            return None
        gaps = [
            found.span()
            for found in self._gaps.runs.finditer(self.base, start, end)
            if sum(char not in _INVISIBLE for char in found.group()) <= self._max_gap
        ]
        return _View(self.base, start, end, gaps) if gaps else None


class _View:
    """One segment's folded text with the given runs (folded offsets) removed, and the map back."""

    __slots__ = ("_kept_at", "_squeezed_at", "text")

    def __init__(self, base: str, start: int, end: int, gaps: list[tuple[int, int]]) -> None:
        pieces, self._kept_at, self._squeezed_at = [], [start], [0]  # piece i: base[kept_at[i]:…] at squeezed_at[i]
        previous = start
        for gap_start, gap_end in gaps:
            pieces.append(base[previous:gap_start])
            self._squeezed_at.append(self._squeezed_at[-1] + gap_start - previous)
            self._kept_at.append(gap_end)
            previous = gap_end
        pieces.append(base[previous:end])
        self.text = "".join(pieces)

    def to_folded(self, index: int) -> int:
        """The folded offset (in the joined text) of squeezed index `index`, a character kept."""
        piece = bisect_right(self._squeezed_at, index) - 1
        return self._kept_at[piece] + index - self._squeezed_at[piece]


class _Mapped:
    """A match found in a squeezed segment, answering in folded offsets; its text is the squeezed one (validators)."""

    __slots__ = ("_end", "_match", "_start")

    def __init__(self, match: Any, view: _View) -> None:
        self._match = match
        self._start = view.to_folded(match.start())
        self._end = view.to_folded(match.end() - 1) + 1 if match.end() > match.start() else self._start

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end

    def group(self, index: int = 0) -> str:
        return str(self._match.group(index))
