"""Normalise text for the word-list check, keeping a map back to the original offsets.

Two steps, each one native pass over the text:

1. **fold** (``base``): every character is replaced by at most one character, so
   ``base`` has the length of the original and offsets need no map. The fold is the
   fixed point of: NFKC when it gives a single character (full-width and styled
   letters and digits, compatibility ideographs, circled ``①``), casefold when it
   gives a single character, traditional → simplified (``t2s.tsv``, generated from
   OpenCC by ``tools/make_check_tables.py``; OpenCC is not needed at run time), and
   number styles (``⑴⒈❶➀``, ``〇零一二…九``, ``壹贰…玖``) to ASCII digits.
   Characters with no one-to-one fold stay as they are. It runs as one
   ``str.translate`` with a list indexed by code point (measured ~40 % faster than
   the dict ``str.maketrans`` builds, which pays a hash lookup and key comparison for
   every character).
2. **remove** (``compact``): invisible characters (``INVISIBLE``) and separator
   characters that may be inserted inside a term (``DEFAULT_SKIP``) are deleted from
   ``base`` by one compiled character class (``re.sub``: ~60 % faster than a deletion
   table), chunk by chunk; the compact length after each 4,096-character chunk is kept.
   ``to_original`` is a bisect over those checkpoints plus a bisect over the runs of
   removed characters of one chunk (found natively, once, the first time a match falls
   in that chunk), never a loop over the whole text.

Measured on 50 MB of Chinese (17 M characters, 2 cores): ~1.1-1.2 s, 40-45 MB/s.

Where the C extension ``_native`` was built (``hatch_build.py``), both steps and the
offset map are one native pass instead (``fold_compact``: ~20x faster, 5.4 MB in 10 ms),
and ``to_original`` is one array read: a plain-text bench file costs 61 % fewer instructions, a
Markdown one 13 % (cachegrind, 2026-12-06). The Python path above stays for installs without
a C compiler; ``tests/test_normalize.py`` and ``tests/test_extract.py`` prove the two give the same results.

Stripping separators everywhere would join words across natural text (``确保。本周``
→ ``确保本周``): the matcher decides, per candidate match, whether the characters
removed inside it are acceptable (``matcher.py``).
"""

from __future__ import annotations

import array
import bisect
import functools
import itertools
import operator
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

# The character data and the fold table live in fold.py; tests reach these names through here too.
from mediactl.check.fold import (
    _ASCII_ALNUM,
    _EXTRA,
    _INVISIBLE_SET,
    INVISIBLE,
    _data_lines,
    _fold_char,
    _fold_tables,
    _is_han,
    _ranges,
)

#: The version of _native.c this code calls. A build of another version (an editable install not rebuilt
#: after a pull) is not used: the pure-Python path gives the same results, only slower.
NATIVE_API = 4

_native: ModuleType | None
try:
    from mediactl.check import _native
except ImportError:  # built without a C compiler: the pure-Python path gives the same results
    _native = None
if getattr(_native, "API", None) != NATIVE_API or os.environ.get("MEDIACTL_NO_NATIVE"):
    _native = None  # MEDIACTL_NO_NATIVE=1 at run time too: CI checks the pure-Python path gives the same results

__all__ = ["CATEGORIES", "INVISIBLE", "Normalized", "Normalizer", "default_skip", "explain"]

#: The names ``explain`` reports, in the order it reports them.
CATEGORIES = ("width", "case", "traditional", "number", "invisible", "separator")

_CHUNK = 4096  # characters per offset checkpoint, recorded by normalize


