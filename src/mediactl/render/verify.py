"""Reading a variant back from `build/`: every byte proven to be what render wrote, or an error.

`build/` is an ordinary folder anyone can edit after a render. The manifest's
`content_hash` names what was checked and approved, so trusting it without the bytes
would let an edited `body.md` or a replaced `cover.jpg` (or an item's `chart.png`
overwritten in `content/`) travel under an old approval. Everything downstream of render
(check, approve, the publish gate, `ls`) reads a variant through `verify`, which re-reads
each text file and re-hashes each image, video and subtitle file, and recomputes the
content hash from what it found. Delivery goes further and reads nothing from disk but the
sealed copy (`publish/vault.py`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediactl.core import confine
from mediactl.core.errors import MediactlError, relpath
from mediactl.render.manifest import MANIFEST, SCHEMA, canonical, published, read_manifest, sha256


class VariantChangedError(MediactlError):
    """A variant's files (or the item files it carries) are no longer what render wrote."""


@dataclass(frozen=True)
class Part:
    """One file the audience gets besides the texts: where it is now, and the sha256 it must have."""

    path: Path
    sha256: str
    size: int
    what: str


@dataclass(frozen=True)
class Verified:
    """A variant whose bytes were all read and found to be the ones its manifest names."""

    folder: Path
    manifest: dict[str, Any]
    document: dict[str, Any]  # published(manifest): what adapters send
    content_hash: str
    parts: tuple[Part, ...]


def verify(folder: Path, root: Path) -> Verified | None:
    """The variant in `folder`, verified byte for byte; None when it was never rendered.

    Raises VariantChangedError naming the first file that differs, with what to do.
    """
    manifest = read_manifest(folder)
    if manifest is None:
        return None
    shown = relpath(folder, root)
    if manifest.get("schema") != SCHEMA or "content_hash" not in manifest:
        raise VariantChangedError(
            f"{shown}/{MANIFEST}: written by another version of mediactl; run mediactl render --force"
        )
    try:
        document = published(manifest)
    except (KeyError, TypeError, AttributeError) as exc:
        raise VariantChangedError(
            f"{shown}/{MANIFEST}: not a manifest mediactl wrote ({exc}); run mediactl render --force"
        ) from None
    real = confine.confined(folder, root, what="variant folder")
    _verify_texts(real, root, document)
    parts = tuple(_parts(folder, root, document))
    for part in parts:
        _verify_part(part, root, folder, real)
    computed = sha256(canonical(document))
    if computed != manifest["content_hash"]:
        raise VariantChangedError(
            f"{shown}/{MANIFEST}: its content_hash does not match its contents (edited by hand?); "
            "run mediactl render --force"
        )
    return Verified(folder, manifest, document, computed, parts)


def _verify_texts(real: Path, root: Path, document: dict[str, Any]) -> None:
    """Each text field's file holds exactly the field's text (`real`: the variant folder, resolved)."""
    for field, text in document["texts"].items():
        name = document["files"][field]
        try:
            with os.fdopen(confine.open_in(real, name, root, what=f"text field {field!r}"), "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            raise _changed(real / name, root, "is missing") from None
        if data != str(text).encode("utf-8"):
            raise _changed(real / name, root, "was edited after render")


def _parts(folder: Path, root: Path, document: dict[str, Any]) -> list[Part]:
    """Every non-text file of the variant with the sha256 the manifest names."""
    parts = [Part(folder / m["file"], m["sha256"], int(m.get("bytes") or 0), f"image {m['name']}")
             for m in document["media"]]  # fmt: skip
    parts += [Part(root / b["file"], b["sha256"], int(b["bytes"]), f"body image {b['src']}")
              for b in document["body_images"] if not b.get("external")]  # fmt: skip
    if document["video"]:
        video = document["video"]
        parts.append(Part(root / video["file"], video["sha256"], int(video["bytes"]), "video"))
        if video.get("cover"):  # the frame drawn for a platform with no cover layout (a web page's poster)
            cover = video["cover"]
            parts.append(Part(folder / cover["file"], cover["sha256"], int(cover["bytes"]), "video cover"))
    parts += [Part(root / s["file"], s["sha256"], int(s["bytes"]), "subtitles") for s in document["subtitles"]]
    return parts


def _verify_part(part: Part, root: Path, folder: Path, real: Path) -> None:
    """The part's bytes hash as the manifest says; files of the variant folder take the fast path."""
    try:
        if part.path.parent == folder:
            digest, _ = confine.sha256_fd(confine.open_in(real, part.path.name, root, what=part.what))
        else:
            digest, _ = confine.sha256_file(part.path, root, what=part.what)
    except FileNotFoundError:
        raise _changed(part.path, root, f"({part.what}) is missing") from None
    if digest != part.sha256:
        raise _changed(part.path, root, f"({part.what}) changed after render")


def _changed(path: Path, root: Path, what: str) -> VariantChangedError:
    return VariantChangedError(
        f"{relpath(path, root)} {what}; what was rendered (and checked) is not what is there now, "
        "so nothing was checked, approved or sent from it",
        hint="run mediactl render --force to render it again, then check and approve what it writes",
    )


def read_part(part: Part, root: Path) -> bytes:
    """A part's bytes, proven again as read: a file swapped since `verify` is refused, not sent."""
    try:
        data = confine.read_bytes(part.path, root, what=part.what)
    except FileNotFoundError:
        raise _changed(part.path, root, f"({part.what}) is missing") from None
    if sha256(data) != part.sha256:
        raise _changed(part.path, root, f"({part.what}) changed after render")
    return data
