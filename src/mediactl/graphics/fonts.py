"""CJK fonts for rendered graphics: loading, identity for cache keys, and glyph coverage.

The default face is Noto Sans CJK from the ``manimgx-fonts-cjk`` wheel (OFL-1.1, its licence
ships in that wheel's metadata): one variable OpenType collection whose face 2 is Simplified
Chinese (SC) and face 3 Traditional Chinese (TC). Its default instance is Thin, so every load
selects a named weight. A project may name its own font file (.ttf/.otf/.ttc) instead.

Fonts are loaded with Pillow's BASIC layout engine: Chinese and Latin need no complex shaping,
the result does not depend on whether libraqm is present (output stays byte-identical from one
machine to the next), and widths are additive (the width of a string is the sum of the widths
of its pieces), which line breaking relies on.

Coverage (`covers`) reads the font's own character map (the ``cmap`` table, formats 4, 12 and
13), so "has a glyph" means what it means to the font, not a guess from rendered pixels.

The reader is ours, not fontTools (issue 11 weighed it; `bench/font_bench.py` measures it):
both find the same 44,810 covered code points in every face of the Noto collection (and agree
on DejaVu's format 4 maps), but fontTools names all 65,535 glyphs of the CFF2 face to build
its map. In a fresh process, as every render worker is, coverage took 6.6 ms here and 189 ms
with fontTools, plus 33 ms to import it (4 ms for this module); a coverage cache keyed by the
font's hash would not help, since hashing the 32 MB file alone takes 23 ms.
"""

from __future__ import annotations

import bisect
import functools
import importlib.util
import struct
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Pillow is imported only when a font is really opened (keeps start-up lean)
    from PIL import ImageFont

from mediactl.core.errors import MediactlError

DEFAULT_PACKAGE = "manimgx_fonts_cjk"
DEFAULT_FILE = "NotoSansCJK-VF.otf.ttc"
DEFAULT_FACES = {"SC": 2, "TC": 3}  # face index in the collection, per script
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
    """The Noto Sans CJK collection that the ``manimgx-fonts-cjk`` package installs."""
    return _default_font_path()


@functools.cache
def _default_font_path() -> Path:
    spec = importlib.util.find_spec(DEFAULT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FontError(
            f"default font {DEFAULT_FILE}: the package {DEFAULT_PACKAGE} is not installed",
            hint="pip install manimgx-fonts-cjk",
        )
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / DEFAULT_FILE
        if candidate.is_file():
            return candidate
    raise FontError(
        f"default font {DEFAULT_FILE}: not found in the {DEFAULT_PACKAGE} package",
        hint="pip install --force-reinstall manimgx-fonts-cjk",
    )


def font_identity() -> str:
    """A short string that changes when the default font file changes (for render cache keys)."""
    path = default_font_path()
    return f"{path.name}:{path.stat().st_size}"


@functools.lru_cache(maxsize=512)
def load_font(size: int, weight: str = "Bold", script: str = "SC", path: Path | None = None) -> ImageFont.FreeTypeFont:
    """A font at `size` px, in the named `weight`, for `script` (``SC`` or ``TC``).

    Without `path`, the default Noto Sans CJK face of that script. With `path`, that project
    font file; in a collection (.ttc) the face whose family name ends in the script is used
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
        file = default_font_path()
        index = DEFAULT_FACES[script]
    else:
        file = Path(path)
        if not file.is_file():
            raise FontError(f"font file {file}: not found")
        index = _face_for_script(file, script)
    font = _open(file, size, index)
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