# Candidate separator blocks, added to ToolGood's list; characters that fold to a letter
# or digit (Ⅰ, ①, ², ª, 🄰…), numeric characters (⑩, Ⅻ, 〇) and Han are dropped below.
_SKIP_RANGES = (
    (0x0000, 0x002F),  # C0 controls, whitespace, ASCII punctuation
    (0x003A, 0x0040),
    (0x005B, 0x0060),
    (0x007B, 0x00BF),  # ASCII punctuation, C1 controls, Latin-1 punctuation and symbols
    (0x00D7, 0x00D7),
    (0x00F7, 0x00F7),
    (0x02B9, 0x02FF),  # spacing modifier symbols (ˉ ˇ ˊ ˋ ˙ …)
    (0x1680, 0x1680),
    (0x2000, 0x205F),  # general punctuation and spaces (… — ‘’ “” ※ …)
    (0x20A0, 0x20C0),  # currency symbols
    (0x20D0, 0x20FF),  # combining marks for symbols (keycap U+20E3)
    (0x2100, 0x214F),  # letterlike symbols (℃ № ™ …; ℂ-style letters fold instead)
    (0x2190, 0x244A),  # arrows, mathematical operators, technical, control pictures
    (0x2500, 0x2BFF),  # box drawing, blocks, shapes, symbols, dingbats, arrows, braille
    (0x2E00, 0x2E7F),  # supplemental punctuation
    (0x2FF0, 0x2FFF),  # ideographic description characters
    (0x3000, 0x303F),  # CJK symbols and punctuation (、。〃「」『』【】〔〕〖〗〜 …)
    (0x30A0, 0x30A0),
    (0x30FB, 0x30FC),  # katakana middle dot ・, prolonged sound mark
    (0xFE10, 0xFE19),  # vertical forms
    (0xFE30, 0xFE6B),  # CJK compatibility forms, small form variants
    (0xFF01, 0xFF0F),  # full-width punctuation
    (0xFF1A, 0xFF20),
    (0xFF3B, 0xFF40),
    (0xFF5B, 0xFF65),
    (0xFFE0, 0xFFEE),
    (0xFFFC, 0xFFFD),
    (0x1F000, 0x1FBFF),  # mahjong, cards, enclosed supplements, emoji, pictographs, legacy computing
    # Seen inserted as separators in the issue-17 evasion review (a lone mark between two Han characters
    # draws a strike-through, underline or accent: 保̶本, 保̲本): combining marks, and dots from other scripts.
    (0x0300, 0x036F),  # combining diacritical marks (U+0336 long stroke overlay, U+0332 low line …)
    (0x1AB0, 0x1AFF),  # combining diacritical marks extended
    (0x1DC0, 0x1DFF),  # combining diacritical marks supplement
    (0xFE20, 0xFE2F),  # combining half marks
    (0x060C, 0x060C),  # Arabic comma
    (0x0F0B, 0x0F0C),  # Tibetan intersyllabic tsheg (a raised dot)
    (0xA78F, 0xA78F),  # Latin letter sinological dot ꞏ (a middle dot look-alike)
)


def _default_skip() -> str:
    toolgood = (chr(int(line[2:], 16)) if line.startswith("\\u") else line for line in _data_lines("skip_toolgood.txt"))
    candidates = sorted(set(toolgood) | set(_ranges(_SKIP_RANGES)) - _INVISIBLE_SET - _EXTRA.keys() - {"\0"})
    # NFKC of each candidate alone, in one native call (NUL is a starter that never composes).
    folded = unicodedata.normalize("NFKC", "\0".join(candidates)).split("\0")
    return "\0" + "".join(
        char
        for char, nfkc in zip(candidates, folded, strict=True)
        if not (char.isnumeric() or _is_han(char) or nfkc in _ASCII_ALNUM or nfkc.isnumeric() or _is_han(nfkc[:1]))
    )


#: Separator characters that may be inserted inside a term to evade matching (``default_skip()``;
#: the module attribute ``DEFAULT_SKIP`` is computed on first use, not at import). ToolGood
#: IllegalWordsSearch's default skip list (whitespace, ASCII and CJK punctuation, Greek,
#: box drawing, maths symbols) plus all whitespace and controls, general and supplemental
#: punctuation, CJK and full-width punctuation and brackets (·・…—～「」『』【】《》（）),
#: symbols, arrows, dingbats, emoji and pictographs. It keeps the clause and sentence marks
#: 。，、；：！？ (the matcher's gap policy limits them) and leaves out everything that
#: folds to a letter or digit or is numeric (①, ⑩, Ⅻ, 〇): those are content.
default_skip = functools.cache(_default_skip)


def __getattr__(name: str) -> str:
    """``DEFAULT_SKIP``, computed on first use: start-up of a one-file check does not pay for it
    (the cached Normalizer carries its skip set)."""
    if name == "DEFAULT_SKIP":
        return default_skip()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def char_class(chars: Iterable[str], table: Sequence[int] = ()) -> str:
    """A character class for ``chars``, as few ranges as possible (a class of single characters is scanned one
    comparison at a time).

    Adjacent code points make one range. With the fold `table`, two ranges are also merged when every code
    point between them folds to another character: the class only ever scans ``base``, where such code
    points do not occur.
    """
    points = sorted({ord(c) for c in chars})
    size = len(table)
    ranges: list[list[int]] = []
    for cp in points:
        if ranges and (
            cp == ranges[-1][1] + 1 or all(g < size and table[g] != g for g in range(ranges[-1][1] + 1, cp))
        ):
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    parts = (f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges)
    return "[" + "".join(parts) + "]"


