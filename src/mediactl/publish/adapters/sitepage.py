"""A static-site page from a sealed website variant: `index.md` with front matter, and the files beside it.

One layout that Hugo and MkDocs both take as it is, so a team's site generator needs no plug-in:
- the page is a folder `<slug>/index.md` (Hugo: a leaf page bundle, its files are page resources;
  MkDocs: `<slug>/index.md` is served at `<slug>/`), and the body's images, the Open Graph image,
  a video and its subtitles lie beside it under the names the body links them by, so every
  relative link resolves in both;
- YAML front matter between `---` lines, keys lower case (MkDocs' "YAML style meta-data";
  Hugo's front matter): `title`, `date` (RFC 3339 with the project's offset), `description`, `tags`
  (Hugo's default taxonomy; the Material theme's tags plugin), `images` (Hugo's Open Graph and
  Twitter templates read it). Strings are written as JSON strings, which are YAML double-quoted
  scalars: Chinese stays as it is and no value can break out of its line;
- the body after the front matter is the sealed body, byte for byte (what was checked and approved).

A comment line in the front matter names the item and content hash: it is how a later run
recognises the page as this exact variant (reconciliation), and neither generator shows it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from mediactl.publish.adapters.base import Rejected, inside_folder

if TYPE_CHECKING:  # annotations only
    from mediactl.publish.adapters.base import Variant

PAGE = "index.md"
_MARK = re.compile(r"^# mediactl: item (\S+) content_hash ([0-9a-f]{64})$", re.MULTILINE)


@dataclass(frozen=True)
class Page:
    """The page file and the files that go beside it, each as (name relative to the page folder, bytes)."""

    text: bytes
    files: list[tuple[str, bytes]]

    def all_files(self) -> list[tuple[str, bytes]]:
        return [(PAGE, self.text), *self.files]


def build(variant: Variant, published: datetime) -> Page:
    """The page of `variant`, dated `published`; every blob is read (and verified) before anything is written."""
    files = _beside(variant)
    images = [m["file"] for m in variant.media()]
    front = [
        "---",
        f"# mediactl: item {variant.item} content_hash {variant.content_hash}",
        f"title: {_string(variant.text('title'))}",
        f"date: {published.isoformat(timespec='seconds')}",
    ]
    description = variant.text("summary")
    if description:
        front.append(f"description: {_string(description)}")
    tags = list(variant.document.get("hashtags") or [])
    if tags:
        front.append(f"tags: [{', '.join(_string(tag) for tag in tags)}]")
    if images:
        front.append(f"images: [{', '.join(_string(name) for name in images)}]")
    front += ["---", ""]
    body = variant.text("body").encode("utf-8")
    return Page("\n".join(front).encode("utf-8") + b"\n" + body, files)


def body_of(page: bytes) -> bytes:
    """The body of a page this module wrote: everything after the front matter's closing line."""
    _, _, rest = page.partition(b"\n---\n\n")
    return rest


def marked(page: bytes) -> tuple[str, str] | None:
    """(item, content hash) a page written by this module carries, or None for any other file."""
    head = page[:4096].decode("utf-8", errors="replace")
    match = _MARK.search(head) if head.startswith("---\n") else None
    return (match.group(1), match.group(2)) if match else None


def _beside(variant: Variant) -> list[tuple[str, bytes]]:
    """Images, body images (at the path the body links them by), a video, its cover and subtitles; not the text fields,
    which are the page itself (a stray `body.md` would become a second page in MkDocs)."""
    doc = variant.document
    named = [(m["file"], variant.read(m, f"image {m['name']}")) for m in variant.media()]
    named += [
        (b["src"], variant.read(b, f"body image {b['src']}")) for b in doc["body_images"] if not b.get("external")
    ]
    video = doc.get("video") or {}
    extras = [e for e in (doc.get("video"), video.get("cover")) if e] + list(doc.get("subtitles", []))
    named += [(PurePosixPath(e["file"]).name, variant.read(e, PurePosixPath(e["file"]).name)) for e in extras]
    files = sorted({inside_folder(name): data for name, data in named}.items())
    if any(name == PAGE for name, _ in files):
        raise Rejected(f"a file of the variant is named {PAGE}, the name of the page itself: rename it in the item")
    return files


def _string(text: str) -> str:
    """A YAML double-quoted scalar (a JSON string is one): Chinese kept, quotes and line breaks escaped."""
    return json.dumps(str(text), ensure_ascii=False)
