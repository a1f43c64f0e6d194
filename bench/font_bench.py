"""Glyph coverage of the CJK font: mediactl's own `cmap` reader against fontTools (issue 11).

Each figure is a fresh process (what a render worker pays once): importing the reader, then
the coverage of the default font (mediactl's Noto Sans CJK SC subset, Regular). Also timed: a
SHA-256 of the font file, the key a coverage cache would need (and what `font_identity` hashes).
Before timing, both readers must find the same covered code points in every shipped weight (and
in face 0 of any font files given on the command line).

    pip install fonttools        # only for this comparison; mediactl does not depend on it
    python bench/font_bench.py [--runs 5] [EXTRA_FONT ...]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

OURS = """
import time
import mediactl.graphics, mediactl.core.errors  # already loaded in a render: not the reader's cost
t0 = time.perf_counter()
import mediactl.graphics.fonts as fonts
t1 = time.perf_counter()
fonts._cmap({path!r}, {face})
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""

FONTTOOLS = """
import time
t0 = time.perf_counter()
from fontTools.ttLib import TTFont
t1 = time.perf_counter()
TTFont({path!r}, fontNumber={face}, lazy=True).getBestCmap()
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""

HASH = """
import hashlib, time
t0 = time.perf_counter()
with open({path!r}, "rb") as fh:
    hashlib.file_digest(fh, "sha256")
print(0.0, time.perf_counter() - t0)
"""


def covered_ours(path: str, face: int) -> set[int]:
    import mediactl.graphics.fonts as fonts

    cmap = fonts._cmap(path, face)
    return {cp for start, end in zip(cmap.starts, cmap.ends, strict=True) for cp in range(start, end + 1)}


def covered_fonttools(path: str, face: int) -> set[int]:
    from fontTools.ttLib import TTFont

    font = TTFont(path, fontNumber=face, lazy=True)
    notdef = font.getGlyphOrder()[0]
    return {cp for cp, glyph in font.getBestCmap().items() if glyph != notdef}


def cold(script: str, runs: int) -> tuple[list[float], list[float]]:
    imports, lookups = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout
        first, second = map(float, out.split())
        imports.append(first * 1000)
        lookups.append(second * 1000)
    return imports, lookups


def spread(values: list[float]) -> str:
    return f"median {statistics.median(values):6.1f} ms ({min(values):.1f}-{max(values):.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("fonts", nargs="*", type=Path, help="more font files to compare (face 0)")
    args = parser.parse_args()
    from mediactl.graphics.fonts import default_font_path, default_font_paths

    noto = str(default_font_path())
    for path, face in [(str(p), 0) for p in (*default_font_paths().values(), *args.fonts)]:
        ours, theirs = covered_ours(path, face), covered_fonttools(path, face)
        verdict = "same" if ours == theirs else f"DIFFER: {len(ours ^ theirs)} code points"
        print(f"{Path(path).name} face {face}: {len(ours)} code points covered, fontTools: {verdict}")
    face = 0
    for label, script in (("mediactl cmap", OURS), ("fontTools", FONTTOOLS), ("sha256 of the font", HASH)):
        imports, lookups = cold(script.format(path=noto, face=face), args.runs)
        print(f"{label:20} import {spread(imports)}   coverage {spread(lookups)}")


if __name__ == "__main__":
    main()