@dataclass(frozen=True)
class _Removal:
    """The characters removed from ``base`` for one skip set, and patterns for them.

    Each code point beyond the BMP in a character class costs a range test for every
    character scanned, so text without such characters (nearly all Chinese text) is
    scanned with the ``bmp_`` patterns, and deleting one character at a time is faster
    than deleting runs.
    """

    chars: frozenset[str]
    everything: str  # a character class of ``chars``
    bmp: str  # the same, BMP only

    # Compiled on first use (a large class costs milliseconds to compile, and the native path
    # needs these only for gaps inside matches); pickles hold the class strings only.
    @property
    def runs(self) -> re.Pattern[str]:  # one group: split() keeps the runs
        return _compiled(f"({self.everything}+)")

    @property
    def bmp_runs(self) -> re.Pattern[str]:
        return _compiled(f"({self.bmp}+)")

    @property
    def one(self) -> re.Pattern[str]:
        return _compiled(self.everything)

    @property
    def bmp_one(self) -> re.Pattern[str]:
        return _compiled(self.bmp)


_compiled = functools.lru_cache(maxsize=64)(re.compile)


#: A character beyond the BMP: a text without one is scanned with the classes of BMP characters only.
ASTRAL = re.compile("[\U00010000-\U0010ffff]")


@functools.cache
def _digit_runs() -> Any:
    """Runs of digits one space or hyphen apart at most (138 0013 8000), with the `regex` module's \\d.

    The regex rules run on `regex`, whose Unicode tables are newer than Python's (it knows digits
    such as Kawi U+11F50 that str.isdecimal does not): a prefilter must count what the patterns match.
    """
    import regex  # lazy: start-up, only digit-run rules need it

    return regex.compile(r"\d(?:[ -]?\d)*")


@functools.cache
def _digit_bitmap() -> bytes:
    """Bit c of the bitmap (byte c//8, bit c%8) is set when the `regex` module's \\d matches code point c."""
    import regex  # lazy: start-up, as _digit_runs

    code_points = array.array("I", itertools.chain(range(0xD800), range(0xE000, 0x110000)))
    digits = [ord(char) for char in regex.findall(r"\d", code_points.tobytes().decode("utf-32-le"))]
    return _bitmap(digits, max(digits) + 1)


