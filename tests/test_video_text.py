"""Video text (issue 14, the text half): transparent layouts, subtitle cues, and the overlays drawn for the
video engines (titles, subtitles, title cards, logos), checked as pictures: sizes, positions, timing,
transparency, and real glyphs (never tofu) for simplified, traditional and full-width text."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import pytest
from PIL import Image

from mediactl.graphics import LayoutError, load_layout, render_image


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
