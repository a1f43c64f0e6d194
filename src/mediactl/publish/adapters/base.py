"""The adapter contract, and the finished variant an adapter receives.

An adapter never renders: it gets a variant exactly as `render` wrote it (and `check`
passed and a person approved), sends it, and returns a receipt. Outcomes that are not
success are classified, because retrying is only safe for some of them:
`Rejected` (permanent: content refused, invalid media — fail at once with the reason),
`Transient` (nothing was published: connection refused, 429, a 5xx on a safe step —
retried with backoff), `Unknown` (the mutating call may have reached the platform — a
timeout or dropped connection after sending: never retried blindly, reconciled instead).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from mediactl.credentials import redact
from mediactl.errors import MediactlError


@dataclass(frozen=True)
class Variant:
    channel: Any  # mediactl.config.Channel
    item: str
    folder: Path
    manifest: dict[str, Any]

    @property
    def content_hash(self) -> str:
        return str(self.manifest["content_hash"])

    def text(self, field_name: str) -> str:
        return str(self.manifest["texts"].get(field_name, ""))

    def files(self) -> list[Path]:
        """Every file of the variant (texts, images, manifest), in a stable order."""
        return sorted(p for p in self.folder.iterdir() if p.is_file())

    @classmethod
    def load(cls, channel: Any, item: str, folder: Path) -> Variant | None:
        try:
            manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return cls(channel, item, folder, manifest)


@dataclass(frozen=True)
class Receipt:
    state: str  # sent | awaiting-confirmation
    remote_id: str
    url: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


class DeliveryError(MediactlError):
    exit_code = 1
    kind = "rejected"

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(redact(message))  # a platform's answer may echo a secret: hidden wherever the error goes
        self.retry_after = retry_after


class Rejected(DeliveryError):
    kind = "rejected"


class Transient(DeliveryError):
    kind = "transient"


class Unknown(DeliveryError):
    kind = "unknown"


class Adapter:
    """Base of every adapter. Subclasses set `platform` and implement `publish`."""

    platform: ClassVar[str] = ""
    confirms_manually: ClassVar[bool] = False  # a person must confirm (WeCom): state awaiting-confirmation

    def __init__(self, channel: Any, config: Any) -> None:
        self.channel = channel
        self.config = config

    def validate(self, variant: Variant) -> list[str]:
        """Problems that make sending pointless; checked before anything is sent."""
        return []

    def publish(self, variant: Variant, key: str) -> Receipt:
        raise NotImplementedError

    def find(self, key: str, variant: Variant | None) -> Receipt | None:
        """Reconciliation: was the post with this idempotency key already made? None = cannot tell."""
        return None

    def describe(self, variant: Variant, key: str) -> list[dict[str, Any]]:
        """The requests `publish` would make (for --dry-run), secrets redacted."""
        return []

    def close(self) -> None:
        """Release connections."""
