"""The covers the layout tests and the goldens look at: every packaged layout drawn once, at a platform size,
with the example project's brand (its logo and colours), the example poster as the item's picture, and fixed
texts. One function, so `pytest --update-goldens` and the assertions draw exactly the same images."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from mediactl.graphics.draw import render_image
from mediactl.graphics.layout import BrandKit, Layout, builtin_layout_dir, load_layout

REPO = Path(__file__).resolve().parents[1]
LOGO = REPO / "templates" / "brand" / "logo.png"
PICTURE = REPO / "content" / "graphic" / "credit-card-cashback" / "poster.png"
GOLDENS = Path(__file__).parent / "golden" / "covers"
KIT = BrandKit.of({"primary": "#0B2A5B", "accent": "#C9A35B", "text": "#FFFFFF", "background": "#F5F7FA"}, LOGO)
TEXTS = {
    "title": "守好钱袋子，谨防电信网络诈骗",
    "summary": "冒充客服退款、刷单返利、虚假投资理财……认清常见骗局，守护您和家人的资金安全。",
    "brand_name": "示例银行",
    "disclaimer": "理财非存款、产品有风险、投资须谨慎",
    "text": "红灯笼轻轻摇曳",
}


@dataclass(frozen=True)
class Case:
    name: str  # the golden's file stem
    layout: str
    size: tuple[int, int]
    picture: bool  # the item has its own picture
    qr: bool = False


CASES = (
    Case("cover-wide", "cover-wide", (900, 383), True),
    Case("cover-wide-nopicture", "cover-wide", (900, 383), False),
    Case("cover-square", "cover-square", (383, 383), True),
    Case("cover-tall", "cover-tall", (1080, 1440), True, qr=True),
    Case("cover-tall-9x16", "cover-tall", (1080, 1920), True),
    Case("poster", "poster", (1080, 1440), True, qr=True),
    Case("video-card", "video-card", (1080, 1920), False),
    Case("video-title", "video-title", (1080, 1920), False),
    Case("video-cover-title", "video-cover-title", (1080, 1920), False),
    Case("video-subtitle", "video-subtitle", (1920, 1080), False),
)


def layout(case: Case) -> Layout:
    return load_layout(builtin_layout_dir() / f"{case.layout}.yaml", brand=KIT)


def draw(case: Case) -> Image.Image:
    rendered = render_image(
        layout(case),
        *case.size,
        texts=TEXTS,
        images={"cover": PICTURE, "master": PICTURE} if case.picture else {},
        qr_url="https://bank.example.cn/a/anti-fraud-2026/" if case.qr else None,
        fmt="png",
    )
    with Image.open(io.BytesIO(rendered.data)) as opened:
        if opened.mode != "RGBA":
            return opened.convert("RGB")
        ground = Image.new("RGBA", opened.size, (128, 128, 128, 255))  # a transparent overlay: over mid grey
        return Image.alpha_composite(ground, opened).convert("RGB")
