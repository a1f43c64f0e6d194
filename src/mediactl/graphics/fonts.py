"""CJK fonts for rendered graphics: loading, identity for cache keys, and glyph coverage.

The default face is mediactl's own subset of Noto Sans CJK SC (OFL-1.1), shipped in
``mediactl/data/fonts/``: one static OpenType file per weight, Regular and Bold (the weights the
layouts use), about 2.2 MB each. `tools/build_font.py` makes them from Debian's ``fonts-noto-cjk``
package; ``PROVENANCE.md`` beside them records the source, the subset and every SHA-256, and
``OFL.txt`` the licence. They hold all of GB 2312, Big5 level 1 (the traditional characters in
common use), every character of the example library, Latin-1 and the CJK and full-width
punctuation. A project may name its own font file (.ttf/.otf/.ttc) instead.

The SC/TC `script` choice predates the subset: the shipped face is SC and holds the traditional
characters too (drawn in the mainland's standard glyph shapes), so for the default font both
scripts give the same face; for a project's own collection (.ttc) `script` still picks the
face whose family name ends in it.

Fonts are loaded with Pillow's BASIC layout engine: Chinese and Latin need no complex shaping,
the result does not depend on whether libraqm is present (output stays byte-identical from one
machine to the next), and widths are additive (the width of a string is the sum of the widths
of its pieces), which line breaking relies on.

Coverage (`covers`) reads the font's own character map (the ``cmap`` table, formats 4, 12 and
13), so "has a glyph" means what it means to the font, not a guess from rendered pixels.

The reader is ours, not fontTools (issue 11 weighed it; `bench/font_bench.py` measures it):
both find the same covered code points (44,810 in every face of the full Noto collection, 9,997
in the shipped subset; they agree on DejaVu's format 4 maps too), but fontTools names every
glyph of a CFF face to build its map. In a fresh process, as every render worker is, coverage of
the full collection took 6.6 ms here and 189 ms with fontTools, plus 33 ms to import it (4 ms for
this module); see bench/README.md for the subset's figures.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import struct
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Pillow is imported only when a font is really opened (keeps start-up lean)
    from PIL import ImageFont

from mediactl.core.errors import MediactlError

#: The shipped files, one per weight (tools/build_font.py writes them); Regular first: the default.
DEFAULT_FILES = {
    "Regular": "NotoSansCJKsc-Regular-subset.otf",
    "Bold": "NotoSansCJKsc-Bold-subset.otf",
}
SCRIPTS = ("SC", "TC")


class FontError(MediactlError):
    """A font cannot be loaded as asked: missing file, unreadable file, unknown weight or script.

    `field` says which setting is at fault (``path``, ``weight``, ``script`` or ``size``) so a
    layout can point at the right key.
    """

    def __init__(self, message: str, *, field: str = "path", hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.field = field


def default_font_path() -> Path:
    """The shipped Regular face: the one file for body text, charts and web pages (the preview copies it).

    A single-face static OpenType (CFF) file that Pillow, FreeType, matplotlib and browsers all
    read. `default_font_path_for` gives the file of another shipped weight.
    """
    return default_font_path_for("Regular")


def default_font_path_for(weight: str) -> Path:
    """The shipped file of `weight` (``Regular`` or ``Bold``, any case); FontError names the shipped ones."""
    name = {w.lower(): w for w in DEFAULT_FILES}.get(str(weight).lower())
    if name is None:
        raise FontError(
            f"the default font has no weight {weight!r}; shipped weights: {', '.join(DEFAULT_FILES)}",
            field="weight",
            hint="use one of them, or name a font file of that weight in the layout (font:)",
        )
    return _default_font_paths()[name]


def default_font_paths() -> dict[str, Path]:
    """Every shipped file by weight, Regular first."""
    return dict(_default_font_paths())


@functools.cache
def _default_font_paths() -> dict[str, Path]:
    folder = Path(str(resources.files("mediactl") / "data" / "fonts"))
    paths = {weight: folder / name for weight, name in DEFAULT_FILES.items()}
    for path in paths.values():
        if not path.is_file():
            raise FontError(
                f"default font {path}: not found (mediactl's own font files are missing)",
                hint="reinstall mediactl; in a source checkout, python tools/build_font.py",
            )
    return paths


@functools.cache
def font_identity() -> str:
    """A short string that changes when a default font file changes (for render cache keys).

    A hash of the shipped files' bytes, once per process (4.4 MB: a few milliseconds): their
    names and sizes stay the same when the subset is rebuilt with other characters.
    """
    digest = hashlib.sha256()
    for path in _default_font_paths().values():
        digest.update(path.read_bytes())
    return f"noto-sans-cjk-sc-subset:{digest.hexdigest()[:16]}"


@functools.lru_cache(maxsize=512)
def load_font(size: int, weight: str = "Bold", script: str = "SC", path: Path | None = None) -> ImageFont.FreeTypeFont:
    """A font at `size` px, in the named `weight`, for `script` (``SC`` or ``TC``).

    Without `path`, the shipped Noto Sans CJK SC subset of that weight (Regular or Bold; both
    scripts, see the module doc). With `path`, that project font file; in a collection (.ttc) the face whose family name ends in the script is used
    (face 0 when none does). A variable font takes `weight` as a named instance (Thin … Black);
    a static font has only its own weight, and `weight` must name it or a word of its style name
    (``Bold`` for a "Condensed Bold" file).

    The result is cached and shared: do not change its variation or size.
    """
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise FontError(f"font size must be a whole number of pixels ≥ 1, got {size!r}", field="size")
    script = str(script).upper()
    if script not in SCRIPTS:
        raise FontError(f"unknown script {script!r}; valid scripts: {', '.join(SCRIPTS)}", field="script")
    if path is None:
        return _open(default_font_path_for(weight), size, 0)
    file = Path(path)
    if not file.is_file():
        raise FontError(f"font file {file}: not found")
    font = _open(file, size, _face_for_script(file, script))
    _select_weight(font, file, weight)
    return font


def _open(file: Path, size: int, index: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont  # lazy: start-up, Pillow only when a font is really opened (see TYPE_CHECKING)

    try:
        return ImageFont.truetype(str(file), size, index=index, layout_engine=ImageFont.Layout.BASIC)
    except OSError as exc:
        raise FontError(f"font file {file}: cannot be read as a font ({exc})") from exc


@functools.lru_cache(maxsize=32)
def _face_for_script(file: Path, script: str) -> int:
    """In a collection, the face named for `script` (``Noto Sans CJK TC``); else face 0."""
    if file.suffix.lower() not in (".ttc", ".otc"):
        return 0
    from PIL import ImageFont  # lazy: start-up, as _open

    for index in range(64):
        try:
            family = ImageFont.truetype(str(file), 16, index=index).getname()[0] or ""
        except OSError:
            break
        if family.upper().endswith(f" {script}"):
            return index
    return 0


def _select_weight(font: ImageFont.FreeTypeFont, file: Path, weight: str) -> None:
    try:
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in font.get_variation_names()]
    except OSError:  # a static font: one weight, its style name
        style = font.getname()[1] or "Regular"
        wanted = str(weight).lower()
        if wanted != style.lower() and wanted not in style.lower().split():  # "Bold" matches "Condensed Bold"
            raise FontError(
                f"font file {file.name} is a static font of weight {style!r}: weight {weight!r} is not available",
                field="weight",
                hint=f"use weight: {style}, or a font file of that weight",
            ) from None
        return
    by_lower = {n.lower(): n for n in names}
    name = by_lower.get(str(weight).lower())
    if name is None:
        raise FontError(
            f"font {file.name}: unknown weight {weight!r}; valid weights: {', '.join(names)}", field="weight"
        )
    font.set_variation_by_name(name)


def covers(font: ImageFont.FreeTypeFont, text: str) -> list[str]:
    """The distinct characters of `text` (in order of appearance) that `font` has no glyph for.

    Line feeds are layout, not glyphs, and are not reported. Anything else the font's
    character map lacks would be drawn as a .notdef box ("tofu") and is reported.
    """
    if not isinstance(font.path, str | Path):
        raise FontError("glyph coverage needs a font loaded from a file")
    cmap = _cmap(str(font.path), font.index)
    missing: list[str] = []
    for ch in dict.fromkeys(text):
        if ch != "\n" and not cmap.has(ord(ch)) and ch not in missing:
            missing.append(ch)
    return missing


class _CharMap:
    """A font's Unicode character map as sorted, merged code-point ranges (glyph 0 excluded)."""

    def __init__(self, ranges: list[tuple[int, int]]) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        for start, end in sorted(ranges):
            if self.starts and start <= self.ends[-1] + 1:
                self.ends[-1] = max(self.ends[-1], end)
            else:
                self.starts.append(start)
                self.ends.append(end)

    def has(self, cp: int) -> bool:
        i = bisect.bisect_right(self.starts, cp) - 1
        return i >= 0 and cp <= self.ends[i]


