"""Uploaded files as platforms see them: the format from the first bytes, whatever the name says."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

HELD_MAX_BYTES = (
    256 * 1024 * 1024
)  # unfinished part uploads the sandbox keeps in memory, all platforms' sessions of one kind


def sniff(data: bytes) -> str | None:
    """The file format from its first bytes (the formats the emulated platforms' uploads accept)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data.startswith(b"BM") and len(data) > 14:
        return "bmp"
    if data[4:8] == b"ftyp":
        return "mp4"
    if data.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: WebM (and Matroska)
        return "webm"
    if data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "mp3"
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data.startswith(b"#!AMR"):
        return "amr"
    if data.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return "wma"
    return None


def _boxes(data: bytes, start: int = 0, end: int | None = None) -> list[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the ISO-BMFF boxes in data[start:end]; stops at a malformed box."""
    end = len(data) if end is None else end
    found = []
    while start + 8 <= end:
        size, kind = int.from_bytes(data[start : start + 4], "big"), data[start + 4 : start + 8]
        header = 8
        if size == 1 and start + 16 <= end:
            size, header = int.from_bytes(data[start + 8 : start + 16], "big"), 16
        elif size == 0:
            size = end - start
        if size < header or start + size > end:
            break
        found.append((kind, start + header, start + size))
        start += size
    return found


def mp4_info(data: bytes) -> tuple[float | None, int | None, int | None]:
    """(duration in seconds, width, height) of an MP4 from its `moov/mvhd` and the first video `trak/tkhd`; None where unreadable.

    Platforms refuse videos by duration (Douyin: over 15 minutes) and report their size, so the
    sandbox reads both from the file, as the platform's transcoder would.
    """
    seconds = width = height = None
    for kind, start, end in _boxes(data):
        if kind != b"moov":
            continue
        for child, c_start, c_end in _boxes(data, start, end):
            if child == b"mvhd" and c_end - c_start >= 20:
                version = data[c_start]
                at = c_start + (20 if version == 1 else 12)
                timescale = int.from_bytes(data[at : at + 4], "big")
                length = int.from_bytes(data[at + 4 : at + (12 if version == 1 else 8)], "big")
                seconds = length / timescale if timescale else None
            elif child == b"trak" and width is None:
                for inner, i_start, i_end in _boxes(data, c_start, c_end):
                    if inner == b"tkhd" and i_end - i_start >= 8:
                        w, h = (
                            int.from_bytes(data[i_end - 8 : i_end - 4], "big"),
                            int.from_bytes(data[i_end - 4 : i_end], "big"),
                        )
                        if w and h:
                            width, height = w >> 16, h >> 16
    return seconds, width, height


def held(uploads: Iterable[Any], attribute: str) -> int:
    """Bytes held in the unfinished part uploads (`attribute`: their dict of part number → bytes), to bound memory."""
    return sum(len(chunk) for upload in uploads for chunk in getattr(upload, attribute).values())
