"""A video template as one ffmpeg command: fit, trim, bookends, overlays, loudness, H.264 + AAC, faststart.

Everything happens in a single filter graph, so a variant is one decode and one encode, streamed
(memory stays flat with length). The main section is fitted to the target (crop around the focus,
or pad with a blurred copy of itself or a colour), overlaid with the text half's pictures (each
`Overlay` its own looped PNG input, shown with `enable='between(t,a,b)'` on the main section's
clock), then joined to the intro and outro (cards are stills with silent audio), loudness-normalised
and encoded. A source without sound gets a silent track: platforms expect one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mediactl.video.overlay import Overlay
from mediactl.video.probe import Probe
from mediactl.video.template import Bookend, Fit, VideoTemplate

SAMPLE_RATE = 48000


@dataclass(frozen=True)
class Target:
    """The output frame and limits, from the template and the platform facts."""

    width: int
    height: int
    max_seconds: float | None = None
    max_bytes: int | None = None


@dataclass(frozen=True)
class Staged:
    """What the command reads besides the source: overlay PNGs and card stills, already on disk."""

    overlays: tuple[tuple[Overlay, Path], ...] = ()
    intro: Path | None = None  # a card PNG or a clip
    outro: Path | None = None


def main_seconds(probe: Probe, template: VideoTemplate, target: Target) -> float:
    """How much of the source is used: all of it, up to the template's and the platform's maximum."""
    limits = [s for s in (template.max_seconds, target.max_seconds) if s]
    bookends = sum(b.seconds for b in (template.intro, template.outro) if b and b.card)
    return min([probe.duration, *[limit - bookends for limit in limits]])


def total_seconds(probe: Probe, template: VideoTemplate, target: Target, clips: dict[Path, float]) -> float:
    """The output's duration: bookends (cards for their seconds, clips as long as they are) plus the main part."""
    return main_seconds(probe, template, target) + sum(
        _bookend_seconds(b, clips) for b in (template.intro, template.outro) if b
    )


def _bookend_seconds(bookend: Bookend, clips: dict[Path, float]) -> float:
    return clips[bookend.clip] if bookend.clip else bookend.seconds


def command(source: Path, probe: Probe, template: VideoTemplate, target: Target, staged: Staged, output: Path,
            clips: dict[Path, float] | None = None) -> list[str]:  # fmt: skip
    """The ffmpeg arguments (after the binary) that render `source` through `template` into `output`."""
    clips = clips or {}
    fps = template.encode.fps
    seconds = main_seconds(probe, template, target)
    inputs: list[str] = ["-t", f"{seconds:.3f}", "-i", str(source)]
    filters: list[str] = []
    count = 1

    def add_input(*args: str) -> int:
        nonlocal count
        inputs.extend(args)
        count += 1
        return count - 1

    filters.extend(_fit("0:v", "main0", template.fit, target, fps))
    current = "main0"
    for n, (overlay, picture) in enumerate(staged.overlays):
        index = add_input("-loop", "1", "-framerate", str(fps), "-t", f"{seconds:.3f}", "-i", str(picture))
        current = _overlay(filters, index, current, overlay, n)
    if probe.audio:
        filters.append(f"[0:a]aresample={SAMPLE_RATE},aformat=channel_layouts=stereo,apad,atrim=0:{seconds:.3f}[maina]")
    else:
        filters.append(_silence("maina", seconds))
    sections = [(current, "maina")]
    for which, bookend, card in (("intro", template.intro, staged.intro), ("outro", template.outro, staged.outro)):
        if bookend is None:
            continue
        path: Path | None = bookend.clip or card  # a card's picture is drawn by the text half and staged
        if path is None:
            continue
        if bookend.card:
            index = add_input("-loop", "1", "-framerate", str(fps), "-t", f"{bookend.seconds:.3f}", "-i", str(path))
            filters.append(
                f"[{index}:v]scale={target.width}:{target.height},setsar=1,fps={fps},format=yuv420p[{which}v]"
            )
            filters.append(_silence(f"{which}a", bookend.seconds))
        else:
            index = add_input("-i", str(path))
            filters.extend(_fit(f"{index}:v", f"{which}v", template.fit, target, fps))
            length = _bookend_seconds(bookend, clips)
            filters.append(f"[{index}:a]aresample={SAMPLE_RATE},aformat=channel_layouts=stereo,apad,"
                           f"atrim=0:{length:.3f}[{which}a]")  # fmt: skip
        pair = (f"{which}v", f"{which}a")
        sections.insert(0, pair) if which == "intro" else sections.append(pair)
    joined = "".join(f"[{v}][{a}]" for v, a in sections)
    filters.append(f"{joined}concat=n={len(sections)}:v=1:a=1[vout][ajoined]")
    audible = probe.audio or any(b and b.clip for b in (template.intro, template.outro))  # clips bring their sound
    filters.append(_loudness("ajoined", "aout", template.loudness if audible else None))  # loudnorm: silence → NaN
    return [*inputs, "-filter_complex", ";".join(filters), "-map", "[vout]", "-map", "[aout]",
            *_encoder(template, target), "-y", str(output)]  # fmt: skip


