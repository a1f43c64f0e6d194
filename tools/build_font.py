"""Build mediactl's shipped CJK font: an OFL subset of Noto Sans CJK SC from Debian's fonts-noto-cjk.

Why: the default face used to come from an unrelated project's 32 MB wheel, which a bank's
supply-chain review rejects. This script makes the font from a source anyone can verify: Debian's
``fonts-noto-cjk`` package (pinned below by version and SHA-256; apt also checks it against the
signed archive index), whose files are upstream Noto Sans CJK (github.com/notofonts/noto-cjk,
SIL Open Font License 1.1). It keeps the Simplified Chinese face of the static Regular and Bold
collections (the weights the layouts use), subsets it with fontTools to the characters a bank's
posts need (GB 2312, Big5 level 1 for traditional text, the example library, Latin and
punctuation), drops hinting and vertical layout, and writes one OpenType (CFF) file per weight,
``OFL.txt`` and ``PROVENANCE.md`` into ``src/mediactl/data/fonts/``.

The output is reproducible: the same .deb and the same fontTools version give byte-identical
files (the source's own ``head.modified`` is kept, nothing records the build time), so a reviewer
can re-run this and compare the SHA-256s in PROVENANCE.md.

    pip install -e '.[dev]'            # fontTools is a dev dependency only; mediactl never imports it
    python tools/build_font.py         # apt-get download (Debian/Ubuntu), else deb.debian.org
    python tools/build_font.py --deb fonts-noto-cjk_20220127+repack1-1_all.deb   # a copy you have
"""

from __future__ import annotations

import argparse
import hashlib
import io
import lzma
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "mediactl" / "data" / "fonts"

# The pinned source. To move to a newer Debian release: change all three, re-run, review the diff.
PACKAGE = "fonts-noto-cjk"
VERSION = "1:20220127+repack1-1"  # Debian bookworm; upstream Noto Sans CJK 2.004
DEB_SHA256 = "4a2515eb6db3978b897fef9709ed0d2b1f4c6c4df4d83d6c4ef65f71f1b1f502"
POOL_URL = "https://deb.debian.org/debian/pool/main/f/fonts-noto-cjk/fonts-noto-cjk_20220127+repack1-1_all.deb"
UPSTREAM = (
    "https://github.com/notofonts/noto-cjk (release Sans2.004, 2021-04-28; Debian's 20220127 is its snapshot date)"
)

FONT_DIR = "./usr/share/fonts/opentype/noto/"
COPYRIGHT = "./usr/share/doc/fonts-noto-cjk/copyright"
FAMILY = "Noto Sans CJK SC"  # the face taken from each collection (not JP/KR/TC/HK, not Mono)
WEIGHTS = ("Regular", "Bold")  # what src/mediactl/data/templates/media/*.yaml use


def output_name(weight: str) -> str:
    """The shipped file of one weight (graphics/fonts.py names the same files)."""
    return f"NotoSansCJKsc-{weight}-subset.otf"


# Text of the example library: every character in it must be drawable. data/check/ is left out:
# its t2s table maps rare traditional characters for the checker and is never rendered.
LIBRARY = ("content", "templates", "compliance", "examples", "mediactl.example.yaml", "src/mediactl/data")
LIBRARY_SKIP = ("src/mediactl/data/check", "src/mediactl/data/reader")  # rule data and the model: not copy to draw
LIBRARY_SUFFIXES = {".md", ".yaml", ".yml", ".j2", ".txt", ".srt", ".html", ".css", ".js", ".svg", ".json"}

# Blocks kept whole, beyond the two national character sets: (first, last, what).
RANGES = (
    (0x0020, 0x007E, "ASCII"),
    (0x00A0, 0x00FF, "Latin-1 Supplement"),
    (0x2000, 0x206F, "General Punctuation"),
    (0x20A0, 0x20BF, "Currency Symbols"),
    (0x2100, 0x214F, "Letterlike Symbols (℃ № ™)"),
    (0x2190, 0x21FF, "Arrows"),
    (0x2460, 0x2473, "Circled numbers ①-⑳"),
    (0x25A0, 0x25FF, "Geometric Shapes"),
    (0x2605, 0x2606, "Stars ★☆"),
    (0x3000, 0x303F, "CJK Symbols and Punctuation"),
    (0x3220, 0x3229, "Parenthesized ideographs ㈠-㈩"),
    (0xFE30, 0xFE4F, "CJK Compatibility Forms"),
    (0xFF00, 0xFFEF, "Halfwidth and Fullwidth Forms (￥)"),
)

# Layout features a browser applies to CJK and Latin text by default, plus proportional punctuation. Left out:
# vertical forms, and `locl` and the width variants, whose alternates (JP/KR/TC glyph shapes) would double the glyphs.
FEATURES = ("ccmp", "kern", "palt", "halt", "liga")
VERTICAL_TABLES = ("vhea", "vmtx", "VORG")


