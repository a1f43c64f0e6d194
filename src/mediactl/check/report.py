"""Findings out: a rich table for people, and line, JSON, SARIF 2.1.0 and GitHub formats for machines."""

from __future__ import annotations

import json
from collections.abc import Sequence
from json.encoder import encode_basestring  # the C escaper json.dumps uses with ensure_ascii=False
from typing import Any

from mediactl import __version__
from mediactl.check.findings import Finding
from mediactl.check.rules import RANK, Rule

FORMATS = ("text", "json", "sarif", "github", "line", "codeclimate")
SARIF_LEVEL = {"blocker": "error", "error": "error", "warning": "warning", "info": "note"}
GITHUB_LEVEL = {"blocker": "error", "error": "error", "warning": "warning", "info": "notice"}


def failing(findings: Sequence[Finding], fail_on: str) -> list[Finding]:
    return [f for f in findings if not f.suppressed and RANK[f.severity] >= RANK[fail_on]]


def line_format(finding: Finding) -> str:
    suggestion = f" (建议: {finding.suggestion})" if finding.suggestion else ""
    evasion = f" [normalised: {', '.join(finding.normalisations)}]" if finding.normalisations else ""
    where = f" [{finding.channel}]" if finding.channel else ""
    return (
        f"{finding.file}:{finding.line}:{finding.column}: {finding.severity} {finding.rule}: "
        f"{finding.message} 「{finding.matched}」{finding.place}{suggestion}{evasion}{where}"
    )


def github_format(finding: Finding) -> str:
    def escape(value: str) -> str:
        return (
            value.replace("%", "%25")
            .replace("\r", "%0D")
            .replace("\n", "%0A")
            .replace(",", "%2C")
            .replace("::", "%3A%3A")
        )

    level = GITHUB_LEVEL[finding.severity]
    message = escape(
        f"{finding.message} 「{finding.matched}」{finding.place}"
        + (f" 建议: {finding.suggestion}" if finding.suggestion else "")
    )
    return f"::{level} file={escape(finding.file)},line={finding.line},col={finding.column},title={escape(finding.rule)}::{message}"


#: One finding in JSON (json_lines): to_dict's keys in its order, then a picture's optional keys.
_JSON_LINE = (
    '{"file": %s, "line": %d, "column": %d, "rule": %s, "severity": %s, "message": %s, "matched": %s, '
    '"source": %s, "suggestion": %s, "field": %s, "item": %s, "channel": %s, "normalisations": [%s], '
    '"suppressed": %s%s}'
)


def json_lines(findings: Sequence[Finding]) -> list[str]:
    """``json.dumps(finding.to_dict(), ensure_ascii=False)`` for each finding, the same text ~2.7x faster
    (2,785 bench findings: 27 -> 10 ms, 5 % of checking their 200 files; 2026-12-06).

    Findings repeat most of their strings (file, rule, message, source), so each distinct string
    is escaped once (json's own C escaper) and the objects are assembled by formatting; no dict
    is built per finding. A large ad hoc check writes tens of thousands of these.
    """
    return _json_lines(findings, _Quoted())


def json_lines_encoded(findings: Sequence[Finding], encoding: str, errors: str) -> list[bytes]:
    """`json_lines`, each line ``.encode(encoding, errors)`` for a stateless encoding (UTF-8), without encoding
    whole lines: each distinct string is escaped and encoded once, the rest is ASCII. The lines are most of a
    large report (40 MB of JSON for the Markdown bench), and encoding them took 2 % of a worker's instructions."""
    return _json_lines(findings, _Encoded(encoding, errors))


def _json_lines(findings: Sequence[Finding], q: Any) -> list[Any]:
    """The lines as text (q a _Quoted) or as bytes (an _Encoded): one template, pieces of the same type."""
    line, null, comma = q.line, q.null, q.comma
    return [
        line
        % (
            *(q[f.file], f.line, f.column, q[f.rule], q[f.severity], q[f.message], q[f.matched], q[f.source]),
            *(q[f.suggestion], q[f.field], q[f.item], q[f.channel], comma.join([q[n] for n in f.normalisations])),
            *(q[f.suppressed] if f.suppressed else null, q.picture(f)),
        )
        for f in findings
    ]


def _picture_keys(finding: Finding) -> str:
    """The optional keys of words found in a picture (region, time), as to_dict writes them; '' for text."""
    if finding.region is None and finding.time is None:
        return ""
    extra = {k: v for k, v in finding.to_dict().items() if k in ("region", "time", "until")}
    return ", " + json.dumps(extra, ensure_ascii=False)[1:-1]


class _Quoted(dict[str, str]):
    """text -> its JSON string literal; a hit is a plain dict lookup (no Python call), a miss escapes once."""

    line, null, comma = _JSON_LINE, "null", ", "

    def __missing__(self, text: str) -> str:
        quoted = self[text] = encode_basestring(text)
        return quoted

    def picture(self, finding: Finding) -> str:
        return _picture_keys(finding)


