"""Graphics: fonts and glyph coverage, Chinese line breaking, layouts and the renderer."""

from __future__ import annotations

import hashlib
import io
import random
import textwrap
from pathlib import Path

import pytest
import segno
from PIL import Image, ImageChops

from mediactl import graphics
from mediactl.core.errors import MediactlError
from mediactl.graphics import LayoutError, find_layout, load_layout, render_image
from mediactl.graphics.fonts import (
    FontError,
    covers,
    default_font_path_for,
    default_font_paths,
    font_identity,
    load_font,
)
from mediactl.text.linebreak import NO_END, NO_START, break_lines

TITLE = "个人养老金账户开立指南：税优政策一图读懂"
SUMMARY = "每年最高可缴存12000元，按3%税率计算，每年最多可省税3600元。开户只需三步，手机银行APP即可办理。"
DISCLAIMER = "理财有风险，投资需谨慎。本材料不构成任何投资建议。"
URL = "https://m.example-bank.cn/t/7Kq2?ch=xhs&item=pension-guide"
PACKAGED = ("cover-wide", "cover-tall", "cover-square", "poster")
SIZES = ((900, 383), (1080, 1440), (1080, 1920), (383, 383))


def width_of(text: str) -> float:
    """A fixed-width fake measure: a Chinese character or full-width mark is 2, anything else 1."""
    return float(sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text))


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    """A small photo-like JPEG: sky gradient, a sun, hills."""
    image = Image.linear_gradient("L").resize((320, 240)).convert("RGB")
    image = ImageChops.multiply(image, Image.new("RGB", image.size, (120, 170, 230)))
    image.paste((250, 220, 150), (220, 30, 280, 90))
    image.paste((60, 110, 80), (0, 170, 320, 240))
    path = tmp_path / "photo.jpg"
    image.save(path, quality=90)
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "templates" / "media").mkdir(parents=True)
    return tmp_path


def write_layout(project: Path, body: str, name: str = "test") -> Path:
    path = project / "templates" / "media" / f"{name}.yaml"
    path.write_text(textwrap.dedent(body), "utf-8")
    return path


def layout_from(project: Path, body: str) -> graphics.Layout:
    return load_layout(write_layout(project, body), root=project)


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


TITLE_ONLY = """\
    background: {color: "#0A2A5E"}
    elements:
      - type: text
        box: [0.1, 0.1, 0.8, 0.3]
        text: title
        size: [40, 120]
        max_lines: 2
    """


# --------------------------------------------------------------------------- fonts


def test_default_font_has_chinese_glyphs_in_both_scripts() -> None:
    for script in ("SC", "TC"):  # one shipped SC face holds the traditional characters too
        font = load_font(48, "Bold", script)
        assert font.getname() == ("Noto Sans CJK SC", "Bold")
        assert covers(font, "零風險、臺灣，个人养老金「APP」2.60%‰…—") == []


def test_covers_reports_characters_without_glyphs_in_order() -> None:
    font = load_font(32)
    # U+0378 is unassigned, U+10FFFD private use, U+20000 a CJK Extension B ideograph outside Noto CJK.
    assert covers(font, "中\u0378文\U0010fffd\u0378𠀀\n") == ["\u0378", "\U0010fffd", "𠀀"]


def test_load_font_is_cached_and_selects_the_weight() -> None:
    assert load_font(40, "Regular") is load_font(40, "Regular")
    assert load_font(40, "Regular").getname()[1] == "Regular"
    assert load_font(40, "bold").getname()[1] == "Bold"
    assert load_font(40, "Bold").getlength("中文") == 80


def test_unknown_weight_lists_the_valid_names() -> None:
    with pytest.raises(FontError) as caught:
        load_font(40, "Heavy")
    assert caught.value.message == "the default font has no weight 'Heavy'; shipped weights: Regular, Bold"
    assert isinstance(caught.value, MediactlError)


