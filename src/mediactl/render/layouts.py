"""Which layout file an image uses, and a hash of it, without importing Pillow or Jinja.

Kept apart from `media` (which draws) because the render cache needs these on the
no-op path, where nothing is drawn.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from mediactl.config.platforms import ImageSpec
from mediactl.config.yamlpos import load_data

if TYPE_CHECKING:  # annotations only
    from mediactl.config.model import Channel


def layout_folders(templates: Path) -> list[Path]:
    """Where layouts are looked up: the project's templates/media/, then the packaged ones."""
    return [templates / "media", Path(str(resources.files("mediactl") / "data" / "templates" / "media"))]


def layout_name(spec: ImageSpec, channel: Channel) -> str:
    """The channel may pick another layout per image (`templates: {image.cover: my-cover}`)."""
    return channel.templates.get(f"image.{spec.name}") or spec.layout


@cache
def layout_hash(path: Path) -> str:
    """sha256 of a layout file and every file it names (logo, font), for the render cache."""
    digest = hashlib.sha256(path.read_bytes())
    try:
        data = load_data(path.read_text("utf-8"), path.name) or {}
    except yaml.YAMLError:
        return digest.hexdigest()
    for element in data.get("elements") or []:
        for key in ("path", "font"):
            value = element.get(key) if isinstance(element, dict) else None
            referenced = path.parent / str(value) if value else None
            if referenced and referenced.is_file():
                digest.update(referenced.read_bytes())
    return digest.hexdigest()
