#!/usr/bin/env python3
"""Generate the binary media of the bundled example content library.

The example items under ``content/`` need a poster image and a short video clip.
Rather than downloading stock media (licensing, provenance, reproducibility), the
project draws them itself: this script is the single source of both files, and
running it again produces the same bytes (same Pillow and ffmpeg versions given).

Outputs, relative to ``--root`` (default: the repository root):

* ``content/graphic/credit-card-cashback/poster.png``: 1080x1440 PNG, a deep-blue
  to gold gradient with an abstract card shape and no text (templates add text).
* ``content/video/spring-festival-greeting/source.mp4``: 640x360, 4.0 s, 25 fps,
  H.264 (yuv420p) + AAC stereo, a red background with drifting gold lanterns and a
  soft sine chord; faststart, well under 150 KB.

Needs Pillow and imageio-ffmpeg (``pip install pillow imageio-ffmpeg``); frames are
drawn with Pillow and piped as raw RGB into the bundled ffmpeg binary. Every file
is written to a temporary name in its own folder and then moved into place with
``os.replace`` so a failed run never leaves a half-written file behind.
"""

from __future__ import annotations

import argparse
import io
import itertools
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

POSTER = Path("content/graphic/credit-card-cashback/poster.png")
POSTER_SIZE = (1080, 1440)

CLIP = Path("content/video/spring-festival-greeting/source.mp4")
CLIP_SIZE = (640, 360)
FPS = 25
SECONDS = 4
CHORD_HZ = (523.25, 659.25, 783.99)  # C5, E5, G5: a plain major triad


# --------------------------------------------------------------------------- helpers


def lerp_color(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, ...]:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))


def vertical_gradient(size: tuple[int, int], stops: list[tuple[float, tuple[int, int, int]]]) -> Image.Image:
    """An RGB image whose colour runs top to bottom through ``stops`` (position, colour)."""
    height = size[1]
    column = Image.new("RGB", (1, height))
    pixels = column.load()
    for y in range(height):
        t = y / (height - 1)
        for (p0, c0), (p1, c1) in itertools.pairwise(stops):
            if p0 <= t <= p1:
                local = (t - p0) / (p1 - p0) if p1 > p0 else 0.0
                local = local * local * (3 - 2 * local)  # smoothstep: no visible bands
                pixels[0, y] = lerp_color(c0, c1, local)
                break
    return column.resize(size, Image.Resampling.NEAREST)


def radial_glow(size: tuple[int, int], center: tuple[int, int], radius: int, blur: int) -> Image.Image:
    """An ``L`` mask with a soft bright disc, used to light part of a background."""
    mask = Image.new("L", size, 0)
    cx, cy = center
    ImageDraw.Draw(mask).ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=255)
    return mask.filter(ImageFilter.GaussianBlur(blur))


