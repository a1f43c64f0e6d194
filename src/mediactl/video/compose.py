"""A video template through moviepy 2.x's own clips: for compositions that need per-frame Python.

The ffmpeg engine (`graph`) expresses a template as one filter graph; this one builds the same frame
out of moviepy objects: the source as a `VideoFileClip` (trimmed with `subclipped`), fitted by
`resized`/`cropped` or laid centred over a colour or over a blurred copy of itself (the blur is a
per-frame Python function, `image_transform`), the text half's `Overlay` PNGs as `ImageClip`s with
their start, duration, position and opacity in a `CompositeVideoClip`, intro/outro cards
(`ImageClip`) and clips joined by `concatenate_videoclips`, and the sound as moviepy audio clips
(a silent `AudioClip` under it, so a source without sound still gets a track, as platforms expect).

moviepy has no loudness normalisation (its `AudioNormalize` is a peak gain, not EBU R128), so the
template's `loudness` is ffmpeg's `loudnorm` passed as `ffmpeg_params` to moviepy's own audio writer
(`write_audiofile`), which encodes the AAC track that `write_videofile` then muxes as it is: one
pass, no second ffmpeg run over the result. moviepy is an optional extra (`mediactl[moviepy]`:
moviepy 2.2.1 pins pillow<12), imported only here and only when a template asks for it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediactl.core.errors import MediactlError
from mediactl.video.graph import SAMPLE_RATE, Staged, Target, main_seconds
from mediactl.video.graph import _double as vbv_buffer  # the same VBV rule as the ffmpeg engine
from mediactl.video.overlay import Overlay
from mediactl.video.probe import Probe
from mediactl.video.template import Bookend, Fit, TemplateError, VideoTemplate

if TYPE_CHECKING:  # annotations only: moviepy is optional
    from mediactl.video.ffmpeg import Progress

INSTALL = "pip install 'mediactl[moviepy]'"
BLUR_RADIUS = 4  # the pad's blur is computed at the size where its radius is this many pixels (see _blurred_cover)


class ComposeError(MediactlError):
    """moviepy failed to read a file or to write the variant; names the source and moviepy's reason."""


def require(template: VideoTemplate) -> Any:
    """The moviepy module, or one clear error naming the template that asked for it and how to install it."""
    try:
        import moviepy  # lazy: an optional extra, and ~0.5 s of imports (numpy, imageio) no other render pays
    except ImportError:
        raise TemplateError(
            f"{template.file}: engine: moviepy needs the moviepy package, which is not installed. Install the extra "
            f"with `{INSTALL}` (an extra because moviepy 2.2.1 pins Pillow below 12), or set `engine: ffmpeg`."
        ) from None
    return moviepy


def render(source: Path, display: str, probe: Probe, template: VideoTemplate, target: Target, staged: Staged,
           output: Path, clips: dict[Path, float], progress: Progress | None = None) -> None:  # fmt: skip
    """Compose `source` through `template` with moviepy and write H.264 + AAC (faststart) to `output`."""
    mp = require(template)
    opened: list[Any] = []  # every file clip: each holds an ffmpeg reader process until closed

    def open_clip(path: Path, seconds: float | None = None) -> Any:
        clip = mp.VideoFileClip(str(path), audio=True)
        opened.append(clip)
        return clip.subclipped(0, seconds) if seconds is not None else clip

    audio_file = output.with_name(output.name + ".m4a")
    try:
        seconds = main_seconds(probe, template, target)
        main = _main_section(mp, open_clip(source, seconds), seconds, template, target, staged.overlays)
        sections = [main]
        for which, bookend, card in (("intro", template.intro, staged.intro), ("outro", template.outro, staged.outro)):
            if bookend is not None and (bookend.clip or card):
                part = _bookend(mp, bookend, card, template.fit, target, open_clip, clips)
                sections.insert(0, part) if which == "intro" else sections.append(part)
        final = mp.concatenate_videoclips(sections, method="chain") if len(sections) > 1 else main
        audible = any(clip.audio is not None for clip in opened)  # loudnorm turns pure silence into NaN
        _write(final, template, audio_file, output, progress, normalise=audible)
    except (OSError, ValueError, RuntimeError) as exc:  # moviepy's readers and writers raise these for ffmpeg's errors
        raise ComposeError(f"{display}: composing for {target.width}×{target.height} with moviepy failed: "
                           f"{_short(exc)}") from None  # fmt: skip
    finally:
        for clip in opened:
            _close(clip)
        audio_file.unlink(missing_ok=True)


