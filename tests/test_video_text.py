"""Video text (issue 14, the text half): transparent layouts, subtitle cues, and the overlays drawn for the
video engines (titles, subtitles, title cards, logos), checked as pictures: sizes, positions, timing,
transparency, and real glyphs (never tofu) for simplified, traditional and full-width text."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import pytest
from PIL import Image

from mediactl.core.errors import MediactlError
from mediactl.graphics import LayoutError, load_layout, render_image
from mediactl.video.cues import Cue, SubtitleError, read_cues


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "templates" / "media").mkdir(parents=True)
    return tmp_path


def write_layout(project: Path, body: str, name: str = "test") -> Path:
    path = project / "templates" / "media" / f"{name}.yaml"
    path.write_text(textwrap.dedent(body), "utf-8")
    return path


def picture(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def pixels(image: Image.Image) -> set[tuple[int, ...]]:
    """The distinct pixel values (Pillow 13 renamed getdata; 10.3 is the oldest the project allows)."""
    flat = getattr(image, "get_flattened_data", None) or image.getdata
    return set(flat())


# --------------------------------------------------------------------------- transparent canvases

BAND = """\
    background: {transparent: true}
    elements:
      - type: rect
        box: [0, 0.5, 1, 0.25]
        color: "#0518337F"
      - type: text
        box: [0.1, 0.5, 0.8, 0.25]
        literal: 新春快乐
        size: [60, 60]
        color: "#FFD700"
        align: center
        valign: middle
"""


def test_a_transparent_layout_is_an_rgba_png_clear_outside_its_elements(project: Path) -> None:
    layout = load_layout(write_layout(project, BAND), root=project)
    image = picture(render_image(layout, 400, 200, texts={}, images={}, qr_url=None, fmt="png").data)
    assert (image.format, image.mode, image.size) == ("PNG", "RGBA", (400, 200))
    alpha = image.getchannel("A")
    assert alpha.crop((0, 0, 400, 100)).getextrema() == (0, 0)  # above the band: nothing
    assert alpha.crop((0, 150, 400, 200)).getextrema() == (0, 0)  # below it: nothing
    # The band keeps its colour at its own opacity (pasting would have darkened it toward black) ...
    assert image.getpixel((2, 102)) == (5, 24, 51, 127)
    # ... and the text is drawn over it, opaque in the glyphs' middle, in its own colour.
    assert (255, 215, 0, 255) in pixels(image.crop((40, 100, 360, 150)))


def test_soft_text_edges_keep_their_colour_on_a_transparent_canvas(project: Path) -> None:
    layout = load_layout(write_layout(project, BAND.replace('color: "#0518337F"', 'color: "#05183300"')), root=project)
    image = picture(render_image(layout, 400, 200, texts={}, images={}, qr_url=None, fmt="png").data)
    edges = {pixel[:3] for pixel in pixels(image) if 0 < pixel[3] < 255}
    assert edges == {(255, 215, 0)}  # anti-aliasing varies alpha only, never darkens the gold


def test_jpeg_of_a_transparent_layout_is_an_error_naming_file_line_and_key(project: Path) -> None:
    layout = load_layout(write_layout(project, BAND), root=project)
    with pytest.raises(LayoutError) as caught:
        render_image(layout, 400, 200, texts={}, images={}, qr_url=None, fmt="jpeg")
    assert "templates/media/test.yaml:1" in str(caught.value)
    assert "background.transparent" in str(caught.value)
    assert "PNG" in str(caught.value)


def test_transparent_takes_no_colour_gradient_or_image(project: Path) -> None:
    path = write_layout(project, 'background: {transparent: true, color: "#000000"}\nelements: []\n')
    with pytest.raises(LayoutError, match=r"test.yaml:1.*transparent alone"):
        load_layout(path, root=project)
    path = write_layout(project, "background: {transparent: 1}\nelements: []\n")
    with pytest.raises(LayoutError, match=r"background.transparent: expected true or false"):
        load_layout(path, root=project)


def test_an_opaque_layout_is_drawn_as_before(project: Path) -> None:
    body = BAND.replace("background: {transparent: true}", 'background: {color: "#102030"}')
    layout = load_layout(write_layout(project, body), root=project)
    image = picture(render_image(layout, 400, 200, texts={}, images={}, qr_url=None, fmt="png").data)
    assert image.mode == "RGB"
    assert image.getpixel((2, 2)) == (16, 32, 48)
    # the half-transparent band over the opaque background: blended as it always was
    assert image.getpixel((2, 102)) == tuple(
        round(b + (f - b) * 127 / 255) for f, b in zip((5, 24, 51), (16, 32, 48), strict=True)
    )


# --------------------------------------------------------------------------- cues

SRT = """\
1
00:00:00,000 --> 00:00:01,500
新春快乐

2
00:00:01,500 --> 00:00:03,000
<i>万事</i>
如意

3
00:01:02,250 --> 01:00:00,000 X1:10 X2:20 Y1:30 Y2:40
Happy
New Year {\\an8}
"""

VTT = """\
WEBVTT - 贺岁

