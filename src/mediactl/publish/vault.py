"""The vault: a content-addressed copy of every variant that was approved or queued.

What is sent must be exactly the bytes that were checked and approved. `build/` and
`content/` stay editable after the check, so when a variant is approved or queued it is
*sealed*: its published document (texts, and the sha256 of every image, video and
subtitle file; see `render.manifest.published`) and each of those files are copied into
the vault, named by the sha256 of their bytes. The document's own sha256 is the variant's
content hash, so a job that names a content hash names its bytes. Delivery reads only from
here, by hash, and re-hashes every blob as it reads it: a blob that was altered or lost is
refused, never sent. Nothing reads `build/` or `content/` after the seal.

Where the blobs are kept is a `BlobStore`: the folder `.mediactl/vault/<2 hex>/<sha256>`
(publish/vaultfolder.py). The checks are this module's, the same for every store: bytes are
hashed on their way in (a file that changed since it was verified is refused, nothing kept)
and again on every read. So sealing asks a store only whether a blob exists, never to re-read
it: a blob found altered when read is taken out of use (`discard`), and sealing its variant
again stores it anew.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from mediactl.core import confine
from mediactl.core.errors import MediactlError, relpath
from mediactl.publish.adapters.base import Variant
from mediactl.render.manifest import canonical, sha256
from mediactl.render.verify import Verified, read_part

if TYPE_CHECKING:  # annotations only
    from mediactl.config.model import Channel

VAULT = "vault"
REPAIR_HINT = "render, check, approve and publish the item again"


class VaultError(MediactlError):
    """A sealed blob is missing or its bytes no longer match their hash: it is never sent."""

    exit_code = 1


class BlobStore(Protocol):
    """Where sealed bytes are kept, by the sha256 they must have (always a valid digest: the vault checks)."""

    def has(self, digest: str) -> bool:
        """Whether a blob is kept under `digest`: a cheap look, never a read (its bytes are checked when read)."""
        ...

    def put(self, digest: str, chunks: Iterable[bytes]) -> None:
        """Keep the bytes of `chunks` under `digest`, all of them or, when the iteration raises, nothing."""
        ...

    def get(self, digest: str) -> bytes | None:
        """The bytes kept under `digest` as they are (the vault re-hashes them), or None."""
        ...

    def discard(self, digest: str) -> None:
        """Take a blob whose bytes no longer match its digest out of use (kept aside where the store can)."""
        ...

    def digests(self) -> Iterator[str]:
        """Every blob kept (for `state export`)."""
        ...

    def describe(self, digest: str) -> str:
        """How messages name the blob (".mediactl/vault/ab/ab12…")."""
        ...


class Vault:
    """Sealed bytes in a `BlobStore`, hashed on their way in and on every read (see the module doc)."""

    def __init__(self, blobs: BlobStore) -> None:
        self.blobs = blobs

    def has(self, digest: str) -> bool:
        return self.blobs.has(_checked_digest(digest))

    def put_bytes(self, data: bytes) -> str:
        digest = sha256(data)
        if not self.blobs.has(digest):
            self.blobs.put(digest, _hashed([data], digest, "a document's bytes changed while it was being sealed"))
        return digest

    def put_file(self, source: Path, digest: str, root: Path, what: str) -> None:
        """Copy `source` in by its expected sha256; a file that changed since it was verified is refused."""
        if not self.has(digest):
            changed = (f"{relpath(source, root)} changed while it was being sealed; nothing was sealed from it; "
                       "run mediactl render --force and try again")  # fmt: skip
            self.blobs.put(digest, _hashed(_chunks_of(source, root, what), digest, changed))

    def put_chunks(self, digest: str, chunks: Iterable[bytes], shown: str) -> None:
        """Copy in bytes from elsewhere (`state import`) by the sha256 they must have; others are refused."""
        if not self.has(digest):
            self.blobs.put(digest, _hashed(chunks, digest, f"{shown}: the bytes are not the sha256 they are named by"))

    def read(self, digest: str, what: str = "blob") -> bytes:
        """A blob's bytes, re-hashed as read."""
        data = self.blobs.get(_checked_digest(digest))
        if data is None:
            raise VaultError(f"{self.blobs.describe(digest)}: the sealed {what} is missing from the vault; "
                             "nothing was sent", hint=REPAIR_HINT)  # fmt: skip
        if sha256(data) != digest:
            self.blobs.discard(digest)  # sealing the variant again stores it anew
            raise VaultError(f"{self.blobs.describe(digest)}: the sealed {what} no longer matches its sha256 "
                             "(altered); nothing was sent", hint=REPAIR_HINT)  # fmt: skip
        return data


def _checked_digest(digest: str) -> str:
    if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
        raise VaultError(f"'{digest[:80]}' is not a sha256 digest")
    return digest


def _hashed(chunks: Iterable[bytes], digest: str, refusal: str) -> Iterator[bytes]:
    """`chunks`, hashed as the store takes them: bytes that are not `digest` raise VaultError(refusal) at the end,
    before the store keeps anything (it keeps all or nothing)."""
    hasher = hashlib.sha256()
    for chunk in chunks:
        hasher.update(chunk)
        yield chunk
    if hasher.hexdigest() != digest:
        raise VaultError(refusal)


def _chunks_of(source: Path, root: Path, what: str) -> Iterator[bytes]:
    """A file inside the project, read in chunks (opened only when the store starts taking it)."""
    with os.fdopen(confine.open_confined(source, root, what=what), "rb") as handle:
        while chunk := handle.read(confine.CHUNK):
            yield chunk


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
