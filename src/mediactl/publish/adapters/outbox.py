"""The outbox: delivers a variant's exact payload and media to a local folder.

The embedded default that works on every machine, for trying mediactl, for reviewers,
and for hand-offs to systems that pick files up. Each delivery lands in
`<path>/<channel>/<slug>/<content-hash>/` and is written to a temporary folder then
renamed, so it is atomic; delivering the same key again finds the receipt and sends
nothing twice. Its remote id is `<slug>/<hash prefix>`, the delivery's folder under the
channel's, so `recall` can take exactly that delivery back (the folder is removed whole).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path, PurePosixPath
from typing import Any

from mediactl.core import fsutil
from mediactl.publish.adapters.base import Adapter, Receipt, Rejected, Variant

RECEIPT = "receipt.json"
MANIFEST = "manifest.json"


class OutboxAdapter(Adapter):
    platform = "outbox"

    def _target(self, variant_item: str, content_hash: str) -> Path:
        base = self.config.root / str(self.channel.options.get("path") or "outbox")
        return base / self.channel.name / variant_item / content_hash[:16]

    def publish(self, variant: Variant, key: str) -> Receipt:
        found = self.find(key, variant)
        if found is not None:
            return found
        files = [(_safe(name), data) for name, data in variant.files()]  # every blob verified before any write
        target = self._target(variant.item, variant.content_hash)
        staging = target.parent / f".{target.name}.tmp-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        try:
            for name, data in files:
                fsutil.write_bytes(staging / name, data)
            document = {"item": variant.item, "channel": self.channel.name, "content_hash": variant.content_hash,
                        **variant.document}  # fmt: skip
            fsutil.write_text(staging / MANIFEST, json.dumps(document, ensure_ascii=False, indent=2))
            receipt = {"idempotency_key": key, "content_hash": variant.content_hash, "item": variant.item,
                       "channel": self.channel.name}  # fmt: skip
            fsutil.write_text(staging / RECEIPT, json.dumps(receipt, ensure_ascii=False, indent=2))
            os.replace(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return Receipt("sent", _remote_id(target), target.resolve().as_uri())

    def find(self, key: str, variant: Variant | None) -> Receipt | None:
        if variant is None:
            return None
        target = self._target(variant.item, variant.content_hash)
        try:
            data = json.loads((target / RECEIPT).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return (
            Receipt("sent", _remote_id(target), target.resolve().as_uri())
            if data.get("idempotency_key") == key
            else None
        )

    def withdraw(self, remote_id: str) -> None:
        """Remove the delivery's folder (renamed aside first, so a reader never sees half of it)."""
        base = self.config.root / str(self.channel.options.get("path") or "outbox") / self.channel.name
        slug, _, prefix = remote_id.rpartition("/")
        found = [base / slug / prefix] if slug else list(base.glob(f"*/{prefix}"))  # an id from before slugs
        found = [path for path in found if (path / RECEIPT).is_file() and _safe(str(path.relative_to(base)))]
        if len(found) != 1:
            raise Rejected(f"the outbox holds no single delivery {remote_id!r} under {base} (found {len(found)})")
        aside = found[0].with_name(f".{found[0].name}.recalled-{os.getpid()}")
        os.replace(found[0], aside)
        shutil.rmtree(aside)

    def describe(self, variant: Variant, key: str) -> list[dict[str, Any]]:
        target = self._target(variant.item, variant.content_hash)
        names = sorted([*(name for name, _ in variant.files()), MANIFEST])
        return [{"action": "write folder", "path": str(target), "files": names, "key": key}]


def _remote_id(target: Path) -> str:
    return f"{target.parent.name}/{target.name}"


def _safe(name: str) -> str:
    """A file name from the sealed document, kept inside the delivery folder (render refuses `..` already)."""
    parts = PurePosixPath(name).parts
    if not parts or PurePosixPath(name).is_absolute() or ".." in parts:
        raise Rejected(f"refusing to write '{name}' outside the delivery folder")
    return str(PurePosixPath(*parts))
