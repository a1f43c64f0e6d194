"""Splitting a Markdown file into its YAML front matter and its body.

Its own module, free of dependencies, because both the content model and the
checker's text extraction need it, and an ad hoc check must start fast.
"""

from __future__ import annotations

FENCE = "---"


def split_front_matter(text: str) -> tuple[str, str, int] | None:
    """(front matter YAML, body, first body line) or None when the file has no front matter."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n").strip() != FENCE:
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r\n").strip() in (FENCE, "..."):
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), index + 2
    return None
