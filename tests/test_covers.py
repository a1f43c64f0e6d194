"""The packaged layouts as a reader sees them: golden images (within a tolerance), and the properties a bank's
cover must have whatever the pixels: the logo where the layout puts it, the texts inside their boxes, no
empty half of the frame. Regenerate the goldens after a deliberate change (a layout, the bundled font):

    pytest tests/test_covers.py --update-goldens
"""

from __future__ import annotations

import pytest
from PIL import Image, ImageChops, ImageStat

from covers import CASES, GOLDENS, LOGO, Case, draw, layout
from mediactl.graphics.draw import _px_box
from mediactl.graphics.layout import LogoElement, TextElement

MEAN_DIFF = 2.0  # mean absolute difference per channel, 0–255
CHANGED = 0.01  # share of pixels that may differ by more than CHANGED_BY
CHANGED_BY = 48


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden(case: Case, request: pytest.FixtureRequest) -> None:
    image = draw(case)
    golden = GOLDENS / f"{case.name}.png"
    if request.config.getoption("--update-goldens"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        image.save(golden, "PNG", optimize=True)
        pytest.skip(f"wrote {golden.name}")
    assert golden.is_file(), f"no golden {golden}: run pytest tests/test_covers.py --update-goldens"
    with Image.open(golden) as opened:
        expected = opened.convert("RGB")
    assert expected.size == image.size
    diff = ImageChops.difference(image, expected)
    mean = sum(ImageStat.Stat(diff).mean) / 3
    changed = sum(diff.convert("L").point(lambda v: 255 if v > CHANGED_BY else 0).histogram()[255:]) / (
        image.width * image.height
    )
    assert mean <= MEAN_DIFF and changed <= CHANGED, (
        f"{case.name} differs from its golden: mean {mean:.2f} (≤ {MEAN_DIFF}), changed {changed:.2%} (≤ {CHANGED:.0%}); "
        "if the change is meant, run pytest tests/test_covers.py --update-goldens"
    )


def test_golden_comparison_can_fail() -> None:
    """The tolerance catches a real change: the wide cover without its picture is not the wide cover."""
    with_picture, without = draw(CASES[0]), draw(CASES[1])
    diff = ImageChops.difference(with_picture, without)
    assert sum(ImageStat.Stat(diff).mean) / 3 > MEAN_DIFF


COVERS = [c for c in CASES if not c.layout.startswith("video-") or c.layout == "video-card"]


@pytest.mark.parametrize("case", COVERS, ids=[c.name for c in COVERS])
def test_logo_is_where_the_layout_puts_it(case: Case) -> None:
    """Template match: in each logo box, the logo's own opaque pixels are there, scaled as the box contains it."""
    image = draw(case)
    logos = [e for e in layout(case).elements if isinstance(e, LogoElement)]
    assert logos, f"{case.layout} has no logo"
    element = logos[-1]  # the small one beside the bank's name (the large one may lie under the picture)
    left, top, w, h = _px_box(element, *image.size)
    with Image.open(LOGO) as opened:
        logo = opened.convert("RGBA")
    scale = min(w / logo.width, h / logo.height)
    size = (max(1, round(logo.width * scale)), max(1, round(logo.height * scale)))
    logo = logo.resize(size, Image.Resampling.BICUBIC)
    dx = {"left": 0, "center": (w - size[0]) // 2, "right": w - size[0]}[element.align]
    dy = {"top": 0, "middle": (h - size[1]) // 2, "bottom": h - size[1]}[element.valign]
    region = image.crop((left + dx, top + dy, left + dx + size[0], top + dy + size[1]))
    opaque = logo.getchannel("A").point(lambda a: 255 if a > 250 else 0)
    diff = ImageChops.difference(region, logo.convert("RGB"))
    mean = ImageStat.Stat(diff.convert("L"), opaque).mean[0]
    assert mean < 24, f"{case.name}: the logo is not drawn in its box (mean difference {mean:.1f})"


@pytest.mark.parametrize("case", COVERS, ids=[c.name for c in COVERS])
def test_texts_inside_the_frame_and_ink_in_their_boxes(case: Case) -> None:
    image = draw(case)
    drawn = layout(case)
    titles = [e for e in drawn.elements if isinstance(e, TextElement) and e.field == "title"]
    assert titles
    for element in titles:
        left, top, w, h = _px_box(element, *image.size)
        assert left >= 0 and top >= 0 and left + w <= image.width and top + h <= image.height
        ink = image.crop((left, top, left + w, top + h)).convert("L")
        assert ImageStat.Stat(ink).stddev[0] > 20, f"{case.name}: no title drawn in its box"


@pytest.mark.parametrize("case", COVERS, ids=[c.name for c in COVERS])
def test_no_empty_half(case: Case) -> None:
    """Tall frames: upper and lower half; wide ones: left and right. Each half carries a picture or text."""
    image = draw(case).convert("L")
    w, h = image.size
    halves = [(0, 0, w, h // 2), (0, h // 2, w, h)] if h > w else [(0, 0, w // 2, h), (w // 2, 0, w, h)]
    for box in halves:
        spread = ImageStat.Stat(image.crop(box)).stddev[0]
        assert spread > 12, f"{case.name}: the half {box} is nearly empty (luminance spread {spread:.1f})"
