"""The vault: a content-addressed copy of every variant that was approved or queued.

What is sent must be exactly the bytes that were checked and approved. `build/` and
`content/` stay editable after the check, so when a variant is approved or queued it is
*sealed*: its published document (texts, and the sha256 of every image, video and
subtitle file; see `render.manifest.published`) and each of those files are copied into
`.mediactl/vault/<2 hex>/<sha256>`, named by the sha256 of their bytes. The document's
own sha256 is the variant's content hash, so a job that names a content hash names its
bytes. Delivery reads only from here, by hash, and re-hashes every blob as it reads it:
a blob that was altered or lost is refused, never sent. Nothing reads `build/` or
`content/` after the seal.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediactl.core import confine, fsutil
from mediactl.core.errors import MediactlError, relpath
from mediactl.publish.adapters.base import Variant
from mediactl.render.manifest import canonical, sha256
from mediactl.render.verify import Verified, read_part

if TYPE_CHECKING:  # annotations only
    from mediactl.config.model import Channel

VAULT = "vault"


class VaultError(MediactlError):
    """A sealed blob is missing or its bytes no longer match their hash: it is never sent."""

    exit_code = 1


class Vault:
    def __init__(self, state_path: Path) -> None:
        self.folder = state_path / VAULT
        self.root = state_path.parent

    def path(self, digest: str) -> Path:
        if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
            raise VaultError(f"'{digest[:80]}' is not a sha256 digest")
        return self.folder / digest[:2] / digest

    def has(self, digest: str) -> bool:
        try:
            return sha256(self.path(digest).read_bytes()) == digest
        except OSError:
            return False

    def put_bytes(self, data: bytes) -> str:
        digest = sha256(data)
        if not self.has(digest):
            self._store(digest, lambda handle, hasher: (hasher.update(data), handle.write(data)))
        return digest

    def put_file(self, source: Path, digest: str, root: Path, what: str) -> None:
        """Copy `source` in by its expected sha256; a file that changed since it was verified is refused."""
        if self.has(digest):
            return

        def copy(handle: Any, hasher: Any) -> None:
            with os.fdopen(confine.open_confined(source, root, what=what), "rb") as src:
                while chunk := src.read(confine.CHUNK):
                    hasher.update(chunk)
                    handle.write(chunk)

        self._store(digest, copy, shown=relpath(source, root))

    def _store(self, digest: str, fill: Callable[[Any, Any], Any], shown: str = "") -> None:
        target = self.path(digest)
        fsutil.folder_for(target)  # under the state folder: 0700 (mkstemp makes the blob 0600)
        fd, tmp = tempfile.mkstemp(prefix=f".{digest[:16]}.", suffix=".tmp", dir=target.parent)
        try:
            hasher = hashlib.sha256()
            with os.fdopen(fd, "wb") as handle:
                fill(handle, hasher)
                handle.flush()
                os.fsync(handle.fileno())
            if hasher.hexdigest() != digest:
                raise VaultError(f"{shown or 'a file'} changed while it was being sealed; nothing was sealed from it; "
                                 "run mediactl render --force and try again")  # fmt: skip
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def read(self, digest: str, what: str = "blob") -> bytes:
        """A blob's bytes, re-hashed as read."""
        path = self.path(digest)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise VaultError(f"{relpath(path, self.root)}: the sealed {what} is missing from the vault; "
                             "nothing was sent", hint="render, check, approve and publish the item again") from None  # fmt: skip
        if sha256(data) != digest:
            raise VaultError(f"{relpath(path, self.root)}: the sealed {what} no longer matches its sha256 "
                             "(altered on disk); nothing was sent", hint="render, check, approve and publish the item again")  # fmt: skip
        return data


def seal(vault: Vault, verified: Verified, root: Path) -> str:
    """Copy a verified variant's files and document into the vault; returns its content hash."""
    for part in verified.parts:
        vault.put_file(part.path, part.sha256, root, part.what)
    stored = vault.put_bytes(canonical(verified.document))
    if stored != verified.content_hash:  # published() and the render disagree: never send under a wrong name
        raise VaultError(f"{relpath(verified.folder, root)}: sealed document hash {stored[:12]} is not the "
                         f"variant's content hash {verified.content_hash[:12]}; this is a bug")  # fmt: skip
    return stored


def sealed_variant(vault: Vault, channel: Channel, item: str, content_hash: str) -> Variant:
    """The variant a job names, read from the vault only: its document and blobs, each verified as read."""
    document = json.loads(vault.read(content_hash, "variant document").decode("utf-8"))
    return Variant(channel, item, content_hash, document, lambda digest, what: vault.read(digest, what))


def unsealed_variant(verified: Verified, channel: Channel, item: str, root: Path) -> Variant:
    """A verified variant read from where it lies (for --dry-run: describes without sealing anything)."""
    by_hash = {part.sha256: part for part in verified.parts}
    return Variant(channel, item, verified.content_hash, verified.document,
                   lambda digest, what: read_part(by_hash[digest], root))  # fmt: skip
