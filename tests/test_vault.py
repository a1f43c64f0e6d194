"""The vault over its blob store: bytes hashed on the way in and on every read, whatever keeps them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

import pytest

from mediactl.publish.store import Store
from mediactl.publish.vault import Vault, VaultError
from mediactl.publish.vaultfolder import FolderBlobs

SLUG = "anti-fraud-2026"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Counting(FolderBlobs):
    """The folder store, counting what the vault asks of it."""

    def __init__(self, state: Path) -> None:
        super().__init__(state)
        self.reads = 0
        self.puts = 0

    def get(self, digest: str) -> bytes | None:
        self.reads += 1
        return super().get(digest)

    def put(self, digest: str, chunks: Iterable[bytes]) -> None:
        self.puts += 1
        super().put(digest, chunks)


def test_sealing_again_looks_whether_a_blob_exists_and_never_reads_it(tmp_path: Path) -> None:
    """Sealing a variant whose video is sealed already must not re-read (and re-hash) gigabytes: delivery
    re-hashes every blob when it reads it anyway."""
    source = tmp_path / "project" / "clip.mp4"
    source.parent.mkdir()
    source.write_bytes(b"\x00video" * 10_000)
    blobs = Counting(tmp_path / "project" / ".mediactl")
    vault = Vault(blobs)
    for _ in range(3):
        vault.put_file(source, sha(source.read_bytes()), source.parent, "video")
        vault.put_bytes(b'{"document": 1}')
    assert (blobs.puts, blobs.reads) == (2, 0)
    assert vault.read(sha(source.read_bytes())) == source.read_bytes()


def test_a_file_that_changed_since_it_was_verified_leaves_nothing_in_the_vault(tmp_path: Path) -> None:
    source = tmp_path / "cover.jpg"
    source.write_bytes(b"approved")
    vault = Vault(FolderBlobs(tmp_path / ".mediactl"))
    with pytest.raises(VaultError, match=r"cover\.jpg changed while it was being sealed"):
        vault.put_file(source, sha(b"what was checked"), tmp_path, "image")
    assert not vault.has(sha(b"what was checked"))
    assert not [p for p in (tmp_path / ".mediactl").rglob("*") if p.is_file()]  # no blob, no temporary file


def test_an_altered_blob_is_refused_set_aside_and_sealed_anew(cli, ready: Path) -> None:
    """Sealing only looks whether a blob exists, so a blob altered where it is kept must not stay in use:
    the read that finds it altered sets it aside, and publishing the item again seals the approved bytes anew."""
    cover = (ready / "build/outbox" / SLUG / "cover.jpg").read_bytes()
    (queued,) = json.loads(
        cli(ready, "publish", SLUG, "--channel", "outbox", "--at", "2099-01-01T09:00", "--json").stdout
    )
    blob = ready / ".mediactl/vault" / sha(cover)[:2] / sha(cover)
    blob.write_bytes(b"altered")
    store = Store(ready / ".mediactl/queue.sqlite3")
    store.db.execute("UPDATE jobs SET due_at = 0")
    store.close()

    (failed,) = json.loads(cli(ready, "publish", "--due", "--json").stdout)
    assert failed["state"] == "failed" and "no longer matches its sha256" in failed["detail"], failed
    (aside,) = blob.parent.glob(f"{sha(cover)}.altered-*")
    assert aside.read_bytes() == b"altered" and not blob.exists()

    (again,) = json.loads(cli(ready, "publish", SLUG, "--channel", "outbox", "--json").stdout)
    assert again["job"] == queued["job"] and again["state"] == "failed"  # the same job: its bytes sealed anew
    assert blob.read_bytes() == cover
    assert cli(ready, "queue", "retry", str(queued["job"])).exit_code == 0
    assert [o["state"] for o in json.loads(cli(ready, "publish", "--due", "--json").stdout)] == ["sent"]
