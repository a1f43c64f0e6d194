"""A bank's SVG logo: drawn by resvg at the box's size, crisp and deterministic (mediactl's own fonts only), and
refused when it refers to anything outside itself (files, URLs, entities), so drawing a logo reads nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediactl.graphics.draw import open_image
from mediactl.graphics.layout import LayoutError
from mediactl.graphics.svg import refusal

COIN = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 100">
  <rect width="200" height="100" fill="#0B2A5B"/>
  <circle cx="50" cy="50" r="40" fill="#C9A35B"/>
  <text x="100" y="65" font-size="40" fill="#FFFFFF">示例</text>
</svg>"""


def test_an_svg_logo_is_drawn_at_the_box_size_with_its_colours_and_text(tmp_path: Path) -> None:
    logo = tmp_path / "logo.svg"
    logo.write_text(COIN, "utf-8")
    picture = open_image(logo, "logo.svg", (400, 400), "contain")
    assert picture.size == (400, 200)  # fits the box's width, its 2:1 aspect kept
    assert picture.getpixel((100, 100))[:3] == (0xC9, 0xA3, 0x5B)  # the coin, drawn at this size
    text_box = picture.crop((200, 40, 400, 160)).convert("L")
    assert text_box.getextrema()[1] > 200  # 示例 in white: drawn with the shipped font (no system fonts)
    tall = open_image(logo, "logo.svg", (400, 100), "contain")
    assert tall.size == (200, 100)  # the box's height binds


@pytest.mark.parametrize(
    ("svg", "says"),
    [
        ('<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd"/></svg>', "outside the file"),
        (
            '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
            '<image xlink:href="https://cdn.example.com/x.png"/></svg>',
            "outside the file",
        ),
        (
            '<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(https://x.example/a.css);</style></svg>',
            "@import",
        ),
        ('<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url(http://x.example/p)"/></svg>', "style"),
        ('<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>', "DOCTYPE"),
        ("<html/>", "not <svg>"),
        ("<svg", "not well-formed"),
    ],
)
def test_an_svg_that_reaches_outside_itself_is_refused_naming_the_file(tmp_path: Path, svg: str, says: str) -> None:
    logo = tmp_path / "logo.svg"
    logo.write_text(svg, "utf-8")
    problem = refusal(svg.encode("utf-8"))
    assert problem is not None and says in problem
    with pytest.raises(LayoutError) as caught:
        open_image(logo, "templates/brand/logo.svg", (100, 100), "contain")
    assert caught.value.message.startswith("logo templates/brand/logo.svg: not drawn:")


def test_inside_references_and_embedded_pictures_are_fine() -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg"><defs><linearGradient id="g"/></defs>'
        '<rect style="fill:url(#g)"/><use href="#g"/><image href="data:image/png;base64,iVBORw0KGgo="/></svg>'
    )
    assert refusal(svg.encode("utf-8")) is None


def test_init_brand_with_an_svg_logo_draws_it_or_refuses_before_creating_anything(cli, tmp_path: Path) -> None:
    good = tmp_path / "logo.svg"
    good.write_text(COIN, "utf-8")
    made = cli(None, "init", str(tmp_path / "bank"), "--logo", str(good), "--brand-name", "示例银行")
    assert made.exit_code == 0, made.output
    rendered = cli(tmp_path / "bank", "render", "anti-fraud-2026", "--channel", "bank-wechat")
    assert rendered.exit_code == 0, rendered.output
    bad = tmp_path / "bad.svg"
    bad.write_text('<svg xmlns="http://www.w3.org/2000/svg"><image href="../../secrets.png"/></svg>', "utf-8")
    refused = cli(None, "init", str(tmp_path / "other"), "--logo", str(bad))
    assert refused.exit_code == 2 and "this SVG cannot be drawn" in refused.stderr
    assert not (tmp_path / "other").exists()