def test_missing_and_unreadable_font_files(tmp_path: Path) -> None:
    with pytest.raises(FontError, match=r"^font file .*nope\.otf: not found$"):
        load_font(40, path=tmp_path / "nope.otf")
    junk = tmp_path / "junk.ttf"
    junk.write_bytes(b"not a font at all")
    with pytest.raises(FontError, match=r"^font file .*junk\.ttf: cannot be read as a font"):
        load_font(40, path=junk)


def test_project_font_file_is_loaded_from_its_path(tmp_path: Path) -> None:
    copy = tmp_path / "brand.otf"
    copy.symlink_to(default_font_path_for("Bold"))
    font = load_font(40, "Bold", "TC", copy)
    assert font.getname() == ("Noto Sans CJK SC", "Bold")
    assert covers(font, "臺灣") == []
    with pytest.raises(FontError, match="is a static font of weight 'Bold': weight 'Medium' is not available"):
        load_font(40, "Medium", path=copy)


def test_font_identity_is_a_hash_of_the_shipped_files() -> None:
    digest = hashlib.sha256(b"".join(path.read_bytes() for path in default_font_paths().values())).hexdigest()
    assert font_identity() == f"noto-sans-cjk-sc-subset:{digest[:16]}"


# --------------------------------------------------------------------------- line breaking


def test_no_line_starts_with_closing_or_ends_with_opening_punctuation() -> None:
    # Width 6 = three Chinese characters; a plain greedy break would start a line with "，".
    assert break_lines("中中中，中中中。", 6, width_of) == ["中中", "中，中", "中中。"]
    assert break_lines("开头中中（中）", 8, width_of) == ["开头中中", "（中）"]
    assert break_lines("中中（中中", 6, width_of) == ["中中", "（中中"]
    assert break_lines("中中中「好」", 6, width_of) == ["中中中", "「好」"]
    assert break_lines("中中「好」", 6, width_of) == ["中中", "「好」"]


def test_latin_words_and_numbers_stay_whole() -> None:
    lines = break_lines("招商APP上线2.60%收益", 8, width_of)
    assert lines == ["招商APP", "上线", "2.60%收", "益"]
    assert break_lines("收益88元起", 6, width_of) == ["收益88", "元起"]


def test_word_wider_than_the_line_is_split() -> None:
    assert break_lines("abcdefghij中", 4, width_of) == ["abcd", "efgh", "ij中"]


def test_explicit_newlines_and_leading_spaces() -> None:
    assert break_lines("第一行\n  第二行很长很长", 8, width_of) == ["第一行", "第二行很", "长很长"]
    assert break_lines("Hello world", 7, width_of) == ["Hello", "world"]
    assert break_lines("", 5, width_of) == [""]


def test_break_rules_hold_on_random_mixed_text() -> None:
    """Units are a Chinese character (with a closing mark after it or an opening mark before
    it), a Latin word or number after a character, or a space; with lines at least two units wide, a legal break
    always exists, so every rule must hold on every line."""
    rng = random.Random(20240601)
    hanzi = "银行理财收益稳健养老金账户"
    closing, opening = "，。、！？」）》”…", "「（《“"
    words = ["APP", "2.60%", "88", "e-CNY", "Q3"]
    for _ in range(500):
        units = []
        for _ in range(rng.randint(1, 30)):
            kind = rng.random()
            if kind < 0.45:
                units.append(rng.choice(hanzi))
            elif kind < 0.65:
                units.append(rng.choice(hanzi) + rng.choice(closing))
            elif kind < 0.8:
                units.append(rng.choice(opening) + rng.choice(hanzi))
            elif kind < 0.95:
                units.append(rng.choice(hanzi) + rng.choice(words))
            else:
                units.append(" ")
        text = "".join(units)
        width = rng.randint(14, 30)
        lines = break_lines(text, width, width_of)
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
        for number, line in enumerate(lines):
            assert width_of(line) <= width, (text, lines)
            assert line == line.strip(" ")
            if number > 0 and line:
                assert line[0] not in NO_START, (text, lines)
            if number < len(lines) - 1 and line:
                assert line[-1] not in NO_END, (text, lines)
        joined = "\n".join(lines)
        for word in words:
            assert joined.count(word) == text.count(word), (text, lines)


