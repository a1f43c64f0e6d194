"""Findings on their way out: counted, formatted and spooled in the order they are reported.

A large ad hoc check (thousands of files in worker processes) finds tens of thousands of findings.
For the formats written one finding per line (JSON, line, GitHub) each batch is sorted and formatted
where it was found, in the worker, and the parent appends the bytes to a spool as batches arrive:
no process holds every finding, and formatting runs in parallel instead of after the last batch.
The spool exists because the JSON document opens with its summary, known only at the end.
Text and SARIF need the whole set (grouping, one document), so their findings are kept as objects.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, Any, NamedTuple

from mediactl.check import report
from mediactl.check.findings import Finding
from mediactl.check.rules import RANK, SEVERITIES

STREAMED = ("json", "line", "github")
#: Between two findings of the JSON document; every formatted finding starts with it, the first one's is skipped.
JSON_SEPARATOR = ",\n  "
SPOOL_IN_MEMORY = 1 << 20  # bytes; a larger report goes to a temporary file


@dataclass
class Tally:
    """What the summary, the exit code and the error message need, without the findings themselves."""

    by_severity: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SEVERITIES, 0))
    suppressed: int = 0
    failing: int = 0

    @property
    def findings(self) -> int:
        return sum(self.by_severity.values())

    def count(self, findings: Sequence[Finding], fail_on: str) -> None:
        floor = RANK[fail_on]
        for finding in findings:
            if finding.suppressed:
                self.suppressed += 1
            else:
                self.by_severity[finding.severity] += 1
                self.failing += RANK[finding.severity] >= floor

    def merge(self, other: Tally) -> None:
        for severity, number in other.by_severity.items():
            self.by_severity[severity] += number
        self.suppressed += other.suppressed
        self.failing += other.failing

    def summary(self, fail_on: str, extra: dict[str, Any]) -> dict[str, Any]:
        return {
            "findings": self.findings,
            "failing": self.failing,
            "suppressed": self.suppressed,
            "by_severity": dict(self.by_severity),
            "fail_on": fail_on,
            **extra,
        }


class Part(NamedTuple):
    """A sorted batch of findings made ready for the output; what a worker process sends back."""

    tally: Tally
    active: bytes  # streamed formats: the unsuppressed findings, formatted and encoded
    suppressed: bytes  # streamed formats: the allowed ones
    rows: tuple[tuple[Any, ...], ...]  # other formats: the findings as plain tuples (~3x faster to pickle)


class Output:
    """Where the findings of one `mediactl check` go, batch by batch, in report order."""

    def __init__(self, fmt: str = "text", fail_on: str = "error", encoding: str = "utf-8") -> None:
        self.fmt, self.fail_on, self.encoding = fmt, fail_on, encoding
        self.streamed = fmt in STREAMED
        self.tally = Tally()
        self.findings: list[Finding] = []  # only for formats that are not streamed
        self._spools = (_spool(), _spool()) if self.streamed else None
        # The same rule on the same words gives the same message: one copy is kept (on the bench
        # corpus the messages were ~40 % of the findings' memory).
        self._texts: dict[str, str] = {}

    def part(self, findings: Sequence[Finding]) -> Part:
        """Count and format a sorted batch (in a worker process, on the copy of this object made at fork)."""
        tally = Tally()
        tally.count(findings, self.fail_on)
        if not self.streamed:
            return Part(tally, b"", b"", tuple(map(tuple, findings)))
        active, allowed = _formatted(self.fmt, findings)
        return Part(tally, self._encoded(active), self._encoded(allowed), ())

    def _encoded(self, text: str) -> bytes:
        from mediactl.credentials import redact

        return redact(text).encode(self.encoding, "backslashreplace")

    def take(self, part: Part) -> None:
        """Append a batch, in order."""
        self.tally.merge(part.tally)
        if self._spools:
            self._spools[0].write(part.active)
            self._spools[1].write(part.suppressed)
        one = self._texts.setdefault
        self.findings += [Finding._make((*row[:5], one(row[5], row[5]), *row[6:])) for row in part.rows]

    def add(self, findings: Sequence[Finding]) -> None:
        """Append a sorted batch found in this process."""
        self.take(self.part(findings))

    def write(self, out: IO[str], extra: dict[str, Any]) -> None:
        """The streamed formats: the JSON document (summary first) or the lines, active findings first."""
        assert self._spools is not None, f"{self.fmt} is not a streamed format"
        active, allowed = self._spools
        if self.fmt != "json":
            _copy(active, out)
            _copy(allowed, out)
            return
        out.write('{"summary": ' + json.dumps(self.tally.summary(self.fail_on, extra), ensure_ascii=False) + ",\n")
        for key, spool, end in (("findings", active, ",\n"), ("suppressed", allowed, "\n}\n")):
            if spool.tell():
                out.write(f' "{key}": [\n  ')
                _copy(spool, out, skip=len(JSON_SEPARATOR))
                out.write("\n ]" + end)
            else:
                out.write(f' "{key}": []' + end)
        out.flush()

    def close(self) -> None:
        for spool in self._spools or ():
            spool.close()

    def __enter__(self) -> Output:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _formatted(fmt: str, findings: Sequence[Finding]) -> tuple[str, str]:
    """(active, allowed): the batch's text in `fmt`, each finding a line."""
    active = [f for f in findings if not f.suppressed]
    allowed = [f for f in findings if f.suppressed]
    if fmt == "json":
        return _json(active), _json(allowed)
    if fmt == "github":  # annotations of allowed findings would only be noise in a pull request
        return "".join(report.github_format(f) + "\n" for f in active), ""
    marked = "".join(f"{report.line_format(f)} (allowed: {f.suppressed})\n" for f in allowed)
    return "".join(report.line_format(f) + "\n" for f in active), marked


def _json(findings: Sequence[Finding]) -> str:
    return "".join(JSON_SEPARATOR + line for line in report.json_lines(findings))


def _spool() -> IO[bytes]:
    import tempfile  # here: not every check writes a streamed report

    return tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, prefix="mediactl-check-")


def _copy(spool: IO[bytes], out: IO[str], skip: int = 0) -> None:
    """The spooled bytes onto `out` (its binary buffer when it has one: no decoding of a large report)."""
    spool.seek(skip if spool.tell() else 0)
    out.flush()
    target = getattr(out, "buffer", None)
    if target is None:
        out.write(spool.read().decode(getattr(out, "encoding", None) or "utf-8"))
        return
    shutil.copyfileobj(spool, target, 1 << 20)
    target.flush()
