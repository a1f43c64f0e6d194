"""What a video file is, found before any work starts: duration, size, rotation, frame rate, codecs, audio.

imageio-ffmpeg ships no ffprobe, so the facts come from the stream listing `ffmpeg -i FILE` prints;
a listing can look fine for a file cut short (a faststart MP4 keeps its index at the front), so
a cheap decode of the first and the last second follows, and any error it prints rejects the file.
Every rejection is one `VideoSourceError` naming the file and what is wrong with it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mediactl.core.errors import MediactlError
from mediactl.video.ffmpeg import inspect, reason

# Codecs the bundled ffmpeg decodes and platforms' sources come in; anything else is refused up front.
DECODABLE = frozenset(
    [
        "h264",
        "hevc",
        "vp8",
        "vp9",
        "av1",
        "mpeg4",
        "mpeg2video",
        "mpeg1video",
        "mjpeg",
        "prores",
        "dnxhd",
        "flv1",
        "h263",
        "theora",
    ]
)

_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_STREAM = re.compile(r"Stream #\d+:\d+\S*: (Video|Audio): (\w+)(.*)")
_SIZE = re.compile(r"(?<![0-9x])(\d{2,5})x(\d{2,5})(?![0-9x])")
_FPS = re.compile(r"([\d.]+) (?:fps|tbr)")
_ROTATION = re.compile(r"rotation of (-?[\d.]+) degrees|^\s*rotate\s*:\s*(-?\d+)", re.MULTILINE)


class VideoSourceError(MediactlError):
    """A video file that cannot be used: the message names the file and what is wrong with it."""


@dataclass(frozen=True)
class Probe:
    duration: float
    width: int  # as displayed: rotation applied
    height: int
    rotation: int
    fps: float
    video_codec: str
    audio: bool
    audio_codec: str | None

    def facts(self) -> dict[str, Any]:
        return asdict(self)


def probe(path: Path, display: str) -> Probe:
    """Probe `path` (named `display` in messages) and decode-check it; raise VideoSourceError if unusable."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise VideoSourceError(f"{display}: cannot read the video file ({exc.strerror or exc})") from None
    if size == 0:
        raise VideoSourceError(f"{display}: the video file is empty (0 bytes)")
    _, listing = inspect(["-i", str(path)])
    found = parse_listing(listing, display)
    _decode_check(path, display, found.duration)
    return found


def parse_listing(listing: str, display: str) -> Probe:
    """The facts in `ffmpeg -i` output, or the reason it gives none."""
    if "moov atom not found" in listing:
        raise VideoSourceError(
            f"{display}: truncated, unfinished or not a video (no MP4 index: the moov atom is missing)"
        )
    if "Invalid data found when processing input" in listing and "Stream #" not in listing:
        raise VideoSourceError(
            f"{display}: not a video file ffmpeg can read (invalid data: corrupt, or another format)"
        )
    video = next(
        (m for m in _STREAM.finditer(listing) if m.group(1) == "Video" and "attached pic" not in m.group(3)), None
    )
    audio = next((m for m in _STREAM.finditer(listing) if m.group(1) == "Audio"), None)
    if video is None:
        if audio is not None:
            raise VideoSourceError(f"{display}: the file has sound but no picture (audio only: {audio.group(2)})")
        raise VideoSourceError(f"{display}: no video stream found ({reason(listing)})")
    codec = video.group(2)
    if codec not in DECODABLE:
        raise VideoSourceError(f"{display}: the video codec '{codec}' is not supported "
                               f"(supported: {', '.join(sorted(DECODABLE))})")  # fmt: skip
    duration = _duration(listing)
    if not duration:
        raise VideoSourceError(f"{display}: the file states no duration (a stream, or an unfinished recording)")
    size = _SIZE.search(video.group(3))
    if not size:
        raise VideoSourceError(f"{display}: the video stream states no picture size")
    width, height = int(size.group(1)), int(size.group(2))
    rotation = _rotation(listing)
    if rotation in (90, 270):
        width, height = height, width
    fps = _FPS.search(video.group(3))
    return Probe(duration, width, height, rotation, float(fps.group(1)) if fps else 0.0, codec,
                 audio is not None, audio.group(2) if audio else None)  # fmt: skip


def _duration(listing: str) -> float:
    match = _DURATION.search(listing)
    if not match:
        return 0.0
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _rotation(listing: str) -> int:
    match = _ROTATION.search(listing)
    if not match:
        return 0
    degrees = float(match.group(1) or match.group(2))
    return round(-degrees if match.group(1) else degrees) % 360  # display matrices turn the other way


def _decode_check(path: Path, display: str, duration: float) -> None:
    """Decode the first and the last second: a cut or damaged file prints errors even when its listing looks whole."""
    for where in (["-t", "1"], ["-ss", f"{max(0.0, duration - 1.0):.3f}"]):
        seek, rest = (where, []) if where[0] == "-ss" else ([], where)
        _, errors = inspect(["-v", "error", *seek, "-i", str(path), *rest, "-f", "null", "-"])
        if "partial file" in errors:
            raise VideoSourceError(f"{display}: the file is truncated (its data ends before its index says)")
        if errors.strip():
            raise VideoSourceError(f"{display}: the video does not decode cleanly (corrupt): {reason(errors)}")