def _close(clip: Any) -> None:
    """Close a file clip and its readers' ffmpeg pipes: moviepy 2.2.1 closes the pipes only of a reader whose ffmpeg
    is still running, so one that reached the end of its file would leave two open files per reader behind."""
    for reader in (getattr(clip, "reader", None), getattr(getattr(clip, "audio", None), "reader", None)):
        process = getattr(reader, "proc", None)
        if process is not None and process.poll() is not None:
            for pipe in (process.stdout, process.stderr):
                if pipe is not None:
                    pipe.close()
    clip.close()


def _main_section(mp: Any, clip: Any, seconds: float, template: VideoTemplate, target: Target,
                  overlays: tuple[tuple[Overlay, Path], ...]) -> Any:  # fmt: skip
    """The source fitted to the frame with the overlays over it, and its sound over silence."""
    layers = [_fit(mp, clip, template.fit, target), *(_overlay_clip(mp, o, p, seconds) for o, p in overlays)]
    section = mp.CompositeVideoClip(layers, size=(target.width, target.height)).with_duration(seconds)
    return section.with_audio(_sound(mp, clip.audio, seconds))


def _fit(mp: Any, clip: Any, fit: Fit, target: Target) -> Any:
    """Crop around the focus, or fit whole over a colour or a blurred, enlarged copy of the same clip."""
    w, h = target.width, target.height
    if fit.mode == "crop":
        scale = max(w / clip.w, h / clip.h)
        covered = clip.resized(new_size=(_even(clip.w * scale, w), _even(clip.h * scale, h)))
        fx, fy = fit.focus
        return covered.cropped(x1=round((covered.w - w) * fx), y1=round((covered.h - h) * fy), width=w, height=h)
    scale = min(w / clip.w, h / clip.h)
    inner = clip.resized(new_size=(_even(clip.w * scale), _even(clip.h * scale)))  # ffmpeg: 180×101.25 → 180×102
    inner = inner.with_position((_even_at((w - inner.w) / 2), _even_at((h - inner.h) / 2)))
    if fit.pad != "blur":
        colour = tuple(int(fit.pad[i : i + 2], 16) for i in (1, 3, 5))
        return mp.CompositeVideoClip([inner], size=(w, h), bg_color=colour)
    background = clip.image_transform(_blurred_cover(w, h), apply_to=[]).with_position((0, 0))
    return mp.CompositeVideoClip([background, inner], size=(w, h))


