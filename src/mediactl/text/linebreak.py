"""Line breaking for Chinese text with Latin words and numbers mixed in.

Chinese may break between any two characters, except where the line-breaking rules (禁则)
forbid it:

- no line starts with closing punctuation: ，。、！？；：」』）》〉】… — · % ‰ ” ’ and the ASCII
  , . ! ? ; : ) ] } (and a few more of the same kind: full-width brackets, ℃, °);
- no line ends with opening punctuation: 「『（《〈【“‘ and the ASCII ( [ { (and currency signs
  that lead a number: ¥ ￥ $ € £).

Latin words and numbers (``APP``, ``2.60``, ``1,000``, ``e-CNY``) are never split unless one is
wider than the whole line; ``88元`` may break between ``88`` and ``元`` (the rules keep ``%``
with its number). An explicit ``\\n`` starts a new line; spaces at the start and end of a line
are dropped.

The breaker is greedy: it fills a line, then if the break would violate a rule it moves the
break earlier (carrying a character or two to the next line). Only when no earlier break on
that line satisfies the rules (a box a character or two wide) is a rule given up.
"""

from __future__ import annotations

import re
from collections.abc import Callable

NO_START = frozenset(
    "，。、！？；：」』）》〉】〕〗〙〛］｝｠…—·・%‰”’,.!?;:)]}"  # closing punctuation
    "％℃°′″～ー"  # units and marks that belong to what precedes them
)
NO_END = frozenset("「『（《〈【〔〖〘〚［｛｟“‘([{¥￥$€£")
SPACES = frozenset(" \t\u3000")

_LATIN = r"0-9A-Za-z\u00C0-\u024F\uFF10-\uFF19\uFF21-\uFF3A\uFF41-\uFF5A"
_TOKEN = re.compile(
    rf"[{_LATIN}]+(?:[.,'’:/\-+&_@·][{_LATIN}]+)*"  # a word or number: 2.60, 1,000, e-CNY, 9:30
    r"|[ \t\u3000]+"  # a run of spaces
    r"|.",  # any other single character (a Chinese character, a punctuation mark)
    re.DOTALL,
)


def break_lines(text: str, max_width: float, measure: Callable[[str], float]) -> list[str]:
    """Break `text` into lines no wider than `max_width` as `measure` measures them.

    `measure` must be additive (the width of a string is the sum of the widths of its
    pieces), as Pillow's BASIC layout engine is; each distinct piece is measured once.
    A single word wider than `max_width` is split between characters; a single character
    wider than `max_width` is put on a line of its own. Returns at least one line (``[""]``
    for empty text).
    """
    widths: dict[str, float] = {}

    def width(token: str) -> float:
        found = widths.get(token)
        if found is None:
            found = widths[token] = measure(token)
        return found

    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(_break_paragraph(_TOKEN.findall(paragraph), max_width, width))
    return lines


def _break_paragraph(tokens: list[str], max_width: float, width: Callable[[str], float]) -> list[str]:
    lines: list[str] = []
    i = 0
    n = len(tokens)
    limit = max_width + 1e-6
    while True:
        while i < n and tokens[i][0] in SPACES:  # spaces at a line start are dropped
            i += 1
        if i >= n:
            break
        start, used, j = i, 0.0, i
        while j < n and used + width(tokens[j]) <= limit:
            used += width(tokens[j])
            j += 1
        if j == n:
            lines.append("".join(tokens[start:]).rstrip("".join(SPACES)))
            break
        if j == start:  # the first piece alone is too wide: split it between characters
            head, tail = _split_word(tokens[start], limit, width)
            if tail:
                tokens[start : start + 1] = [head, tail]
                n += 1
            j = start + 1
        else:
            j = _legal_break(tokens, start, j)
        lines.append("".join(tokens[start:j]).rstrip("".join(SPACES)))
        i = j
    return lines or [""]


def _legal_break(tokens: list[str], start: int, j: int) -> int:
    """The latest break at or before `j` (but after `start`) that the rules allow; else `j`."""
    for k in range(j, start, -1):
        if _allowed(tokens, start, k):
            return k
    return j


def _allowed(tokens: list[str], start: int, k: int) -> bool:
    before = next((t for t in reversed(tokens[start:k]) if t[0] not in SPACES), None)
    after = next((t for t in tokens[k:] if t[0] not in SPACES), None)
    if before is None:
        return False
    if before[-1] in NO_END:
        return False
    return not (after is not None and after[0] in NO_START)


def _split_word(word: str, limit: float, width: Callable[[str], float]) -> tuple[str, str]:
    """The longest head of `word` (at least one character) within `limit`, and the rest."""
    used = 0.0
    for cut, ch in enumerate(word):
        used += width(ch)
        if used > limit:
            cut = max(cut, 1)
            return word[:cut], word[cut:]
    return word, ""