# --------------------------------------------------------------------------- packaged layouts


@pytest.mark.parametrize("name", PACKAGED)
def test_packaged_layout_renders_at_every_size(name: str, photo: Path) -> None:
    layout = load_layout(find_layout(name, [graphics.builtin_layout_dir()]))
    texts = {"title": "个人养老金开户指南：税优一图读懂", "summary": SUMMARY, "disclaimer": DISCLAIMER}
    for width, height in SIZES:
        rendered = render_image(
            layout, width, height, texts=texts, images={"cover": photo, "master": photo}, qr_url=URL
        )
        image = decode(rendered.data)
        assert (rendered.width, rendered.height, rendered.format) == (width, height, "jpeg")
        assert (image.size, image.format, image.mode) == ((width, height), "JPEG", "RGB")
        assert rendered.font_sizes["title"] > 0
        assert "exif" not in image.info


def test_packaged_layouts_without_images_or_url(photo: Path) -> None:
    for name in ("cover-wide", "cover-tall", "cover-square"):
        layout = load_layout(graphics.builtin_layout_dir() / f"{name}.yaml")
        rendered = render_image(layout, 1080, 1440, texts={"title": TITLE}, images={}, qr_url=None, fmt="png")
        assert decode(rendered.data).size == (1080, 1440)
    poster = load_layout(graphics.builtin_layout_dir() / "poster.yaml")
    with pytest.raises(LayoutError, match="no image was given for slot 'master'"):
        render_image(poster, 1080, 1440, texts={"title": TITLE}, images={}, qr_url=None)


def test_png_output_sizes_and_no_metadata() -> None:
    layout = load_layout(graphics.builtin_layout_dir() / "cover-square.yaml")
    for width, height in ((383, 383), (1200, 630), (1920, 1080)):
        data = render_image(layout, width, height, texts={"title": TITLE}, images={}, qr_url=None, fmt="png").data
        image = decode(data)
        assert (image.size, image.format, image.mode) == ((width, height), "PNG", "RGB")
        assert set(chunk_types(data)) == {"IHDR", "IDAT", "IEND"}  # no tEXt, tIME, pHYs …


def chunk_types(png: bytes) -> list[str]:
    types, pos = [], 8
    while pos < len(png):
        length = int.from_bytes(png[pos : pos + 4], "big")
        types.append(png[pos + 4 : pos + 8].decode())
        pos += 12 + length
    return types


def test_same_inputs_give_identical_bytes(photo: Path) -> None:
    layout = load_layout(graphics.builtin_layout_dir() / "cover-tall.yaml")
    kwargs = {"texts": {"title": TITLE, "summary": SUMMARY}, "images": {"cover": photo}, "qr_url": URL}
    for fmt in ("jpeg", "png"):
        first = render_image(layout, 1080, 1440, fmt=fmt, **kwargs)
        second = render_image(
            load_layout(graphics.builtin_layout_dir() / "cover-tall.yaml"), 1080, 1440, fmt=fmt, **kwargs
        )
        assert first.data == second.data
        assert first.font_sizes == second.font_sizes


def test_different_titles_give_different_pixels() -> None:
    layout = load_layout(graphics.builtin_layout_dir() / "cover-square.yaml")
    one = render_image(layout, 383, 383, texts={"title": "稳健理财"}, images={}, qr_url=None, fmt="png")
    two = render_image(layout, 383, 383, texts={"title": "养老规划"}, images={}, qr_url=None, fmt="png")
    assert ImageChops.difference(decode(one.data), decode(two.data)).getbbox() is not None


def test_text_is_actually_drawn_inside_its_box(project: Path) -> None:
    layout = layout_from(project, TITLE_ONLY)
    rendered = render_image(layout, 1080, 1080, texts={"title": "理财"}, images={}, qr_url=None, fmt="png")
    ink = ImageChops.difference(decode(rendered.data), Image.new("RGB", (1080, 1080), (10, 42, 94))).getbbox()
    assert ink is not None
    left, top, right, bottom = ink
    assert left >= 108 and top >= 108 and right <= 972 and bottom <= 108 + 324


