"""A small `multipart/form-data` parser: just what the sandbox's upload endpoints need.

Each part yields its field name, file name, content type and bytes. The body is split on
CRLF + ``--boundary`` (RFC 7578 / RFC 2046), so a boundary-like string inside a file does
not split it unless it starts a line, which a conforming client never sends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

_PARAM = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None
    content_type: str | None
    data: bytes


def header_params(value: str) -> tuple[str, dict[str, str]]:
    """``form-data; name="media"; filename="a.png"`` → ``("form-data", {"name": "media", ...})``.

    ValueError when a parameter cannot be read (an unknown charset in ``filename*``).
    """
    main, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for match in _PARAM.finditer(";" + rest):
        key, raw = match.group(1).lower(), match.group(2).strip()
        if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        params[key] = raw
    if "filename*" in params:  # RFC 5987: charset'lang'percent-encoded
        charset, _, encoded = params["filename*"].partition("'")
        _, _, encoded = encoded.partition("'")
        try:
            params["filename"] = unquote(encoded, encoding=charset or "utf-8", errors="replace")
        except LookupError:  # no such charset, or a codec that is not a text encoding (rot13)
            raise ValueError(f"unknown charset {charset!r} in filename*") from None
    return main.strip().lower(), params


def parse_multipart(body: bytes, content_type: str) -> list[Part]:
    """The parts of a ``multipart/form-data`` body; ValueError when it is malformed."""
    kind, params = header_params(content_type)
    boundary = params.get("boundary", "")
    if kind != "multipart/form-data" or not 1 <= len(boundary) <= 70:
        raise ValueError("not multipart/form-data with a boundary")
    pieces = (b"\r\n" + body).split(b"\r\n--" + boundary.encode("latin-1"))
    if len(pieces) < 2 or not pieces[-1].startswith(b"--"):
        raise ValueError("multipart body has no closing boundary")
    parts = []
    for piece in pieces[1:-1]:
        head_start = piece.find(b"\r\n")
        if head_start < 0 or piece[:head_start].strip(b" \t"):
            raise ValueError("malformed boundary line")
        head, sep, data = piece[head_start + 2 :].partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("part headers not terminated by a blank line")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            if line:
                name, colon, value = line.partition(":")
                if not colon:
                    raise ValueError(f"malformed part header {line!r}")
                headers[name.strip().lower()] = value.strip()
        disposition, dparams = header_params(headers.get("content-disposition", ""))
        if disposition != "form-data" or "name" not in dparams:
            raise ValueError("part without Content-Disposition: form-data; name=...")
        parts.append(Part(dparams["name"], dparams.get("filename"), headers.get("content-type"), data))
    return parts
