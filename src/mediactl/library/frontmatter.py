"""Splitting a Markdown file into its YAML front matter and its body, and setting its status line.

Its own module, free of dependencies, because both the content model and the
checker's text extraction need it, and an ad hoc check must start fast.

`with_status` edits the one line itself rather than round-tripping the YAML through
ruamel.yaml (issue 11 weighed it): at its most careful, ruamel.yaml still writes CRLF lines
back as LF (leaving the comments' CRLF: mixed line ends), respaces flow lists, puts every
sequence in one indentation style and moves the changed line's comment, and drops a BOM, so
an approval would touch lines the author wrote. tests/test_frontmatter_roundtrip.py shows it,
and fails should a later ruamel.yaml keep every byte.
"""

from __future__ import annotations

import re

FENCE = "---"
BOM = "\ufeff"  # editors on Windows start UTF-8 files with it; it is not part of the text
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")  # a line and its own break, whichever it is


def split_front_matter(text: str) -> tuple[str, str, int] | None:
    """(front matter YAML, body, first body line) or None when the file has no front matter."""
    lines = text.removeprefix(BOM).splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n").strip() != FENCE:
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r\n").strip() in (FENCE, "..."):
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), index + 2
    return None


def with_status(text: str, status: str) -> str:
    """`text` with the front matter's `status:` set (or added after `title:`), every other character kept.

    The file is the author's: its BOM, its line endings (CRLF stays CRLF), its comments
    and spacing survive, so the change shows in git as exactly one line.
    Raises ValueError saying why when there is no front matter to write into.
    """
    bom = BOM if text.startswith(BOM) else ""
    lines = _LINE.findall(text[len(bom) :])
    if not lines or lines[0].strip() != FENCE:
        raise ValueError("no front matter to record the status in")
    closing = next((i for i in range(1, len(lines)) if lines[i].strip() in (FENCE, "...")), None)
    if closing is None:
        raise ValueError("the front matter is not closed with '---'")
    existing = next((i for i in range(1, closing) if lines[i].startswith("status:")), None)
    if existing is not None:
        lines[existing] = _status_line(status, lines[existing])
    else:
        at = _after_title(lines, closing)
        ending = _ending(lines[at - 1]) or _ending(lines[0]) or "\n"
        lines.insert(at, f"status: {status}{ending}")
    return bom + "".join(lines)


def _status_line(status: str, old: str) -> str:
    """The new `status:` line, with the old line's trailing comment and line ending."""
    body = old[: len(old) - len(_ending(old))]
    comment = re.search(r"\s+#.*$", body)
    return f"status: {status}{comment.group() if comment else ''}{_ending(old)}"


def _after_title(lines: list[str], closing: int) -> int:
    """Where a new top-level line goes: after `title:` and any indented lines that continue it."""
    title = next((i for i in range(1, closing) if lines[i].startswith("title:")), 0)
    at = title + 1
    while title and at < closing and (lines[at][:1] in (" ", "\t") or not lines[at].strip()):
        at += 1
    return at


def _ending(line: str) -> str:
    """The line break that ends `line` (CRLF, LF or CR), or "" for a last line without one."""
    return line[len(line.rstrip("\r\n")) :]