@functools.lru_cache(maxsize=16)
def _cmap(path: str, index: int) -> _CharMap:
    try:
        with open(path, "rb") as fh:
            return _read_cmap(fh, index)
    except (OSError, struct.error, ValueError) as exc:
        raise FontError(f"font file {Path(path).name}: cannot read its character map ({exc})") from exc


def _read_cmap(fh, index: int) -> _CharMap:
    def read(offset: int, size: int) -> bytes:
        fh.seek(offset)
        data = fh.read(size)
        if len(data) != size:
            raise ValueError("file is truncated")
        return data

    base = 0
    if read(0, 4) == b"ttcf":
        count = struct.unpack(">I", read(8, 4))[0]
        if index >= count:
            raise ValueError(f"no face {index} in a collection of {count}")
        base = struct.unpack(">I", read(12 + 4 * index, 4))[0]
    num_tables = struct.unpack(">H", read(base + 4, 2))[0]
    records = read(base + 12, 16 * num_tables)
    cmap_offset = None
    for i in range(num_tables):
        tag, _checksum, offset, _length = struct.unpack(">4sIII", records[16 * i : 16 * i + 16])
        if tag == b"cmap":
            cmap_offset = offset
    if cmap_offset is None:
        raise ValueError("no cmap table")
    _version, count = struct.unpack(">HH", read(cmap_offset, 4))
    subtables: dict[tuple[int, int], int] = {}
    encodings = read(cmap_offset + 4, 8 * count)
    for i in range(count):
        platform, encoding, offset = struct.unpack(">HHI", encodings[8 * i : 8 * i + 8])
        subtables.setdefault((platform, encoding), cmap_offset + offset)
    # Full Unicode tables first (format 12/13), then BMP-only ones (format 4).
    for key in ((3, 10), (0, 6), (0, 4), (3, 1), (0, 3), (0, 2), (0, 1), (0, 0)):
        offset = subtables.get(key)
        if offset is None:
            continue
        fmt = struct.unpack(">H", read(offset, 2))[0]
        if fmt in (12, 13):
            return _format12(read, offset, many_to_one=fmt == 13)
        if fmt == 4:
            return _format4(read, offset)
    raise ValueError("no Unicode character map of format 4, 12 or 13")


