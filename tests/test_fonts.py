"""The shipped font (issue 16): glyph coverage of every weight, no tofu, provenance that matches the files.

The character sets are enumerated here from Python's codecs, independently of tools/build_font.py,
so a build that drops characters fails these tests; only the example library's walk is the build
script's own (one definition of "the example library").
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import re
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw

from mediactl.graphics import load_layout, render_image
from mediactl.graphics.fonts import (
    DEFAULT_FILES,
    FontError,
    covers,
    default_font_path,
    default_font_path_for,
    default_font_paths,
    load_font,
)

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = list(DEFAULT_FILES)
TRADITIONAL = "臺灣銀行提醒：理財產品有風險，投資須謹慎。請認準官方網站，切勿輕信陌生來電與簡訊連結。"


def _double_byte(codec: str, leads: range, trails: list[int], last: int = 0xFFFF) -> str:
    chars = []
    for lead in leads:
        for trail in trails:
            if (lead << 8 | trail) > last:
                break
            try:
                chars.append(bytes((lead, trail)).decode(codec))
            except UnicodeDecodeError:
                continue
    return "".join(chars)


GB2312 = _double_byte("gb2312", range(0xA1, 0xF8), list(range(0xA1, 0xFF)))
BIG5_LEVEL1 = _double_byte("big5", range(0xA4, 0xC7), [*range(0x40, 0x7F), *range(0xA1, 0xFF)], last=0xC67E)


@functools.cache
def _example_library() -> str:
    spec = importlib.util.spec_from_file_location("mediactl_tools_build_font", ROOT / "tools" / "build_font.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass resolves annotations through sys.modules
    spec.loader.exec_module(module)
    return "".join(map(chr, sorted(module.library_characters(ROOT))))


def test_the_character_sets_are_the_standard_ones() -> None:
    hanzi = [ch for ch in GB2312 if "\u4e00" <= ch <= "\u9fff"]
    assert (len(GB2312), len(hanzi), len(BIG5_LEVEL1)) == (7445, 6763, 5401)


@pytest.mark.parametrize("weight", WEIGHTS)
@pytest.mark.parametrize(
    "charset",
    [GB2312, BIG5_LEVEL1, "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳￥¥℃‰№…—·「」『』【】〔〕《》！？％＋"],
    ids=["gb2312", "big5-level1", "symbols"],
)
def test_every_weight_covers_the_national_sets(weight: str, charset: str) -> None:
    assert covers(load_font(40, weight), charset) == []


@pytest.mark.parametrize("weight", WEIGHTS)
def test_every_weight_covers_the_example_library(weight: str) -> None:
    library = _example_library()
    assert len(library) > 900  # the walk found the library (1,057 characters when the font was built)
    assert covers(load_font(40, weight), library) == []


def _ink(font, text: str) -> Image.Image:
    image = Image.new("L", (64, 64), 0)
    ImageDraw.Draw(image).text((8, 4), text, fill=255, font=font)
    return image


@pytest.mark.parametrize("weight", WEIGHTS)
def test_a_traditional_sentence_draws_no_tofu(weight: str) -> None:
    """Pixels, not the cmap: each character must draw something, and not the box drawn for a missing glyph."""
    font = load_font(40, weight)
    tofu = _ink(font, "\u0378")  # unassigned: the .notdef box
    assert tofu.getbbox() is not None  # the subset kept a visible .notdef, so this test can see tofu
    for ch in dict.fromkeys(TRADITIONAL):
        drawn = _ink(font, ch)
        assert drawn.getbbox() is not None, f"{ch!r} draws nothing"
        assert ImageChops.difference(drawn, tofu).getbbox() is not None, f"{ch!r} draws the .notdef box"


def test_a_traditional_title_renders_through_a_layout(tmp_path: Path) -> None:
    layout_file = tmp_path / "tc.yaml"
    layout_file.write_text(
        'background: {color: "#0A2A5E"}\nelements:\n  - type: text\n    box: [0.05, 0.1, 0.9, 0.8]\n'
        "    text: title\n    size: [24, 60]\n    script: TC\n",
        "utf-8",
    )
    rendered = render_image(load_layout(layout_file), 1080, 1080, texts={"title": TRADITIONAL}, images={}, qr_url=None)
    assert rendered.font_sizes["title"] >= 24


def test_default_font_path_is_the_regular_face_in_one_opentype_file() -> None:
    """The contract other code relies on (the preview copies it; charts register it): one face, Regular."""
    path = default_font_path()
    assert path == default_font_path_for("regular") == default_font_paths()["Regular"]
    assert path.read_bytes()[:4] == b"OTTO"  # a single OpenType (CFF) face, not a collection
    assert load_font(20, "Regular").getname() == ("Noto Sans CJK SC", "Regular")
    assert [p.name for p in default_font_paths().values()] == list(DEFAULT_FILES.values())
    with pytest.raises(FontError, match=r"^the default font has no weight 'Medium'; shipped weights: Regular, Bold$"):
        default_font_path_for("Medium")


def test_provenance_records_the_shipped_files_and_the_licence_ships_beside_them() -> None:
    folder = default_font_path().parent
    provenance = (folder / "PROVENANCE.md").read_text("utf-8")
    for path in default_font_paths().values():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        row = rf"\| `{re.escape(path.name)}` \| [\d,]+ \| [\d,]+ \| [\d,]+ \| {digest} \|"  # bytes, glyphs, code points
        assert re.search(row, provenance), path.name
    assert "fonts-noto-cjk" in provenance
    licence = (folder / "OFL.txt").read_text("utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence
    assert licence.startswith("© 2014-2021 Adobe")
