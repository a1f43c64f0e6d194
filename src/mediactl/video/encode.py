"""One encode per distinct recipe, written whole or not at all, and checked after.

The recipe is everything the output's bytes depend on: the source's sha256, the template as parsed,
the overlay pictures and their places, the intro/outro files, the target size and limits, and the
ffmpeg build. Its hash names the result in the cache (`.mediactl/cache/video/<recipe>.mp4`, or
`MEDIACTL_VIDEO_CACHE`: content-addressed, so several projects may share one), so channels with
the same recipe, and later renders, reuse one encode. ffmpeg writes to a temporary file beside it
that is renamed in only after the output is probed and checked (codecs, size, duration, the MP4
index before the media data: faststart); Ctrl-C kills ffmpeg and removes that file. A template with
`engine: moviepy` is made by `compose` instead of one ffmpeg graph, with the same recipe (the engine
is part of it), checks and rename.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mediactl.core import fsutil
from mediactl.core.errors import MediactlError
from mediactl.video import compose, ffmpeg, graph
from mediactl.video.ffmpeg import Progress
from mediactl.video.graph import Staged, Target
from mediactl.video.probe import Probe, probe
from mediactl.video.template import VideoTemplate

RECIPE_VERSION = 1  # bump when graph.py changes what a recipe produces
CACHE_ENV = "MEDIACTL_VIDEO_CACHE"


class EncodeError(MediactlError):
    """An encode failed or its output does not meet the target; names the source and what is wrong."""


@dataclass(frozen=True)
class Encoded:
    path: Path  # in the cache; copy it, never edit it
    recipe: str
    probe: Probe
    bytes: int
    sha256: str


def cache_folder(state_path: Path) -> Path:
    override = os.environ.get(CACHE_ENV)
    return Path(override) if override else state_path / "cache" / "video"


def recipe(source_sha256: str, template: VideoTemplate, target: Target, staged: Staged, seconds: float) -> str:
    """The hash that names an encode: equal recipes give equal bytes, so they are encoded once.

    The target enters by its size and the length it allows (`seconds` of the source), not by its
    limits: Douyin's 15 minutes and Kuaishou's none give the same bytes for a 4-second clip."""
    parts: dict[str, Any] = {
        "version": RECIPE_VERSION,
        "ffmpeg": ffmpeg.ffmpeg_version(),
        "engine": _engine(template),
        "source": source_sha256,
        "template": {k: v for k, v in template.source.items() if k not in ("name", "description", "cover")},
        "size": [target.width, target.height],
        "seconds": round(seconds, 3),
        "overlays": [
            {**{k: v for k, v in asdict(o).items() if k not in ("png", "what")}, "png": _digest(o.png)}
            for o, _ in staged.overlays
        ],
        "intro": _file_digest(staged.intro),
        "outro": _file_digest(staged.outro),
    }
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def encode(source: Path, display: str, source_probe: Probe, source_sha256: str, template: VideoTemplate,
           target: Target, staged: Staged, cache: Path, progress: Progress | None = None) -> Encoded:  # fmt: skip
    """The encoded variant for this recipe: from the cache, or made now (atomically) and checked."""
    _check_long_enough(display, source_probe, template)
    name = recipe(source_sha256, template, target, staged, graph.main_seconds(source_probe, template, target))
    final = cache / f"{name}.mp4"
    known = _cached(final, name)
    if known:
        if progress:
            progress(1.0)
        return known
    if template.engine == "moviepy":
        compose.require(template)  # before any work: a missing extra is one error naming the template
    cache.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{name[:16]}.", suffix=".tmp.mp4", dir=cache)
    os.close(handle)
    temp = Path(temp_name)
    try:
        clips = {b.clip: probe(b.clip, str(b.clip)).duration for b in (template.intro, template.outro) if b and b.clip}
        seconds = graph.total_seconds(source_probe, template, target, clips)
        if template.engine == "moviepy":
            compose.render(source, display, source_probe, template, target, staged, temp, clips, progress)
        else:
            args = graph.command(source, source_probe, template, target, staged, temp, clips)
            ffmpeg.run(args, what=f"{display}: encoding for {target.width}×{target.height}", duration=seconds,
                       progress=progress)  # fmt: skip
        result = _describe(temp, name, display)
        check_output(temp, display, result.probe, target, seconds)
        os.replace(temp, final)
        _remember(final, result)
    finally:
        temp.unlink(missing_ok=True)
    return Encoded(final, name, result.probe, result.bytes, result.sha256)


def _engine(template: VideoTemplate) -> str:
    """The engine that makes the bytes, with moviepy's version: the two engines' outputs look alike, never equal."""
    if template.engine != "moviepy":
        return template.engine
    from importlib.metadata import PackageNotFoundError, version  # lazy: only a moviepy recipe reads a version

    try:
        return f"moviepy {version('moviepy')}"
    except PackageNotFoundError:  # not installed: encode() says so before anything is made
        return "moviepy"


def _cached(final: Path, name: str) -> Encoded | None:
    """A finished encode from the cache, by the facts noted beside it when it was made (no probe, no hashing);
    None when either file is missing or the video's size no longer matches the note."""
    try:
        noted = json.loads(final.with_suffix(".json").read_text("utf-8"))
        if final.stat().st_size != noted["bytes"]:
            return None
        return Encoded(final, name, Probe(**noted["probe"]), int(noted["bytes"]), str(noted["sha256"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _remember(final: Path, result: Encoded) -> None:
    note = {"bytes": result.bytes, "sha256": result.sha256, "probe": result.probe.facts()}
    fsutil.write_text(final.with_suffix(".json"), json.dumps(note, sort_keys=True, ensure_ascii=False))


def _check_long_enough(display: str, source_probe: Probe, template: VideoTemplate) -> None:
    """A source must at least fill its intro's time: a 1-second clip behind a 1.5-second card is a mistake."""
    intro = template.intro
    if intro and source_probe.duration < intro.seconds:
        raise EncodeError(f"{display}: the source is {source_probe.duration:g} s long, shorter than the "
                          f"{intro.seconds:g} s intro of the video template {template.file}")  # fmt: skip


def _describe(path: Path, name: str, display: str) -> Encoded:
    try:
        facts = probe(path, f"the encode of {display}")
    except MediactlError as exc:
        raise EncodeError(exc.message) from None
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return Encoded(path, name, facts, path.stat().st_size, digest.hexdigest())


def check_output(path: Path, display: str, facts: Probe, target: Target, seconds: float) -> None:
    """What every variant must be: H.264 + AAC at the target size, the expected length, faststart, within max bytes."""
    problems = []
    if (facts.video_codec, facts.audio_codec) != ("h264", "aac"):
        problems.append(f"codecs are {facts.video_codec}/{facts.audio_codec}, not h264/aac")
    if (facts.width, facts.height) != (target.width, target.height):
        problems.append(f"size is {facts.width}×{facts.height}, not {target.width}×{target.height}")
    if abs(facts.duration - seconds) > 0.25:
        problems.append(f"duration is {facts.duration:g} s, not {seconds:g} s")
    if not faststart(path):
        problems.append("the MP4 index (moov) is not before the media data (no faststart)")
    size = path.stat().st_size
    if target.max_bytes and size > target.max_bytes:
        problems.append(f"{size} bytes is over the platform's {target.max_bytes} (lower encode.crf or set "
                        "encode.maxrate in the video template)")  # fmt: skip
    if problems:
        raise EncodeError(f"{display}: the encoded video is not usable: {'; '.join(problems)}")


def faststart(path: Path) -> bool:
    """Whether the MP4's `moov` box comes before its `mdat` box (a player can start before the download ends)."""
    with open(path, "rb") as handle:
        offset, end = 0, path.stat().st_size
        while offset + 8 <= end:
            handle.seek(offset)
            size, kind = struct.unpack(">I4s", handle.read(8))
            if size == 1:
                size = struct.unpack(">Q", handle.read(8))[0]
            elif size == 0:
                size = end - offset
            if kind in (b"moov", b"mdat"):
                return kind == b"moov"
            if size < 8:
                return False
            offset += size
    return False


def frame_png(path: Path, at: float, what: str) -> bytes:
    """The frame shown at `at` seconds (clamped into the video), as PNG bytes: the cover's picture."""
    return ffmpeg.capture(["-ss", f"{max(0.0, at):.3f}", "-i", str(path), "-frames:v", "1", "-f", "image2pipe",
                           "-c:v", "png", "pipe:1"], what)  # fmt: skip


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_digest(path: Path | None) -> str | None:
    return _digest(path.read_bytes()) if path else None
