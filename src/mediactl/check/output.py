"""Findings on their way out: counted, formatted and spooled in the order they are reported.

A large ad hoc check (thousands of files in worker processes) finds tens of thousands of findings.
For the formats written one finding per line (JSON, line, GitHub) each batch is sorted and formatted
where it was found, in the worker, and the parent appends the bytes to a spool as batches arrive:
no process holds every finding, and formatting runs in parallel instead of after the last batch.
The spool exists because the JSON document opens with its summary, known only at the end.
Text and SARIF need the whole set (grouping, one document), so their findings are kept as objects.
"""

from __future__ import annotations

import codecs
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, NamedTuple

from mediactl.check import report
from mediactl.check.findings import Finding
from mediactl.check.rules import RANK, SEVERITIES
from mediactl.core.redaction import redact_known, redact_known_encoded  # findings quote the user's files

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


JSON_ESCAPE = "mediactl.json-escape"


def _json_escape(error: UnicodeError) -> tuple[str, int]:
    """A codec error handler: what the stream's encoding cannot hold, as JSON \\u escapes (still valid JSON)."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    escaped = []
    for char in error.object[error.start : error.end]:
        point = ord(char)
        if point > 0xFFFF:  # a UTF-16 surrogate pair, as JSON writes characters beyond the BMP
            point -= 0x10000
            escaped.append(f"\\u{0xD800 + (point >> 10):04x}\\u{0xDC00 + (point & 0x3FF):04x}")
        else:
            escaped.append(f"\\u{point:04x}")
    return "".join(escaped), error.end


codecs.register_error(JSON_ESCAPE, _json_escape)


def _or_backslash(policy: str) -> str:
    """A codec error handler name: the stream's own policy, and a backslash escape where that fails
    (strict; surrogateescape meeting a character that is not an escaped byte, as 保 on an ASCII stdout)."""
    if policy in ("backslashreplace", "replace", "ignore", "xmlcharrefreplace", "namereplace"):
        return policy
    name = f"mediactl.{policy}-or-backslash"
    try:
        codecs.lookup_error(name)
    except LookupError:
        own = codecs.lookup_error(policy)

        def handler(error: UnicodeError) -> tuple[str | bytes, int]:
            try:
                return own(error)
            except UnicodeError:
                return codecs.backslashreplace_errors(error)

        codecs.register_error(name, handler)
    return name


class Target(NamedTuple):
    """How formatted findings reach the stream (stdout) the way its own text layer would write them.

    Fast path (`binary`): a stream with a binary buffer, an encoding without a byte-order mark and no
    newline translation (POSIX): workers encode their batches as the text layer would, and the parent
    copies the bytes (8 % of a plain-text bench file's instructions, 2026-12-06). Otherwise (CRLF on Windows, utf-8-sig or utf-16, a StringIO) batches travel as
    lossless UTF-8 and the parent writes them as text: the text layer translates newlines and writes
    the byte-order mark once. Either way, what the encoding cannot hold (🔥 on a GBK console) becomes
    a JSON escape in JSON, and follows the stream's error policy elsewhere, with a backslash escape
    where that policy would fail.
    """

    encoding: str = "utf-8"
    errors: str = "backslashreplace"
    binary: bool = False

    @classmethod
    def of(cls, stream: IO[str] | None, fmt: str) -> Target:
        encoding = getattr(stream, "encoding", None) or "utf-8"
        errors = JSON_ESCAPE if fmt == "json" else _or_backslash(getattr(stream, "errors", None) or "strict")
        binary = getattr(stream, "buffer", None) is not None and os.linesep == "\n" and not "".encode(encoding)
        return cls(encoding, errors, binary)

    def encode(self, text: str) -> bytes:
        """A batch's text as it travels from a worker."""
        return text.encode(*self.codec)

    @property
    def codec(self) -> tuple[str, str]:
        """(encoding, errors) of a batch's text as it travels from a worker."""
        return (self.encoding, self.errors) if self.binary else ("utf-8", "surrogatepass")

    def stateless(self) -> bool:
        """Whether the travelling encoding is UTF-8, so a text encoded piece by piece is the text encoded whole:
        both error handlers used (JSON escapes, surrogatepass) encode a character at a time."""
        return codecs.lookup(self.codec[0]).name == "utf-8"

    def texts(self, spool: IO[bytes]) -> Iterator[str]:
        """The spooled batches as text the stream can write (the slow path), a megabyte at a time."""
        decoder = codecs.getincrementaldecoder("utf-8")("surrogatepass")
        while True:
            data = spool.read(1 << 20)
            text = decoder.decode(data, final=not data)
            # What the stream's encoding cannot hold, escaped now (its own policy would raise).
            yield text.encode(self.encoding, self.errors).decode(self.encoding, "surrogateescape")
            if not data:
                return


class Output:
    """Where the findings of one `mediactl check` go, batch by batch, in report order.

    `stream` is where the report will be written (stdout): streamed formats are encoded for it.
    """

    def __init__(self, fmt: str = "text", fail_on: str = "error", stream: IO[str] | None = None) -> None:
        self.fmt, self.fail_on = fmt, fail_on
        self.target = Target.of(stream, fmt)
        self.streamed = fmt in STREAMED
        self.tally = Tally()
        self.findings: list[Finding] = []  # only for formats that are not streamed
        self._spools = (_spool(), _spool()) if self.streamed else None
        # The same rule on the same words gives the same message: one copy is kept (on the bench
        # corpus the messages were ~40 % of the findings' memory).
        self._texts: dict[str, str] = {}

    def __getstate__(self) -> dict[str, Any]:
        """What a spawned worker needs to format its batches (`part`): no spools, no findings collected."""
        return {**self.__dict__, "_spools": None, "findings": [], "_texts": {}, "tally": Tally()}

    def part(self, findings: Sequence[Finding]) -> Part:
        """Count and format a sorted batch (in a worker process, on the copy of this object made at fork)."""
        tally = Tally()
        tally.count(findings, self.fail_on)
        if not self.streamed:
            return Part(tally, b"", b"", tuple(map(tuple, findings)))
        if self.fmt == "json" and self.target.stateless():  # JSON made as bytes: no encoding of whole lines
            made = [redact_known_encoded(text) for text in _json_encoded(findings, *self.target.codec)]
            if made[0] is not None and made[1] is not None:
                return Part(tally, made[0], made[1], ())
        active, allowed = _formatted(self.fmt, findings)
        return Part(tally, self._encoded(active), self._encoded(allowed), ())

    def _encoded(self, text: str) -> bytes:
        return self.target.encode(redact_known(text))

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
            self._copy(active, out)
            self._copy(allowed, out)
            return
        data = self.tally.summary(self.fail_on, extra)
        summary = json.dumps(data, ensure_ascii=False)
        try:
            summary.encode(self.target.encoding)
        except UnicodeEncodeError:  # \u escapes instead: any encoding holds ASCII
            summary = json.dumps(data)  # ascii: the stream cannot hold the text as it is
        out.write('{"summary": ' + summary + ",\n")
        for key, spool, end in (("findings", active, ",\n"), ("suppressed", allowed, "\n}\n")):
            if spool.tell():
                out.write(f' "{key}": [\n  ')
                self._copy(spool, out, skip=len(self.target.encode(JSON_SEPARATOR)))
                out.write("\n ]" + end)
            else:
                out.write(f' "{key}": []' + end)
        out.flush()

    def _copy(self, spool: IO[bytes], out: IO[str], skip: int = 0) -> None:
        """The spooled bytes onto `out`: into its binary buffer (no decoding of a large report) when the
        bytes were encoded for it, else decoded and written as text."""
        spool.seek(skip if spool.tell() else 0)
        if not self.target.binary:
            for text in self.target.texts(spool):
                out.write(text)
            return
        out.flush()
        buffer = out.buffer  # type: ignore[attr-defined]
        shutil.copyfileobj(spool, buffer, 1 << 20)
        buffer.flush()

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
        return _lines(map(report.github_format, active)), ""
    marked = _lines(f"{report.line_format(f)} (allowed: {f.suppressed})" for f in allowed)
    return _lines(map(report.line_format, active)), marked


def _lines(texts: Iterable[str]) -> str:
    """Each text on a line of its own."""
    lines = list(texts)
    return "\n".join(lines) + "\n" if lines else ""


def _json(findings: Sequence[Finding]) -> str:
    """Each finding preceded by the separator (the writer skips the very first one)."""
    lines = report.json_lines(findings)
    return JSON_SEPARATOR + JSON_SEPARATOR.join(lines) if lines else ""


def _json_encoded(findings: Sequence[Finding], encoding: str, errors: str) -> tuple[bytes, bytes]:
    """`_json` of the active and the allowed findings, encoded: (active, allowed)."""
    separator = JSON_SEPARATOR.encode(encoding)
    active = report.json_lines_encoded([f for f in findings if not f.suppressed], encoding, errors)
    allowed = report.json_lines_encoded([f for f in findings if f.suppressed], encoding, errors)
    return tuple(separator + separator.join(lines) if lines else b"" for lines in (active, allowed))  # type: ignore[return-value]


def _spool() -> IO[bytes]:
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, prefix="mediactl-check-")
