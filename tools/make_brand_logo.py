#!/usr/bin/env python3
"""Draw the example project's brand logo: ``templates/brand/logo.png``.

The example bank (示例银行) is fictional, so its logo is drawn here rather than taken from anywhere: a
gold coin with a square hole (方孔钱, the oldest picture of money in China), a white inner ring, on a
transparent ground, so it reads on the deep-blue everyday covers and on the red 春节 ones alike. No text:
the layouts set the bank's name beside it in the brand's font. Drawn at 4× and reduced (anti-aliased);
the same Pillow gives the same bytes.

    python tools/make_brand_logo.py [--root DIR]
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

from PIL import Image, ImageDraw

LOGO = Path("templates/brand/logo.png")
SIZE = 512
GOLD = (201, 163, 91, 255)
WHITE = (255, 255, 255, 255)


def draw(size: int = SIZE) -> Image.Image:
    big = size * 4
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.ellipse((0, 0, big - 1, big - 1), fill=GOLD)
    ring = big * 0.09
    pen.ellipse((ring, ring, big - ring, big - ring), outline=WHITE, width=round(big * 0.035))
    hole = big * 0.17
    centre = big / 2
    pen.rectangle((centre - hole, centre - hole, centre + hole, centre + hole), fill=(0, 0, 0, 0))
    edge = big * 0.03
    pen.rectangle((centre - hole - edge, centre - hole - edge, centre + hole + edge, centre + hole + edge),
                  outline=WHITE, width=round(edge))  # fmt: skip
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    out = io.BytesIO()
    draw().save(out, "PNG", optimize=True)
    target = args.root / LOGO
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(out.getvalue())
    print(f"wrote {target} ({len(out.getvalue()):,} bytes)")


if __name__ == "__main__":
    main()