def _format12(read, offset: int, *, many_to_one: bool) -> _CharMap:
    _fmt, _reserved, _length, _language, groups = struct.unpack(">HHIII", read(offset, 16))
    ranges: list[tuple[int, int]] = []
    for start, end, glyph in struct.iter_unpack(">III", read(offset + 16, 12 * groups)):
        if glyph == 0:  # glyph 0 is .notdef: a range mapped to it is not covered
            if many_to_one or start == end:
                continue
            start += 1
        ranges.append((start, end))
    return _CharMap(ranges)


def _format4(read, offset: int) -> _CharMap:
    _fmt, length = struct.unpack(">HH", read(offset, 4))
    table = read(offset, length)
    seg_x2 = struct.unpack(">H", table[6:8])[0]
    n = seg_x2 // 2
    end_codes = struct.unpack(f">{n}H", table[14 : 14 + seg_x2])
    start_codes = struct.unpack(f">{n}H", table[16 + seg_x2 : 16 + 2 * seg_x2])
    deltas = struct.unpack(f">{n}h", table[16 + 2 * seg_x2 : 16 + 3 * seg_x2])
    range_pos = 16 + 3 * seg_x2
    range_offsets = struct.unpack(f">{n}H", table[range_pos : range_pos + seg_x2])
    ranges: list[tuple[int, int]] = []
    for i in range(n):
        start, end = start_codes[i], end_codes[i]
        if start == 0xFFFF:
            continue
        if range_offsets[i] == 0:
            zero = (-deltas[i]) & 0xFFFF  # the one code point (if any) that lands on glyph 0
            if start <= zero <= end:
                ranges.extend(r for r in ((start, zero - 1), (zero + 1, end)) if r[0] <= r[1])
            else:
                ranges.append((start, end))
            continue
        glyph_base = range_pos + 2 * i + range_offsets[i]

        def glyph_of(cp: int, i: int = i, glyph_base: int = glyph_base, start: int = start) -> int:
            pos = glyph_base + 2 * (cp - start)
            if pos + 2 > len(table):
                return 0
            glyph = struct.unpack(">H", table[pos : pos + 2])[0]
            return (glyph + deltas[i]) & 0xFFFF if glyph else 0

        ranges.extend(_nonzero_runs(start, end, glyph_of))
    return _CharMap(ranges)


def _nonzero_runs(start: int, end: int, glyph_of) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    run_start = None
    for cp in range(start, end + 1):
        if glyph_of(cp):
            if run_start is None:
                run_start = cp
        elif run_start is not None:
            runs.append((run_start, cp - 1))
            run_start = None
    if run_start is not None:
        runs.append((run_start, end))
    return runs
