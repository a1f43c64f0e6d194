"""OCR benchmark (issue 17): how many violations planted in a poster's pixels the check finds, and at what cost.

    python bench/ocr_bench.py [--sizes 14 20 28 40 64] [--degradations all] [--keep DIR]

Posters of 1080x1440 (a Xiaohongshu/moments poster) carry three lines: one with a planted violation and two clean
ones, at one text size (px), in one font (the shipped Noto Sans CJK SC Regular and Bold, its TC face, and any other
CJK font Debian installed, e.g. fonts-wqy-*, if present: never required), in one colour scheme (dark on light,
light on dark, gold on red, low-contrast grey), over a flat, gradient or noisy photo-like background, and then
degraded: none, JPEG quality 30/60/90, rotated ±3°, Gaussian blur (radius 1.2), or a photo-like noisy gradient
behind the text. Clean posters (no violation at all) count false findings.

A planted violation is found when the rule the check reports on the planted sentence as text is reported on the
poster too (so recall measures OCR, not the rules). Everything goes through mediactl's own path: check/ocr.py's
reader (the engine, the cache) and the real rule engine (built-in packs, `Profile()` as an ad hoc check).
Reported: recall per degradation and per size, false findings on clean posters, and time per image: first reading
(engine created beforehand; wall and CPU time of all threads, the latter nearer what a quiet machine takes) and
cached. Check `uptime` first: the load is printed.
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from mediactl.check.ocr import OcrReader, segment_of
from mediactl.check.ocr_cache import OcrCache
from mediactl.check.rules import Profile
from mediactl.check.runner import prepared
from mediactl.graphics.fonts import default_font_path_for

SIZE = (1080, 1440)
#: Violations as a bank's poster would print them (each caught by the built-in packs as text).
PLANTED = (
    "本产品保本保息",
    "稳赚不赔 放心买",
    "零风险 高收益",
    "保证收益3.5%以上",
    "全国第一的理财品牌",
    "史上最低利率",
)
#: Clean poster lines (no finding as text, no disclosure trigger).
CLEAN = ("守好钱袋子 谨防电信诈骗", "新春快乐 万事如意", "手机银行 随时查询余额", "信用卡请按时足额还款",
         "陌生来电要核实", "示例银行 与您同行")  # fmt: skip
SCHEMES = (  # (name, text colour, background colours top/bottom)
    ("dark-on-light", (20, 20, 20), ((255, 255, 255), (240, 240, 235))),
    ("light-on-dark", (255, 255, 255), ((12, 40, 96), (30, 90, 170))),
    ("gold-on-red", (255, 214, 102), ((170, 20, 20), (120, 10, 10))),
    ("low-contrast", (110, 110, 110), ((200, 200, 200), (185, 185, 185))),
)
DEGRADATIONS = ("none", "jpeg30", "jpeg60", "jpeg90", "rotate+3", "rotate-3", "blur", "photo")


def fonts() -> list[tuple[str, ImageFont.FreeTypeFont | Path, int]]:
    """(name, file, face index) of the fonts drawn with: the shipped weights, its TC face, Debian's CJK fonts."""
    found: list[tuple[str, Path, int]] = [("noto-sc-regular", default_font_path_for("Regular"), 0),
                                          ("noto-sc-bold", default_font_path_for("Bold"), 0)]  # fmt: skip
    try:
        listed = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, check=False).stdout
    except OSError:
        listed = ""
    for line in sorted(set(listed.splitlines())):
        path = Path(line.split(":")[0].strip())
        if path.suffix.lower() in (".ttf", ".otf", ".ttc") and "noto" not in path.name.lower():
            found.append((path.stem.lower(), path, 0))
    return found[:4]


def background(scheme: tuple[str, tuple[int, int, int], tuple[tuple[int, int, int], ...]], photo: bool,
               rng: random.Random) -> Image.Image:  # fmt: skip
    """A vertical gradient; `photo`: with blotches and noise, like a photograph behind the text."""
    _, _, (top, bottom) = scheme
    image = Image.new("RGB", SIZE)
    draw = ImageDraw.Draw(image)
    for y in range(SIZE[1]):
        t = y / (SIZE[1] - 1)
        draw.line([(0, y), (SIZE[0], y)], fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))
    if photo:
        for _ in range(40):
            x, y, r = rng.randrange(SIZE[0]), rng.randrange(SIZE[1]), rng.randrange(40, 220)
            colour = tuple(rng.randrange(256) for _ in range(3))
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
        image = image.filter(ImageFilter.GaussianBlur(18))
        noise = Image.effect_noise(SIZE, 40).convert("RGB")
        image = Image.blend(image, noise, 0.18)
    return image


def poster(lines: list[str], size: int, font: tuple[str, Path, int], scheme: tuple, degradation: str,
           rng: random.Random) -> bytes:  # fmt: skip
    """The poster's encoded bytes (PNG, or JPEG for the jpeg degradations)."""
    image = background(scheme, degradation == "photo", rng)
    draw = ImageDraw.Draw(image)
    face = ImageFont.truetype(str(font[1]), size, index=font[2])
    top = 300
    for line in lines:
        width = draw.textlength(line, font=face)
        draw.text(((SIZE[0] - width) / 2, top), line, font=face, fill=scheme[1])
        top += max(int(size * 2.2), 60)
    if degradation.startswith("rotate"):
        image = image.rotate(float(degradation[6:]), resample=Image.Resampling.BICUBIC, fillcolor=scheme[2][0])
    if degradation == "blur":
        image = image.filter(ImageFilter.GaussianBlur(1.2))
    buffer = io.BytesIO()
    if degradation.startswith("jpeg"):
        image.save(buffer, "JPEG", quality=int(degradation[4:]))
    else:
        image.save(buffer, "PNG")
    return buffer.getvalue()