# --------------------------------------------------------------------------- text fitting and glyphs


def test_longer_title_gets_a_smaller_size(project: Path) -> None:
    layout = layout_from(project, TITLE_ONLY)
    short = render_image(layout, 1080, 1080, texts={"title": "稳健理财"}, images={}, qr_url=None)
    long = render_image(layout, 1080, 1080, texts={"title": TITLE + TITLE[:8]}, images={}, qr_url=None)
    assert short.font_sizes == {"title": 120}
    assert 40 <= long.font_sizes["title"] < 120
    # Scaled with the canvas width: the same layout at 540 px wide halves the sizes.
    half = render_image(layout, 540, 540, texts={"title": "稳健理财"}, images={}, qr_url=None)
    assert half.font_sizes == {"title": 60}


def test_text_that_cannot_fit_names_field_box_and_lines(project: Path) -> None:
    layout = layout_from(project, TITLE_ONLY)
    with pytest.raises(LayoutError) as caught:
        render_image(layout, 1080, 1080, texts={"title": TITLE * 4}, images={}, qr_url=None)
    assert caught.value.message == (
        "templates/media/test.yaml:3:5: elements[0]: text field 'title' does not fit its box "
        "(box [0.1, 0.1, 0.8, 0.3] = 864×324 px at 1080×1080) even at the minimum size 40 (40 px here): "
        "it needs 4 lines, max_lines allows 2"
    )


def test_ellipsis_overflow_cuts_the_last_line(project: Path) -> None:
    layout = layout_from(project, TITLE_ONLY.replace("max_lines: 2", "max_lines: 2\n        overflow: ellipsis"))
    rendered = render_image(layout, 1080, 1080, texts={"title": TITLE * 4}, images={}, qr_url=None)
    assert rendered.font_sizes == {"title": 40}


def test_traditional_text_renders_with_tc_face(project: Path) -> None:
    layout = layout_from(project, TITLE_ONLY.replace("max_lines: 2", "script: TC"))
    rendered = render_image(layout, 1080, 1080, texts={"title": "零風險、臺灣理財"}, images={}, qr_url=None)
    assert rendered.font_sizes["title"] == 120


def test_missing_glyph_is_an_error_never_tofu(project: Path) -> None:
    layout = layout_from(project, TITLE_ONLY)
    with pytest.raises(LayoutError) as caught:
        render_image(layout, 1080, 1080, texts={"title": "稳健\u0378理财"}, images={}, qr_url=None)
    assert caught.value.message == (
        "templates/media/test.yaml:5:5: elements[0].text: text field 'title': "
        "the font Noto Sans CJK SC has no glyph for '\\u0378' (U+0378)"
    )


def test_empty_field_is_an_error_unless_optional(project: Path) -> None:
    layout = layout_from(project, TITLE_ONLY)
    with pytest.raises(LayoutError, match=r"elements\[0\]\.text: text field 'title' is empty"):
        render_image(layout, 1080, 1080, texts={}, images={}, qr_url=None)
    optional = layout_from(project, TITLE_ONLY.replace("max_lines: 2", "optional: true"))
    assert render_image(optional, 1080, 1080, texts={"title": "\u200b "}, images={}, qr_url=None).font_sizes == {}


def test_balanced_title_keeps_its_line_count() -> None:
    lines = break_lines("个人养老金账户开立指南：税优政策一图读懂", 12, width_of)
    assert [len(line) for line in lines] == [6, 6, 6, 2]
    balanced = graphics._balance("个人养老金账户开立指南：税优政策一图读懂", lines, 12, width_of)
    assert len(balanced) == 4
    assert max(map(len, balanced)) - min(map(len, balanced)) <= 1


