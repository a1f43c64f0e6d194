"""Character data and the one-to-one fold table of the word-list check (see normalize.py).

The fold maps every character to at most one character: the fixed point of NFKC (when it gives
one character), casefold (likewise), traditional → simplified (``data/check/t2s.tsv``, generated
from OpenCC by ``tools/make_check_tables.py``) and number and letter styles (①, 一, 壹, 🅰 …).
Built once per install and cached with the compiled rules (``runner._normalizer``); the table
is a list indexed by code point for ``str.translate`` and, as native uint32s, for the C pass.
"""

from __future__ import annotations

import array
import functools
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

_DATA = ("data", "check")


def _ranges(pairs: Iterable[tuple[int, int]]) -> str:
    return "".join(chr(cp) for first, last in pairs for cp in range(first, last + 1))


#: Zero-width and invisible characters: always removed, never counted as a gap.
INVISIBLE: str = _ranges(
    (
        (0x00AD, 0x00AD),  # soft hyphen
        (0x034F, 0x034F),  # combining grapheme joiner
        (0x061C, 0x061C),  # Arabic letter mark
        (0x115F, 0x1160),  # Hangul choseong / jungseong fillers
        (0x17B4, 0x17B5),  # Khmer inherent vowels
        (0x180B, 0x180F),  # Mongolian free variation selectors, vowel separator
        (0x200B, 0x200F),  # zero-width space, ZWNJ, ZWJ, LRM, RLM
        (0x202A, 0x202E),  # bidi embeddings and overrides
        (0x2060, 0x206F),  # word joiner, invisible operators, bidi isolates, deprecated format characters
        (0x3164, 0x3164),  # Hangul filler
        (0xFE00, 0xFE0F),  # variation selectors
        (0xFEFF, 0xFEFF),  # zero-width no-break space (BOM)
        (0xFFA0, 0xFFA0),  # half-width Hangul filler
        (0xFFF9, 0xFFFB),  # interlinear annotation controls
        (0x1BCA0, 0x1BCA3),  # shorthand format controls
        (0x1D173, 0x1D17A),  # musical symbol format controls
        (0xE0000, 0xE01EF),  # tag characters, (unassigned), variation selectors supplement
    )
)
_INVISIBLE_SET = frozenset(INVISIBLE)

# Number styles NFKC leaves as several characters or does not touch, and Chinese numerals.
_NUMBERS: dict[str, str] = {}
for _digit, _chars in enumerate(("〇零", "一壹", "二贰", "三叁", "四肆", "五伍", "六陆", "七柒", "八捌", "九玖")):
    for _char in _chars:
        _NUMBERS[_char] = str(_digit)
for _first in (0x2474, 0x2488, 0x2776, 0x2780, 0x278A, 0x24F5, 0x3220):  # ⑴ ⒈ ❶ ➀ ➊ ⓵ ㈠
    for _i in range(9):
        _NUMBERS[chr(_first + _i)] = str(_i + 1)
for _char in "\u24ff\U0001f100\U0001f10b\U0001f10c":  # ⓿ 🄀 🄋 🄌
    _NUMBERS[_char] = "0"
for _i in range(10):  # 🄁 … 🄊 (digit followed by comma)
    _NUMBERS[chr(0x1F101 + _i)] = str(_i)
# Letter styles NFKC does not fold: negative circled and negative squared capitals (🅐 🅰).
_LETTERS = {chr(first + i): chr(ord("a") + i) for first in (0x1F150, 0x1F170) for i in range(26)}
_EXTRA = {**_NUMBERS, **_LETTERS}
del _digit, _chars, _char, _first, _i

_ASCII_DIGITS = frozenset("0123456789")
_FULLWIDTH_DIGITS = frozenset(chr(0xFF10 + i) for i in range(10))
_ASCII_ALNUM = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _is_han(char: str) -> bool:
    cp = ord(char)
    return 0x3400 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF or 0x20000 <= cp <= 0x323AF


def _read_data(name: str) -> str:
    return resources.files("mediactl").joinpath(*_DATA, name).read_text(encoding="utf-8")


def _data_lines(name: str) -> list[str]:
    return [line for line in _read_data(name).splitlines() if line and not line.startswith("#")]


# --------------------------------------------------------------------------- fold table


@dataclass(frozen=True)
class _FoldTables:
    table: list[int]  # code point → folded code point, for code points below len(table)
    categories: dict[str, frozenset[str]]  # character → what its fold did (only characters that change)


