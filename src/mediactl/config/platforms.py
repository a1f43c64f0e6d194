"""Platform facts, loaded from one YAML data file per platform inside the package, or from a plug-in.

Facts change (limits, endpoints, error codes), so they are data with their source
beside each value, not constants in code: render fits to them, check verifies
against them, adapters call them. A channel may narrow a fact, never widen it.

A third party adds a platform without changing mediactl: its distribution names a package in the
`mediactl.platforms` entry-point group (the entry's name is the platform's), and that package holds
`platform.yaml` (facts, the same format as `data/platforms/*.yaml`) and, optionally, `templates/`
(`<platform>/<kind>.j2`, found after the project's own templates). The adapter is registered in
`mediactl.adapters` as ours are. A plug-in cannot replace a built-in platform: a name both use is an
error naming the distribution, as is a missing or malformed `platform.yaml`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from importlib.metadata import entry_points
from importlib.resources.abc import Traversable
from typing import Any

from mediactl.config.yamlpos import load_data
from mediactl.core.errors import MediactlError

PLUGIN_GROUP = "mediactl.platforms"
FACTS_FILE = "platform.yaml"


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

    @property
    def read_more(self) -> str:
        """The line after a shortened text that points to the full article ({link}: its URL); '' for none."""
        return str((self.facts.get("links") or {}).get("read_more") or "")


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
    """Every platform by name, built-in and plug-in, read once per process."""
    folder = resources.files("mediactl") / "data" / "platforms"
    found = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            platform = _parse(load_data(entry.read_text("utf-8"), entry.name))
            found[platform.name] = platform
    for name, plugin in plugins().items():
        if name in found:
            raise PluginError(f"{plugin.origin}: the plug-in platform '{name}' has the name of a built-in platform; "
                              "a plug-in adds a platform, it cannot replace one (rename its entry point)")  # fmt: skip
        found[name] = plugin.platform
    return found


class PluginError(MediactlError):
    """An installed platform plug-in that cannot be used; the message names its distribution."""


@dataclass(frozen=True)
class Plugin:
    """A platform added by another distribution: its facts and where its templates are."""

    platform: Platform
    package: str  # the importable package holding platform.yaml and templates/
    origin: str  # "distribution 1.0 (mediactl.platforms: name = package)", for messages
    folder: Traversable  # the package's folder: platform.yaml, templates/

    @property
    def templates(self) -> bool:
        return (self.folder / "templates").is_dir()


@cache
def plugins() -> dict[str, Plugin]:
    """The installed platform plug-ins by platform name (the `mediactl.platforms` entry points)."""
    found = {}
    for entry in entry_points(group=PLUGIN_GROUP):
        distribution = f"{entry.dist.name} {entry.dist.version}" if entry.dist else "an installed distribution"
        origin = f"{distribution} ({PLUGIN_GROUP}: {entry.name} = {entry.value})"
        folder = _package_folder(entry.value, origin)
        facts = folder / FACTS_FILE
        if not facts.is_file():
            raise PluginError(f"{origin}: the package has no {FACTS_FILE} (the platform's facts)")
        try:
            platform = _parse(load_data(facts.read_text("utf-8"), f"{entry.value}/{FACTS_FILE}"))
        except (KeyError, TypeError) as exc:
            raise PluginError(f"{origin}: {FACTS_FILE} lacks a required key ({exc})") from None
        if platform.name != entry.name:
            raise PluginError(f"{origin}: {FACTS_FILE} says `name: {platform.name}`, but the entry point is named "
                              f"'{entry.name}'; they must be the same")  # fmt: skip
        found[entry.name] = Plugin(platform, entry.value, origin, folder)
    return found


def facts_source(name: str) -> bytes:
    """The bytes of a platform's facts file, built-in or plug-in (the render cache hashes them)."""
    builtin = resources.files("mediactl") / "data" / "platforms" / f"{name}.yaml"
    if builtin.is_file():
        return builtin.read_bytes()
    return (plugins()[name].folder / FACTS_FILE).read_bytes()


def plugin_template_folders() -> list[Traversable]:
    """The plug-ins' template folders, in the order the template loader searches them (after mediactl's own)."""
    return [plugin.folder / "templates" for plugin in plugins().values() if plugin.templates]


def _package_folder(package: str, origin: str) -> Traversable:
    try:
        return resources.files(package)
    except (ModuleNotFoundError, TypeError) as exc:
        raise PluginError(f"{origin}: its package cannot be imported ({exc})") from None


def get_platform(name: str) -> Platform:
    return all_platforms()[name]
