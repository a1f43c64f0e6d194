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
    return entry.load()
