"""Findings placed in the text they were found in: the text cut into plain pieces and highlighted ones.

A finding names its file, line and column (1-based, in code points) and the text it matched exactly as
written. It is highlighted only where that text really stands at that place; otherwise (a text changed
since, or a match the extraction joined across markup) it is listed under the frame and not placed, so a
highlight never points at the wrong words.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # annotations only
    from mediactl.check.findings import Finding

#: Inside the sandboxed body frame the page's stylesheet does not apply: the frame brings the highlight and the
#: font (the page's own copy; the frame is sandboxed with `allow-same-origin` and no scripts, so it may load it).
FRAME_STYLE = (
    "<style>@font-face{{font-family:'Noto Sans CJK Local';src:url('{fonts}mediactl-sans-regular.otf');font-weight:400}}"
    "@font-face{{font-family:'Noto Sans CJK Local';src:url('{fonts}mediactl-sans-bold.otf');font-weight:700}}"
    "body{{font-family:'Noto Sans CJK Local',sans-serif;margin:8px}}"
    "mark.finding{{background:#ffe08a;outline:2px solid #d4a000}}"
    "mark.finding.sev-error,mark.finding.sev-blocker{{background:#ffc9c9;outline-color:#d93025}}"
    "mark.finding.allowed{{background:#e6f4ea;outline-color:#34a853}}</style>"
)


class Piece(NamedTuple):
    """A run of the text; `rule` is set when a finding covers exactly this run."""

    text: str
    rule: str = ""
    severity: str = ""
    message: str = ""
    allowed: str = ""

    @property
    def css(self) -> str:
        return f"finding sev-{self.severity}" + (" allowed" if self.allowed else "")


def offset(text: str, line: int, column: int) -> int | None:
    """The index of (line, column) in `text`, or None when the text has no such place."""
    lines = text.split("\n")
    if line < 1 or line > len(lines) or column < 1 or column > len(lines[line - 1]) + 1:
        return None
    return sum(len(before) + 1 for before in lines[: line - 1]) + column - 1


def pieces(text: str, findings: Sequence[Finding]) -> tuple[list[Piece], list[bool]]:
    """`text` cut at the findings that stand where they say; and, per finding, whether it was placed."""
    spans: list[tuple[int, int, int]] = []  # (start, end, index of the finding)
    for index, finding in enumerate(findings):
        start = offset(text, finding.line, finding.column)
        if start is not None and finding.matched and text.startswith(finding.matched, start):
            spans.append((start, start + len(finding.matched), index))
    placed = [False] * len(findings)
    out: list[Piece] = []
    at = 0
    for start, end, index in sorted(spans):
        if start < at:
            continue  # overlaps one already highlighted: listed, not nested
        finding = findings[index]
        if start > at:
            out.append(Piece(text[at:start]))
        out.append(Piece(text[start:end], finding.rule, finding.severity, finding.message, finding.suppressed))
        placed[index] = True
        at = end
    if at < len(text) or not out:
        out.append(Piece(text[at:]))
    return out, placed


def marked_html(html: Sequence[Piece], fonts: str) -> str:
    """A variant's own HTML with <mark> around the findings (for the sandboxed frame's srcdoc; `fonts`: the URL
    of the folder of the page's fonts, relative to the page, ending in '/').

    The plain pieces are the variant's bytes unchanged; only the style, the marks and their attributes are ours.
    """
    out = [FRAME_STYLE.format(fonts=escape(fonts))]
    for piece in html:
        if not piece.rule:
            out.append(piece.text)
            continue
        attributes = f'class="{piece.css}" data-rule="{escape(piece.rule)}" title="{escape(piece.message)}"'
        out.append(f"<mark {attributes}>{piece.text}</mark>")
    return "".join(out)
