"""Characters that must not reach an audience or a terminal: control codes, bidi overrides, invisible marks.

A title with ESC sequences repaints a reviewer's terminal; a right-to-left override
makes the text a platform shows differ from the text a reviewer read (the "Trojan
Source" trick). Those are errors in content. Zero-width marks are only invisible, and
the checker folds them away, so they can hide no term: they are warnings, and the
zero-width joiner inside an emoji sequence (👨‍👩‍👧) is no finding at all. Chinese text and
full-width punctuation are ordinary characters here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

# C0 but tab, LF and CR; DEL; C1; bidi embeddings, overrides (U+202A–U+202E) and isolates (U+2066–U+2069)
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# zero-width space, non-joiner, joiner, word joiner, and U+FEFF inside text (a BOM belongs at a file's start only)
INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff]")
_ANY = re.compile(f"{FORBIDDEN.pattern}|{INVISIBLE.pattern}")
_TERMINAL = re.compile(f"{FORBIDDEN.pattern}|{INVISIBLE.pattern}|\r")
_ZWJ = "\u200d"


def present(text: str) -> bool:
    """Whether `text` has any character `forbidden` or `invisible` might report: one quick scan."""
    return _ANY.search(text) is not None


def forbidden(text: str) -> Iterator[tuple[int, str]]:
    """(offset, character) of every control or bidi character in `text`."""
    for match in FORBIDDEN.finditer(text):
        yield match.start(), match.group()


def invisible(text: str) -> Iterator[tuple[int, str]]:
    """(offset, character) of every zero-width mark in `text` that is not part of an emoji sequence."""
    meant = _emoji_joiners(text)
    for match in INVISIBLE.finditer(text):
        if match.start() not in meant:
            yield match.start(), match.group()


def _emoji_joiners(text: str) -> set[int]:
    """Offsets of joiners that glue two pictographs into one emoji (👨‍👩‍👧, ❤️‍🔥): those are meant."""
    if _ZWJ not in text:
        return set()
    import regex  # lazy: start-up, only text with a joiner pays its import

    pattern = regex.compile(r"(?<=[\p{ExtPict}\p{Emoji_Modifier}\uFE0F])\u200d(?=\p{ExtPict})")
    return {match.start() for match in pattern.finditer(text)}


def describe(ch: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``: how a problem names a character that cannot be shown."""
    name = unicodedata.name(ch, "")
    if not name:
        name = "a C1 control character" if 0x80 <= ord(ch) <= 0x9F else "a control character"
    return f"U+{ord(ch):04X} {name}"


def escape(text: str) -> str:
    """`text` safe to print on a terminal: every control, bidi and zero-width character as ``\\u202e``.

    Newlines and tabs stay; a carriage return is escaped too (it would overwrite the line);
    an emoji's joiners stay, so 👨‍👩‍👧 is still one emoji.
    """
    if not _TERMINAL.search(text):
        return text
    meant = _emoji_joiners(text)
    return _TERMINAL.sub(lambda match: match.group() if match.start() in meant else _escaped(match.group()), text)


def _escaped(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
