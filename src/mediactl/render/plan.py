"""Which variants exist: every selected item × each of its channels that can take its kind.

A retired channel (`migrated_to`) renders for the channel it moved to. An item
that names a channel whose platform cannot publish its kind (a video on a WeChat
Official Account) is an error for that variant; `channels: all` just skips it.
"""

from __future__ import annotations

from dataclasses import dataclass

from mediactl.config.model import Channel, Config
from mediactl.config.platforms import get_platform
from mediactl.library.content import Item
from mediactl.library.scan import Library
from mediactl.render.errors import VariantError


@dataclass(frozen=True)
class Planned:
    item: Item
    channel: Channel

    @property
    def key(self) -> str:
        return f"{self.channel.name}/{self.item.slug}"


def plan_variants(
    library: Library, config: Config, slugs: list[str] | None, only_channel: str | None
) -> tuple[list[Planned], list[tuple[Planned, VariantError]]]:
    if only_channel is not None:
        config.channel(only_channel)  # unknown channel: a usage error before anything renders
    planned: list[Planned] = []
    refused: list[tuple[Planned, VariantError]] = []
    for item in library.select(slugs):
        seen: set[str] = set()
        for name in item.channels:
            channel = resolve(config, name)
            if channel.name in seen or (only_channel and only_channel not in (name, channel.name)):
                continue
            seen.add(channel.name)
            platform = get_platform(channel.platform)
            if item.kind in platform.kinds:
                planned.append(Planned(item, channel))
            elif not item.all_channels:
                takes = ", ".join(platform.kinds)
                error = VariantError(
                    item.file,
                    f"channel '{name}' ({platform.name}) does not publish {item.kind} items (it takes: {takes})",
                )
                refused.append((Planned(item, channel), error))
    return planned, refused


def resolve(config: Config, name: str) -> Channel:
    """The channel that publishes for `name`, following `migrated_to` (config forbids chains)."""
    channel = config.channel(name)
    return config.channel(channel.migrated_to) if channel.migrated_to else channel