def _blurred_cover(w: int, h: int) -> Callable[[Any], Any]:
    """A frame function: the source scaled to cover w×h, centre-cropped and box-blurred twice, as the graph's
    `boxblur=r:2` does on yuv420p: luma at radius r, chroma (its planes at half size) at 2r in picture pixels.

    Per-frame Python, which is what the moviepy engine is for. A strong blur has no detail left to lose, so it is
    computed at a reduced size where its radius is still ~BLUR_RADIUS px, and scaled up: at 1080×1920 (r = 27)
    that is 1/6 of each side, 36× fewer pixels a frame; small frames are blurred at full size."""
    import numpy as np  # moviepy's own dependency
    from PIL import Image, ImageFilter  # lazy: as numpy, only when a moviepy template pads with a blur

    radius = max(2, min(w, h) // 40)  # the graph's boxblur radius
    reduce = max(1, radius // BLUR_RADIUS)
    small = (max(1, round(w / reduce)), max(1, round(h / reduce)))
    luma, chroma = ImageFilter.BoxBlur(radius / reduce), ImageFilter.BoxBlur(2 * radius / reduce)

    def cover(frame: Any) -> Any:
        picture = Image.fromarray(frame)
        scale = max(w / picture.width, h / picture.height)
        crop_w, crop_h = w / scale, h / scale
        left, top = (picture.width - crop_w) / 2, (picture.height - crop_h) / 2
        reduced = picture.resize(small, Image.Resampling.BILINEAR, box=(left, top, left + crop_w, top + crop_h))
        y, cb, cr = reduced.convert("YCbCr").split()
        planes = [y.filter(luma).filter(luma), *(plane.filter(chroma).filter(chroma) for plane in (cb, cr))]
        blurred = Image.merge("YCbCr", planes).convert("RGB")
        return np.asarray(blurred if reduce == 1 else blurred.resize((w, h), Image.Resampling.BILINEAR))

    return cover


def _overlay_clip(mp: Any, overlay: Overlay, picture: Path, seconds: float) -> Any:
    """One Overlay as an ImageClip (its alpha as the mask) at its place, for its time on the main section's clock."""
    start = min(overlay.start, seconds)
    end = seconds if overlay.end is None else min(overlay.end, seconds)
    clip = mp.ImageClip(str(picture), transparent=True).with_start(start).with_duration(max(0.0, end - start))
    clip = clip.with_position((_even_at(overlay.x), _even_at(overlay.y)))
    return clip.with_opacity(overlay.opacity) if overlay.opacity < 1.0 else clip


def _bookend(mp: Any, bookend: Bookend, card: Path | None, fit: Fit, target: Target,
             open_clip: Callable[[Path], Any], clips: dict[Path, float]) -> Any:  # fmt: skip
    """An intro or outro: a card as a still for its seconds (silent), or a clip fitted like the source."""
    if bookend.card and card is not None:
        still = mp.ImageClip(str(card), transparent=False).resized(new_size=(target.width, target.height))
        return still.with_duration(bookend.seconds).with_audio(_silence(mp, bookend.seconds))
    assert bookend.clip is not None
    clip = open_clip(bookend.clip)
    seconds = clips.get(bookend.clip, clip.duration)
    return _fit(mp, clip, fit, target).with_duration(seconds).with_audio(_sound(mp, clip.audio, seconds))


def _sound(mp: Any, audio: Any, seconds: float) -> Any:
    """A clip's sound laid over `seconds` of stereo silence: a track exactly as long as the picture, never missing."""
    silence = _silence(mp, seconds)
    if audio is None:
        return silence
    return mp.CompositeAudioClip([silence, audio.with_duration(min(audio.duration, seconds))]).with_duration(seconds)


def _silence(mp: Any, seconds: float) -> Any:
    import numpy as np  # moviepy's own dependency

    def quiet(t: Any) -> Any:
        return np.zeros((len(t), 2)) if np.ndim(t) else np.zeros(2)

    return mp.AudioClip(quiet, duration=seconds, fps=SAMPLE_RATE)


def _write(final: Any, template: VideoTemplate, audio_file: Path, output: Path, progress: Progress | None, *,
           normalise: bool) -> None:  # fmt: skip
    """The sound first (moviepy's audio writer, loudnorm as its ffmpeg option), then the picture muxed with it.

    `normalise` is False when no file brought sound: ffmpeg's loudnorm turns digital silence into NaN, which the
    AAC encoder refuses, and silence needs no levelling."""
    encode = template.encode
    loudness = template.loudness if normalise else None
    audio_filter = ["-af", f"loudnorm=I={loudness['i']:g}:TP={loudness['tp']:g}:LRA={loudness['lra']:g},"
                           f"aresample={SAMPLE_RATE}"] if loudness else []  # fmt: skip
    logger = _progress_logger(progress)
    final.audio.write_audiofile(str(audio_file), fps=SAMPLE_RATE, codec="aac", bitrate=encode.audio_bitrate,
                                ffmpeg_params=["-ac", "2", *audio_filter], logger=None)  # fmt: skip
    video_params = ["-crf", str(encode.crf), "-movflags", "+faststart", "-map_metadata", "-1"]
    if encode.maxrate:
        video_params += ["-maxrate", encode.maxrate, "-bufsize", vbv_buffer(encode.maxrate)]
    final.write_videofile(str(output), fps=encode.fps, codec="libx264", preset=encode.preset, audio=str(audio_file),
                          audio_codec="copy", ffmpeg_params=video_params, logger=logger)  # fmt: skip
    if progress:
        progress(1.0)


def _progress_logger(progress: Progress | None) -> Any:
    """A proglog logger that turns moviepy's frame counter into the fraction the CLI's progress display shows."""
    if progress is None:
        return None
    import proglog  # moviepy's own dependency

    report = progress

    class FrameProgress(proglog.ProgressBarLogger):
        def bars_callback(self, bar: str, attr: str, value: Any, old_value: Any = None) -> None:
            total = self.bars[bar].get("total")
            if bar == "frame_index" and attr == "index" and total:
                report(min(1.0, (value + 1) / total))

    return FrameProgress()


def _even_at(offset: float) -> int:
    """A place on the frame rounded down to even pixels: yuv420p shares one chroma sample among 2×2 pixels, and
    ffmpeg's overlay places pictures so (up to 1 px up and left); the engines put every layer at the same pixel."""
    return int(offset) // 2 * 2


def _even(size: float, at_least: int = 2) -> int:
    """A dimension rounded to an even number of pixels (yuv420p), as the graph's `force_divisible_by=2` does, never
    below `at_least`."""
    return max(at_least, round(size / 2) * 2)


def _short(exc: Exception) -> str:
    """moviepy's messages quote the whole ffmpeg command; the last lines say what went wrong."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return "; ".join(lines[-3:]) or type(exc).__name__
