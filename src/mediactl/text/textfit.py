"""How each platform counts text, and how to make text fit a limit without breaking it.

Chinese platforms disagree on what "one character" is: WeChat counts code points, Weibo and
Xiaohongshu count ASCII as half, WeCom and link cards count UTF-8 bytes, JavaScript-based tools
count UTF-16 units, and readers see grapheme clusters. Every limit check and every cut goes
through `count`, so a title that passes `check` is the title the platform accepts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import NamedTuple

import regex

__all__ = [
    "COUNT_MODES", "HASHTAG_STYLES", "Fitted", "cjk_punctuation", "count", "fit_text", "fits", "format_hashtags",
    "is_cjk", "truncate",
]  # fmt: skip

COUNT_MODES = ("chars", "half_ascii", "bytes", "utf16", "graphemes")
HASHTAG_STYLES = ("wrap", "prefix", "none")

# Han (every extension and the compatibility ideographs), kana, hangul, bopomofo, CJK punctuation
# and symbols, CJK strokes and enclosed/compatibility forms, vertical and full-/half-width forms.
_CJK_CLASS = (
    r"\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Bopomofo}"
    r"\u3000-\u303f\u3040-\u30ff\u3190-\u319f\u31c0-\u31ff\u3200-\u33ff"
    r"\ufe10-\ufe1f\ufe30-\ufe4f\uff00-\uffef"
)
_CJK_CHAR = regex.compile(f"[{_CJK_CLASS}]")
_GRAPHEME = regex.compile(r"\X")
# Fast path (stdlib re, ~30x quicker than \X): text made only of these code points has one grapheme
# cluster per code point and no half-width character outside ASCII. Typical Chinese copy qualifies:
# ASCII (no CR), Latin-1, general punctuation “”‘’…—, CJK punctuation, kana, BMP Han, full-width forms.
_SIMPLE = re.compile(
    "[\t\n\x20-\x7e\xa0-\xac\xae-\xff\u2010-\u2027\u3000-\u3029\u3030-\u303f\u3041-\u3096"
    "\u30a1-\u30fa\u30fc-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff60]*"
)

# half_ascii: a half-width character standing alone as a cluster is captured (counts 0.5); any
# other cluster (CJK, full-width, emoji, a letter with a combining mark, a keycap) matches with an
# empty capture and counts 1. Half-width katakana may carry its half-width (semi-)voiced mark.
_HALF_OR_CLUSTER = regex.compile(
    r"((?:[\x00-\x7f]|[\uff61-\uffdc\uffe8-\uffee][\uff9e\uff9f]?)"
    r"(?![\p{GCB=Extend}\p{GCB=ZWJ}\p{GCB=SpacingMark}]))|\X"
)

# A URL, kept whole by truncate and left alone by cjk_punctuation. Trailing . , ; : ! ? ) are
# sentence punctuation, not part of the address.
_URL = r"(?:https?|ftp)://[!-~]*[A-Za-z0-9/#=&~+%_\-]"
# A Latin (or Cyrillic, Greek...) word or number, with its inner connectors: don't, e-mail,
# 3.5, 1,000, 09:00, 2.60%, ¥99. CJK characters are never part of one: each is its own boundary.
_WORD_CHAR = rf"[\p{{L}}\p{{N}}\p{{M}}--[{_CJK_CLASS}]]"
_TOKEN = regex.compile(
    rf"{_URL}|[¥$￥€£]?{_WORD_CHAR}+(?:[.,:'’\-_/@&+]{_WORD_CHAR}+)*[%‰]?",
    regex.V1,
)
# What may not end a cut text: whitespace, pause/stop punctuation, dashes, an existing ellipsis,
# and any opening bracket or quote whose partner was cut away. ！？!? and closers stay.
_TRAILING = regex.compile(r"[\s，、；：,;:。.·・—–\-~～…⋯（「『《【〈〔〖［｛“‘(\[{<]+\Z")

# Where a sentence ends: 。！？ (and ! ?), or a Latin full stop before a space or the end (not 3.5, not the
# "1." or "a." that numbers a list line), with the closing quotes and brackets that follow it. A cut text
# ends here, so it says a whole thing.
_CLOSERS = "」』”’）》〉】〕〗］｝\"')\\]}"
_SENTENCE_END = regex.compile(
    rf"(?:[。！？｡!?]|(?<!^[ \t]*[0-9A-Za-z]{{1,3}})\.(?=[\s{_CLOSERS}]|\Z))+[{_CLOSERS}]*", regex.MULTILINE
)
# Where a clause ends (the fallback when one sentence is longer than the room): a pause mark, or a line end.
_CLAUSE_END = regex.compile(rf"[，、；：,;:]+[{_CLOSERS}]*|(?<=\S)\n")

_PUNCT_FULL = str.maketrans(",.!?;:()", "，。！？；：（）")
_HAN = regex.compile(r"\p{Han}")
_HALF_PUNCT = regex.compile(
    r"(?P<keep>```.*?```|`[^`\n]*`|" + _URL + r")"
    r"|(?<=\p{Han})(?P<after>[!?]+|[,;:]|\.(?![.A-Za-z0-9_]))[ \t]*"
    r"|(?P<before>[,;:!?])(?=\p{Han})"
    r"|(?P<lead>[ \t]*)\((?P<body>[^()\n]*)\)(?P<trail>[ \t]*)",
    regex.DOTALL,
)
_TAG_EDGES = regex.compile(r"^[\s#＃]+|[\s#＃]+$")
_SPACES = regex.compile(r"\s+")


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _grapheme_len(text: str) -> int:
    if _SIMPLE.fullmatch(text):
        return len(text)
    return len(_GRAPHEME.findall(text))


def _half_ascii_len(text: str) -> int:
    if _SIMPLE.fullmatch(text):
        half = len(text.encode("ascii", "ignore"))
        return len(text) - half + (half + 1) // 2
    captures = _HALF_OR_CLUSTER.findall(text)
    full = captures.count("")
    half = len(captures) - full
    return full + (half + 1) // 2


_COUNTERS: dict[str, Callable[[str], int]] = {
    "chars": len,
    "half_ascii": _half_ascii_len,
    "bytes": _utf8_len,
    "utf16": _utf16_len,
    "graphemes": _grapheme_len,
}


def _counter(mode: str) -> Callable[[str], int]:
    try:
        return _COUNTERS[mode]
    except KeyError:
        raise ValueError(f"unknown count mode {mode!r}; valid modes: {', '.join(COUNT_MODES)}") from None


def count(text: str, mode: str = "chars") -> int:
    """Length of `text` as a platform counts it, so limits are checked the platform's way.

    chars: code points (WeChat). half_ascii: a half-width character standing alone (ASCII,
    half-width kana/hangul/symbols) counts 0.5, every other grapheme cluster (CJK, full-width,
    accented letters, a whole emoji sequence) counts 1, total rounded up (Weibo, Xiaohongshu).
    bytes: UTF-8 bytes (WeCom, link cards). utf16: UTF-16 code units (JavaScript `length`).
    graphemes: user-perceived characters (`regex` \\X). Unknown mode -> ValueError.
    """
    return _counter(mode)(text)


def fits(text: str, limit: int, mode: str = "chars") -> bool:
    """True if `text` is within `limit` as counted by `mode`."""
    return _counter(mode)(text) <= limit


def is_cjk(char: str) -> bool:
    """True for one Han (incl. Ext A+ and compatibility), kana, hangul, bopomofo, CJK punctuation or
    full-/half-width-form code point: these break words, so text may be cut next to them.

    `char` must be exactly one code point (ValueError otherwise).
    """
    if len(char) != 1:
        raise ValueError(f"is_cjk takes one character, got {len(char)}: {char!r}")
    return _CJK_CHAR.match(char) is not None


def _inside_tokens(text: str) -> bytearray:
    """1 at each offset strictly inside a Latin word, number or URL (a cut there would split it)."""
    inside = bytearray(len(text) + 1)
    for match in _TOKEN.finditer(text):
        start, end = match.span()
        inside[start + 1 : end] = b"\x01" * (end - start - 1)
    return inside


def _word_cuts(text: str, ends: list[int]) -> list[int]:
    """Grapheme ends that are not inside a word, number or URL."""
    inside = _inside_tokens(text)
    return [end for end in ends if not inside[end]]


def _boundaries(text: str, pattern: regex.Pattern[str]) -> list[int]:
    """Offsets just after each match of `pattern` that does not begin inside a word, number or URL."""
    inside = _inside_tokens(text)
    return [match.end() for match in pattern.finditer(text) if not inside[match.start()]]


def _best_head(text: str, cuts: list[int], limit: int, counter: Callable[[str], int], ellipsis: str,
               trailing: regex.Pattern[str] = _TRAILING) -> str:  # fmt: skip
    """Longest prefix ending at one of `cuts` that fits with the ellipsis, minus trailing debris.

    The count of prefix + ellipsis grows with the prefix, so a binary search finds it.
    """
    low, high = 0, len(cuts)  # cuts[:low] fit; cuts[high:] do not
    while low < high:
        middle = (low + high) // 2
        if counter(text[: cuts[middle]] + ellipsis) <= limit:
            low = middle + 1
        else:
            high = middle
    return trailing.sub("", text[: cuts[low - 1]]) if low else ""


_SPACE_AFTER = regex.compile(r"\s+\Z")


class Fitted(NamedTuple):
    """A text made to fit, and how it was cut: "" (it fitted as it was), "sentence" (it ends at a full stop),
    "clause" (one sentence was longer than the room: it ends at a pause mark, with the ellipsis) or "word"
    (not even a clause fitted: it ends between words or characters, with the ellipsis)."""

    text: str
    cut: str


def fit_text(text: str, limit: int, mode: str = "chars", ellipsis: str = "…") -> Fitted:
    """Make `text` fit `limit` in `mode`, ending where a reader expects an end.

    First choice: the longest run of whole sentences that fits (no ellipsis: nothing is left hanging). Only
    when the first sentence alone is longer than the room: the longest run of whole clauses plus the ellipsis
    (it never ends at ，、；： itself), then between words, then between grapheme clusters (an emoji or
    accented letter is never split; a Latin word, number or URL is split only when it alone is too long).
    Returns '' (cut "word") when even the ellipsis does not fit. Negative limit -> ValueError.
    """
    counter = _counter(mode)
    if limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    if counter(text) <= limit:
        return Fitted(text, "")
    head = _best_head(text, _boundaries(text, _SENTENCE_END), limit, counter, "", _SPACE_AFTER)
    if head:
        return Fitted(head, "sentence")
    if counter(ellipsis) > limit:
        return Fitted("", "word")
    head = _best_head(text, _boundaries(text, _CLAUSE_END), limit, counter, ellipsis)
    if head:
        return Fitted(head + ellipsis, "clause")
    ends = [match.end() for match in _GRAPHEME.finditer(text)]
    head = _best_head(text, _word_cuts(text, ends), limit, counter, ellipsis)
    if not head:
        head = _best_head(text, ends, limit, counter, ellipsis)
    return Fitted(head + ellipsis, "word")


def truncate(text: str, limit: int, mode: str = "chars", ellipsis: str = "…") -> str:
    """`fit_text`'s text: whole sentences where they fit, else a clause or word and `ellipsis`."""
    return fit_text(text, limit, mode, ellipsis).text


