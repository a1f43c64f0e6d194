"""The brand kit: `brand:` validated with file:line:key, themes chosen by an item or a date, layouts that take the
brand's colours and logo, and the WeChat body in the brand's look with the disclosure box, within WeChat's tags."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import pytest
import yaml

from conftest import MINIMAL_CONFIG, write
from mediactl.config.brand import Brand, Day, Theme
from mediactl.config.model import load_config
from mediactl.core.errors import ConfigError
from mediactl.graphics.layout import BrandKit, LayoutError, builtin_layout_dir, load_layout

REPO = Path(__file__).resolve().parents[1]


def config_with(tmp_path: Path, brand: str) -> Path:
    (tmp_path / "logo.png").write_bytes((REPO / "templates" / "brand" / "logo.png").read_bytes())
    return write(tmp_path / "mediactl.yaml", MINIMAL_CONFIG + brand)


def test_brand_is_read_with_its_themes(tmp_path: Path) -> None:
    config = load_config(
        config_with(
            tmp_path,
            """\
brand:
  name: 测试银行
  logo: logo.png
  colors: {primary: "#112233", accent: "#c9a35b"}
  themes:
    春节: {colors: {primary: "#A81C23"}, from: 01-20, to: 02-20}
    年终: {colors: {primary: "#222222"}, from: 12-20, to: 01-05}
