"""Adapters are plug-ins: one per platform, found through the `mediactl.adapters` entry-point group.

The built-in adapters are registered the same way in mediactl's own pyproject.toml, so a
third party's adapter is a peer of ours, not a special case.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING

from mediactl.core.errors import MediactlError

if TYPE_CHECKING:  # annotations only
    from mediactl.config.model import Channel, Config
    from mediactl.library.content import Item
    from mediactl.publish.adapters.base import Adapter

GROUP = "mediactl.adapters"


@cache
def registry() -> dict[str, EntryPoint]:
    return {entry.name: entry for entry in entry_points(group=GROUP)}


def adapter_class(platform: str) -> type[Adapter]:
    entry = registry().get(platform)
    if entry is None:
        known = ", ".join(sorted(registry())) or "none"
        raise MediactlError(
            f"no adapter is installed for platform '{platform}' (installed: {known}).",
            hint="publish this channel's variants through an adapter package, or export them with the outbox.",
        )
    try:
        return entry.load()
    except Exception as exc:  # a plug-in that fails to import is a broken installation, not a crash mid-delivery
        raise MediactlError(
            f"the adapter for platform '{platform}' ({entry.value}) cannot be loaded: {type(exc).__name__}: {exc}",
            hint="reinstall the package that provides it (pip show, pip install --force-reinstall)",
        ) from None


def refusal(channel: Channel, item: Item, config: Config) -> str | None:
    """Why `item` cannot go to `channel` at all (None: it can): asked while planning, before the gate and before
    any job exists, so a channel mediactl cannot deliver to never leaves a job `sending`.

    No adapter installed for the platform, one that cannot be loaded, or one that refuses the channel as
    configured or the item's kind (`Adapter.refusal`), or this item as it is (`Adapter.item_refusal`: a WeCom
    post whose audience names no segment the config defines).
    """
    if channel.platform not in registry():
        return f"no adapter is installed for platform '{channel.platform}'"
    try:
        adapter = adapter_class(channel.platform)
        return adapter.refusal(channel, config, item.kind) or adapter.item_refusal(channel, config, item)
    except MediactlError as exc:
        return exc.message