class _Encoded(dict[str, bytes]):
    """text -> its JSON string literal, encoded; as _Quoted, for lines assembled as bytes."""

    line, null, comma = _JSON_LINE.encode("ascii"), b"null", b", "

    def __init__(self, encoding: str, errors: str) -> None:
        super().__init__()
        self.encoding, self.errors = encoding, errors

    def __missing__(self, text: str) -> bytes:
        quoted = self[text] = encode_basestring(text).encode(self.encoding, self.errors)
        return quoted

    def picture(self, finding: Finding) -> bytes:
        keys = _picture_keys(finding)
        return keys.encode(self.encoding, self.errors) if keys else b""


def sarif_document(findings: Sequence[Finding], rules: dict[str, Rule], notices: Sequence[str] = ()) -> dict[str, Any]:
    """SARIF 2.1.0 (valid against the official schema, tests/data/), as code-scanning services read it; suppressed
    findings carry a suppression. Columns count code points, as every mediactl report does (SARIF's default is
    UTF-16 units, which would misplace every column after an emoji)."""
    used = sorted({f.rule for f in findings})
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "mediactl",
                        "version": __version__,
                        "informationUri": "https://pypi.org/project/mediactl/",
                        "rules": [_sarif_rule(rule_id, rules.get(rule_id)) for rule_id in used],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": [_sarif_result(f, used.index(f.rule)) for f in findings],
                **(_sarif_invocations(notices) if notices else {}),
            }
        ],
    }


def _sarif_invocations(notices: Sequence[str]) -> dict[str, Any]:
    """What the run left undone (pictures not read), as tool notifications code-scanning services show."""
    notifications = [{"level": "warning", "message": {"text": notice}} for notice in notices]
    return {"invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}]}


def _sarif_rule(rule_id: str, rule: Rule | None) -> dict[str, Any]:
    return {
        "id": rule_id,
        "shortDescription": {"text": rule.message if rule else rule_id},
        "properties": {"source": rule.source if rule else "mediactl", "kind": rule.kind if rule else "meta"},
        "defaultConfiguration": {"level": SARIF_LEVEL[rule.severity] if rule else "error"},
    }


def _sarif_result(finding: Finding, index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": index,
        "level": SARIF_LEVEL[finding.severity],
        "message": {
            "text": f"{finding.message} 「{finding.matched}」{finding.place}"
            + (f" 建议: {finding.suggestion}" if finding.suggestion else "")
        },
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": finding.file},
                    "region": {
                        "startLine": finding.line,
                        "startColumn": finding.column,
                        "snippet": {"text": finding.matched},
                    },
                }
            }
        ],
        "properties": {
            "normalisations": list(finding.normalisations),
            "channel": finding.channel,
            "item": finding.item,
            "suggestion": finding.suggestion,
        },
    }
    if finding.region is not None or finding.time is not None:  # words in a picture: where, in its pixels
        result["properties"].update({k: v for k, v in finding.to_dict().items() if k in ("region", "time", "until")})
    # No `fixes`: a SARIF fix is an edit (artifactChanges: the region to delete, the text to insert), and a rule's
    # suggestion is advice to a person (删除，并如实披露产品风险等级), not text to paste over the match. It is said
    # in the message, as in the line and GitHub formats, and kept in the properties.
    if finding.suppressed:
        result["suppressions"] = [{"kind": "inSource", "justification": finding.suppressed}]
    return result


#: The width of a finding's label (its severity, or "allowed"): the place after it starts in one column.
LABEL_WIDTH = max(len(label) for label in (*RANK, "allowed"))


def render_text(findings: Sequence[Finding], console: Any) -> None:
    """Findings grouped by item (or file), most severe first; each a header line and its advice.

    A list, not a table: messages are long Chinese sentences that a table would fold into
    unreadable columns on a narrow terminal.
    """
    from rich.text import Text  # lazy: start-up, only the text format needs rich (the gate, json, sarif do not)

    groups: dict[str, list[Finding]] = {}
    for finding in sorted(findings, key=lambda f: (f.item or f.file, -RANK[f.severity], f.sort_key)):
        groups.setdefault(finding.item or finding.file, []).append(finding)
    colours = {"blocker": "bold red", "error": "red", "warning": "yellow", "info": "cyan"}
    for title, group in groups.items():
        console.print(Text(title, style="bold underline"))
        for f in group:
            header = Text("  ")
            label = "allowed" if f.suppressed else f.severity
            header.append(f"{label:<{LABEL_WIDTH}}", style="dim" if f.suppressed else colours[f.severity])
            place = f"{f.file}{f.place}" if f.region is not None else f"{f.file}:{f.line}:{f.column}"
            header.append(f"  {place}" + (f" [{f.channel}]" if f.channel else ""))
            header.append(f"  {f.rule}", style="dim")
            header.append(f"  「{f.matched}」", style="bold")
            console.print(header)
            console.print(Text(f"    {f.message}"))
            if f.suggestion:
                console.print(Text(f"    建议：{f.suggestion}", style="green"))
            if f.normalisations:
                console.print(Text(f"    found after normalising: {', '.join(f.normalisations)}", style="magenta"))
            if f.suppressed:
                console.print(Text(f"    豁免：{f.suppressed}", style="dim"))


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
