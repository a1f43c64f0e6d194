"""Platform facts, loaded from one YAML data file per platform inside the package.

Facts change (limits, endpoints, error codes), so they are data with their source
beside each value, not constants in code: render fits to them, check verifies
against them, adapters call them. A channel may narrow a fact, never widen it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml


@dataclass(frozen=True)
class CredentialSpec:
    key: str
    secret: bool
    help: str


@dataclass(frozen=True)
class Platform:
    name: str
    title: str
    api: str  # official | manual | local
    base_url: str | None
    credentials: tuple[CredentialSpec, ...]
    options: dict[str, str]
    facts: dict[str, Any] = field(repr=False, hash=False, compare=False, default_factory=dict)

    @property
    def option_keys(self) -> list[str]:
        return list(self.options)


def _parse(data: dict[str, Any]) -> Platform:
    creds = tuple(
        CredentialSpec(key, bool(spec.get("secret")), str(spec.get("help", "")))
        for key, spec in (data.get("credentials") or {}).items()
    )
    return Platform(
        name=data["name"],
        title=data["title"],
        api=data["api"],
        base_url=data.get("base_url"),
        credentials=creds,
        options=dict(data.get("options") or {}),
        facts=data,
    )


@cache
def all_platforms() -> dict[str, Platform]:
    """Every built-in platform by name, read once per process."""
    folder = resources.files("mediactl") / "data" / "platforms"
    found = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            platform = _parse(yaml.load(entry.read_text("utf-8"), Loader=yaml.CSafeLoader))
            found[platform.name] = platform
    return found


def get_platform(name: str) -> Platform:
    return all_platforms()[name]
