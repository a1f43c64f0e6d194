"""Whether a character is CJK, by code-point range: fast, and without importing anything.

Used where text is joined (a soft line break between two Chinese characters joins
without a space) by both the Markdown conversion and the checker's extraction.
"""

from __future__ import annotations

_CJK_RANGES = (
    (0x2E80, 0x2FFF),  # radicals, Kangxi
    (0x3000, 0x303F),  # CJK punctuation: 、。「」《》
    (0x3040, 0x30FF),  # kana
    (0x3100, 0x31FF),  # bopomofo, Hangul compatibility jamo, kanbun, strokes
    (0x3200, 0x4DBF),  # enclosed CJK, compatibility, extension A
    (0x4E00, 0x9FFF),  # unified ideographs
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0xF900, 0xFAFF),  # compatibility ideographs
    (0xFE30, 0xFE4F),  # compatibility forms
    (0xFF00, 0xFFEF),  # full-width forms: ，！？：；（）
    (0x20000, 0x3FFFF),  # extensions B and later
)


def is_cjk(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _CJK_RANGES)


def has_cjk(text: str) -> bool:
    return any(is_cjk(char) for char in text)
