"""What a template sees for one variant, and the settings its filters need.

Everything here is plain data derived from the item, the channel and the
platform facts, so the same inputs always give the same context (and the same
bytes out): there is no clock, no randomness and no network in a render.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from mediactl.config.model import Channel, Config
from mediactl.config.platforms import FieldSpec, Platform, get_platform
from mediactl.library.content import Item
from mediactl.render.hooks import disclosures

if TYPE_CHECKING:
    from mediactl.config.brand import Resolved
    from mediactl.text.markup import Converted


@dataclass
class VariantSettings:
    """Per-variant state the filters read (limits, tracking) and write (images and links found)."""

    platform: Platform
    channel: Channel
    fields: dict[str, FieldSpec]
    tracking: dict[str, str]
    brand: Resolved | None = None  # the item's brand (its theme applied): the WeChat body's colours
    images: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    link: str = ""  # the item's public URL with this channel's tracking ("" when it has none)
    warnings: list[str] = field(default_factory=list)  # said by render, kept in the manifest

    def warn(self, message: str) -> None:
        if message not in self.warnings:  # a block may be rendered more than once
            self.warnings.append(message)

    def read_more(self, following: str) -> str:
        """The line that points to the full article after a shortened text (the platform's `links.read_more`,
        where links are allowed and the item has one), unless the text that follows carries the link already."""
        line = self.platform.read_more
        if not line or not self.link or self.platform.link_policy != "allowed" or self.link in following:
            return ""
        return "\n" + line.replace("{link}", self.link)

    def field(self, name: str) -> FieldSpec:
        if name not in self.fields:
            known = ", ".join(self.fields)
            raise ValueError(f"'{name}' is not a field of {self.platform.name} (fields: {known})")
        return self.fields[name]

    def collect(self, converted: Converted) -> None:
        for image in converted.images:
            if image not in self.images:
                self.images.append(image)
        for link in converted.links:
            if link not in self.links:
                self.links.append(link)


def effective_fields(platform: Platform, channel: Channel) -> dict[str, FieldSpec]:
    """The platform's fields with the channel's narrower limits applied (config forbids widening)."""
    out = {}
    for spec in platform.fields:
        narrowed = channel.limits.get(spec.name)
        out[spec.name] = replace(spec, max=min(spec.max, narrowed)) if narrowed else spec
    return out


def item_link(item: Item, config: Config) -> str:
    """The item's public URL: `extra.link`, else the website channel's `url_prefix` + slug."""
    explicit = item.extra.get("link") or item.extra.get("url")
    if explicit:
        return str(explicit)
    for channel in config.channels.values():
        prefix = channel.options.get("url_prefix") if channel.platform == "website" else None
        if prefix:
            return f"{str(prefix).rstrip('/')}/{item.slug}/"
    return ""


def item_brand(item: Item, channel: Channel, config: Config) -> Resolved:
    """The brand as this variant shows it: the item's `theme:`, else a theme whose dates hold the day the item is
    scheduled on this channel (in the project's zone). Never today's date: the same inputs give the same bytes."""
    when = item.schedule.get(channel.name)
    day = when.astimezone(config.project.tz).date() if when is not None else None
    return config.brand.resolve(config.root, item.theme, day)


def override(item: Item, channel: Channel, key: str) -> Any:
    """A front-matter override for this channel, else for its platform, else None."""
    for target in (channel.name, channel.platform):
        values = item.overrides.get(target) or {}
        if key in values and values[key] not in (None, "", []):
            return values[key]
    return None


def build(item: Item, channel: Channel, config: Config) -> tuple[dict[str, Any], VariantSettings]:
    from mediactl.text.markup import add_tracking  # lazy: start-up, the cache-only path needs no markdown-it

    platform = get_platform(channel.platform)
    brand = item_brand(item, channel, config)
    settings = VariantSettings(platform, channel, effective_fields(platform, channel), dict(channel.tracking), brand)
    link = item_link(item, config)
    settings.link = add_tracking(link, channel.tracking) if link else ""
    required, in_force = disclosures(item, channel, config)
    context = {
        "item": _item_view(item),
        "channel": {
            "name": channel.name,
            "platform": channel.platform,
            "description": channel.description,
            "options": dict(channel.options),
        },
        "platform": {
            "name": platform.name,
            "title": platform.title,
            "link_policy": platform.link_policy,
            "fields": {name: {"max": s.max, "count": s.count} for name, s in settings.fields.items()},
        },
        "link": settings.link,
        "hashtags": list(override(item, channel, "hashtags") or item.tags),
        "disclosures": required,
        "disclosures_in_force": in_force,
        "brand": {
            "name": brand.name,
            "colors": dict(brand.colors),
            "theme": brand.theme,
            "disclosure": {"style": brand.disclosure.style, "title": brand.disclosure.title},
        },
        "_variant": settings,
    }
    return context, settings


def _item_view(item: Item) -> dict[str, Any]:
    return {
        "slug": item.slug,
        "kind": item.kind,
        "title": item.title,
        "summary": item.summary,
        "body": item.body,
        "author": item.author,
        "tags": list(item.tags),
        "audience": list(item.audience),
        "products": list(item.products),
        "campaign": item.campaign,
        "extra": dict(item.extra),
        "assets": [asset.path for asset in item.assets],
    }