def test_balanced_title_prefers_breaking_after_a_comma() -> None:
    assert graphics._phrase_lines("守好钱袋子，谨防电信网络诈骗", 2, 16, width_of) == [
        "守好钱袋子，",
        "谨防电信网络诈骗",
    ]
    assert graphics._phrase_lines("稳享添利180天，产品要素一览", 3, 16, width_of) == ["稳享添利180天，", "产品要素一览"]
    # A phrase wider than the line, or more lines than the fit allowed: no phrase layout.
    assert graphics._phrase_lines("个人养老金账户开立指南：税优政策一图读懂", 3, 16, width_of) is None
    assert graphics._phrase_lines("一，二，三，四", 2, 4, width_of) is None


# --------------------------------------------------------------------------- QR codes


def test_qr_code_modules_match_the_url(project: Path) -> None:
    layout = layout_from(
        project,
        """\
        background: {color: "#FFFFFF"}
        elements:
          - type: qr
            box: [0, 0, 1, 1]
            dark: "#000000"
        """,
    )
    image = decode(render_image(layout, 400, 400, texts={}, images={}, qr_url=URL, fmt="png").data).convert("L")
    matrix = segno.make_qr(URL, error="m").matrix
    modules = len(matrix) + 4
    size = 400 // modules
    offset = (400 - modules * size) // 2
    for row, values in enumerate(matrix):
        for column, dark in enumerate(values):
            x = offset + (column + 2) * size + size // 2
            y = offset + (row + 2) * size + size // 2
            assert (image.getpixel((x, y)) < 128) == bool(dark), (row, column)


def test_qr_optional_and_required(project: Path) -> None:
    body = """\
        background: {color: "#FFFFFF"}
        elements:
          - type: qr
            box: [0.5, 0.5, 0.5, 0.5]
            optional: true
        """
    optional = layout_from(project, body)
    rendered = render_image(optional, 300, 300, texts={}, images={}, qr_url=None, fmt="png")
    assert decode(rendered.data).getextrema() == ((255, 255), (255, 255), (255, 255))
    required = layout_from(project, body.replace("    optional: true\n", ""))
    with pytest.raises(LayoutError) as caught:
        render_image(required, 300, 300, texts={}, images={}, qr_url=None)
    assert caught.value.message == (
        "templates/media/test.yaml:3:5: elements[0]: no QR code URL was given (and this qr element is not optional: true)"
    )


# --------------------------------------------------------------------------- errors


def test_missing_slot_names_it(project: Path, photo: Path) -> None:
    layout = layout_from(
        project,
        """\
        background: {color: "#000000"}
        elements:
          - type: image
            box: [0, 0, 1, 0.5]
            slot: master
        """,
    )
    with pytest.raises(LayoutError) as caught:
        render_image(layout, 500, 500, texts={}, images={"cover": photo}, qr_url=None)
    assert caught.value.message == (
        "templates/media/test.yaml:5:5: elements[0].slot: no image was given for slot 'master' (images given: cover)"
    )


def test_missing_logo_file_is_an_error_at_load(project: Path) -> None:
    path = write_layout(
        project,
        """\
        background: {color: "#000000"}
        elements:
          - type: logo
            box: [0.05, 0.05, 0.2, 0.1]
            path: brand/logo.png
        """,
    )
    with pytest.raises(LayoutError) as caught:
        load_layout(path, root=project)
    looked = (project / "templates" / "media" / "brand" / "logo.png").resolve()
    assert caught.value.message == (
        f"templates/media/test.yaml:5:5: elements[0].path: logo file not found: brand/logo.png (looked at {looked})"
    )


def test_logo_is_drawn_contained_and_aligned(project: Path) -> None:
    logo = Image.new("RGBA", (200, 100), (201, 163, 91, 255))
    logo.save(project / "templates" / "media" / "logo.png")
    layout = layout_from(
        project,
        """\
        background: {color: "#000000"}
        elements:
          - type: logo
            box: [0.1, 0.1, 0.5, 0.5]
            path: logo.png
            align: left
            valign: top
        """,
    )
    image = decode(render_image(layout, 400, 400, texts={}, images={}, qr_url=None, fmt="png").data)
    assert ImageChops.difference(image, Image.new("RGB", image.size)).getbbox() == (40, 40, 240, 140)