def _clean_tag(tag: str) -> str:
    return _SPACES.sub("", _TAG_EDGES.sub("", tag))


def format_hashtags(tags: Iterable[str], style: str) -> str:
    """Render topics the way the platform recognises them.

    'wrap': '#话题1# #话题2#' (Weibo); 'prefix': '#话题1 #话题2' (Douyin, Kuaishou, Xiaohongshu,
    Bilibili); 'none': ''. Tags lose surrounding '#'/'＃' and all whitespace (a space ends a topic on
    every platform); empty tags are dropped, and so are repeats that differ only in width or case
    (NFKC + casefold), keeping the first spelling. Unknown style -> ValueError.
    """
    if style not in HASHTAG_STYLES:
        raise ValueError(f"unknown hashtag style {style!r}; valid styles: {', '.join(HASHTAG_STYLES)}")
    if style == "none":
        return ""
    seen: set[str] = set()
    rendered: list[str] = []
    closing = "#" if style == "wrap" else ""
    for tag in tags:
        cleaned = _clean_tag(tag)
        key = unicodedata.normalize("NFKC", cleaned).casefold()
        if cleaned and key not in seen:
            seen.add(key)
            rendered.append(f"#{cleaned}{closing}")
    return " ".join(rendered)


def _full_width(match: regex.Match[str]) -> str:
    if match.group("keep") is not None:
        return match.group("keep")
    if match.group("after") is not None:
        return match.group("after").translate(_PUNCT_FULL)
    if match.group("before") is not None:
        return match.group("before").translate(_PUNCT_FULL)
    body = cjk_punctuation(match.group("body"))
    start = match.start()
    after_han = start > 0 and _HAN.match(match.string, start - 1) is not None
    if after_han or _HAN.search(body):
        return f"（{body}）"
    return f"{match.group('lead')}({body}){match.group('trail')}"


def cjk_punctuation(text: str) -> str:
    """Use full-width punctuation in Chinese, as house style and platform reviewers expect.

    , ! ? ; : directly after or before a Han character, . directly after one (not '..', not
    '报告.pdf'), and a ( ) pair that follows a Han character or encloses one become ，！？；：。（）;
    spaces after a converted mark and around a converted pair are dropped. URLs, `code`,
    fenced code, numbers (3.5, 2.60%, 1,000), times (09:00) and text without Han are left alone.
    """
    return _HALF_PUNCT.sub(_full_width, text)
