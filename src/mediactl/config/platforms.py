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

from mediactl.config.yamlpos import load_data


@dataclass(frozen=True)
class CredentialSpec:
    key: str
    secret: bool
    help: str


@dataclass(frozen=True)
class FieldSpec:
    """One text field a platform publishes, with its hard limit and how the platform counts."""

    name: str
    role: str  # title | summary | body | author | link | hashtags
    max: int
    count: str = "chars"
    max_bytes: int | None = None
    min: int | None = None
    required: bool = False
    source: str = ""


@dataclass(frozen=True)
class ImageSpec:
    name: str
    width: int
    height: int
    format: str
    layout: str
    kinds: tuple[str, ...]
    max_bytes: int | None = None
    source: str = ""


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

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self.facts.get("kinds") or ())

    @property
    def body_format(self) -> str:
        return str(self.facts.get("body_format") or "text")

    @property
    def fields(self) -> tuple[FieldSpec, ...]:
        return tuple(
            FieldSpec(
                name=name,
                role=spec["role"],
                max=int(spec["max"]),
                count=spec.get("count") or "chars",
                max_bytes=spec.get("max_bytes"),
                min=spec.get("min"),
                required=bool(spec.get("required")),
                source=str(spec.get("source", "")),
            )
            for name, spec in (self.facts.get("fields") or {}).items()
        )

    def images_for(self, kind: str) -> tuple[ImageSpec, ...]:
        """The images a variant of an item of `kind` carries on this platform."""
        specs = []
        for name, spec in (self.facts.get("images") or {}).items():
            kinds = tuple(spec.get("kinds") or self.kinds)
            if kind in kinds:
                specs.append(
                    ImageSpec(
                        name=name,
                        width=int(spec["width"]),
                        height=int(spec["height"]),
                        format=spec.get("format", "jpeg"),
                        layout=spec.get("layout", "cover-wide"),
                        kinds=kinds,
                        max_bytes=spec.get("max_bytes"),
                        source=str(spec.get("source", "")),
                    )
                )
        return tuple(specs)

    @property
    def hashtag_style(self) -> str:
        return str((self.facts.get("hashtags") or {}).get("style") or "none")

    @property
    def hashtag_field(self) -> str | None:
        return (self.facts.get("hashtags") or {}).get("field")

    @property
    def link_policy(self) -> str:
        return str((self.facts.get("links") or {}).get("policy") or "allowed")


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
            platform = _parse(load_data(entry.read_text("utf-8"), entry.name))
            found[platform.name] = platform
    return found


def get_platform(name: str) -> Platform:
    return all_platforms()[name]
