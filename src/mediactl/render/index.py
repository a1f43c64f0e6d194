"""The render cache: one small index of input hashes, so a no-op render touches almost nothing.

A variant's input hash covers everything its bytes depend on: the item folder's
files, the template and every template it includes, the layouts and the files
they name, the platform facts, the channel's config, what the disclosure
providers depend on (the rule packs), and the mediactl version and font. Files are hashed once and remembered by
(size, mtime); an unchanged library re-hashes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediactl import __version__
from mediactl.config.model import Config
from mediactl.config.platforms import facts_source, get_platform
from mediactl.core import fsutil
from mediactl.render.context import item_link
from mediactl.render.hooks import inputs_digest
from mediactl.render.manifest import MANIFEST, canonical
from mediactl.render.plan import Planned

if TYPE_CHECKING:  # annotations only
    from collections.abc import Callable

    from mediactl.config.model import Channel
    from mediactl.library.content import Item

INDEX_FILE = "render-index.json"
INDEX_VERSION = 2  # 2: manifest schema 2 (content hash over the published document)


class RenderIndex:
    """`.mediactl/render-index.json`: variant → (input hash, content hash), file → digest memo."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.variants: dict[str, dict[str, str]] = data.get("variants", {})
        self.files: dict[str, list[Any]] = data.get("files", {})
        self.dirty = False

    @classmethod
    def load(cls, config: Config) -> RenderIndex:
        path = config.state_path / INDEX_FILE
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            data = {}
        if data.get("version") != INDEX_VERSION:
            data = {}
        return cls(path, data)

    def fresh(self, key: str, input_hash: str, folder: str) -> bool:
        """Unchanged inputs and the manifest still on disk (someone may have deleted build/)."""
        entry = self.variants.get(key)
        return bool(entry and entry.get("input") == input_hash and os.path.isfile(f"{folder}/{MANIFEST}"))

    def record(self, key: str, input_hash: str, content: str) -> None:
        self.variants[key] = {"input": input_hash, "content": content}
        self.dirty = True

    def forget(self, key: str) -> None:
        self.dirty |= self.variants.pop(key, None) is not None

    def save(self) -> None:
        """Write the index if anything changed (a no-op render writes nothing)."""
        if not self.dirty:
            return
        data = {"version": INDEX_VERSION, "variants": self.variants, "files": self.files}
        fsutil.write_text(self.path, json.dumps(data, ensure_ascii=False, separators=(",", ":")))

    def file_digest(self, entry: os.DirEntry[str], key: str) -> str:
        """sha256 of a file, recomputed only when its size or modification time changed."""
        stat = entry.stat()
        memo = self.files.get(key)
        if memo and memo[0] == stat.st_size and memo[1] == stat.st_mtime_ns:
            return str(memo[2])
        with open(entry.path, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
        self.files[key] = [stat.st_size, stat.st_mtime_ns, digest]
        self.dirty = True
        return digest


class InputHasher:
    """Computes input hashes, caching the parts that many variants share."""

    def __init__(self, config: Config, index: RenderIndex) -> None:
        self.config = config
        self.index = index
        self._shared: dict[tuple[str, str], str] = {}

    def input_hash(self, planned: Planned) -> str:
        item, channel = planned.item, planned.channel
        shared = self._memo("shared", f"{channel.name}\0{item.kind}", lambda: self._shared_part(item.kind, channel))
        own = self._memo("item", item.slug, lambda: self._item_part(item))
        return hashlib.sha256(f"{shared}\0{own}".encode()).hexdigest()

    def _memo(self, kind: str, key: str, compute: Callable[[], str]) -> str:
        found = self._shared.get((kind, key))
        if found is None:
            found = self._shared[(kind, key)] = compute()
        return found

    def _shared_part(self, kind: str, channel: Channel) -> str:
        """Everything a variant depends on besides its item: code, font, platform, channel, templates."""
        parts = (
            self._code(),
            self._platform(channel.platform),
            self._channel(channel),
            self._templates(kind, channel),
            self._memo("hooks", "", lambda: inputs_digest(self.config)),  # e.g. the rule packs behind disclosures
            self._memo("brand", "", self._brand),
        )
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    def _item_part(self, item: Item) -> str:
        return hashlib.sha256(f"{self._item_files(item)}\0{item_link(item, self.config)}".encode()).hexdigest()

    def _code(self) -> str:
        from mediactl.graphics.fonts import font_identity  # lazy: start-up, as _templates

        return self._memo("code", "", lambda: f"{__version__}|{font_identity()}")

    def _brand(self) -> str:
        """The brand block and the bytes of the logos and fonts it names: a new logo re-renders every cover."""
        brand = self.config.brand
        digest = hashlib.sha256(canonical(asdict(brand)))
        files = [brand.logo, *brand.fonts.values(), *(theme.logo for theme in brand.themes.values())]
        for file in files:
            if file:
                digest.update(hashlib.sha256((self.config.root / file).read_bytes()).digest())
        return digest.hexdigest()

    def _platform(self, name: str) -> str:
        def compute() -> str:
            return hashlib.sha256(facts_source(name)).hexdigest()

        return self._memo("platform", name, compute)

    def _channel(self, channel: Channel) -> str:
        def compute() -> str:
            settings = {k: v for k, v in asdict(channel).items() if k != "credentials"}
            return hashlib.sha256(canonical(settings)).hexdigest()

        return self._memo("channel", channel.name, compute)

    def _templates(self, kind: str, channel: Channel) -> str:
        # lazy: start-up, `publish --due` loads this module (through the pipeline) but hashes nothing (~15 ms)
        from mediactl.graphics.layout import find_layout
        from mediactl.render.layouts import layout_folders, layout_hash, layout_name  # lazy: as above
        from mediactl.render.sources import dependency_hash, select, template_for  # lazy: as above
        from mediactl.render.video import takes_video, template_name  # lazy: as above

        def compute() -> str:
            templates = self.config.templates_path
            parts = [dependency_hash(select(template_for(kind, channel), templates), templates)]
            for spec in get_platform(channel.platform).images_for(kind):
                try:
                    path = find_layout(layout_name(spec, channel), layout_folders(self.config.templates_path))
                    parts.append(layout_hash(path))
                except Exception:  # a missing layout is reported when the variant renders
                    parts.append(f"missing:{spec.layout}")
            if kind == "video" and takes_video(platform := get_platform(channel.platform)):
                try:  # the video template: its bytes decide the encode
                    parts.append(layout_hash(find_layout(template_name(platform, channel), layout_folders(templates))))
                except Exception:  # reported when the variant renders
                    parts.append("missing:video-template")
            return hashlib.sha256("|".join(parts).encode()).hexdigest()

        return self._memo("templates", f"{channel.name}/{kind}", compute)

    def _item_files(self, item: Item) -> str:
        """Every file of the item folder, recursively, by relative name and content digest."""
        digest = hashlib.sha256()
        base = item.file.rsplit("/", 1)[0]  # the folder relative to the project, as in messages
        pending = [(str(item.folder), "")]
        while pending:
            folder, prefix = pending.pop()
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
            for entry in entries:
                relative = f"{prefix}{entry.name}"
                if entry.is_dir(follow_symlinks=False):  # a linked folder is not walked (loops, files outside)
                    pending.append((entry.path, f"{relative}/"))
                elif entry.is_file():
                    digest.update(relative.encode() + b"\0")
                    digest.update(self.index.file_digest(entry, f"{base}/{relative}").encode())
        return digest.hexdigest()