def _fit(stream: str, label: str, fit: Fit, target: Target, fps: int) -> list[str]:
    """Scale one video stream to the target: crop around the focus, or pad with a colour or a blurred copy."""
    w, h = target.width, target.height
    tail = f"setsar=1,fps={fps},format=yuv420p[{label}]"
    if fit.mode == "crop":
        fx, fy = fit.focus
        return [f"[{stream}]scale={w}:{h}:force_original_aspect_ratio=increase,"
                f"crop={w}:{h}:(iw-{w})*{fx:g}:(ih-{h})*{fy:g},{tail}"]  # fmt: skip
    inner = f"scale={w}:{h}:force_original_aspect_ratio=decrease:force_divisible_by=2"
    if fit.pad != "blur":
        return [f"[{stream}]{inner},pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:color=0x{fit.pad[1:]},{tail}"]
    blur = max(2, min(w, h) // 40)  # strong enough to read as background at any size
    return [
        f"[{stream}]split[{label}bgin][{label}fgin]",
        f"[{label}bgin]scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},boxblur={blur}:2[{label}bg]",
        f"[{label}fgin]{inner}[{label}fg]",
        f"[{label}bg][{label}fg]overlay=(W-w)/2:(H-h)/2,{tail}",
    ]


def _overlay(filters: list[str], index: int, current: str, overlay: Overlay, n: int) -> str:
    """Lay one overlay picture over `current` for its time range; returns the new stream label."""
    picture = f"[{index}:v]format=rgba"
    if overlay.opacity < 1.0:
        picture += f",colorchannelmixer=aa={overlay.opacity:g}"
    filters.append(f"{picture}[ov{n}]")
    end = f"{overlay.end:.3f}" if overlay.end is not None else "1e9"
    out = f"over{n}"
    filters.append(f"[{current}][ov{n}]overlay={overlay.x}:{overlay.y}:eof_action=pass:"
                   f"enable='between(t,{overlay.start:.3f},{end})'[{out}]")  # fmt: skip
    return out


def _silence(label: str, seconds: float) -> str:
    return f"anullsrc=r={SAMPLE_RATE}:cl=stereo,atrim=0:{seconds:.3f}[{label}]"


def _loudness(source: str, label: str, loudness: dict[str, float] | None) -> str:
    if not loudness:
        return f"[{source}]anull[{label}]"
    return (f"[{source}]loudnorm=I={loudness['i']:g}:TP={loudness['tp']:g}:LRA={loudness['lra']:g},"
            f"aresample={SAMPLE_RATE}[{label}]")  # fmt: skip


def _encoder(template: VideoTemplate, target: Target) -> list[str]:
    """H.264 (yuv420p, which every phone plays) + AAC, index first (faststart), no metadata of the source."""
    encode = template.encode
    args = ["-c:v", "libx264", "-preset", encode.preset, "-crf", str(encode.crf), "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", encode.audio_bitrate, "-ar", str(SAMPLE_RATE), "-ac", "2",
            "-movflags", "+faststart", "-map_metadata", "-1", "-map_chapters", "-1",
            "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact"]  # fmt: skip
    if encode.maxrate:
        args += ["-maxrate", encode.maxrate, "-bufsize", _double(encode.maxrate)]
    return args


def _double(rate: str) -> str:
    """A VBV buffer of two seconds at `rate` (6M → 12M)."""
    unit = rate[-1] if rate[-1] in "kM" else ""
    return f"{float(rate.rstrip('kM')) * 2:g}{unit}"
