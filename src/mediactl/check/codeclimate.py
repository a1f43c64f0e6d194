"""Findings as a GitLab Code Quality report (the Code Climate issue format), so a merge request shows them.

GitLab reads a JSON array of issues, each with `description`, `check_name`, `fingerprint`, `severity` (info,
minor, major, critical, blocker) and `location.path` / `location.lines.begin` (docs.gitlab.com, "Code Quality",
"Implement a custom tool"). The fingerprint is what GitLab compares between the merge request and its target
branch to say which findings are new, so it is stable across runs and never includes the line (a finding
moved by an edit above it is the same finding). Allowed (suppressed) findings are left out: they are not
problems to show.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from typing import Any

from mediactl.check.findings import Finding

SEVERITY = {"blocker": "blocker", "error": "critical", "warning": "minor", "info": "info"}


def document(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    """The report: one issue per active finding, in report order."""
    seen: Counter[str] = Counter()
    return [_issue(finding, seen) for finding in findings if not finding.suppressed]


def _issue(finding: Finding, seen: Counter[str]) -> dict[str, Any]:
    suggestion = f" 建议: {finding.suggestion}" if finding.suggestion else ""
    where = f" [{finding.channel}]" if finding.channel else ""
    return {
        "type": "issue",
        "check_name": finding.rule,
        "description": f"{finding.message} 「{finding.matched}」{finding.place}{suggestion}{where}",
        "categories": ["Compliance"],
        "severity": SEVERITY.get(finding.severity, "major"),
        "fingerprint": _fingerprint(finding, seen),
        "location": {"path": finding.file, "lines": {"begin": finding.line}},
    }


def _fingerprint(finding: Finding, seen: Counter[str]) -> str:
    """Rule, file, channel and the words matched, plus how many times the same came before in this report."""
    key = "\0".join((finding.rule, finding.file, finding.channel, finding.item, finding.matched))
    seen[key] += 1
    return hashlib.sha256(f"{key}\0{seen[key]}".encode()).hexdigest()
