"""The content library: every item under ``content/``, found by walking the tree.

Items may sit at any depth (``content/article/2026/11/slug/index.md``); the slug
is the folder name and must be unique across the library, because channels,
the queue and the build folder all key on it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mediactl.config.model import Config
from mediactl.config.schema import did_you_mean
from mediactl.core.errors import ContentError, NotFoundError, Problem, relpath
from mediactl.library.content import ITEM_FILE, Item, parse_item


@dataclass(frozen=True)
class Library:
    config: Config
    items: dict[str, Item]
    warnings: tuple[Problem, ...] = ()

    def get(self, slug: str) -> Item:
        if slug not in self.items:
            hint = did_you_mean(slug, self.items)
            raise NotFoundError(f"no item '{slug}' in {self.config.project.content_dir}/{hint}")
        return self.items[slug]

    def select(self, slugs: list[str] | None) -> list[Item]:
        """The named items in order, or every item sorted by slug when none are named."""
        if slugs:
            return [self.get(slug) for slug in slugs]
        return [self.items[slug] for slug in sorted(self.items)]


def item_files(content: Path) -> Iterator[Path]:
    """Every ``index.md`` below `content`, skipping hidden and underscore folders."""
    if not content.is_dir():
        return
    for folder, dirs, files in os.walk(content):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        if ITEM_FILE in files:
            yield Path(folder) / ITEM_FILE


def load_library(config: Config) -> Library:
    """Parse every item; raise ContentError listing all problems if any item is invalid."""
    problems: list[Problem] = []
    items: dict[str, Item] = {}
    first_seen: dict[str, Path] = {}
    for file in item_files(config.content_path):
        slug = file.parent.name
        if slug in first_seen:
            shown = relpath(file, config.root)
            other = relpath(first_seen[slug], config.root)
            problems.append(Problem(shown, f"duplicate slug '{slug}': also used by {other}"))
            continue
        first_seen[slug] = file
        item, found = parse_item(file, config)
        problems.extend(found)
        if item is not None:
            items[slug] = item
    if any(p.is_error for p in problems):
        raise ContentError(f"{config.project.content_dir}/", problems)
    return Library(config, items, tuple(problems))


def find_item_folder(config: Config, slug: str) -> Path | None:
    """Where an item with `slug` already lives, without parsing anything."""
    for file in item_files(config.content_path):
        if file.parent.name == slug:
            return file.parent
    return None
