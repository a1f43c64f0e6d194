"""The gallery written as static HTML under build/preview/: an index of items × channels, and one page per item.

Static on purpose: the same files open from disk (file://) and through `mediactl preview --port`, need
no network (stylesheet, script and font are copied beside them; a Content-Security-Policy lets nothing
else load) and render nothing themselves. The variant's files are linked where render wrote them, relative
to build/, so the page shows exactly the bytes the content hash covers; a file outside build/ (an item's
own video or picture that a platform takes unchanged) is copied in under its sha256 once it was proven.
Every value goes through Jinja's autoescaping; the one piece of HTML shown as HTML is a variant's own
body, inside a sandboxed frame.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from mediactl.core import fsutil
from mediactl.graphics.fonts import default_font_paths
from mediactl.preview.marks import marked_html

if TYPE_CHECKING:  # annotations only
    from mediactl.config.model import Config
    from mediactl.preview.gallery import FileView, VariantView

PREVIEW = "preview"
ASSETS = ("preview.css", "preview.js", "video-boxes.js", "favicon.svg")
# The fonts graphics/fonts.py draws with, by weight, under the names the stylesheets' @font-face rules use (one rule
# per weight: a browser fakes a bold it has no file for).
FONTS = {"Regular": "mediactl-sans-regular.otf", "Bold": "mediactl-sans-bold.otf"}
Numbers = dict[tuple[str, str], dict[str, int]]


def data_folder() -> Path:
    return Path(str(resources.files("mediactl") / "data" / "preview"))


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(data_folder())),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["marked_html"] = marked_html
    return env


class Links:
    """Where a page finds a variant's files: relative to build/, or a proven copy under preview/files/."""

    def __init__(self, build: Path, out: Path) -> None:
        self.build = build.resolve()
        self.out = out
        self.copies: set[str] = set()  # the names under files/ that a page links

    def href(self, shown: FileView | None, depth: int) -> str | None:
        """The link from a page `depth` folders below build/preview/ (None: not shown, its bytes changed)."""
        if shown is None or shown.path is None:
            return None
        up = "../" * (depth + 1)
        real = shown.path.resolve()
        if real.is_relative_to(self.build) and not real.is_relative_to(self.out.resolve()):
            return up + real.relative_to(self.build).as_posix()
        copy = self.out / "files" / f"{shown.sha256}{real.suffix.lower()}"
        if not copy.is_file() or copy.stat().st_size != real.stat().st_size:
            copy.parent.mkdir(parents=True, exist_ok=True)
            fsutil.copy_file(real, copy)
        self.copies.add(copy.name)
        return "../" * depth + f"files/{copy.name}"


def write_gallery(config: Config, views: list[VariantView], numbers: Numbers | None = None, *,
                  whole: bool = False) -> Path:  # fmt: skip
    """Write build/preview/ (index, item pages, assets) for `views`; returns the index.

    `whole`: the gallery covers the whole library (no slug or channel named): pages and copies of anything no
    longer in it are removed. `numbers`: per (item, channel), the latest counts `mediactl stats pull` kept (reads, likes …), shown in
    one column of the index (each platform counts different things); an empty or absent mapping shows none.
    """
    out = config.build_path / PREVIEW
    out.mkdir(parents=True, exist_ok=True)
    _copy_assets(out)
    env = environment()
    links = Links(config.build_path, out)
    items = _by_item(views)
    for slug, mine in items.items():
        page = env.get_template("item.html.j2").render(
            project=config.project.name, views=mine, first=mine[0], href=lambda f: links.href(f, 1), root="../"
        )
        (out / "items").mkdir(exist_ok=True)
        fsutil.write_text(out / "items" / f"{slug}.html", page)
    numbers = {key: dict(sorted(counts.items())) for key, counts in (numbers or {}).items()}
    index = env.get_template("index.html.j2").render(
        project=config.project.name, views=views, items=items, numbers=numbers,
        channels=sorted({v.channel for v in views}), states=sorted({v.approval for v in views}),
        severities=sorted({v.severity for v in views}), root="",
    )  # fmt: skip
    fsutil.write_text(out / "index.html", index)
    if whole:
        _prune(out, {f"{slug}.html" for slug in items}, links.copies)
    return out / "index.html"


def _prune(out: Path, pages: set[str], copies: set[str]) -> None:
    """A gallery of the whole library keeps no page of an item that is gone, and no copy no page links: the folder
    shows what the library is now, never a variant that no longer exists."""
    for folder, kept in ((out / "items", pages), (out / "files", copies)):
        if folder.is_dir():
            for path in folder.iterdir():
                if path.is_file() and path.name not in kept:
                    path.unlink()


def item_page(slug: str) -> str:
    """The item page's path below build/preview/."""
    return f"items/{slug}.html"


def _by_item(views: Iterable[VariantView]) -> dict[str, list[VariantView]]:
    items: dict[str, list[VariantView]] = {}
    for view in views:
        items.setdefault(view.item, []).append(view)
    return items


def _copy_assets(out: Path) -> None:
    """The stylesheet, script and fonts beside the pages (a font copied only when it is not there yet)."""
    assets = out / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    for name in ASSETS:
        fsutil.write_bytes(assets / name, (data_folder() / "assets" / name).read_bytes())
    for weight, font in default_font_paths().items():
        copy = assets / FONTS[weight]
        if not copy.is_file() or copy.stat().st_size != font.stat().st_size:
            fsutil.copy_file(font, copy)


def to_dict(views: list[VariantView], index: Path, root: Path, url: str | None = None) -> dict[str, Any]:
    """`mediactl preview --json`: where the gallery is, and every variant's state, limits and findings."""
    shown = os.path.relpath(index, root).replace(os.sep, "/")
    folder = shown.rsplit("/", 1)[0]
    return {
        "index": shown,
        "url": url,
        "variants": [{**view.to_dict(), "page": f"{folder}/{item_page(view.item)}#{view.channel}"} for view in views],
    }
