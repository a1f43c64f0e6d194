# Types of the C extension built from _native.c (hatch_build.py): mypy cannot read a compiled module.
from typing import Any

API: int

def fold_compact(text: str, table: bytes, removed: bytes, digits: bytes, /) -> tuple[str, str, bytes, int]: ...
def plain_segments(
    text: str, segment_type: type[tuple[Any, ...]], display: str, field: str, /
) -> tuple[list[Any], list[int]]: ...
def match_spans(
    hits: list[tuple[int, int, int]], shift: int, offsets: Any, base: str, flags: bytes, term_keys: int, /
) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]], dict[int, list[tuple[int, int]]]]: ...

MARKDOWN_API: int

def markdown_segments(
    events: Any,
    src: str,
    line_offset: int,
    field: str,
    out: Any,
    segment_type: type[tuple[Any, ...]],
    cjk_ranges: tuple[tuple[int, int], ...],
    hooks: tuple[Any, Any, Any, Any, Any],
    html_tags: tuple[frozenset[str], frozenset[str], frozenset[str]],
    /,
) -> None: ...
