#!/usr/bin/env python3
"""Draw `examples/noncompliant/poster.png`: a wealth-product poster whose violations are only in its pixels.

`mediactl check examples/noncompliant/` must find words no text file carries, so this poster draws them: 保本保息
broken over two lines (a claim a poster splits must still be found) and a promised yield, with the font mediactl
ships (Noto Sans CJK SC, both weights), over a gradient. A palette PNG keeps it small; running the script again
writes the same bytes (same Pillow).

Usage: python tools/make_ocr_poster.py [--out examples/noncompliant/poster.png]
"""

from __future__ import annotations

import argparse
import io
import os
from pathlib import Path

from PIL import Image, ImageDraw

from mediactl.graphics.fonts import load_font

SIZE = (640, 480)
OUT = Path("examples/noncompliant/poster.png")
LINES = (  # (text, size, weight, colour, top)
    ("稳享添利 理财新品", 34, "Bold", (255, 255, 255), 40),
    ("100%保本", 64, "Bold", (255, 214, 102), 120),
    ("保息 年化收益4.5%", 46, "Bold", (255, 214, 102), 215),
    ("限时发售 · 立即抢购", 30, "Regular", (235, 240, 255), 330),
)


def draw() -> Image.Image:
    """The poster: a deep-blue gradient, a lighter band, and the lines of LINES centred."""
    image = Image.new("RGB", SIZE)
    pixels = ImageDraw.Draw(image)
    for y in range(SIZE[1]):  # top (12, 40, 96) to bottom (30, 90, 170)
        t = y / (SIZE[1] - 1)
        pixels.line([(0, y), (SIZE[0], y)], fill=(round(12 + 18 * t), round(40 + 50 * t), round(96 + 74 * t)))
    pixels.rounded_rectangle((40, 110, SIZE[0] - 40, 290), radius=24, outline=(255, 214, 102), width=3)
    for text, size, weight, colour, top in LINES:
        font = load_font(size, weight)
        width = pixels.textlength(text, font=font)
        pixels.text(((SIZE[0] - width) / 2, top), text, font=font, fill=colour)
    return image.quantize(colors=64, dither=Image.Dither.NONE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    out = parser.parse_args().out
    buffer = io.BytesIO()
    draw().save(buffer, "PNG", optimize=True)
    temporary = out.with_name(f".{out.name}.tmp")
    temporary.write_bytes(buffer.getvalue())
    os.replace(temporary, out)
    print(f"{out}: {len(buffer.getvalue())} bytes")


if __name__ == "__main__":
    main()
