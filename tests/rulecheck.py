"""What the built-in rules make of a line of copy, for the rules-round tests: one helper instead of a copy in each.

The text is read as a plain-text file (`extract_source`; as Markdown with `fmt="markdown"`), with the built-in packs
and the learned reader as a check outside any project runs them (`prepared(None, None)`: compiled once per process).
"""

from __future__ import annotations

from mediactl.check.extract import extract_source
from mediactl.check.findings import Finding
from mediactl.check.report import failing
from mediactl.check.rules import Profile
from mediactl.check.runner import prepared


def findings(text: str, profile: Profile | None = None, fmt: str = "text") -> list[Finding]:
    """Every finding of `text`, at any severity."""
    _, engine = prepared(None, None)
    return engine.check(extract_source(text, "t.md" if fmt == "markdown" else "t.txt", fmt), profile or Profile())


def failing_rules(text: str, profile: Profile | None = None, fmt: str = "text") -> list[str]:
    """The findings that fail a check (error and above), as 'rule 「matched」'."""
    return [f"{finding.rule} 「{finding.matched}」" for finding in failing(findings(text, profile, fmt), "error")]
