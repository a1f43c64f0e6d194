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
from typing import Any

from mediactl import __version__, fsutil

MANIFEST = "manifest.json"
SCHEMA = 1


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def content_hash(
    texts: dict[str, str], media: list[dict[str, Any]], body_images: list[dict[str, Any]], video: Any
) -> str:
    published = {
        "texts": texts,
        "media": [m["sha256"] for m in media],
        "body_images": [b.get("sha256") for b in body_images],
        "video": video.get("sha256") if video else None,
    }
    return sha256(canonical(published))


def text_file(field: str, text: str, body_format: str, role: str) -> str:
    extension = {"html": "html", "markdown": "md"}.get(body_format, "txt") if role == "body" else "txt"
    return f"{field}.{extension}"


def write_variant(dest: Path, files: dict[str, bytes], manifest: dict[str, Any]) -> None:
    """Write `files` and the manifest into `dest`, replacing what was there in one rename."""
    parent = dest.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = parent / f".{dest.name}.tmp-{os.getpid()}"
    retired = parent / f".{dest.name}.old-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        for name, data in files.items():
            fsutil.write_bytes(staging / name, data)
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


def header(planned: Any, template: str) -> dict[str, Any]:
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
