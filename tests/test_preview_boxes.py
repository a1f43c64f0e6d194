"""A finding read inside a picture is drawn over the picture as the frame shows it (issue 17, session 9).

Frames crop pictures to the platform's aspect (a Xiaohongshu note shows 3:4, a WeCom card's thumbnail 1:1) and
scale them to the frame's width; the box must follow the same crop and scale. The picture here is generated
with a red square at a known place, the finding's region is that square, and a headless Chromium shows the page:
the box must cover the red pixels where the browser drew them. Skips only where Chromium or Playwright is
missing, and never when CI is set.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import browser
from mediactl.preview import gallery
from mediactl.preview.marks import Piece

SIZE = (1200, 400)  # wider than any frame's crop: the sides are cut off
RED = (650, 150, 90, 100)  # x, y, w, h in the picture's pixels: right of centre, inside every crop below


def red_square_picture(path: Path) -> None:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", SIZE, "white")
    x, y, w, h = RED
    ImageDraw.Draw(image).rectangle((x, y, x + w - 1, y + h - 1), fill=(255, 0, 0))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "PNG")


def boxed_view(build: Path, channel: str, platform: str, frame: str) -> gallery.VariantView:
    """A rendered variant whose one image carries a finding at RED (as check places words read in a picture)."""
    folder = build / channel / "item"
    red_square_picture(folder / "poster.png")
    shown = f"build/{channel}/item/poster.png"
    boxed, finding = browser.boxed_media("poster", "poster.png", folder / "poster.png",
                                         {"width": SIZE[0], "height": SIZE[1]}, shown, field="image.poster.ocr", region=RED)  # fmt: skip
    view = gallery.VariantView("item", "标题", "graphic", channel, platform, frame, state="rendered")
    view.images = [boxed]
    title = "保本理财"  # WeCom shows the thumbnail in the card of a titled attachment
    view.fields = [gallery.FieldView("title", "title", "title.txt", "text", title, (Piece(title),), 4, None, False)]
    view.findings = [finding]
    return view


@pytest.fixture
def pages(tmp_path: Path) -> Path:
    browser.require()
    build = tmp_path / "build"
    views = [boxed_view(build, "xhs", "xiaohongshu", "xiaohongshu"), boxed_view(build, "wecom", "wecom", "wecom"),
             boxed_view(build, "weibo", "weibo", "weibo")]  # fmt: skip
    return browser.gallery_of(build, "boxes", views)


def red_bounds(png: bytes) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of the red pixels in a screenshot."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as shot:
        rgb = shot.convert("RGB")
        width, height = rgb.size
        pixels = rgb.load()
        xs, ys = [], []
        for y in range(height):
            for x in range(width):
                r, g, b = pixels[x, y]
                if r > 180 and g < 90 and b < 90:
                    xs.append(x)
                    ys.append(y)
    assert xs, "no red pixels shown"
    return (min(xs), min(ys), max(xs) + 1, max(ys) + 1)


@pytest.mark.parametrize("channel", ["xhs", "wecom", "weibo"])
def test_the_box_covers_the_words_where_the_frame_shows_them(pages: Path, channel: str) -> None:
    """Xiaohongshu crops to 3:4 and WeCom's thumbnail to 1:1 (the sides of the wide picture are cut off), Weibo
    scales without cropping: in each, the box lies on the red square as the browser drew it, within a pixel."""
    watched = browser.Watched()
    with browser.served(pages) as server, browser.browser() as launched:
        page = browser.new_page(launched, watched)
        browser.open_page(page, server.url("preview/items/item.html"))
        section = page.locator(f"section#{channel}")
        picture = section.locator(".ocr-pic img")
        box = section.locator(".ocr-box").bounding_box()
        section.locator(".ocr-box").evaluate("b => b.style.visibility = 'hidden'")
        shown = picture.bounding_box()
        red = red_bounds(picture.screenshot())
    assert box is not None and shown is not None
    expected = (shown["x"] + red[0], shown["y"] + red[1], shown["x"] + red[2], shown["y"] + red[3])
    drawn = (box["x"], box["y"], box["x"] + box["width"], box["y"] + box["height"])
    assert all(abs(a - b) <= 1.5 for a, b in zip(drawn, expected, strict=True)), (channel, drawn, expected, shown)
    assert watched.errors == []


def test_the_window_a_crop_shows_and_a_box_in_percent_of_it() -> None:
    """No browser: a 1200x400 picture cropped to 1:1 shows its middle 400 columns; a box is placed in percent of
    that window, clipped where it runs out of view, and dropped where the crop hides it all."""
    from mediactl.preview.boxes import percent_of, shown_window

    assert shown_window((1200, 400), None) == (0, 0, 1200, 400)
    assert shown_window((1200, 400), (1, 1)) == (400, 0, 400, 400)
    assert shown_window((300, 600), (3, 4)) == (0, 100, 300, 400)  # taller: top and bottom cut
    assert percent_of((650, 150, 90, 100), (400, 0, 400, 400)) == (62.5, 37.5, 22.5, 25.0)
    assert percent_of((700, 0, 200, 40), (400, 0, 400, 400)) == (75.0, 0.0, 25.0, 10.0)  # clipped at the right edge
    assert percent_of((0, 0, 300, 40), (400, 0, 400, 400)) is None  # cut off with the left edge