NOTE 这不是字幕
STYLE 也不是

STYLE
::cue { color: gold }

intro
00:00.000 --> 00:01.500 line:80%
<v 行长>新春快乐</v>

00:00:01.500 --> 00:00:03.000
萬事如意 &amp; 恭喜發財！
"""


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


def test_srt_cues_are_timed_cleaned_and_numbered(tmp_path: Path) -> None:
    cues = read_cues(write(tmp_path, "subs.srt", SRT), "content/x/subs.srt")
    assert cues == [
        Cue(1, 0.0, 1.5, "新春快乐", 2),
        Cue(2, 1.5, 3.0, "万事如意", 6),  # tags removed, the CJK lines joined without a space
        Cue(3, 62.25, 3600.0, "Happy New Year", 11),  # Latin lines joined by one space; {\an8} removed
    ]


def test_vtt_cues_skip_header_notes_and_styles_and_decode_entities(tmp_path: Path) -> None:
    cues = read_cues(write(tmp_path, "subs.vtt", VTT))
    assert [(c.index, c.start, c.end, c.text, c.line) for c in cues] == [
        (1, 0.0, 1.5, "新春快乐", 10),
        (2, 1.5, 3.0, "萬事如意 & 恭喜發財！", 13),
    ]


@pytest.mark.parametrize(("name", "text"), [("subs.srt", SRT), ("subs.vtt", VTT)])
def test_cue_texts_are_exactly_what_the_compliance_check_reads(tmp_path: Path, name: str, text: str) -> None:
    from mediactl.check.extract import extract_file

    path = write(tmp_path, name, text.replace("\n", "\r\n"))  # CRLF, as Windows editors save
    assert [cue.text for cue in read_cues(path)] == [segment.text for segment in extract_file(path, name)]


def test_the_example_items_subtitles_parse() -> None:
    srt = Path(__file__).resolve().parents[1] / "content" / "video" / "spring-festival-greeting" / "subtitles.srt"
    cues = read_cues(srt)
    assert [cue.text for cue in cues][:2] == ["新春快乐", "万事如意"]
    assert all(cue.end > cue.start for cue in cues)


@pytest.mark.parametrize(
    ("name", "text", "where", "says"),
    [
        ("a.srt", "1\n00:00:01,000 - 00:00:02,000\n新春快乐\n", "a.srt:2:", "expected a timing line"),
        ("b.srt", "1\n00:00:01,000 --> 00:00:02\n新春快乐\n", "b.srt:2:", "bad timing line"),
        ("c.srt", SRT.replace("00:00:01,500 --> 00:00:03,000", "00:00:03,000 --> 00:00:01,500"), "c.srt:6:", "ends at"),
        (
            "d.srt",
            SRT.replace("00:00:01,500 --> 00:00:03,000", "00:00:01,500 --> 00:00:01,500"),
            "d.srt:6:",
            "not after",
        ),
        ("e.srt", "1\n00:00:01,000 --> 00:00:02,000\n<i></i>\n", "e.srt:2:", "no text"),
        ("f.srt", "1\n00:00:01,000 --> 00:00:02,000\n", "f.srt:2:", "no text"),
        ("g.srt", "\n\n", "g.srt:", "empty"),
        ("h.srt", "1\n00:00:01,000 --> 00:00:02,000\n新春快乐\n\n万事如意\n", "h.srt:5:", "expected a timing line"),
        (
            "i.srt",
            "1\n00:00:01,000 --> 00:00:02,000\n新春\n\n2\n00:61:00,000 --> 00:62:00,000\n快乐\n",
            "i.srt:6:",
            "00 to 59",
        ),
        ("j.vtt", "1\n00:01.000 --> 00:02.000\n新春快乐\n", "j.vtt:1:", "WEBVTT"),
        ("k.vtt", "WEBVTT\n\nNOTE\n00:01.000 --> 00:02.000\n新春快乐\n", "k.vtt:4:", "NOTE block"),
        ("l.vtt", "WEBVTT\n\n00:01,000 --> 00:02,000\n新春快乐\n", "l.vtt:3:", "bad timing line"),
        (
            "m.srt",
            "1\n00:00:01,000 --> 00:00:02,000\n新春快乐\n".encode()
            + b"\n2\n00:00:02,000 --> 00:00:03,000\n\xd0\xc2\xb4\xba\n",
            "m.srt:7:",
            "not UTF-8",
        ),
        ("n.txt", "新春快乐", "n.txt:", ".srt or .vtt"),
    ],
)
def test_a_subtitle_file_that_does_not_parse_is_one_error_naming_file_and_line(
    tmp_path: Path, name: str, text: str | bytes, where: str, says: str
) -> None:
    with pytest.raises(SubtitleError) as caught:
        read_cues(write(tmp_path, name, text), name)
    message = str(caught.value)
    assert message.startswith(where), message
    assert says in message, message
    assert isinstance(caught.value, MediactlError)
    assert "\n" not in message
