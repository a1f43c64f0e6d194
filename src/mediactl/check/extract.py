"""What the audience sees: files as segments of visible text, each with a way back to file, line and column.

A term split by markup (``保**本**``, ``<span>保</span>本``) or by a line break inside a paragraph
must still match, so each block (paragraph, heading, list item, table cell, cue, front-matter
value…) becomes one `Segment` whose text has the markup removed and the lines joined the way
`mediactl.text.markup` joins them: without a space when either side is CJK, with one space otherwise.
Hard breaks and ``<br>`` are joined the same way. Positions are kept as anchors: at every place
where the text stops being a verbatim copy of the source, an anchor records the source line
and column of the next character, so `Segment.position` is exact for text copied from one line.

Markdown is read with pyromark (pulldown-cmark, Rust): each event carries its source range, so a run
of text is anchored where the parser found it, one anchor per run; _native.c turns the events into
segments, the loop here is its reference and fallback. Unlike `mediactl.text.markup` (markdown-it-py,
for rendering), raw HTML is markup here: a tag written in Markdown is markup to the reader whether a
platform renders it or escapes it, so ``保</span>本`` is 保本. Raw HTML blocks go through the HTML
extractor (plain ones natively). Code spans and code blocks are visible text.
"""

from __future__ import annotations

import bisect
import functools
import html
import json
import operator
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, NamedTuple

from mediactl.check.normalize import _native  # the C extension, or None where it was not built
from mediactl.library.frontmatter import split_front_matter
from mediactl.text.cjk import _CJK_RANGES
from mediactl.text.cjk import is_cjk as _is_cjk
from mediactl.text.cuetext import CUE_MARKUP as _CUE_MARKUP  # shared with the video burn-in

#: The JSON decoder's string scanner (C where built): (decoded string, index past the closing quote).
#: typeshed leaves it out of json.decoder's stub (it is not in __all__), but json.decoder has had it since 2.6.
_scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]

__all__ = [
    "FORMATS",
    "Segment",
    "extract_data",
    "extract_file",
    "extract_front_matter",
    "extract_html",
    "extract_markdown",
    "extract_subtitles",
    "extract_text",
]

# Suffix -> format understood by extract_file.
FORMATS: dict[str, str] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".txt": "text",
    ".srt": "srt",
    ".vtt": "vtt",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
}


Where = tuple[int, int]  # (line, column), 1-based, column in code points


class Segment(NamedTuple):  # a tuple: a large check creates one per paragraph, ~3x faster than a frozen dataclass
    text: str  # visible text of one block, markup removed, lines joined
    file: str  # the display path given by the caller
    field: str  # "body", "title", "summary", "alt", "link", "subtitle", or a YAML/JSON key path
    block: int  # index of this block within (file, field), from 0
    anchors: tuple[tuple[int, int, int], ...]  # sorted (text_offset, line, column); the first is at offset 0

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column) in the file of text[offset]; offset == len(text) gives the place just after the end.

        The nearest anchor at or before offset, plus the distance from it: exact for text copied
        verbatim from one source line; for joined runs it points at the right line.
        """
        if not 0 <= offset <= len(self.text):
            raise IndexError(f"offset {offset} outside the segment text (length {len(self.text)})")
        # The last anchor at or before offset: tuples compare by offset first, and no line or column reaches
        # maxsize (no key function: a Python call per step, for every finding of a large check).
        index = bisect.bisect_right(self.anchors, (offset, sys.maxsize, sys.maxsize)) - 1
        start, line, column = self.anchors[max(index, 0)]
        return line, column + offset - start


# --- positions ------------------------------------------------------------------------------


def _normalize_newlines(text: str) -> str:
    """CRLF and CR as LF (markdown-it and html.parser do the same); columns do not change."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


class _Lines:
    """Offsets in a text to file positions: line shifted by line_offset, column by a per-line shift."""

    def __init__(self, text: str, line_offset: int = 0, shifts: Sequence[int] = ()) -> None:
        self.starts = [0] + [match.end() for match in re.finditer("\n", text)]
        self.line_offset = line_offset
        self.shifts = shifts

    def start(self, line: int) -> int:
        """Offset of the 0-based local line; past the last line, an offset beyond the end of the text."""
        return self.starts[line] if line < len(self.starts) else self.starts[-1] + 10**9

    def __call__(self, offset: int) -> Where:
        line = bisect.bisect_right(self.starts, offset) - 1
        shift = self.shifts[line] if line < len(self.shifts) else 0
        return line + 1 + self.line_offset, offset - self.starts[line] + 1 + shift

    def many(self, offsets: Sequence[int | None]) -> list[Where | None]:
        """Positions of many offsets (None stays None), one line lookup per source line."""
        out: list[Where | None] = []
        low = high = -1
        line = base = 0
        for offset in offsets:
            if offset is None:
                out.append(None)
                continue
            if not low <= offset < high:
                index = bisect.bisect_right(self.starts, offset) - 1
                low = self.starts[index]
                high = self.starts[index + 1] if index + 1 < len(self.starts) else 1 << 62
                line = index + 1 + self.line_offset
                base = (self.shifts[index] if index < len(self.shifts) else 0) + 1 - low
            out.append((line, offset + base))
        return out


_ANCHORS, _FIRST, _PLACE = operator.itemgetter(4), operator.itemgetter(0), operator.itemgetter(1, 2)  # _Out.sorted