def _bitmap(code_points: Iterable[int], size: int) -> bytes:
    """Bit c set (byte c//8, bit c%8) for each code point c, over `size` code points: what _native.c reads."""
    bitmap = bytearray((size + 7) // 8)
    for cp in code_points:
        bitmap[cp >> 3] |= 1 << (cp & 7)
    return bytes(bitmap)


@functools.lru_cache(maxsize=16)
def _removal(skip: str) -> _Removal:
    table = _fold_tables().table
    removed = set(INVISIBLE)
    for char in skip:
        folded = _fold_char(char, table)
        if folded in _ASCII_ALNUM or _is_han(folded):
            raise ValueError(f"skip character {char!r} (U+{ord(char):04X}) folds to {folded!r}: it is content")
        removed.update((char, folded))
    everything = char_class(removed, table)
    bmp = char_class((c for c in removed if c <= "\uffff"), table)
    return _Removal(frozenset(removed), everything, bmp)


@functools.lru_cache(maxsize=16)
def _native_tables(skip: str) -> tuple[bytes, bytes, bytes]:
    """The fold table as native uint32s, a bitmap of the folded characters ``compact`` leaves out, and
    one of the digits (as the regex rules' \\d) for the digit-run prefilter."""
    values = _fold_tables().table
    if max(values) > 0x10FFFF:  # the C loop trusts the table to hold code points only
        raise ValueError("the fold table holds a value beyond U+10FFFF")
    table = array.array("I", values).tobytes()
    return table, _bitmap(map(ord, _removal(skip).chars), 0x110000), _digit_bitmap()


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Normalized:
    """A text, its one-to-one fold, and the fold with invisible and skip characters removed."""

    original: str
    base: str
    compact: str
    # The most decimal digits (\d) in one run of base, digits one space or hyphen apart (-1: not measured).
    digit_run: int = field(default=-1, compare=False)
    _removal: _Removal = field(repr=False, compare=False, kw_only=True)
    # Native path: the original index of each compact character, then len(original).
    _offsets: memoryview | None = field(default=None, repr=False, compare=False, kw_only=True)
    # Python path: compact length before each chunk (and after the last).
    _cum: list[int] = field(default_factory=list, repr=False, compare=False, kw_only=True)
    # Runs of removed characters of a chunk, found when to_original first needs that chunk.
    _runs: dict[int, tuple[list[int], list[int]]] = field(default_factory=dict, repr=False, compare=False, kw_only=True)

    def to_original(self, compact_index: int) -> int:
        """The original index of ``compact[compact_index]``; ``len(compact)`` maps to ``len(original)``."""
        k = operator.index(compact_index)
        if not 0 <= k <= len(self.compact):
            raise IndexError(f"compact index {k} out of range 0..{len(self.compact)}")
        if k == len(self.compact):
            return len(self.original)
        return self._mapper()(k)

    def _mapper(self) -> Callable[[int], int]:
        """``to_original`` without checks, for ``0 <= k < len(compact)``: the matcher's hot loop."""
        if self._offsets is not None:
            return self._offsets.__getitem__
        cum = self._cum
        cache = self._runs
        chunk_runs = self._chunk_runs
        bisect_right = bisect.bisect_right

        def to_original(k: int) -> int:
            chunk = bisect_right(cum, k) - 1
            local = k - cum[chunk]
            runs = cache.get(chunk)
            if runs is None:
                runs = cache[chunk] = chunk_runs(chunk * _CHUNK)
            kept_before, removed_through = runs
            r = bisect_right(kept_before, local)
            return chunk * _CHUNK + local + (removed_through[r - 1] if r else 0)

        return to_original

    def _chunk_runs(self, start: int) -> tuple[list[int], list[int]]:
        """For each run of removed characters in a chunk: kept characters before it, removed through it."""
        end = start + _CHUNK
        # kept, removed, kept, removed, ..., kept: split and lengths are native, no per-run Python
        lengths = list(map(len, self._pattern(start, end).split(self.base[start:end])))
        return list(itertools.accumulate(lengths[0:-1:2])), list(itertools.accumulate(lengths[1::2]))

    def removed_between(self, start: int, end: int) -> str:
        """The original characters removed inside the original span ``[start, end)``."""
        if not 0 <= start <= end <= len(self.original):
            raise IndexError(f"span [{start}, {end}) out of range 0..{len(self.original)}")
        original = self.original
        runs = self._pattern(start, end).finditer(self.base, start, end)
        return "".join(original[m.start() : m.end()] for m in runs)

    def _gaps(self, start: int, end: int) -> list[str]:
        """The runs of removed characters inside ``[start, end)``, as folded (``base``) text."""
        return self._pattern(start, end).findall(self.base, start, end)

    def _pattern(self, start: int, end: int, *, runs: bool = True) -> re.Pattern[str]:
        """The removal pattern for ``base[start:end]``: the BMP-only one when it has no astral characters."""
        removal = self._removal
        if ASTRAL.search(self.base, start, end):
            return removal.runs if runs else removal.one
        return removal.bmp_runs if runs else removal.bmp_one


class Normalizer:
    """Folds and compacts text; one instance per skip set (the tables are shared)."""

    def __init__(self, skip: str | None = None, *, native: bool | None = None) -> None:
        """``skip``: default ``DEFAULT_SKIP``. ``native``: use the C extension (default: where it was
        built); False forces the Python path."""
        skip = default_skip() if skip is None else skip
        if not isinstance(skip, str):
            raise TypeError(f"skip must be a str, not {type(skip).__name__}")
        if native and _native is None:
            raise RuntimeError("the native extension mediactl.check._native was not built")
        tables = _fold_tables()
        self.skip = skip
        self._categories = tables.categories
        self._removal = _removal(skip)
        self._removed = self._removal.chars
        self._native = _native_tables(skip) if (native is None and _native is not None) or native else None
        # With the native tables the list is rebuilt from their bytes on the rare use, as after unpickling.
        self._table_list: list[int] | None = tables.table if self._native is None else None

    @property
    def _table(self) -> list[int]:
        """The fold table as a list (the Python path's ``str.translate``); rebuilt from the native bytes."""
        if self._table_list is None:
            assert self._native is not None
            self._table_list = array.array("I", self._native[0]).tolist()
        return self._table_list

    def __getstate__(self) -> dict[str, object]:
        """Pickled (the compiled-rules cache) without the list when the native bytes hold the same table:
        unpickling 195,000 ints costs a one-file check more than rebuilding them on the rare use (17 -> 2 ms)."""
        state = dict(self.__dict__)
        if self._native is not None:
            state["_table_list"] = None
        return state

    def fold(self, text: str) -> str:
        """The one-to-one fold only (same length as ``text``): for regex rules and terms."""
        if self._native is not None and _native is not None:  # the tables exist only with the module
            return _native.fold_compact(text, *self._native)[0]
        return text.translate(self._table)

    def term(self, text: str) -> str:
        """How a term is stored in the automaton: fold, then remove invisible and skip characters."""
        if self._native is not None and _native is not None:  # the tables exist only with the module
            return _native.fold_compact(text, *self._native)[1]
        return self._removal.one.sub("", text.translate(self._table))

    def removes(self, char: str) -> bool:
        """Whether ``char`` (an original character) is removed from the compact text."""
        return _fold_char(char, self._table) in self._removed

    def normalize(self, text: str) -> Normalized:
        """Fold and compact ``text``, keeping what ``Normalized.to_original`` needs."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, not {type(text).__name__}")
        if self._native is not None and _native is not None:
            base, compact, offsets, digit_run = _native.fold_compact(text, *self._native)
            offsets = memoryview(offsets).cast("I")
            return Normalized(text, base, compact, digit_run, _removal=self._removal, _offsets=offsets)
        base = text.translate(self._table)
        removal = self._removal
        bmp_sub = removal.bmp_one.sub
        any_sub = removal.one.sub
        astral = ASTRAL.search
        found = astral(base)
        next_astral = found.start() if found else len(base)
        cum = [0]
        parts = []
        total = 0
        for i in range(0, len(base), _CHUNK):
            end = i + _CHUNK
            if next_astral < end:
                part = any_sub("", base[i:end])
                found = astral(base, end)
                next_astral = found.start() if found else len(base)
            else:
                part = bmp_sub("", base[i:end])
            parts.append(part)
            total += len(part)
            cum.append(total)
        if len(cum) == 1:
            cum.append(0)
        runs = _digit_runs().findall(base)
        digit_run = max((len(run) - run.count(" ") - run.count("-") for run in runs), default=0)
        return Normalized(text, base, "".join(parts), digit_run, _removal=removal, _cum=cum)

    def _decompose(self, text: str) -> tuple[list[str], list[tuple[str, str]]]:
        """Kept characters, and around them (one more than kept) the (invisible, separator) characters.

        The text is folded in one call, not a character at a time through `removes` (a regex finding's
        normalisations, a URL of 40 characters, cost ~100 µs that way)."""
        kept: list[str] = []
        gaps: list[tuple[str, str]] = []
        invisible: list[str] = []
        separator: list[str] = []
        removed = self._removed
        for char, folded in zip(text, self.fold(text), strict=True):
            if folded in removed:
                (invisible if char in _INVISIBLE_SET else separator).append(char)
            else:
                gaps.append(("".join(invisible), "".join(separator)))
                invisible.clear()
                separator.clear()
                kept.append(char)
        gaps.append(("".join(invisible), "".join(separator)))
        return kept, gaps


def explain(original_span: str, normalizer: Normalizer, *, term: str | None = None) -> tuple[str, ...]:
    """Which normalisations a match needed, in the order of ``CATEGORIES``.

    Without ``term`` the plain form is the folded one: every character that folds, and
    every invisible or separator character, counts. With ``term`` (the term as written
    in the list; the matcher passes it) only what the span adds counts: a character that
    differs from the term's (categories of the span's character not shared by the
    term's), invisible or separator characters where the term has not the same ones. So
    ``零风险`` or ``VX`` matched as written reports ``()`` although 零 and V fold.
    Empty when the span is already the plain term (then it is not an evasion).
    """
    if term is not None and original_span == term:
        return ()
    categories = normalizer._categories
    kept, gaps = normalizer._decompose(original_span)
    found: set[str] = set()
    if term is not None:
        term_kept, term_gaps = normalizer._decompose(term)
        same = len(term_kept) == len(kept) and normalizer.fold("".join(term_kept)) == normalizer.fold("".join(kept))
        if not same:
            term = None
    if term is None:
        for char in kept:
            found |= categories.get(char, frozenset())
        if any(invisible for invisible, _ in gaps):
            found.add("invisible")
        if any(separator for _, separator in gaps):
            found.add("separator")
    else:
        for char, plain in zip(kept, term_kept, strict=True):
            if char != plain:
                mine = categories.get(char, frozenset())
                found |= (mine - categories.get(plain, frozenset())) or mine
        for (invisible, separator), (term_invisible, term_separator) in zip(gaps, term_gaps, strict=True):
            if invisible and invisible != term_invisible:
                found.add("invisible")
            if separator and separator != term_separator:
                found.add("separator")
    return tuple(name for name in CATEGORIES if name in found)