def rules_found(engine, text_or_lines, profile: Profile) -> set[str]:
    """The rule ids the check reports: on a sentence as text, or on a picture's OCR lines."""
    from mediactl.check.extract import extract_text

    if isinstance(text_or_lines, str):
        segments = extract_text(text_or_lines, "truth.txt")
    else:
        segment = segment_of(text_or_lines, "poster.png", "image.poster.ocr")
        segments = [segment] if segment else []
    return {f.rule for f in engine.check(segments, profile)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[14, 20, 28, 40, 64])
    parser.add_argument("--degradations", nargs="+", default=list(DEGRADATIONS))
    parser.add_argument("--clean", type=int, default=12, help="clean posters (false findings)")
    parser.add_argument("--keep", type=Path, help="write the posters here")
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; python {sys.version.split()[0]}")
    _, engine = prepared(None, None)
    profile = Profile()
    rng = random.Random(17)
    with tempfile.TemporaryDirectory() as cache:
        reader = OcrReader(OcrCache(Path(cache)))
        started = time.perf_counter()
        reader.lines(poster(["预热"], 40, fonts()[0], SCHEMES[0], "none", rng), "warm-up")  # engine created here
        print(f"engine created and first image read in {time.perf_counter() - started:.2f} s")
        cases = list(itertools.product(args.degradations, args.sizes, fonts()))
        hits: dict[str, list[bool]] = {}
        by_size: dict[int, list[bool]] = {}
        first, cached, cpu, misses = [], [], [], []
        for index, (degradation, size, font) in enumerate(cases):
            planted = PLANTED[index % len(PLANTED)]
            lines = [CLEAN[index % len(CLEAN)], planted, CLEAN[(index + 3) % len(CLEAN)]]
            scheme = SCHEMES[index % len(SCHEMES)]
            data = poster(lines, size, font, scheme, degradation, rng)
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                (args.keep / f"{index:03d}-{degradation}-{size}-{font[0]}-{scheme[0]}.png").write_bytes(data)
            started, used = time.perf_counter(), time.process_time()
            read = reader.lines(data, f"poster-{index}")
            first.append(time.perf_counter() - started)
            cpu.append(time.process_time() - used)  # all threads: what it costs a quiet machine's cores
            started = time.perf_counter()
            OcrReader(OcrCache(Path(cache))).lines(data, f"poster-{index}")  # another process's view: the cache
            cached.append(time.perf_counter() - started)
            wanted = rules_found(engine, planted, profile)
            found = rules_found(engine, read, profile)
            hit = bool(wanted) and wanted <= found
            hits.setdefault(degradation, []).append(hit)
            by_size.setdefault(size, []).append(hit)
            if not hit:
                misses.append(f"{degradation} {size}px {font[0]} {scheme[0]}: planted {planted!r}, read "
                              f"{' / '.join(line.text for line in read)!r}")  # fmt: skip
        false_findings = 0
        for index in range(args.clean):
            lines = [CLEAN[(index + k) % len(CLEAN)] for k in range(3)]
            size = args.sizes[index % len(args.sizes)]
            degradation = args.degradations[index % len(args.degradations)]
            data = poster(lines, size, fonts()[index % len(fonts())], SCHEMES[index % len(SCHEMES)], degradation, rng)
            found = rules_found(engine, reader.lines(data, f"clean-{index}"), profile)
            false_findings += len(found)
            if found:
                misses.append(f"clean poster {index} ({degradation} {size}px): false findings {sorted(found)}")
        reader.close()
    total = [h for group in hits.values() for h in group]
    print(f"\nfonts: {', '.join(f[0] for f in fonts())}; {len(total)} posters with a planted violation, "
          f"{args.clean} clean")  # fmt: skip
    print(f"{'degradation':<12} recall")
    for degradation, group in hits.items():
        print(f"{degradation:<12} {sum(group)}/{len(group)} = {100 * sum(group) / len(group):.0f} %")
    print(f"{'all':<12} {sum(total)}/{len(total)} = {100 * sum(total) / len(total):.0f} %")
    print("by text size: " + ", ".join(f"{s}px {100 * sum(g) / len(g):.0f} %" for s, g in sorted(by_size.items())))
    print(f"false findings on {args.clean} clean posters: {false_findings}")
    print(f"time per 1080x1440 image: first reading median {statistics.median(first):.2f} s "
          f"(p90 {sorted(first)[int(0.9 * (len(first) - 1))]:.2f} s), cached median "
          f"{1000 * statistics.median(cached):.1f} ms; CPU time of a first reading median "
          f"{statistics.median(cpu):.2f} s (all threads)")  # fmt: skip
    if misses:
        print("\nmissed or wrong:")
        for line in misses:
            print("  " + line)


if __name__ == "__main__":
    main()
