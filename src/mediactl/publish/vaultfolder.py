"""The vault's blobs in a folder: `.mediactl/vault/<2 hex>/<sha256>`, one file per blob.

The embedded default, beside a SQLite queue: sealed video is large, and the queue file is read
whole by the integrity check before every publish, so blobs stay out of it. A blob is written to
a temporary file, fsynced, and renamed into place: a blob file is always whole. The checks (hash
on the way in, re-hash on every read) are publish/vault.py's.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from mediactl.core import fsutil
from mediactl.core.errors import relpath
from mediactl.publish.vault import VAULT


class FolderBlobs:
    def __init__(self, state_path: Path) -> None:
        self.folder = state_path / VAULT
        self.root = state_path.parent

    def path(self, digest: str) -> Path:
        return self.folder / digest[:2] / digest

    def has(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def put(self, digest: str, chunks: Iterable[bytes]) -> None:
        target = self.path(digest)
        fsutil.folder_for(target)  # under the state folder: 0700 (mkstemp makes the blob 0600)
        fd, tmp = tempfile.mkstemp(prefix=f".{digest[:16]}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, digest: str) -> bytes | None:
        try:
            return self.path(digest).read_bytes()
        except FileNotFoundError:
            return None

    def discard(self, digest: str) -> None:
        """Rename the altered blob aside (`<sha256>.altered-<time>`), for whoever looks into how it changed."""
        path = self.path(digest)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        with contextlib.suppress(OSError):  # gone already (another reader set it aside), or read-only: read fails again
            path.rename(path.with_name(f"{path.name}.altered-{stamp}"))

    def digests(self) -> Iterator[str]:
        """The blobs in the folder: files named by a sha256 (not the temporary or set-aside ones)."""
        for path in sorted(self.folder.glob("??/*")):
            if len(path.name) == 64 and path.name.startswith(path.parent.name) and path.is_file():
                yield path.name

    def describe(self, digest: str) -> str:
        return relpath(self.path(digest), self.root)