def write_atomic(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        publish(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def publish(tmp: str, target: Path) -> None:
    """Give the temp file normal permissions (mkstemp makes it 0600) and move it in place."""
    Path(tmp).chmod(0o644)
    os.replace(tmp, target)


# --------------------------------------------------------------------------- poster


def make_poster() -> Image.Image:
    width = POSTER_SIZE[0]
    navy, blue, gold = (8, 22, 58), (20, 52, 112), (201, 162, 74)
    image = vertical_gradient(POSTER_SIZE, [(0.0, navy), (0.45, blue), (0.8, (122, 112, 96)), (1.0, gold)])

    # Warm light from the lower right, cool highlight at the top left.
    image.paste(
        (236, 200, 120),
        (0, 0),
        radial_glow(POSTER_SIZE, (900, 1250), 420, 160).point(lambda v: v * 90 // 255),
    )
    image.paste(
        (70, 120, 200),
        (0, 0),
        radial_glow(POSTER_SIZE, (160, 180), 300, 140).point(lambda v: v * 70 // 255),
    )

    # Thin concentric arcs: a quiet "wave" motif behind the card.
    arcs = Image.new("L", POSTER_SIZE, 0)
    draw = ImageDraw.Draw(arcs)
    for i in range(9):
        r = 380 + i * 46
        draw.ellipse((width - r, 300 - r, width + r, 300 + r), outline=40 - i * 3, width=2)
    image.paste((230, 205, 150), (0, 0), arcs)

    # The card: drawn flat at 2x, then rotated and scaled down for smooth edges.
    scale = 2
    cw, ch = 720 * scale, 454 * scale  # ISO/IEC 7810 ID-1 aspect ratio
    card = Image.new("RGBA", (cw, ch), (0, 0, 0, 0))
    face = vertical_gradient((cw, ch), [(0.0, (236, 204, 128)), (1.0, (176, 132, 52))])
    shape = Image.new("L", (cw, ch), 0)
    ImageDraw.Draw(shape).rounded_rectangle((0, 0, cw - 1, ch - 1), radius=40 * scale, fill=255)
    card.paste(face, (0, 0), shape)
    cdraw = ImageDraw.Draw(card)
    # A sheen band across the face.
    sheen = Image.new("L", (cw, ch), 0)
    ImageDraw.Draw(sheen).polygon([(cw * 0.45, 0), (cw * 0.62, 0), (cw * 0.38, ch), (cw * 0.21, ch)], fill=46)
    sheen = ImageChops.multiply(sheen.filter(ImageFilter.GaussianBlur(20 * scale)), shape)
    card.paste((255, 246, 220, 255), (0, 0), sheen)
    # Chip and contactless arcs: abstract, no text, no brand marks.
    chip = (70 * scale, 150 * scale, 170 * scale, 228 * scale)
    cdraw.rounded_rectangle(chip, radius=12 * scale, fill=(214, 186, 120), outline=(150, 112, 48), width=2 * scale)
    x0, y0, x1, y1 = chip
    for k in (1, 2):
        y = y0 + (y1 - y0) * k // 3
        cdraw.line((x0, y, x1, y), fill=(150, 112, 48), width=2 * scale)
    cdraw.line(((x0 + x1) // 2, y0, (x0 + x1) // 2, y1), fill=(150, 112, 48), width=2 * scale)
    for k in range(3):
        r = (22 + k * 18) * scale
        cx, cy = 230 * scale, 189 * scale
        cdraw.arc(
            (cx - r, cy - r, cx + r, cy + r),
            start=-45,
            end=45,
            fill=(150, 112, 48),
            width=4 * scale,
        )
    # Three soft waves, bottom right: an abstract motif, deliberately no logo-like shape.
    waves = Image.new("RGBA", (cw, ch), (0, 0, 0, 0))
    wdraw = ImageDraw.Draw(waves)
    for k in range(3):
        top = (330 + k * 26) * scale
        wdraw.arc(
            (440 * scale, top, 680 * scale, top + 120 * scale),
            start=200,
            end=340,
            fill=(255, 240, 200, 150 - k * 35),
            width=5 * scale,
        )
    waves.putalpha(ImageChops.multiply(waves.getchannel("A"), shape))  # clip to the card
    card = Image.alpha_composite(card, waves)
    # Placeholder stripes where the number would go, kept as plain shapes.
    for i in range(4):
        x = (70 + i * 130) * scale
        cdraw = ImageDraw.Draw(card)
        cdraw.rounded_rectangle(
            (x, 290 * scale, x + 100 * scale, 306 * scale),
            radius=8 * scale,
            fill=(150, 112, 48, 110),
        )

    card = card.resize((cw // scale, ch // scale), Image.Resampling.LANCZOS)
    card = card.rotate(-12, resample=Image.Resampling.BICUBIC, expand=True)

    # Soft drop shadow, then the card itself.
    pos = ((width - card.width) // 2 + 20, 640)
    shadow = Image.new("L", POSTER_SIZE, 0)
    shadow.paste(card.getchannel("A").point(lambda v: v * 150 // 255), (pos[0] + 24, pos[1] + 40))
    image.paste((4, 10, 30), (0, 0), shadow.filter(ImageFilter.GaussianBlur(36)))
    image.paste(card, pos, card)
    return image


def write_poster(root: Path) -> Path:
    buffer = io.BytesIO()
    make_poster().save(buffer, format="PNG", optimize=True)
    target = root / POSTER
    write_atomic(target, buffer.getvalue())
    return target


# --------------------------------------------------------------------------- video


class Lantern:
    def __init__(self, x: float, y: float, radius: int, phase: float, drift: float) -> None:
        self.x, self.y, self.radius, self.phase, self.drift = x, y, radius, phase, drift

    def position(self, t: float) -> tuple[int, int]:
        sway = math.sin(2 * math.pi * t / SECONDS + self.phase)
        bob = math.sin(4 * math.pi * t / SECONDS + self.phase * 1.7)
        return round(self.x + 10 * sway + self.drift * t), round(self.y + 6 * bob)


def lantern_sprite(radius: int) -> Image.Image:
    """A gold disc with a warm halo and a darker rim, as an RGBA sprite."""
    pad = 2 * radius  # room for the whole blurred halo, so no square edges
    size = 2 * (radius + pad)
    c = size // 2
    halo = Image.new("L", (size, size), 0)
    ImageDraw.Draw(halo).ellipse((c - radius * 1.4,) * 2 + (c + radius * 1.4,) * 2, fill=120)
    halo = halo.filter(ImageFilter.GaussianBlur(radius * 0.5))
    sprite = Image.new("RGBA", (size, size), (255, 196, 80, 0))
    sprite.putalpha(halo)
    draw = ImageDraw.Draw(sprite)
    draw.ellipse(
        (c - radius, c - radius, c + radius, c + radius),
        fill=(240, 184, 64, 255),
        outline=(176, 96, 24, 255),
        width=max(2, radius // 8),
    )
    draw.ellipse(
        (c - radius * 0.55, c - radius * 0.6, c + radius * 0.1, c - radius * 0.05),
        fill=(255, 226, 140, 255),
    )  # highlight
    draw.line((c, c - radius - pad // 2, c, c - radius), fill=(200, 150, 60, 255), width=2)
    draw.rectangle((c - 3, c + radius - 2, c + 3, c + radius + pad // 3), fill=(200, 40, 30, 255))
    return sprite


def clip_frames() -> list[bytes]:
    background = vertical_gradient(CLIP_SIZE, [(0.0, (122, 8, 16)), (0.55, (178, 24, 28)), (1.0, (214, 70, 36))])
    background.paste(
        (255, 170, 90),
        (0, 0),
        radial_glow(CLIP_SIZE, (320, 420), 220, 90).point(lambda v: v * 60 // 255),
    )
    background = background.convert("RGBA")
    lanterns = [
        Lantern(90, 110, 34, 0.0, 4.0),
        Lantern(230, 80, 26, 1.3, -3.0),
        Lantern(410, 120, 40, 2.1, 2.5),
        Lantern(545, 90, 28, 3.4, -4.0),
        Lantern(320, 250, 20, 4.2, 3.0),
    ]
    sprites = [lantern_sprite(lantern.radius) for lantern in lanterns]
    frames = []
    for index in range(FPS * SECONDS):
        t = index / FPS
        frame = background.copy()
        for lantern, sprite in zip(lanterns, sprites, strict=True):
            x, y = lantern.position(t)
            frame.alpha_composite(sprite, (x - sprite.width // 2, y - sprite.height // 2))
        frames.append(frame.convert("RGB").tobytes())
    return frames


def ffmpeg_command(ffmpeg: str, output: str) -> list[str]:
    width, height = CLIP_SIZE
    cmd = [
        ffmpeg,
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-fflags",
        "+bitexact",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-s",
        f"{width}x{height}",
        "-r",
        str(FPS),
        "-i",
        "pipe:0",
    ]
    for hz in CHORD_HZ:
        cmd += ["-f", "lavfi", "-i", f"sine=frequency={hz}:sample_rate=44100:duration={SECONDS}"]
    inputs = "".join(f"[{i + 1}:a]" for i in range(len(CHORD_HZ)))
    audio = (
        f"{inputs}amix=inputs={len(CHORD_HZ)}:normalize=0,volume=0.6,"
        f"afade=t=in:d=0.4,afade=t=out:st={SECONDS - 1}:d=1,"
        "aformat=sample_fmts=fltp:channel_layouts=stereo[a]"
    )
    cmd += [
        "-filter_complex",
        audio,
        "-map",
        "0:v",
        "-map",
        "[a]",
        "-t",
        str(SECONDS),
        "-c:v",
        "libx264",
        "-preset",
        "slow",
        "-crf",
        "30",
        "-pix_fmt",
        "yuv420p",
        "-profile:v",
        "high",
        "-g",
        str(FPS * 2),
        "-threads",
        "1",
        "-flags:v",
        "+bitexact",
        "-c:a",
        "aac",
        "-b:a",
        "64k",
        "-ac",
        "2",
        "-flags:a",
        "+bitexact",
        "-map_metadata",
        "-1",
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
        output,
    ]
    return cmd


def write_clip(root: Path) -> Path:
    import imageio_ffmpeg  # imported here so the poster alone works without it

    target = root / CLIP
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        cmd = ffmpeg_command(imageio_ffmpeg.get_ffmpeg_exe(), tmp)
        with subprocess.Popen(cmd, stdin=subprocess.PIPE) as proc:
            assert proc.stdin is not None
            try:
                for frame in clip_frames():
                    proc.stdin.write(frame)
            finally:
                proc.stdin.close()
        if proc.returncode != 0:
            msg = f"ffmpeg exited with status {proc.returncode}"
            raise RuntimeError(msg)
        publish(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--root",
        type=Path,
        default=Path(__file__).resolve().parent.parent,
        help="repository root that holds content/ (default: parent of tools/)",
    )
    args = parser.parse_args(argv)
    for target in (write_poster(args.root), write_clip(args.root)):
        print(f"{target}  {target.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