def test_corrupt_and_unknown_images_name_the_file(project: Path, photo: Path) -> None:
    layout = layout_from(
        project,
        """\
        background: {image: cover}
        elements: []
        """,
    )
    truncated = project / "truncated.jpg"
    truncated.write_bytes(photo.read_bytes()[:400])
    with pytest.raises(LayoutError) as caught:
        render_image(layout, 300, 200, texts={}, images={"cover": truncated}, qr_url=None, root=project)
    assert caught.value.message.startswith("image truncated.jpg: cannot be read, the file is corrupt or truncated")
    text = project / "notes.png"
    text.write_text("hello", "utf-8")
    with pytest.raises(LayoutError) as caught:
        render_image(layout, 300, 200, texts={}, images={"cover": text}, qr_url=None, root=project)
    assert caught.value.message == "image notes.png: not an image mediactl can read (JPEG, PNG, WebP, GIF, BMP, TIFF)"
    with pytest.raises(LayoutError) as caught:
        render_image(layout, 300, 200, texts={}, images={"cover": project / "gone.jpg"}, qr_url=None, root=project)
    assert caught.value.message == "image file not found: gone.jpg"


def test_photo_is_turned_upright_by_its_exif_orientation(project: Path) -> None:
    raw = Image.new("RGB", (40, 20), (220, 0, 0))
    raw.paste((0, 0, 220), (20, 0, 40, 20))  # left half red, right half blue, as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # shown rotated 90° clockwise: red on top, blue below, 20×40
    path = project / "phone.jpg"
    raw.save(path, exif=exif, quality=95)
    layout = layout_from(project, "background: {image: cover, fit: contain}\nelements: []\n")
    image = decode(render_image(layout, 100, 200, texts={}, images={"cover": path}, qr_url=None, fmt="png").data)
    top, bottom = image.getpixel((50, 40)), image.getpixel((50, 160))
    assert top[0] > 180 and top[2] < 60, top
    assert bottom[2] > 180 and bottom[0] < 60, bottom


def test_huge_images_are_refused_before_decoding(project: Path) -> None:
    layout = layout_from(project, "background: {image: cover}\nelements: []\n")
    huge = project / "huge.png"
    Image.new("1", (10_000, 8_500)).save(huge)  # 85 megapixels: over mediactl's limit
    with pytest.raises(LayoutError) as caught:
        render_image(layout, 300, 200, texts={}, images={"cover": huge}, qr_url=None, root=project)
    assert caught.value.message == "image huge.png: 10000×8500 is 85 megapixels; the limit is 80"
    Image.new("1", (10_000, 9_000)).save(huge)  # 90 megapixels: Pillow's own bomb check trips first
    with pytest.raises(LayoutError) as caught:
        render_image(layout, 300, 200, texts={}, images={"cover": huge}, qr_url=None, root=project)
    assert caught.value.message == "image huge.png: too many pixels (limit 80 megapixels)"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            'background: {color: "#0A2A5E"}\nelements:\n  - type: rect\n    box: [0, 0, 1, 1]\n    color: navy\n',
            "templates/media/test.yaml:5:5: elements[0].color: expected a colour like "
            '"#RRGGBB" or "#RRGGBBAA", got \'navy\'',
        ),
        (
            "background:\n  color: #0A2A5E\nelements: []\n",
            "templates/media/test.yaml:2:3: background.color: expected a colour like "
            '"#RRGGBB", got nothing (quote it: an unquoted # starts a YAML comment)',
        ),
        (
            'background: {color: "#0A2A5E"}\nelements:\n  - type: circle\n    box: [0, 0, 1, 1]\n',
            "templates/media/test.yaml:3:5: elements[0].type: unknown element type 'circle'; "
            "expected one of text, image, logo, qr, rect",
        ),
        (
            'background: {color: "#0A2A5E"}\nelements:\n  - type: text\n    box: [0, 0, 1, 1]\n'
            "    text: title\n    size: [80, 40]\n",
            "templates/media/test.yaml:6:5: elements[0].size: expected 4 ≤ min ≤ max ≤ 1000, got [80, 40]",
        ),
        (
            'background: {color: "#0A2A5E"}\nelements:\n  - type: rect\n    box: [0.5, 0, 0.6, 1]\n'
            '    color: "#000000"\n',
            "templates/media/test.yaml:4:5: elements[0].box: the box [0.5, 0, 0.6, 1] reaches outside the canvas "
            "(x + w and y + h must be at most 1)",
        ),
        (
            'background: {color: "#0A2A5E"}\nelements:\n  - type: text\n    box: [0, 0, 1, 1]\n'
            "    text: title\n    colour: red\n",
            "templates/media/test.yaml:6:5: elements[0].colour: unknown key 'colour'; known keys here: align, "
            "balance, box, color, font, line_height, literal, max_lines, optional, overflow, script, size, stroke, text, "
            "type, valign, weight",
        ),
        (
            'background: {color: "#0A2A5E"}\nelements:\n  - type: text\n    box: [0, 0, 1, 1]\n'
            "    text: title\n    weight: Heavy\n",
            "templates/media/test.yaml:6:5: elements[0].weight: the default font has no weight 'Heavy'; "
            "shipped weights: Regular, Bold",
        ),
        (
            "elements: []\n",
            "templates/media/test.yaml:1:1: 'background' is required",
        ),
    ],
    ids=["bad-colour", "unquoted-colour", "bad-type", "bad-size", "box-outside", "typo-key", "bad-weight", "no-bg"],
)
def test_invalid_layouts_name_file_line_and_key(project: Path, body: str, message: str) -> None:
    with pytest.raises(LayoutError) as caught:
        load_layout(write_layout(project, body), root=project)
    assert caught.value.message == message


