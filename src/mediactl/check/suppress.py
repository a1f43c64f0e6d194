"""Allowances: a finding may be suppressed only by naming its rule and giving a reason.

Inline, in Markdown or HTML:  <!-- mediactl: allow finance.promise.baoben reason="产品合同约定保本" -->
covers the line it stands on and the paragraph that follows it. In front matter,
`allow: [{rule: …, reason: …}]` covers the whole item and all its variants.
A variant's text comes from its item, so an inline allowance also covers the same
words in every variant. Blocker rules cannot be suppressed; every suppression is
listed in the report, and an allowance without a reason is itself a finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mediactl.check.findings import Finding

INLINE = re.compile(r"<!--\s*mediactl:\s*allow\s+([A-Za-z0-9_.-]+)(?:\s+reason\s*=\s*\"([^\"]*)\")?\s*-->")
RULE = "mediactl.suppression"


@dataclass(frozen=True)
class Allowance:
    rule: str
    reason: str
    file: str
    line: int
    first_line: int = 0  # inline: the lines it covers; 0 = the whole item
    last_line: int = 0
    covered_text: str = ""  # inline: the source text it covers, to recognise the same words in variants

    def covers(self, finding: Finding, *, source_file: str) -> bool:
        if finding.rule != self.rule:
            return False
        if not self.first_line:
            return True
        if finding.file == source_file:
            return self.first_line <= finding.line <= self.last_line
        return bool(finding.matched) and finding.matched in self.covered_text


def inline_allowances(text: str, file: str) -> tuple[list[Allowance], list[Finding]]:
    """Allowances written as comments in `text`; comments without a reason become findings."""
    if "mediactl" not in text:  # nearly every file: one native substring search instead of a regex per line
        return [], []
    lines = text.splitlines()
    found: list[Allowance] = []
    broken: list[Finding] = []
    for number, line in enumerate(lines, start=1):
        for match in INLINE.finditer(line):
            rule, reason = match.group(1), (match.group(2) or "").strip()
            if not reason:
                broken.append(
                    Finding(file, number, match.start() + 1, RULE, "error",
                            f"allowance for {rule} has no reason: write reason=\"…\" (who decided, and why)",
                            match.group(0), "mediactl")
                )  # fmt: skip
                continue
            last = _paragraph_end(lines, number)
            covered = "\n".join(lines[number - 1 : last])
            found.append(Allowance(rule, reason, file, number, number, last, covered))
    return found, broken


def _paragraph_end(lines: list[str], start: int) -> int:
    """The last line of the paragraph after the comment on line `start` (1-based)."""
    index = start  # the line after the comment, 0-based
    while index < len(lines) and not lines[index].strip():
        index += 1
    while index < len(lines) and lines[index].strip():
        index += 1
    return max(index, start)


def apply(findings: list[Finding], allowances: list[Allowance], *, source_file: str) -> list[Finding]:
    """Mark covered findings as suppressed (with the reason); blockers stay unsuppressed."""
    if not allowances:
        return findings
    out = []
    for finding in findings:
        allowance = next((a for a in allowances if a.covers(finding, source_file=source_file)), None)
        if allowance is None:
            out.append(finding)
        elif finding.severity == "blocker":
            out.append(finding.with_context(message=f"{finding.message}（blocker 规则不可豁免）"))
        else:
            where = f"{allowance.file}:{allowance.line}"
            out.append(finding.with_context(suppressed=f"{allowance.reason} ({where})"))
    return out