class _Out:
    """Collects segments of one file and numbers the blocks of each field."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.segments: list[Segment] = []
        self.counts: Counter[str] = Counter()
        self.references = 0  # reference links met (_reference_place), and their URLs' places once looked up
        self.reference_places: dict[str, int] | None = None

    def emit(self, field: str, chars: list[str], where: list[Where | None], default: Where) -> None:
        text = "".join(chars)
        if not text:
            return
        anchors: list[tuple[int, int, int]] = []
        expected: Where | None = None
        for offset, place in enumerate(where):
            if place is None:
                place = expected or default
            if place != expected:
                anchors.append((offset, *place))
            expected = (place[0], place[1] + 1)
        self.add(field, text, anchors)

    def add(self, field: str, text: str, anchors: list[tuple[int, int, int]]) -> None:
        """A block with its anchors, numbered within its field."""
        self.segments.append(Segment(text, self.display, field, self.counts[field], tuple(anchors)))
        self.counts[field] += 1

    def sorted(self) -> list[Segment]:
        """In source order: a paragraph before the link targets and image alt texts inside it.

        By the (line, column) of each segment's first anchor, ties in the order emitted; the keys are made in
        native loops (a Python key function was a call per segment: 224,000 for the Markdown bench)."""
        keys = list(map(_PLACE, map(_FIRST, map(_ANCHORS, self.segments))))
        return list(map(self.segments.__getitem__, sorted(range(len(keys)), key=keys.__getitem__)))


class _Block:
    """The text of one block being assembled: characters, their positions, pending whitespace."""

    def __init__(self, out: _Out, field: str, default: Where) -> None:
        self.out = out
        self.field = field
        self.default = default  # where a character with no known position points (the block start)
        self.chars: list[str] = []
        self.where: list[Where | None] = []
        self.pending: str | None = None  # None, "space" or "break"

    def add(self, text: str, where: Sequence[Where | None]) -> None:
        if not text:
            return
        cjk_break = self.pending == "break" and self.chars and (_is_cjk(self.chars[-1]) or _is_cjk(text[0]))
        if self.pending and self.chars and not cjk_break:
            self.chars.append(" ")
            self.where.append(None)
        self.pending = None
        self.chars.extend(text)
        self.where.extend(where)

    def space(self) -> None:
        self.pending = self.pending or "space"

    def brk(self) -> None:
        """A line break inside the block: joined without a space when either side is CJK."""
        self.pending = "break"

    def finish(self, *, strip: bool = True) -> None:
        chars, where = self.chars, self.where
        if strip:
            while chars and chars[-1].isspace():
                chars.pop()
                where.pop()
            first = next((index for index, char in enumerate(chars) if not char.isspace()), len(chars))
            chars, where = chars[first:], where[first:]
        else:
            while chars and chars[-1] == "\n":
                chars.pop()
                where.pop()
        if where and where[0] is None:
            where[0] = self.default
        self.out.emit(self.field, chars, where, self.default)
        self.chars, self.where, self.pending = [], [], None


# --- entities and escapes -------------------------------------------------------------------

_CHARREF = re.compile(r"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")  # as html.unescape
_ASCII_PUNCT = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def _decode_map(src: str, start: int, decoded: str) -> list[int] | None:
    """Source offsets of each character of `decoded`, the html.unescape of src[start:…]; None if it is not."""
    if src.startswith(decoded, start):  # no entity in it (most text): one offset each, no walk
        return list(range(start, start + len(decoded)))
    offsets: list[int] = []
    index = start
    while len(offsets) < len(decoded):
        if src.startswith("&", index):
            match = _CHARREF.match(src, index)
            if match:
                value = html.unescape(match.group())
                if value != match.group() and decoded.startswith(value, len(offsets)):
                    offsets.extend([index] * len(value))
                    index = match.end()
                    continue
        if index >= len(src) or src[index] != decoded[len(offsets)]:
            return None
        offsets.append(index)
        index += 1
    return offsets


# --- HTML attributes (shared by the HTML extractor and raw HTML inside Markdown) -----------------

_TAG_NAME = re.compile(r"<\s*(/?)\s*([A-Za-z][A-Za-z0-9:-]*)")
_ATTR = re.compile(
    r"""[\s/]([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""",
    re.DOTALL,
)
_META_FIELDS = {
    "description": "summary",
    "og:description": "summary",
    "twitter:description": "summary",
    "og:title": "title",
    "twitter:title": "title",
}
_ATTRIBUTE_TAGS = frozenset(("img", "area", "input", "a", "meta"))  # the only ones _visible_attributes reads


def _attributes(tag_text: str) -> dict[str, tuple[str, int]]:
    """Attribute name (lowercase) -> (raw value, offset of the value in tag_text); the first occurrence wins."""
    found: dict[str, tuple[str, int]] = {}
    head = _TAG_NAME.match(tag_text)
    for match in _ATTR.finditer(tag_text, head.end() if head else 0):
        for group in (2, 3, 4):
            if match.group(group) is not None:
                found.setdefault(match.group(1).lower(), (match.group(group), match.start(group)))
                break
    return found


def _visible_attributes(tag: str, tag_text: str) -> list[tuple[str, str, int]]:
    """(field, raw value, offset in tag_text) of the attributes of one start tag that reach the audience."""
    attrs = _attributes(tag_text)
    out = []
    if "alt" in attrs and (
        tag in ("img", "area") or (tag == "input" and attrs.get("type", ("",))[0].lower() == "image")
    ):
        out.append(("alt", *attrs["alt"]))
    if "href" in attrs and tag in ("a", "area"):
        out.append(("link", *attrs["href"]))
    if tag == "meta" and "content" in attrs:
        name = (attrs.get("name") or attrs.get("property") or ("", 0))[0].lower()
        if name in _META_FIELDS:
            out.append((_META_FIELDS[name], *attrs["content"]))
    return out


def _emit_attributes(out: _Out, src: str, start: int, tag: str, tag_text: str, pos: _Lines) -> None:
    """Each visible attribute value of the start tag at src[start] (entities decoded, stripped) as a segment."""
    for field, raw, at in _visible_attributes(tag, tag_text):
        decoded = html.unescape(raw)
        offsets = _decode_map(src, start + at, decoded)
        block = _Block(out, field, pos(start + at))
        block.add(decoded, pos.many(offsets) if offsets else [pos(start + at)] + [None] * (len(decoded) - 1))
        block.finish()


# --- HTML -----------------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    (
        "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details", "dialog", "dir",
        "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
        "head", "header", "hgroup", "hr", "html", "legend", "li", "main", "menu", "nav", "ol", "option", "p", "pre",
        "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "title", "tr", "ul",
    )
)  # fmt: skip
_SKIP_TAGS = frozenset(("script", "style", "template"))
_PRE_TAGS = frozenset(("pre", "textarea", "listing", "plaintext"))
_HTML_SPACE = " \t\n\f"


class _HtmlExtractor(HTMLParser):
    def __init__(self, src: str, out: _Out, field: str, pos: _Lines) -> None:
        super().__init__(convert_charrefs=True)
        self.src = src
        self.out = out
        self.field = field
        self.pos = pos
        self.local = _Lines(src)  # getpos() is local to src
        self.skip = 0
        self.pre = 0
        self.block = _Block(out, field, pos(0))

    def raw_offset(self) -> int:
        line, column = self.getpos()
        return self.local.start(line - 1) + column

    def flush(self, field: str | None = None) -> None:
        self.block.finish(strip=True)
        self.block = _Block(self.out, field or self.block.field, self.pos(min(self.raw_offset(), len(self.src))))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip += 1
            return
        if self.skip:
            return
        if tag in _BLOCK_TAGS:
            self.flush("title" if tag == "title" else None)
        if tag == "br":
            self.block.brk()
        if tag in _PRE_TAGS:
            self.pre += 1
        _emit_attributes(self.out, self.src, self.raw_offset(), tag, self.get_starttag_text() or "", self.pos)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip:
            return
        if tag in _PRE_TAGS:
            self.pre = max(0, self.pre - 1)
        if tag in _BLOCK_TAGS:
            self.flush(self.field if tag == "title" else None)
        elif tag == "br":  # </br> is read as <br> by browsers
            self.block.brk()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        start = self.raw_offset()
        offsets = _decode_map(self.src, start, data)
        where: list[Where | None]
        where = self.pos.many(offsets) if offsets is not None else [self.pos(start)]
        where += [None] * (len(data) - len(where))
        if self.pre:
            self.block.add(data, where)
            return
        index = 0
        for match in re.finditer(f"[{_HTML_SPACE}]+", data):
            self.block.add(data[index : match.start()], where[index : match.start()])
            if "\n" in match.group():
                self.block.brk()
            else:
                self.block.space()
            index = match.end()
        self.block.add(data[index:], where[index:])

    def parse_marked_section(self, i: int, report: bool = True) -> int:
        """`<![` with no keyword html.parser knows (3.11, 3.12) raises AssertionError: read it as browsers do,
        a bogus comment up to `>` (with none, its words stay text), its position as it was before the attempt."""
        where = self.getpos()
        try:
            return int(super().parse_marked_section(i, report))
        except AssertionError:
            self.lineno, self.offset = where
            return self.parse_bogus_comment(i, report)

    def close(self) -> None:
        super().close()
        self.block.finish(strip=True)


def _html_into(out: _Out, text: str, field: str, line_offset: int = 0, shifts: Sequence[int] = ()) -> None:
    """HTML text whose lines start line_offset lines into the file, each shifted by its column (an HTML block)."""
    parser = _HtmlExtractor(text, out, field, _Lines(text, line_offset, shifts))
    parser.feed(text)
    parser.close()


# --- Markdown -------------------------------------------------------------------------------

#: Block-level events: each one ends the text being collected (a tight list item has its text directly inside).
_MD_BLOCKS = frozenset(
    ("Paragraph", "Heading", "BlockQuote", "CodeBlock", "HtmlBlock", "List", "Item", "Table", "TableHead", "TableRow",
     "TableCell", "FootnoteDefinition", "MetadataBlock")
)  # fmt: skip


@functools.cache
def _markdown_parser() -> Any:
    """pulldown-cmark through pyromark: CommonMark + tables, raw HTML kept as events; imported on first use.

    A Rust parser that reports the source range of every event, so positions come from the parser
    instead of a search through the source (issue 17: markdown-it-py and that search were 10x a bare scan).
    """
    import pyromark  # lazy: start-up

    return pyromark.Markdown(options=pyromark.Options.ENABLE_TABLES)


class _Offsets:
    """UTF-8 byte offsets (pyromark's ranges) as code-point offsets, decoded from the start of their line or from
    the last conversion when that is later on the line (events come in order: a 200,000-character line is decoded
    once, not once per event, as the C path does)."""

    def __init__(self, src: str, line_starts: list[int]) -> None:
        self.data = src.encode("utf-8")
        self.ascii = len(self.data) == len(src)
        self.line_starts = line_starts  # of src, in code points
        self.byte_starts = [0] + [match.end() for match in re.finditer(b"\n", self.data)]
        self.char = 0  # the last conversion: a link's text ends there
        self.byte = 0  # ...and the byte offset it was converted from

    def __call__(self, byte: int) -> int:
        if self.ascii:
            self.char = byte
        else:
            line = bisect.bisect_right(self.byte_starts, byte) - 1
            base, char = self.byte_starts[line], self.line_starts[line]
            if base <= self.byte <= byte:
                base, char = self.byte, self.char
            self.char = char + len(self.data[base:byte].decode("utf-8"))
            self.byte = byte
        return self.char


class _Runs:
    """The text of one Markdown block as runs with one anchor each, joined as `_Block` joins characters."""

    def __init__(self, out: _Out, field: str) -> None:
        self.out = out
        self.field = field
        self.parts: list[str] = []
        self.anchors: list[tuple[int, int, int]] = []
        self.length = 0
        self.pending = False  # a line break inside the block, not yet joined

    def add(self, text: str, line: int, column: int) -> None:
        """A run copied from one source line, starting at (line, column)."""
        if not text:
            return
        if self.pending and self.parts and not (_is_cjk(self.parts[-1][-1]) or _is_cjk(text[0])):
            self.parts.append(" ")
            self.length += 1
        self.pending = False
        self.anchors.append((self.length, line, column))
        self.parts.append(text)
        self.length += len(text)

    def tail(self, start: int) -> str:
        """The joined text from `start` on, joining only the last parts it spans (an autolink's text is its URL:
        joining the whole paragraph for each of 20,000 autolinks took seconds)."""
        need, size, taken = self.length - start, 0, []
        for part in reversed(self.parts):
            if size >= need:
                break
            taken.append(part)
            size += len(part)
        text = "".join(reversed(taken))
        return text[len(text) - need :] if need > 0 else ""

    def finish(self, *, strip: bool = True) -> None:
        """Emit the block: surrounding whitespace stripped (a code block keeps it but not its last newlines)."""
        text = "".join(self.parts)
        trimmed = text.strip() if strip else text.rstrip("\n")
        if len(trimmed) == len(text):  # the common case: the anchors stand
            if text:
                self.out.add(self.field, text, self.anchors)
            return
        if not trimmed:
            return
        lead = text.index(trimmed)
        start = Segment(text, "", "", 0, tuple(self.anchors)).position(lead)
        anchors = [(0, *start)]
        anchors += [(at - lead, line, column) for at, line, column in self.anchors if lead < at < lead + len(trimmed)]
        self.out.add(self.field, trimmed, anchors)


class _MarkdownExtractor:
    def __init__(self, src: str, out: _Out, field: str, line_offset: int) -> None:
        self.src = src
        self.out = out
        self.field = field
        self.line_offset = line_offset
        self.pos = _Lines(src, line_offset)
        self.char = _Offsets(src, self.pos.starts)
        self.block: _Runs | None = None
        self.inner: list[_Runs] = []  # alt and link blocks, finished after the block holding them
        self.alts: list[_Runs] = []  # the image being read: its text goes to its alt block
        self.links: list[tuple[dict[str, str], int, int]] = []  # open links: (data, anchors and length of the block)
        self.skipping = 0  # inside <script>, <style> or <template> written inline
        self.code = False  # inside a code block: lines kept as written
        self.html_lines: list[tuple[str, int]] = []  # the lines of the HTML block being read, with their offsets

    def run(self) -> None:
        for event, span in _markdown_parser().events_with_range(self.src):
            if type(event) is str:  # SoftBreak, HardBreak, Rule
                if event != "Rule":
                    self.target().pending = True
                continue
            text = event.get("Text")
            if text is not None:  # most events
                if not self.skipping:
                    self.text(text, self.char(span["start"]))
            elif "Start" in event:
                self.start(event["Start"], span)
            elif "End" in event:
                self.end(event["End"], span)
            elif "Code" in event:
                self.code_span(event["Code"], span["start"], span["end"])
            elif "InlineHtml" in event:
                self.inline_html(event["InlineHtml"], span["start"])
            elif "Html" in event:
                self.html_lines.append((event["Html"], self.char(span["start"])))
        self.flush()

    def target(self) -> _Runs:
        """Where inline text goes now: the alt text of an open image, else the block (opened at need)."""
        if self.alts:
            return self.alts[-1]
        if self.block is None:
            self.block = _Runs(self.out, self.field)
        return self.block

    def start(self, tag: Any, span: dict[str, int]) -> None:
        name = tag if type(tag) is str else next(iter(tag))
        if name in _MD_BLOCKS:
            self.flush()
            if name == "CodeBlock":
                self.code = True
            elif name == "HtmlBlock":
                self.html_lines = []
        elif name == "Image":
            self.alts.append(_Runs(self.out, "alt"))
        elif name == "Link":
            runs = self.target()
            self.links.append((tag["Link"], len(runs.anchors), runs.length))

    def end(self, tag: Any, span: dict[str, int]) -> None:
        name = tag if type(tag) is str else next(iter(tag))
        if name in _MD_BLOCKS:
            if name == "HtmlBlock":
                self.html_block()
            self.flush()
        elif name == "Image" and self.alts:
            self.inner.append(self.alts.pop())
        elif name == "Link" and self.links:
            self.link(*self.links.pop(), span)

    def flush(self) -> None:
        if self.block is not None:
            self.block.finish(strip=not self.code)
            self.block = None
        self.code = False
        if self.inner:
            for inner in self.inner:
                inner.finish()
            self.inner.clear()

    def text(self, text: str, begin: int) -> None:
        """A run where it starts (an entity at its '&'); a code block's lines each on its line; an escape at its '\\'."""
        runs = self.target()
        if self.code:  # a code block: its lines as written, each anchored at its source line
            for line in text.splitlines(keepends=True):
                runs.add(line, *self.pos(begin))
                begin += len(line)
        elif begin and self.src[begin - 1] == "\\" and text[0] in _ASCII_PUNCT:  # an escape: at its backslash
            runs.add(text[0], *self.pos(begin - 1))
            runs.add(text[1:], *self.pos(begin + 1))
        else:
            runs.add(text, *self.pos(begin))

    def code_span(self, code: str, start: int, end: int) -> None:
        if not self.skipping:
            runs = self.target()
            for text, at in _code_span_runs(self.src, code, self.char(start), self.char(end)):
                runs.add(text, *self.pos(at))

    def link(self, data: dict[str, str], first_anchor: int, first_char: int, span: dict[str, int]) -> None:
        """The target of a link, as a "link" segment; the autolink's text is its URL."""
        runs = self.target()
        link = _Runs(self.out, "link")
        url = data["dest_url"]
        if data["link_type"] in ("Autolink", "Email"):
            link.parts = [runs.tail(first_char)]
            link.anchors = [(offset - first_char, line, column) for offset, line, column in runs.anchors[first_anchor:]]
            link.length = len(link.parts[0])
        elif url:
            after_text = self.char.char  # the end of the link's text: the destination comes after it
            begin, stop = self.char(span["start"]), self.char(span["end"])
            # a reference link's URL is in its definition
            inline = data["link_type"] == "Inline"
            found = self.src.find(url, after_text, stop) if inline else _reference_place(self.out, self.src, url)
            link.add(url, *self.pos(found if found >= 0 else begin))
        self.inner.append(link)

    def inline_html(self, raw: str, start: int) -> None:
        head = _TAG_NAME.match(raw)
        if not head:  # a comment, declaration or processing instruction
            return
        closing, tag = head.group(1) == "/", head.group(2).lower()
        if tag in _SKIP_TAGS:
            if closing:
                self.skipping = max(0, self.skipping - 1)
            elif not raw.rstrip().endswith("/>"):
                self.skipping += 1
        elif self.skipping:
            return
        elif tag == "br":
            self.target().pending = True
        elif not closing:
            _emit_attributes(self.out, self.src, self.char(start), tag, raw, self.pos)

    def html_block(self) -> None:
        """Raw HTML between Markdown blocks, through the HTML extractor; each line keeps its column."""
        if not self.html_lines:
            return
        places = [self.pos(offset) for _, offset in self.html_lines]  # the block's first line, each line's shift
        content = "".join(line for line, _ in self.html_lines)
        _html_into(self.out, content, self.field, places[0][0] - 1, [column - 1 for _, column in places])


#: Reference links of a text whose URLs are each searched for from its start; past them, all at once.
SEARCHED_REFERENCES = 8


def _reference_place(out: _Out, src: str, url: str) -> int:
    """``src.find(url)``: where a reference link's URL first occurs (its definition, or before it), -1 if nowhere.

    Each was a search from the start of the text, quadratic in a text of many reference links (20,000: 3 s on
    either path). Past the first few, the first place of every definition's URL is found in one pass and looked up
    (`out` keeps it for the text); a URL that is not a definition's (a parser's rewriting) is still searched for.
    """
    out.references += 1
    if out.reference_places is None and out.references > SEARCHED_REFERENCES:
        out.reference_places = _first_places(src)
    found = out.reference_places.get(url) if out.reference_places is not None else None
    return src.find(url) if found is None else found


def _first_places(src: str) -> dict[str, int]:
    """Each reference definition's URL in `src` -> where it first occurs there (as str.find finds it)."""
    import ahocorasick_rs  # lazy: start-up, only for a text of many reference links

    definitions = _markdown_parser().reference_definitions(src)
    urls = sorted({definition["dest"] for definition in definitions.values() if definition["dest"]})
    places: dict[str, int] = {}
    if urls:
        automaton = ahocorasick_rs.AhoCorasick(urls, matchkind=ahocorasick_rs.MatchKind.Standard)
        for index, start, _ in automaton.find_matches_as_indexes(src, overlapping=True):  # in order of their ends
            if start < places.get(urls[index], len(src)):
                places[urls[index]] = start
    return places


def _code_span_runs(src: str, code: str, begin: int, stop: int) -> list[tuple[str, int]]:
    """Inline code between its backticks (src[begin:stop]) as runs (text, offset), one per source line it spans."""
    ticks = len(src[begin:stop]) - len(src[begin:stop].lstrip("`"))
    inner, close = begin + ticks, stop - ticks
    raw = src[inner:close]
    if raw[:1] in (" ", "\n") and raw[-1:] in (" ", "\n") and raw.strip(" \n"):  # CommonMark strips one space
        inner, close = inner + 1, close - 1
    runs, at = [], 0
    while at < len(code):
        eol = src.find("\n", inner, close)
        size = (close if eol < 0 else eol) - inner
        if src[inner : inner + size] != code[at : at + size]:  # not as written (a tab?): the line is right
            size = len(code) - at
        runs.append((code[at : at + size + 1], inner))  # with the space the line break reads as
        at += size + 1
        inner = eol + 1
        while inner < close and src[inner] in " \t>":  # indentation and blockquote markers
            inner += 1
    return runs


#: markdown_segments's other arguments (_native.c): its hooks, shared with the fallback, and the tags it must know.
_MARKDOWN_TAGS = (_BLOCK_TAGS, _SKIP_TAGS | _PRE_TAGS | {"title"}, _ATTRIBUTE_TAGS)
_MARKDOWN_NATIVE = (
    Segment,
    _CJK_RANGES,
    (_code_span_runs, _emit_attributes, _html_into, _Lines, _reference_place),
    _MARKDOWN_TAGS,
)


# --- YAML and JSON --------------------------------------------------------------------------


def _walk_strings(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], str]]:
    if isinstance(data, str):
        return [(path, data)]
    if isinstance(data, dict):
        return [found for key, value in data.items() for found in _walk_strings(value, (*path, key))]
    if isinstance(data, list):
        return [found for index, value in enumerate(data) for found in _walk_strings(value, (*path, index))]
    return []


def _field(path: tuple[Any, ...]) -> str:
    from mediactl.config.yamlpos import dotted  # lazy: start-up, as _yaml_into

    return dotted(path) or "$"


def _yaml_into(out: _Out, yaml_text: str, display: str, line_offset: int) -> None:
    # lazy: start-up, YAML (and PyYAML's import) only for YAML, JSON, front matter
    from mediactl.config.yamlpos import load_located

    src = _normalize_newlines(yaml_text)
    doc = load_located(src, display, line_offset=line_offset)
    if doc.data is None and doc.problems:
        raise ValueError(str(doc.problems[0]))
    pos = _Lines(src, line_offset)  # pos.start(n): the offset of local line n, whatever the line_offset
    # every key and list item start, as offsets: a value's text is searched only up to the next one
    marks = sorted(pos.start(line - line_offset - 1) + column - 1 for line, column in doc.positions.values())
    for path, value in _walk_strings(doc.data):
        line, column = doc.positions.get(path, (line_offset + 1, 1))
        mark = pos.start(line - line_offset - 1) + column - 1
        start = mark if not path or isinstance(path[-1], int) else _after_key(src, mark)
        start = _content_start(src, start)
        if value and "\n" not in value and src.startswith(value, start):  # as written on one line (most): one anchor
            out.add(_field(path), value, [(0, *pos(start))])
            continue
        after = bisect.bisect_right(marks, start)
        limit = marks[after] if after < len(marks) else len(src)
        where: list[Where | None] = [None] * len(value)
        cursor = start
        for match in re.finditer(r"\S+", value):
            found = src.find(match.group(), cursor, limit)
            if found >= 0:
                where[match.start() : match.end()] = pos.many(range(found, found + len(match.group())))
                cursor = found + len(match.group())
        block = _Block(out, _field(path), pos(min(start, len(src))))
        block.add(value, where)
        block.finish(strip=False)


def _after_key(src: str, index: int) -> int:
    """From the start of a mapping key to the first character after its ':'."""
    if index < len(src) and src[index] in "\"'":
        quote = src[index]
        index += 1
        while index < len(src) and src[index] != "\n":
            if src[index] == "\\" and quote == '"':
                index += 2
                continue
            if src[index] == quote:
                if quote == "'" and src.startswith("''", index):
                    index += 2
                    continue
                break
            index += 1
    while index < len(src) and src[index] != "\n":
        if src[index] == ":" and (index + 1 >= len(src) or src[index + 1] in " \t\n,}]"):
            return index + 1
        index += 1
    return index


def _content_start(src: str, index: int) -> int:
    """From after 'key:' or '- ' to the first character of the scalar's content."""
    while True:
        while index < len(src) and src[index] in " \t":
            index += 1
        if index >= len(src):
            return len(src)
        char = src[index]
        if char == "#" or char == "\n":  # the value starts on a later line
            end = src.find("\n", index)
            if end < 0:
                return len(src)
            index = end + 1
        elif char in "!&" and src[index - 1] in " \t\n:":  # a tag or an anchor
            while index < len(src) and src[index] not in " \t\n":
                index += 1
        elif char in "\"'":
            return index + 1
        elif char in "|>":  # a block scalar: the content starts on the next line
            end = src.find("\n", index)
            if end < 0:
                return len(src)
            index = end + 1
            while index < len(src) and src[index] in " \t\n":
                index += 1
            return index
        else:
            return index


_JSON_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null|NaN|-?Infinity")
_JSON_SPACE = re.compile(r"[ \t\n\r]*")


def _json_into(out: _Out, text: str, display: str) -> None:
    src = _normalize_newlines(text)
    try:
        json.loads(src)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{display}:{exc.lineno}:{exc.colno}: JSON syntax error: {exc.msg}") from None
    pos = _Lines(src)
    found: list[tuple[tuple[Any, ...], int, int]] = []

    def skip(index: int) -> int:
        match = _JSON_SPACE.match(src, index)
        return match.end() if match else index

    def value(index: int, path: tuple[Any, ...]) -> int:
        index = skip(index)
        char = src[index]
        if char == '"':
            _, end = _scanstring(src, index + 1)
            found.append((path, index + 1, end - 1))
            return end
        if char in "{[":
            closer = "}" if char == "{" else "]"
            index = skip(index + 1)
            position = 0
            while src[index] != closer:
                if char == "{":
                    key, index = _scanstring(src, skip(index) + 1)
                    index = value(skip(index) + 1, (*path, key))  # past ':'
                else:
                    index = value(index, (*path, position))
                    position += 1
                index = skip(index)
                if src[index] == ",":
                    index = skip(index + 1)
            return index + 1
        match = _JSON_SCALAR.match(src, index)
        return match.end() if match else index + 1

    value(0, ())
    for path, start, end in found:
        chars: list[str] = []
        offsets: list[int] = []
        index = start
        while index < end:
            if src[index] == "\\":
                size = 6 if src[index + 1] == "u" else 2
                if (
                    size == 6
                    and src.startswith("\\u", index + 6)
                    and 0xD800 <= int(src[index + 2 : index + 6], 16) < 0xDC00
                ):
                    size = 12  # a surrogate pair
                decoded = json.loads(f'"{src[index : index + size]}"')
                chars.extend(decoded)
                offsets.extend([index] * len(decoded))
                index += size
            else:
                chars.append(src[index])
                offsets.append(index)
                index += 1
        block = _Block(out, _field(path), pos(start))
        block.add("".join(chars), pos.many(offsets))
        block.finish(strip=False)


# --- text and subtitles ---------------------------------------------------------------------


def _paragraphs(src: str) -> list[list[tuple[int, str]]]:
    """Runs of non-blank lines: [(offset of line start, line)]."""
    paragraphs: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    offset = 0
    for line in src.split("\n"):
        if line.strip():
            current.append((offset, line))
        elif current:
            paragraphs.append(current)
            current = []
        offset += len(line) + 1
    if current:
        paragraphs.append(current)
    return paragraphs


_TIMING = re.compile(r"-->")


def _add_line(block: _Block, src: str, start: int, line: str, pos: _Lines, *, tags: bool, entities: bool) -> None:
    """One source line, stripped, with subtitle tags removed and (VTT) entities decoded."""
    pieces: list[tuple[int, str]] = []
    index = 0
    if tags:
        for match in _CUE_MARKUP.finditer(line):
            pieces.append((index, line[index : match.start()]))
            index = match.end()
    pieces.append((index, line[index:]))
    chars: list[str] = []
    where: list[Where | None] = []
    for at, piece in pieces:
        decoded = html.unescape(piece) if entities else piece
        offsets = _decode_map(src, start + at, decoded) if entities else None
        if offsets is None:
            offsets = list(range(start + at, start + at + len(piece)))
            decoded = piece
        chars.extend(decoded)
        where.extend(pos.many(offsets))
    text = "".join(chars)
    lead = len(text) - len(text.lstrip())
    stripped = text.strip()
    block.add(stripped, where[lead : lead + len(stripped)])
    block.brk()


# --- public API -----------------------------------------------------------------------------


def extract_markdown(text: str, display: str, *, line_offset: int = 0, field: str = "body") -> list[Segment]:
    """Paragraphs, headings, list items, table cells, code blocks as segments; image alt as "alt", link targets as "link".

    line_offset: lines of the file before `text` (the front matter of an index.md).
    """
    out = _Out(display)
    src = _normalize_newlines(text)
    if _native is not None and getattr(_native, "MARKDOWN_API", None) == 2:  # the same segments, made natively
        events = _markdown_parser().events_with_range(src)
        _native.markdown_segments(events, src, line_offset, field, out, *_MARKDOWN_NATIVE)
    else:
        _MarkdownExtractor(src, out, field, line_offset).run()
    return out.sorted()


def extract_front_matter(yaml_text: str, display: str, *, line_offset: int) -> list[Segment]:
    """Every string value of the front matter, field = key path ("title", "overrides.weibo.summary", "tags[0]").

    line_offset: lines of the file before the YAML (1 for an index.md: the opening '---').
    A YAML syntax error raises ValueError.
    """
    out = _Out(display)
    _yaml_into(out, yaml_text, display, line_offset)
    return out.sorted()


def extract_html(text: str, display: str, *, field: str = "body") -> list[Segment]:
    """Visible text of an HTML document or fragment; block elements split blocks, whitespace collapsed.

    script/style/template are skipped, <title> and meta og:title go to "title", meta description to
    "summary", img alt to "alt", a href to "link".
    """
    out = _Out(display)
    src = _normalize_newlines(text)
    _html_into(out, src, field)
    return out.sorted()


def extract_text(text: str, display: str, *, field: str = "body") -> list[Segment]:
    """Plain text: paragraphs split on blank lines, each line stripped, soft breaks joined.

    Text copied verbatim needs one anchor per line, not a position per character, and the
    paragraphs are found natively: this path is what large ad hoc checks (a folder of
    captions or transcripts) spend their time in (natively: 10 % of a plain-text bench file's
    instructions, 2026-12-06).
    """
    src = _normalize_newlines(text)
    segments: list[Segment]
    if _native is not None:  # the same segments, made natively (tests compare the two paths)
        segments, several = _native.plain_segments(src, Segment, display, field)
        for block in several:  # paragraphs of several lines come as (None, line, raw text)
            _, line, raw = segments[block]
            segments[block] = _plain_paragraph(raw.split("\n"), line, display, field, block)
        return segments
    segments = []
    line_no, counted = 1, 0
    for block, match in enumerate(_PARAGRAPH.finditer(src)):
        start = match.start()
        line_no += src.count("\n", counted, start)
        counted = start
        paragraph = match.group()
        if "\n" in paragraph:
            segments.append(_plain_paragraph(paragraph.split("\n"), line_no, display, field, block))
        else:  # one line (the common case), inline
            stripped = paragraph.lstrip()
            anchors = ((0, line_no, len(paragraph) - len(stripped) + 1),)
            segments.append(Segment(stripped.rstrip(), display, field, block, anchors))
    return segments


_PARAGRAPH = re.compile(r"[^\n]*\S[^\n]*(?:\n[^\n]*\S[^\n]*)*")  # a run of non-blank lines


def _plain_paragraph(lines: list[str], first_line: int, display: str, field: str, block: int) -> Segment:
    parts: list[str] = []
    anchors: list[tuple[int, int, int]] = []
    length = 0
    for index, line in enumerate(lines):
        stripped = line.strip()
        if parts:  # a soft line break: no space beside Chinese, one between Latin words
            joiner = "" if _is_cjk(parts[-1][-1]) or _is_cjk(stripped[0]) else " "
            parts.append(joiner)
            length += len(joiner)
        anchors.append((length, first_line + index, len(line) - len(line.lstrip()) + 1))
        parts.append(stripped)
        length += len(stripped)
    return Segment("".join(parts), display, field, block, tuple(anchors))


def extract_subtitles(text: str, display: str, *, fmt: str) -> list[Segment]:
    """One "subtitle" segment per cue: the lines after the timing line, tags removed, lines joined.

    Cue numbers, identifiers, timing lines, and the VTT header, NOTE, STYLE and REGION blocks are not text.
    """
    if fmt not in ("srt", "vtt"):
        raise ValueError(f"subtitle format must be srt or vtt, not {fmt!r}")
    out = _Out(display)
    src = _normalize_newlines(text)
    pos = _Lines(src)
    for cue in _paragraphs(src):
        timing = next((index for index, (_, line) in enumerate(cue) if _TIMING.search(line)), None)
        if timing is None:
            continue
        lines = cue[timing + 1 :]
        block = _Block(out, "subtitle", pos(lines[0][0] if lines else cue[timing][0]))
        for start, line in lines:
            _add_line(block, src, start, line, pos, tags=True, entities=fmt == "vtt")
        block.finish()
    return out.sorted()


def extract_data(text: str, display: str, *, fmt: str) -> list[Segment]:
    """Every string value of a YAML or JSON file, field = key path ("title", "posts[0].body", "$" for the root).

    Keys, numbers, booleans and dates are not text; a string holding HTML or Markdown is taken as is.
    A syntax error raises ValueError with its line and column.
    """
    out = _Out(display)
    if fmt == "yaml":
        _yaml_into(out, text, display, 0)
    elif fmt == "json":
        _json_into(out, text, display)
    else:
        raise ValueError(f"data format must be yaml or json, not {fmt!r}")
    return out.sorted()


def extract_file(path: Path, display: str, fmt: str | None = None) -> list[Segment]:
    """Segments of one file; fmt from the suffix when None (see FORMATS).

    Markdown with front matter: the front-matter values (field = key path) then the body ("body").
    Raises ValueError for an unknown format or bytes that are not UTF-8; OSError when unreadable.
    """
    return extract_source(read_source(path, display), display, format_of(path, display) if fmt is None else fmt)


def format_of(path: str | os.PathLike[str], display: str) -> str:
    """The extraction format for a file's suffix (see FORMATS); ValueError naming the file if none."""
    name = os.path.basename(path)
    suffix = suffix_of(name)
    fmt = FORMATS.get(suffix.lower())
    if fmt is None:
        supported = ", ".join(FORMATS)
        raise ValueError(f"{display}: cannot check '{suffix or name}' files; supported: {supported}")
    return fmt


def suffix_of(name: str) -> str:
    """A file name's suffix as pathlib gives it (`..md` is Markdown; os.path.splitext says it has none)."""
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


def read_source(path: str | os.PathLike[str], display: str) -> str:
    """A file's text, without a byte-order mark; ValueError naming the file if it is not UTF-8."""
    with open(path, "rb") as file:
        data = file.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{display}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    return text.removeprefix("\ufeff")


def extract_source(text: str, display: str, fmt: str) -> list[Segment]:
    """Segments of a file's text in format ``fmt`` (a value of FORMATS)."""
    if fmt == "markdown":
        parts = split_front_matter(text)
        if parts is None:
            return extract_markdown(text, display)
        yaml_text, body, body_line = parts
        return extract_front_matter(yaml_text, display, line_offset=1) + extract_markdown(
            body, display, line_offset=body_line - 1
        )
    if fmt == "html":
        return extract_html(text, display)
    if fmt == "text":
        return extract_text(text, display)
    if fmt in ("srt", "vtt"):
        return extract_subtitles(text, display, fmt=fmt)
    if fmt in ("yaml", "json"):
        return extract_data(text, display, fmt=fmt)
    raise ValueError(f"{display}: unknown format {fmt!r}; supported: {', '.join(sorted(set(FORMATS.values())))}")
