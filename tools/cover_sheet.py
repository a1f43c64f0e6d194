#!/usr/bin/env python3
"""Make the README's sheet of the example library's covers (docs/covers.jpg) from a real render.

Creates the example project in a temporary folder (`mediactl init`), renders it (`mediactl render`, the
video item included: it needs ffmpeg), and lays the images the channels would post side by side at one
height, each labelled with its channel and file, one row per item. Run it again after a change to a
layout, the brand or the font:

    python tools/cover_sheet.py              # writes docs/covers.jpg
    python tools/cover_sheet.py --project DIR  # a project already rendered: its build/ as it is
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

from mediactl.graphics.fonts import load_font

REPO = Path(__file__).resolve().parents[1]
ROW_HEIGHT = 300
GAP = 16
LABEL = 34
CAPTION = 52
MAX_WIDTH = 2400
BACKGROUND = (245, 247, 250)
INK = (40, 48, 60)
# One image per channel and item, in the order a reader scans a bank's accounts.
CHANNELS = ("bank-wechat", "bank-weibo", "bank-xhs", "bank-douyin", "bank-channels", "bank-bilibili",
            "bank-moments", "bank-wecom", "bank-toutiao", "website")  # fmt: skip


def covers(build: Path) -> dict[str, list[tuple[str, Path]]]:
    """Per item: (label, image) for each channel that has a cover-like image, in CHANNELS order."""
    rows: dict[str, list[tuple[str, Path]]] = {}
    for channel in CHANNELS:
        for folder in sorted((build / channel).glob("*/")):
            for image in sorted(folder.glob("*.jpg")):
                if image.name == "cover.jpg" and (folder / "video.mp4").exists() and channel == "bank-moments":
                    continue  # the same 9:16 frame cover as Douyin's: shown once
                rows.setdefault(folder.name, []).append((f"{channel}\n{image.name}", image))
    return rows


def sheet(rows: dict[str, list[tuple[str, Path]]]) -> Image.Image:
    font = load_font(18, "Regular")
    title_font = load_font(22, "Bold")
    laid: list[tuple[str, list[tuple[str, Image.Image]]]] = []
    for slug, entries in rows.items():
        pictures = []
        for label, path in entries:
            with Image.open(path) as opened:
                scale = ROW_HEIGHT / opened.height
                pictures.append((label, opened.convert("RGB").resize((round(opened.width * scale), ROW_HEIGHT))))
        laid.append((slug, pictures))
    width = min(MAX_WIDTH, max(sum(p.width + GAP for _, p in pictures) + GAP for _, pictures in laid))
    lines = []  # wrap a long row
    for slug, pictures in laid:
        line: list[tuple[str, Image.Image]] = []
        used = GAP
        for entry in pictures:
            if line and used + entry[1].width + GAP > width:
                lines.append((slug, line))
                slug, line, used = "", [], GAP
            line.append(entry)
            used += entry[1].width + GAP
        lines.append((slug, line))
    row = LABEL + ROW_HEIGHT + CAPTION
    canvas = Image.new("RGB", (width, GAP + row * len(lines)), BACKGROUND)
    pen = ImageDraw.Draw(canvas)
    for index, (slug, line) in enumerate(lines):
        top = GAP + index * row
        if slug:
            pen.text((GAP, top + 4), slug, font=title_font, fill=INK)
        x = GAP
        for label, picture in line:
            canvas.paste(picture, (x, top + LABEL))
            pen.multiline_text((x, top + LABEL + ROW_HEIGHT + 4), label, font=font, fill=INK, spacing=2)
            x += picture.width + GAP
    return canvas


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "covers.jpg")
    parser.add_argument("--project", type=Path, help="an example project already rendered")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = args.project
        if root is None:
            root = Path(folder) / "example"
            for command in (["init", str(root)], ["-C", str(root), "render"]):
                subprocess.run([sys.executable, "-m", "mediactl", *command], check=True, stdout=subprocess.DEVNULL)
        picture = sheet(covers(root / "build"))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=82, optimize=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(out.getvalue())
    print(f"wrote {args.out} ({len(out.getvalue()):,} bytes, {picture.width}×{picture.height})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