@dataclass(frozen=True)
class Charset:
    """The code points to keep, by where they come from (PROVENANCE.md lists the counts)."""

    gb2312: frozenset[int]
    big5_level1: frozenset[int]
    library: frozenset[int]
    ranges: frozenset[int]

    def all(self) -> set[int]:
        return set(self.gb2312 | self.big5_level1 | self.library | self.ranges)


def gb2312_characters() -> set[int]:
    """Every character of GB 2312 (6,763 hanzi and 682 symbols), enumerated from Python's codec."""
    found = set()
    for lead in range(0xA1, 0xF8):
        for trail in range(0xA1, 0xFF):
            try:
                found.add(ord(bytes((lead, trail)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return found


def big5_level1_characters() -> set[int]:
    """Big5's level-1 hanzi, the 5,401 traditional characters in common use (0xA440-0xC67E)."""
    found = set()
    for lead in range(0xA4, 0xC7):
        for trail in (*range(0x40, 0x7F), *range(0xA1, 0xFF)):
            if (lead << 8 | trail) > 0xC67E:
                break
            try:
                found.add(ord(bytes((lead, trail)).decode("big5")))
            except UnicodeDecodeError:
                continue
    return found


def library_characters(root: Path = ROOT) -> set[int]:
    """Every drawable character (not a control or format character) in the example library's text files."""
    found: set[int] = set()
    for name in LIBRARY:
        top = root / name
        files = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
        for file in files:
            relative = file.relative_to(root).as_posix()
            if file.suffix not in LIBRARY_SUFFIXES or relative.startswith(LIBRARY_SKIP):
                continue
            found.update(ord(ch) for ch in file.read_text("utf-8") if unicodedata.category(ch) not in ("Cc", "Cf"))
    return found


def charset() -> Charset:
    ranges = {cp for first, last, _what in RANGES for cp in range(first, last + 1)}
    return Charset(
        frozenset(gb2312_characters()),
        frozenset(big5_level1_characters()),
        frozenset(library_characters()),
        frozenset(ranges),
    )


# --------------------------------------------------------------------------- the source package


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch_deb(folder: Path) -> Path:
    """The pinned .deb: through apt where there is one (it checks the signed index), else from the pool URL."""
    if shutil.which("apt-get"):
        result = subprocess.run(
            ["apt-get", "download", f"{PACKAGE}={VERSION}"], cwd=folder, capture_output=True, text=True
        )
        debs = sorted(folder.glob(f"{PACKAGE}_*.deb"))
        if result.returncode == 0 and debs:
            return debs[0]
        print(f"apt-get download failed ({result.stderr.strip()}); trying {POOL_URL}", file=sys.stderr)
    target = folder / POOL_URL.rsplit("/", 1)[1]
    with urllib.request.urlopen(POOL_URL, timeout=120) as response, open(target, "wb") as out:
        shutil.copyfileobj(response, out)
    return target


def read_deb(deb: Path) -> dict[str, bytes]:
    """The files of a .deb's data archive that this build needs (an ar archive around data.tar.xz)."""
    blob = deb.read_bytes()
    if not blob.startswith(b"!<arch>\n"):
        raise SystemExit(f"{deb}: not a Debian package (no ar header)")
    pos, data = 8, None
    while pos < len(blob):
        header = blob[pos : pos + 60]
        name, size = header[:16].decode().strip().rstrip("/"), int(header[48:58])
        if name.startswith("data.tar"):
            data = blob[pos + 60 : pos + 60 + size]
        pos += 60 + size + (size % 2)
    if data is None or not is_xz(data):
        raise SystemExit(f"{deb}: no data.tar.xz member")
    wanted = {FONT_DIR + f"NotoSansCJK-{w}.ttc" for w in WEIGHTS} | {COPYRIGHT}
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(lzma.decompress(data))) as tar:
        for member in tar:
            if member.name in wanted:
                extracted = tar.extractfile(member)
                assert extracted is not None
                files[member.name] = extracted.read()
    missing = wanted - files.keys()
    if missing:
        raise SystemExit(f"{deb}: missing {', '.join(sorted(missing))}")
    return files


def is_xz(data: bytes) -> bool:
    return data.startswith(b"\xfd7zXZ\x00")


# --------------------------------------------------------------------------- subsetting


def subset(collection: bytes, keep: set[int]):
    """The SC face of a Noto Sans CJK collection, cut down to `keep` (a fontTools TTFont)."""
    from fontTools import subset as fts
    from fontTools.ttLib import TTCollection

    faces = TTCollection(io.BytesIO(collection)).fonts
    face = next(f for f in faces if f["name"].getDebugName(1) == FAMILY)
    face.recalcTimestamp = False  # keep the source's head.modified: same input, same bytes
    options = fts.Options()
    options.hinting = False
    options.layout_features = list(FEATURES)
    options.drop_tables = [*options.drop_tables, *VERTICAL_TABLES]
    options.notdef_outline = True  # a missing glyph shows as a box, not as nothing
    options.recalc_timestamp = False
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    subsetter = fts.Subsetter(options)
    subsetter.populate(unicodes=sorted(keep))
    subsetter.subset(face)
    return face


def save(font, path: Path) -> bytes:
    buffer = io.BytesIO()
    font.save(buffer, reorderTables=True)
    data = buffer.getvalue()
    path.write_bytes(data)
    return data


# --------------------------------------------------------------------------- licence and provenance


def ofl_text(copyright_file: bytes, font_copyright: str) -> str:
    """OFL.txt: the font's own copyright notice, then the licence as Debian's copyright file carries it."""
    lines = copyright_file.decode("utf-8").splitlines()
    # The standalone "License: SIL-1.1" paragraph (the Files: stanza names the licence on a line of its own too).
    start = next(i for i, line in enumerate(lines[:-1]) if line == "License: SIL-1.1" and lines[i + 1].startswith(" "))
    body: list[str] = []
    for line in lines[start + 1 :]:
        if not line.startswith(" "):
            break
        body.append("" if line.strip() == "." else line[1:])
    return (
        f"{font_copyright}\n\nThis Font Software is licensed under the SIL Open Font License, Version 1.1.\n\n"
        + "\n".join(body)
        + "\n"
    )


def provenance(
    sources: dict[str, str], chars: Charset, outputs: dict[str, tuple[str, int, int, int]], font_version: str
) -> str:
    import fontTools

    rows = "\n".join(f"| `{name}` | {digest} |" for name, digest in sources.items())
    out_rows = "\n".join(
        f"| `{name}` | {size:,} | {glyphs:,} | {covered:,} | {digest} |"
        for name, (digest, size, glyphs, covered) in outputs.items()
    )
    ranges = "\n".join(f"- U+{first:04X}–U+{last:04X} {what}" for first, last, what in RANGES)
    return f"""# Provenance of the shipped fonts

Written by `tools/build_font.py`; do not edit by hand. Re-run the script and compare the SHA-256s below:
the same source package and fontTools version give byte-identical files.

## Source

- Debian package: `{PACKAGE}` version `{VERSION}` (bookworm), file `{POOL_URL.rsplit("/", 1)[1]}`
- .deb SHA-256: `{DEB_SHA256}` (pinned in the script; `apt-get download` also checks it against the signed index)
- Pool URL: {POOL_URL}
- Upstream: {UPSTREAM}; font version string: `{font_version}`
- Licence: SIL Open Font License 1.1 (`OFL.txt`, from the package's `copyright` file)
- Face: `{FAMILY}` (the Simplified Chinese face of each collection)

| source file | SHA-256 |
|---|---|
{rows}

## Subset

Tool: fontTools {fontTools.version}, `python tools/build_font.py`; hinting dropped, vertical layout dropped
(tables {", ".join(VERTICAL_TABLES)}), layout features kept: {", ".join(FEATURES)}; `head.modified` kept from the source.

Characters ({len(chars.all()):,} code points asked for; a code point the source has no glyph for is left out):

- GB 2312, all of it, enumerated from the `gb2312` codec: {len(chars.gb2312):,} (6,763 hanzi and the symbols)
- Big5 level 1 (0xA440–0xC67E, the traditional characters in common use), from the `big5` codec: {len(chars.big5_level1):,}
- every drawable character of the example library ({", ".join(LIBRARY)}; not data/check): {len(chars.library):,}
{ranges}

## Output

| file | bytes | glyphs | code points covered | SHA-256 |
|---|---|---|---|---|
{out_rows}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deb", type=Path, help="use this copy of the .deb (its SHA-256 must match the pin)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"output folder (default {OUT.relative_to(ROOT)})")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        deb = args.deb or fetch_deb(Path(tmp))
        digest = sha256(deb.read_bytes())
        if digest != DEB_SHA256:
            raise SystemExit(f"{deb}: SHA-256 {digest} is not the pinned {DEB_SHA256}")
        files = read_deb(deb)
    chars = charset()
    keep = chars.all()
    args.out.mkdir(parents=True, exist_ok=True)
    sources, outputs = {}, {}
    font_copyright = font_version = ""
    for weight in WEIGHTS:
        name = FONT_DIR + f"NotoSansCJK-{weight}.ttc"
        sources[Path(name).name] = sha256(files[name])
        font = subset(files[name], keep)
        font_copyright = font["name"].getDebugName(0)
        font_version = font["name"].getDebugName(5)
        missing = sorted(keep - set(font.getBestCmap()))
        if weight == WEIGHTS[0]:
            print(f"{len(missing)} asked-for code points have no glyph in the source (left out)")
        data = save(font, args.out / output_name(weight))
        outputs[output_name(weight)] = (sha256(data), len(data), len(font.getGlyphOrder()), len(font.getBestCmap()))
        print(f"{output_name(weight)}: {len(data):,} bytes, {len(font.getGlyphOrder()):,} glyphs")
    (args.out / "OFL.txt").write_text(ofl_text(files[COPYRIGHT], font_copyright), "utf-8")
    (args.out / "PROVENANCE.md").write_text(provenance(sources, chars, outputs, font_version), "utf-8")


if __name__ == "__main__":
    main()