# Ranges whose characters NFKC and casefold never change (unified ideographs, Hangul
# syllables, private use): the scan for changing characters skips them.
_STABLE = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7A3),
    (0xD800, 0xF8FF),
    (0x20000, 0x2F7FF),
    (0x30000, 0x323AF),
)


def _code_points(first: int, last: int) -> str:
    """The characters ``first..last`` as one string, built natively."""
    return array.array("I", range(first, last + 1)).tobytes().decode("utf-32-le")


def _single_char_maps(size: int) -> tuple[dict[str, str], dict[str, str]]:
    """Every character below ``size`` whose NFKC, or casefold, is one other character."""
    nfkc: dict[str, str] = {}
    casefold: dict[str, str] = {}
    edges = [1]
    for first, last in _STABLE:
        edges += [first - 1, last + 1]
    edges.append(size - 1)
    for first, last in zip(edges[::2], edges[1::2], strict=True):
        text = _code_points(first, last) if first <= last else ""
        for i in range(0, len(text), 256):
            block = text[i : i + 256]
            # A block that is NFKC-normalised and casefold-stable as a whole has no
            # character that changes alone; the few other blocks are done per character,
            # joined by NUL (a starter that never composes) so each is normalised alone.
            if unicodedata.is_normalized("NFKC", block) and block.casefold() == block:
                continue
            joined = "\0".join(block)
            for char, result in zip(block, unicodedata.normalize("NFKC", joined).split("\0"), strict=True):
                if result != char and len(result) == 1:
                    nfkc[char] = result
            for char, result in zip(block, joined.casefold().split("\0"), strict=True):
                if result != char and len(result) == 1:
                    casefold[char] = result
    return nfkc, casefold


_WIDTH, _CASE, _TRADITIONAL, _EXTRA_STEP = 1, 2, 4, 8


@functools.cache
def _categories(steps: int, to_digit: bool, fullwidth_digit: bool) -> frozenset[str]:
    """Name what a fold did, from the steps it took and where it ended."""
    names = {name for bit, name in ((_WIDTH, "width"), (_CASE, "case"), (_TRADITIONAL, "traditional")) if steps & bit}
    if to_digit:
        if fullwidth_digit:
            return frozenset({"width"})
        names.discard("width")  # ①, ⑴, 一, 壹, ², 𝟏, ㊀: a number style, whatever NFKC did on the way
        names.add("number")
    elif steps & _EXTRA_STEP:  # 🅥-style letters
        names.add("width")
    return frozenset(names)


def _chain(char: str, nfkc: dict[str, str], casefold: dict[str, str], t2s: dict[str, str]) -> tuple[str, int]:
    """Fold one character to its fixed point; also return the steps it took (bit flags)."""
    steps = 0
    current = char
    chain = ((nfkc, _WIDTH), (casefold, _CASE), (t2s, _TRADITIONAL), (_EXTRA, _EXTRA_STEP))
    for _ in range(8):
        before = current
        for table, step in chain:  # in this order: each step sees the previous one's result
            if current in table:
                steps |= step
                current = table[current]
        if current == before:
            break
    return current, steps


@functools.cache
def _fold_tables() -> _FoldTables:
    t2s = dict(line.split("\t") for line in _data_lines("t2s.tsv"))
    size = max(0x20000, 0x2FA20, *(ord(c) + 1 for c in t2s))
    nfkc, casefold = _single_char_maps(size)
    table = list(range(size))
    categories: dict[str, frozenset[str]] = {}
    changing = nfkc.keys() | casefold.keys()
    for char in changing | t2s.keys() | _EXTRA.keys():
        if char in _INVISIBLE_SET:
            continue
        if char in changing:
            folded, steps = _chain(char, nfkc, casefold, t2s)
        else:  # the common case, a traditional character (t2s.tsv is closed) or a number style
            folded = t2s.get(char, char)
            steps = _TRADITIONAL if folded != char else 0
            if folded in _EXTRA:
                folded = _EXTRA[folded]
                steps |= _EXTRA_STEP
        if folded != char:
            table[ord(char)] = ord(folded)
            categories[char] = _categories(steps, folded in _ASCII_DIGITS, char in _FULLWIDTH_DIGITS)
    # A lone surrogate (from a JSON "\udcxx" escape) cannot be encoded for the automaton: it folds to
    # U+FFFD, a separator, so a text holding one is checked like any other instead of failing.
    for cp in range(0xD800, 0xE000):
        table[cp] = 0xFFFD
    return _FoldTables(table, categories)


def _fold_char(char: str, table: list[int]) -> str:
    cp = ord(char)
    return chr(table[cp]) if cp < len(table) else char
