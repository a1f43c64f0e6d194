"""A variant on disk: its files and `manifest.json`, written as a whole or not at all.

The variant is built in a temporary sibling folder and swapped in by rename, so
a crash or an error never leaves a half-written variant behind. The manifest's
`content_hash` covers exactly the bytes the audience will see (texts, images,
body images, video): check reports and approvals bind to it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediactl import __version__
from mediactl.core import fsutil

if TYPE_CHECKING:  # annotations only
    from mediactl.render.plan import Planned

MANIFEST = "manifest.json"
SCHEMA = 2  # 2: the content hash covers the whole published document (subtitles, image texts, link)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


PUBLISHED_MEDIA_KEYS = ("name", "file", "width", "height", "format", "bytes", "sha256", "texts", "qr")


def published(manifest: dict[str, Any]) -> dict[str, Any]:
    """The part of a manifest that reaches the audience, and the only part adapters may send.

    Texts (by field, with the file each is written to), every image drawn for the variant with
    what is drawn on it, the body images, the video and its subtitles (by sha256 of their bytes),
    the hashtags and the link. `content_hash` is the sha256 of this document in canonical JSON,
    so a change to any byte the audience would get, or to what the check read about an image,
    is a different content hash: a different thing to check, approve and send.
    """
    return {
        "schema": SCHEMA,
        "texts": dict(manifest["texts"]),
        "files": {name: meta["file"] for name, meta in manifest["fields"].items()},
        "media": [{key: media.get(key) for key in PUBLISHED_MEDIA_KEYS} for media in manifest.get("media", [])],
        "body_images": [dict(image) for image in manifest.get("body_images", [])],
        "video": dict(manifest["video"]) if manifest.get("video") else None,
        "subtitles": [dict(sub) for sub in manifest.get("subtitles", [])],
        "hashtags": list(manifest.get("hashtags", [])),
        "link": manifest.get("link", ""),
    }


def content_hash(manifest: dict[str, Any]) -> str:
    return sha256(canonical(published(manifest)))


def text_file(field: str, text: str, body_format: str, role: str) -> str:
    extension = {"html": "html", "markdown": "md"}.get(body_format, "txt") if role == "body" else "txt"
    return f"{field}.{extension}"


def write_variant(
    dest: Path, files: dict[str, bytes], manifest: dict[str, Any], staged: dict[str, Path] | None = None
) -> None:
    """Write `files`, copies of the `staged` files (a video: never read into memory) and the manifest into
    `dest`, replacing what was there in one rename."""
    parent = dest.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = parent / f".{dest.name}.tmp-{os.getpid()}"
    retired = parent / f".{dest.name}.old-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        for name, data in files.items():
            fsutil.write_bytes(staging / name, data)
        for name, source in (staged or {}).items():
            shutil.copyfile(source, staging / name)
        text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=False) + "\n"
        fsutil.write_text(staging / MANIFEST, text)
        if dest.exists():
            os.replace(dest, retired)
        os.replace(staging, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(retired, ignore_errors=True)


def read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return None


def header(planned: Planned, template: str) -> dict[str, Any]:
    item, channel = planned.item, planned.channel
    return {
        "schema": SCHEMA,
        "generator": f"mediactl {__version__}",
        "item": item.slug,
        "kind": item.kind,
        "channel": channel.name,
        "platform": channel.platform,
        "source": item.file,
        "template": template,
    }
