"""The frames of a video that OCR reads: the first, every scene change, and one at least every few seconds.

Burned-in words (a title card, a rate on a slide) stay on screen for a second or more, and a new card is a scene
change; so these frames see every card without reading every frame. Pulled by the ffmpeg of the imageio-ffmpeg
wheel the video render uses, from the verified bytes (written to a private temporary file: ffmpeg seeks in MP4).
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path
from typing import NamedTuple

from mediactl.check.ocr import OcrError, OcrLine

#: A frame at least this often (seconds), besides the scene changes.
INTERVAL = 2.0
#: A scene change: ffmpeg's scene score above this.
SCENE = 0.3
#: At most this many frames of one video (a 2-minute clip at one every 2 s, scene changes included).
MAX_FRAMES = 60
#: Frames are read at most this wide (text a viewer can read survives; the detector downsizes anyway).
MAX_WIDTH = 1280
#: Bump when the sampling changes: cached readings of a video are keyed by it (v2: boxes in the video's pixels;
#: v3: a frame where the words change to none is kept, so a card's time on screen ends there; v4: and one without
#: words an interval after the last frame where sampling stopped at MAX_FRAMES).
SAMPLING = f"v4-{INTERVAL}-{SCENE}-{MAX_FRAMES}-{MAX_WIDTH}"

_PTS = re.compile(r"\bn:\s*(\d+)\b.*?\bpts_time:\s*([0-9.eE+-]+)")
_SIZE = re.compile(r"\bn:\s*\d+\b.*?\bs:(\d+)x(\d+)\b")  # showinfo sits before the scale: the video's own size


class Frame(NamedTuple):
    """A sampled frame: its time, its PNG bytes (at most MAX_WIDTH wide) and how much to scale a box found in it
    (x, y) to give it in the video's own pixels, as an image's boxes are in the image's."""

    time: float
    png: bytes
    scale: tuple[float, float]


def sample_frames(data: bytes, shown: str, suffix: str = ".mp4") -> list[Frame]:
    """The sampled frames of a video's bytes; a video ffmpeg cannot decode is an OcrError naming `shown`."""
    from mediactl.video.ffmpeg import ffmpeg_exe, reason  # lazy: start-up, only videos need ffmpeg

    chooser = f"select='eq(n\\,0)+gt(scene\\,{SCENE})+gte(t-prev_selected_t\\,{INTERVAL})'"
    with tempfile.TemporaryDirectory(prefix="mediactl-frames-") as folder:
        source = Path(folder) / f"video{suffix}"
        source.write_bytes(data)
        command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(source),
                   "-vf", f"{chooser},showinfo,scale='min(iw,{MAX_WIDTH})':-2", "-fps_mode", "vfr",
                   "-frames:v", str(MAX_FRAMES), str(Path(folder) / "frame-%04d.png")]  # fmt: skip
        done = subprocess.run(command, capture_output=True, check=False)
        stderr = done.stderr.decode("utf-8", "replace")
        frames = sorted(Path(folder).glob("frame-*.png"))
        if done.returncode != 0 or not frames:
            raise OcrError(f"{shown}: not a video ffmpeg can decode ({reason(stderr)}); its frames cannot be checked")
        times = [float(match.group(2)) for match in _PTS.finditer(stderr)]
        size = _SIZE.search(stderr)
        out = []
        for index, path in enumerate(frames):
            png = path.read_bytes()
            scale = _scale((int(size.group(1)), int(size.group(2))), png) if size else (1.0, 1.0)
            out.append(Frame(round(times[index], 1) if index < len(times) else 0.0, png, scale))
        return out


def _scale(video: tuple[int, int], png: bytes) -> tuple[float, float]:
    """(x, y) factors from a frame's pixels to the video's: its size against the PNG's (in its IHDR header)."""
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    return (video[0] / width if width else 1.0, video[1] / height if height else 1.0)


def in_video_pixels(lines: list[OcrLine], scale: tuple[float, float]) -> list[OcrLine]:
    """The lines read in a scaled frame with their boxes in the video's own pixels."""
    if scale == (1.0, 1.0):
        return lines
    sx, sy = scale
    return [line._replace(box=(round(x * sx), round(y * sy), round(w * sx), round(h * sy)))
            for line in lines for x, y, w, h in [line.box]]  # fmt: skip