def test_find_layout_prefers_the_project_and_lists_where_it_looked(project: Path) -> None:
    folders = [project / "templates" / "media", graphics.builtin_layout_dir()]
    assert find_layout("poster", folders) == graphics.builtin_layout_dir() / "poster.yaml"
    own = write_layout(project, TITLE_ONLY, name="poster")
    assert find_layout("poster", folders) == own
    with pytest.raises(LayoutError) as caught:
        find_layout("banner", folders)
    assert caught.value.message == (
        f"media layout 'banner' not found; looked for: {folders[0] / 'banner.yaml'}; {folders[1] / 'banner.yaml'}"
    )
    packaged = load_layout(graphics.builtin_layout_dir() / "poster.yaml")
    assert packaged.file == "builtin/media/poster.yaml"


def test_max_bytes_lowers_jpeg_quality_then_fails(photo: Path) -> None:
    layout = load_layout(graphics.builtin_layout_dir() / "poster.yaml")
    kwargs = {"texts": {"title": TITLE, "summary": SUMMARY}, "images": {"master": photo}, "qr_url": URL}
    full = render_image(layout, 1080, 1440, **kwargs)
    assert full.quality == 88
    smaller = render_image(layout, 1080, 1440, max_bytes=len(full.data) - 1, **kwargs)
    assert smaller.quality is not None and 60 <= smaller.quality < 88
    assert len(smaller.data) < len(full.data)
    with pytest.raises(
        LayoutError,
        match=r"^builtin/media/poster\.yaml: the 1080×1440 JPEG is [\d,]+ bytes even at quality 60; the limit is 1,000$",
    ):
        render_image(layout, 1080, 1440, max_bytes=1000, **kwargs)


def test_bad_canvas_and_format(project: Path) -> None:
    layout = layout_from(project, TITLE_ONLY)
    with pytest.raises(LayoutError, match="unknown output format 'gif'"):
        render_image(layout, 100, 100, texts={"title": "理财"}, images={}, qr_url=None, fmt="gif")
    with pytest.raises(LayoutError, match="canvas width must be 16 to 8192 px, got 0"):
        render_image(layout, 0, 100, texts={"title": "理财"}, images={}, qr_url=None)
