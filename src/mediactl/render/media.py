"""The images of one variant, each rendered from a media layout at the platform's size.

Slots a layout can fill from the item: `cover` (asset with role cover, else the
first image asset), `master` (role master, else the first image asset), and any
asset by its role. Texts: title, summary, subtitle, and the item's `extra` values.
The QR code carries the channel's tracking link.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mediactl import graphics
from mediactl.config.platforms import ImageSpec
from mediactl.graphics.layout import DEFAULT_KIT, BrandKit, Layout, QrElement
from mediactl.library.content import Item
from mediactl.render.context import override
from mediactl.render.layouts import layout_folders, layout_name
from mediactl.render.texts import Texts

if TYPE_CHECKING:  # annotations only
    from mediactl.config.brand import Resolved
    from mediactl.config.model import Channel

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp")
EXTENSIONS = {"jpeg": "jpg", "png": "png"}


@dataclass(frozen=True)
class RenderedMedia:
    name: str
    file: str
    data: bytes
    width: int
    height: int
    format: str
    layout: str
    font_sizes: dict[str, int]
    texts: dict[str, str]  # the item's texts drawn on this image, by field
    qr: str  # the URL a QR code on it carries, if the layout drew one


def slots(item: Item) -> dict[str, Path]:
    images = [a for a in item.assets if Path(a.path).suffix.lower() in IMAGE_SUFFIXES]
    found = {a.role: item.asset_path(a) for a in images if a.role}
    if images:
        found.setdefault("cover", item.asset_path(images[0]))
        found.setdefault("master", item.asset_path(images[0]))
    return found


def brand_kit(brand: Resolved | None) -> BrandKit:
    """What layouts' `brand.*` references take for this item (no brand: mediactl's default look)."""
    return DEFAULT_KIT if brand is None else BrandKit.of(brand.colors, brand.logo, brand.fonts)


def layout_texts(item: Item, channel: Channel, brand: Resolved | None = None) -> dict[str, str]:
    texts = {key: str(value) for key, value in item.extra.items() if isinstance(value, (str, int, float))}
    if brand is not None and brand.name:
        texts["brand_name"] = brand.name
    texts.update(
        title=str(override(item, channel, "title") or item.title),
        summary=str(override(item, channel, "summary") or item.summary),
        subtitle=str(item.extra.get("subtitle") or item.campaign),
    )
    return texts


def draws_qr(layout: Layout) -> bool:
    return any(isinstance(element, QrElement) for element in layout.elements)


def qr_url(texts: Texts) -> str | None:
    """The tracking link for a QR code, except where the platform forbids links out (小红书, 抖音 …):
    a QR code to an outside page there is 站外导流 and gets the post throttled or removed."""
    if texts.settings.platform.link_policy == "none":
        return None
    return texts.context.get("link") or None


def render_media(
    item: Item,
    specs: tuple[ImageSpec, ...],
    texts: Texts,
    root: Path,
    templates: Path,
    frame: Path | None = None,
    cover_layout: str | None = None,
) -> list[RenderedMedia]:
    """Each image of the variant. A video variant passes `frame` (a frame of its video): the `cover` slot
    when the item has no cover image of its own, drawn with the video template's `cover_layout` if it names one."""
    channel, brand = texts.settings.channel, texts.settings.brand
    texts_for_layout = layout_texts(item, channel, brand)  # the same for every image of the variant
    link = qr_url(texts)
    images = slots(item)
    if frame is not None:  # a video item's own picture: the frame at its cover second
        images.setdefault("cover", frame)
        images.setdefault("master", frame)
    kit = brand_kit(brand)
    out = []
    for spec in specs:
        name = (spec.name == "cover" and cover_layout) or layout_name(spec, channel)
        found = graphics.find_layout(name, layout_folders(templates))
        layout = graphics.load_layout(found, root=root, brand=kit)
        image = graphics.render_image(
            layout,
            spec.width,
            spec.height,
            texts=texts_for_layout,
            images=images,
            qr_url=link,
            fmt=spec.format,
            max_bytes=spec.max_bytes,
            root=root,
            focus=item.focus,
        )
        file = f"{spec.name}.{EXTENSIONS.get(spec.format, spec.format)}"
        out.append(
            RenderedMedia(
                spec.name,
                file,
                image.data,
                image.width,
                image.height,
                spec.format,
                name,
                dict(image.font_sizes),
                {key: texts_for_layout[key] for key in image.font_sizes if texts_for_layout.get(key)},
                link if link and draws_qr(layout) else "",
            )
        )
    return out