""",
        )
    )
    brand = config.brand
    assert brand.name == "测试银行" and brand.colors["primary"] == "#112233" and brand.colors["accent"] == "#C9A35B"
    assert brand.colors["text"] == "#FFFFFF"  # the defaults fill what is not given
    assert brand.resolve(tmp_path, "春节").colors["primary"] == "#A81C23"
    assert brand.resolve(tmp_path, None, date(2027, 2, 1)).theme == "春节"
    assert brand.resolve(tmp_path, None, date(2027, 1, 2)).theme == "年终"  # a range over the new year
    assert brand.resolve(tmp_path, None, date(2027, 6, 1)).theme is None
    assert brand.resolve(tmp_path).logo == tmp_path / "logo.png"


def test_no_brand_is_the_default_look_under_the_project_name(minimal: Path) -> None:
    brand = load_config(minimal / "mediactl.yaml").brand
    assert brand.name == "测试项目" and brand.colors["primary"] == "#0B2A5B" and brand.logo is None


@pytest.mark.parametrize(
    ("block", "where", "says"),
    [
        ('brand:\n  colors: {primary: "#12"}\n', "brand.colors.primary", "expected a colour"),
        ("brand:\n  colors:\n    primary: #0B2A5B\n", "brand.colors.primary", "unquoted #"),
        ("brand:\n  logo: logo.svg\n", "brand.logo", "not found"),
        ("brand:\n  logo: missing.png\n", "brand.logo", "not found"),
        ("brand:\n  fonts: {Bold: fonts/none.otf}\n", "brand.fonts.Bold", "not found"),
        ("brand:\n  disclosure: {style: tiny}\n", "brand.disclosure.style", "unknown disclosure style"),
        ("brand:\n  themes:\n    春节: {from: 02-30, to: 03-01}\n", "brand.themes.春节.from", "no such day"),
        ("brand:\n  themes:\n    春节: {from: 01-20}\n", "brand.themes.春节", "both from and to"),
    ],
)
def test_brand_errors_name_file_line_and_key(tmp_path: Path, block: str, where: str, says: str) -> None:
    path = config_with(tmp_path, block)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = "\n".join(str(problem) for problem in caught.value.problems)
    line = len(MINIMAL_CONFIG.splitlines()) + len(block.splitlines())  # the key is on the block's last line
    assert re.search(rf"mediactl\.yaml:{line}(:\d+)?: {re.escape(where)}: .*{re.escape(says)}", message), message


def test_theme_dates() -> None:
    once = Theme("发布会", start=Day(3, 1, 2027), end=Day(3, 5, 2027))
    assert once.covers(date(2027, 3, 3)) and not once.covers(date(2028, 3, 3))
    assert Brand(themes={"x": once}).theme_for(None, date(2027, 3, 5)) is once


def test_layouts_take_the_brand_colours() -> None:
    red = BrandKit.of({"primary": "#A81C23", "accent": "#F2C14E", "text": "#FFFFFF", "background": "#FFF8F0"})
    layout = load_layout(builtin_layout_dir() / "poster.yaml", brand=red)
    assert layout.background.color == (0xA8, 0x1C, 0x23)
    assert load_layout(builtin_layout_dir() / "poster.yaml").background.color == (0x0B, 0x2A, 0x5B)


def test_packaged_layouts_use_no_colour_literals_but_white_qr_ground_and_subtitles() -> None:
    for path in builtin_layout_dir().glob("*.yaml"):
        literals = re.findall(r'"#[0-9A-Fa-f]{6,8}"', path.read_text("utf-8"))
        allowed = {'"#FFFFFF"', '"#000000D9"'} if path.stem in ("video-subtitle", "cover-tall", "poster") else set()
        assert set(literals) <= allowed, f"{path.name}: {literals}"


@pytest.mark.parametrize(
    ("value", "says"),
    [("brand.purple", "unknown brand colour"), ("brand.primary/CC", "no alpha here")],
)
def test_brand_colour_errors(tmp_path: Path, value: str, says: str) -> None:
    layout = write(tmp_path / "x.yaml", f"background: {{color: {value}}}\nelements: []\n")
    with pytest.raises(LayoutError, match=says):
        load_layout(layout)


def test_brand_logo_without_a_logo(tmp_path: Path) -> None:
    element = "elements:\n  - {type: logo, box: [0, 0, 0.2, 0.2], path: brand.logo%s}\n"
    with pytest.raises(LayoutError, match="the brand has no logo"):
        load_layout(write(tmp_path / "a.yaml", "background: {color: brand.primary}\n" + element % ""))
    skipped = load_layout(
        write(tmp_path / "b.yaml", "background: {color: brand.primary}\n" + element % ", optional: true")
    )
    assert skipped.elements[0].path is None  # type: ignore[attr-defined]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append((tag, attrs))


def _allowed() -> dict:
    return yaml.safe_load((resources.files("mediactl") / "data" / "wechat" / "allowed.yaml").read_text("utf-8"))


def _violations(body: str) -> list[str]:
    allowed = _allowed()
    parser = _Tags()
    parser.feed(body)
    problems = []
    for tag, attrs in parser.seen:
        if tag not in allowed["tags"]:
            problems.append(f"tag <{tag}>")
            continue
        for name, value in attrs:
            if name == "style":
                for declaration in filter(None, (value or "").split(";")):
                    prop = declaration.split(":", 1)[0].strip()
                    if prop not in allowed["properties"]:
                        problems.append(f"<{tag}> style {prop}")
            elif name not in allowed["tags"][tag]:
                problems.append(f"<{tag}> attribute {name}")
    return problems


def test_the_allowed_list_can_fail() -> None:
    assert _violations('<div class="x"><p style="position:absolute">x</p></div>') == [
        "tag <div>", "<p> style position"
    ]  # fmt: skip


def test_wechat_body_in_the_brand_look_with_the_disclosure_box(cli, example: Path) -> None:
    """The example articles: within WeChat's tags and properties, no repeated title, brand colours, the 阅读原文
    line; an item whose body lacks the required disclosure gets it in a bordered box at full text size."""
    item = example / "content" / "article" / "wealth-steady-plus" / "index.md"
    text = item.read_text("utf-8")
    item.write_text(text.replace("理财非存款、产品有风险、投资须谨慎", "请您理性投资"), "utf-8")
    result = cli(example, "render", "--channel", "bank-wechat")
    assert result.exit_code == 0, result.output
    for slug in ("anti-fraud-2026", "wealth-steady-plus"):
        folder = example / "build" / "bank-wechat" / slug
        body = (folder / "content.html").read_text("utf-8")
        assert _violations(body) == []
        title = (folder / "title.txt").read_text("utf-8")
        assert f">{title}</h1>" not in body and "<h1" not in body.split("<h2", 1)[0]
        assert "#0B2A5B" in body and "#d0d7de" not in body and "#f6f8fa" not in body
        assert "阅读原文" in body
    body = (example / "build" / "bank-wechat" / "wealth-steady-plus" / "content.html").read_text("utf-8")
    box = re.search(r'<section style="([^"]*border:2px solid #0B2A5B[^"]*)">(.*?)</section>', body)
    assert box, body[-1500:]
    assert "风险提示" in box.group(2) and "理财非存款、产品有风险、投资须谨慎" in box.group(2)
    assert re.findall(r"font-size:(\d+)px", box.group(2)) == ["16"] * len(re.findall(r"font-size", box.group(2)))
    manifest = json.loads((example / "build" / "bank-wechat" / "wealth-steady-plus" / "manifest.json").read_text())
    assert manifest["disclosures"] == ["理财非存款、产品有风险、投资须谨慎"]


def test_the_spring_festival_item_takes_its_theme(example: Path) -> None:
    from mediactl.library.content import parse_item

    config = load_config(example / "mediactl.yaml")
    item, _problems = parse_item(example / "content" / "video" / "spring-festival-greeting" / "index.md", config)
    assert item is not None and item.theme == "春节"
    assert config.brand.resolve(example, item.theme).colors["primary"] == "#A81C23"


def test_an_unknown_theme_is_an_error_naming_the_known_ones(cli, example: Path) -> None:
    item = example / "content" / "video" / "spring-festival-greeting" / "index.md"
    item.write_text(item.read_text("utf-8").replace("theme: 春节", "theme: 中秋"), "utf-8")
    result = cli(example, "ls")
    assert "unknown theme '中秋'" in result.output and "春节" in result.output


def test_focus_picks_the_crop(tmp_path: Path) -> None:
    """A wide picture in a tall box: the crop follows the item's focus, left or right."""
    from PIL import Image

    from mediactl.graphics.draw import render_image

    picture = Image.new("RGB", (400, 100), (255, 0, 0))
    picture.paste((0, 0, 255), (200, 0, 400, 100))
    picture.save(tmp_path / "p.png")
    layout = write(tmp_path / "l.yaml", "background: {image: cover}\nelements: []\n")
    for focus, colour in (((0.1, 0.5), (255, 0, 0)), ((0.9, 0.5), (0, 0, 255))):
        rendered = render_image(load_layout(layout), 100, 100, texts={}, images={"cover": tmp_path / "p.png"},
                                qr_url=None, fmt="png", focus=focus)  # fmt: skip
        import io

        with Image.open(io.BytesIO(rendered.data)) as opened:
            assert opened.convert("RGB").getpixel((50, 50)) == colour
    shutil.rmtree(tmp_path / "unused", ignore_errors=True)


def test_init_with_brand_flags_and_prompts(cli, tmp_path: Path) -> None:
    logo = REPO / "templates" / "brand" / "logo.png"
    target = tmp_path / "flags"
    result = cli(None, "init", str(target), "--brand-name", "测试银行", "--logo", str(logo), "--primary", "#123456")
    assert result.exit_code == 0, result.output
    brand = load_config(target / "mediactl.yaml").brand
    assert brand.name == "测试银行" and brand.colors["primary"] == "#123456" and brand.colors["accent"] == "#C9A35B"
    assert (target / "templates" / "brand" / "logo.png").read_bytes() == logo.read_bytes()
    asked = tmp_path / "asked"
    result = cli(None, "init", str(asked), "--brand", input="甲银行\n\n#654321\n\n")
    assert result.exit_code == 0, result.output
    brand = load_config(asked / "mediactl.yaml").brand
    assert brand.name == "甲银行" and brand.colors["primary"] == "#654321"
    result = cli(None, "init", str(tmp_path / "bad"), "--primary", "red")
    assert result.exit_code == 2 and "expected a colour" in result.output
    assert not (tmp_path / "bad").exists()  # refused before anything was created
