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

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, ClassVar

from mediactl.config.platforms import get_platform
from mediactl.core.confine import OutsideProjectError, confined
from mediactl.core.errors import MediactlError, relpath
from mediactl.core.redaction import redact

if TYPE_CHECKING:  # annotations only
    from mediactl.config.model import Channel, Config
    from mediactl.library.content import Item
    from mediactl.publish.adapters.metrics import Metrics
    from mediactl.publish.store import Job, Store


@dataclass(frozen=True)
class Variant:
    """A sealed variant as an adapter sees it: the published document and its files, by sha256.

    Adapters get bytes only through `read`, which re-hashes every blob as it reads it
    (publish/vault.py), so what goes out is exactly what was checked and approved; they never
    open a path under `build/` or `content/`.
    """

    channel: Channel
    item: str
    content_hash: str
    document: dict[str, Any]  # render.manifest.published(): texts, files, media, body_images, video, …
    reader: Callable[[str, str], bytes]  # (sha256, what) -> verified bytes

    def text(self, field_name: str) -> str:
        return str(self.document["texts"].get(field_name, ""))

    def media(self, name: str | None = None) -> list[dict[str, Any]]:
        return [m for m in self.document.get("media", []) if name is None or m["name"] == name]

    def read(self, entry: dict[str, Any], what: str = "file") -> bytes:
        """The bytes of a media, body image, video or subtitle entry of the document."""
        return self.reader(str(entry["sha256"]), what)

    def files(self) -> list[tuple[str, bytes]]:
        """Every file the audience gets, by the name a hand-off writes it under: text fields, images, body
        images (at the path the body links them by), the video and its subtitles."""
        doc = self.document
        named = [(doc["files"][field], text.encode("utf-8")) for field, text in doc["texts"].items()]
        named += [(m["file"], self.read(m, f"image {m['name']}")) for m in self.media()]
        named += [
            (b["src"], self.read(b, f"body image {b['src']}")) for b in doc["body_images"] if not b.get("external")
        ]
        extras = ([doc["video"]] if doc.get("video") else []) + list(doc.get("subtitles", []))
        named += [(PurePosixPath(e["file"]).name, self.read(e, PurePosixPath(e["file"]).name)) for e in extras]
        return sorted(named)


@dataclass(frozen=True)
class Receipt:
    state: str  # sent | awaiting-confirmation
    remote_id: str
    url: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    note: str = ""  # what a person should know or do next (where a hand-off bundle is): shown, and in the audit record
    # The note reports trouble a person must act on although the job reached its state (a hand-off whose operator
    # could not be notified): it is kept as the job's error too, and the run exits 1.
    attention: bool = False
    # The post's texts as the platform shows them, where the answer that ended the publish carries them (variant
    # text field → live text): compared with the approved variant for drift (publish/drift.py). None: not read.
    live: dict[str, str] | None = None


@dataclass(frozen=True)
class Confirmation:
    """What the platform says about a post that waits for people to confirm it (WeCom staff confirm each task).

    `state` is awaiting-confirmation (still open), sent (enough people confirmed) or expired (too few did in
    time); `detail` is kept on the job (per person and in total); `summary` says it in one line; `reminded`
    counts the reminders sent while asking (each is audited)."""

    state: str
    detail: dict[str, Any]
    summary: str = ""
    url: str = ""
    reminded: int = 0


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


class NotPublished(Rejected):
    """The platform's definite verdict that a submitted post was not published (refused by its review)."""


class NotWithdrawable(MediactlError):
    """The platform offers no way to take this post back through its API; the message says what a person does."""


def shown(answer: dict[str, Any], **fields: str) -> dict[str, str] | None:
    """A receipt's `live` texts from a platform's answer: each variant text field from the answer's key named for it
    (`shown(video, text="title")`), where the answer has it as a string; None when it has none of them."""
    live = {name: answer[key] for name, key in fields.items() if isinstance(answer.get(key), str)}
    return live or None


def inside_folder(name: str) -> str:
    """A file name from the sealed document, kept inside the folder it is written to (render refuses `..` already)."""
    parts = PurePosixPath(name).parts
    if not parts or PurePosixPath(name).is_absolute() or ".." in parts:
        raise Rejected(f"refusing to write '{name}' outside the delivery folder")
    return str(PurePosixPath(*parts))


class Adapter:
    """Base of every adapter. Subclasses set `platform` and implement `publish`."""

    platform: ClassVar[str] = ""
    confirms_manually: ClassVar[bool] = False  # a person must confirm (WeCom): state awaiting-confirmation
    # The item kinds this adapter can deliver, as data; None: every kind its platform's facts file lists (`kinds:`).
    # An adapter that posts text only says ("article",), and a video for its channel is refused while planning.
    kinds: ClassVar[tuple[str, ...] | None] = None
    store: Store | None = None  # set by the publisher: the state store (token cache, remote ids), for those who need it

    def __init__(self, channel: Channel, config: Config) -> None:
        self.channel = channel
        self.config = config

    def channel_path(self, default: str, *parts: str) -> Path:
        """`parts` inside the channel's `path` folder (default `default`), resolved and proven inside the project.

        The config loader refuses a `path` that is absolute or climbs with '..'; this refuses a folder
        (or a folder below it) that is a symbolic link out of the project, before anything is written,
        so every local delivery (the outbox, a website) stays where the repository says.
        """
        root = self.config.root
        path = root.joinpath(str(self.channel.options.get("path") or default), *parts)
        try:
            return confined(path, root, what=f"channels.{self.channel.name}.path")
        except OutsideProjectError:
            raise Rejected(
                f"channels.{self.channel.name}.path: {relpath(path, root)} leads outside the project (through a "
                "symbolic link); nothing was written: deliveries stay inside the project"
            ) from None

    @classmethod
    def accepted_kinds(cls, platform: str) -> tuple[str, ...]:
        """The kinds this adapter delivers for `platform`: the platform's (its facts), narrowed by `kinds`."""
        takes = get_platform(platform).kinds
        return takes if cls.kinds is None else tuple(kind for kind in takes if kind in cls.kinds)

    @classmethod
    def refusal(cls, channel: Channel, config: Config, kind: str) -> str | None:
        """Why this adapter can deliver no `kind` item to `channel` as configured (None: it can). Asked while
        planning, before any job exists; subclasses add what their channels need (a hand-off's folder …)."""
        accepted = cls.accepted_kinds(channel.platform)
        if kind in accepted:
            return None
        takes = ", ".join(accepted) or "none"
        return f"the {channel.platform} adapter cannot deliver {kind} items to channel '{channel.name}' (it takes: {takes})"

    @classmethod
    def item_refusal(cls, channel: Channel, config: Config, item: Item) -> str | None:
        """Why this item cannot go to `channel` whatever its variant holds (None: it can), known from the item and
        the config alone (WeCom: whom its audience reaches). Asked while planning, as `refusal` is."""
        return None

    def validate(self, variant: Variant) -> list[str]:
        """Problems that make sending pointless; checked before anything is sent."""
        return []

    def publish(self, variant: Variant, key: str) -> Receipt:
        raise NotImplementedError

    def find(self, key: str, variant: Variant | None) -> Receipt | None:
        """Reconciliation: was the post with this idempotency key already made? None = cannot tell."""
        return None

    @classmethod
    def can_be_asked(cls) -> bool:
        """Whether `find` can learn anything at all: the runner does not ask (or read the vault) otherwise."""
        return cls.find is not Adapter.find

    def describe(self, variant: Variant, key: str) -> list[dict[str, Any]]:
        """The requests `publish` would make (for --dry-run), secrets redacted."""
        return []

    def confirmation(self, job: Job, now: float) -> Confirmation | None:
        """A job awaiting confirmation on the platform, asked about (`publish --due`, `queue sync`); people are
        reminded where the platform allows it. None: the platform cannot be asked (a person resolves the job)."""
        return None

    def read_back(self, remote_id: str) -> dict[str, str] | None:
        """The post's texts as the platform shows them now (variant text field → text), for `mediactl drift`;
        None: the platform cannot be asked, or does not show them (yet). Failures are classified as for `publish`."""
        return None

    def metrics(self, job: Job, now: float) -> Metrics | None:
        """The post's numbers now (`mediactl stats pull`): our counters (publish/adapters/metrics.py). None: the
        platform cannot be asked (a hand-off, the outbox, a webhook, a website: nothing counts readers for us).
        `now` is the time of asking (platforms that report by day need it). Failures are classified as for
        `publish`; NotPublished means the post is gone."""
        return None

    def withdraw(self, remote_id: str) -> None:
        """Take a post back (`mediactl recall`): delete it, or cancel a task staff have not confirmed yet.

        The default says the platform cannot, and what a person does instead: the platform's facts file
        may say it in its words (`recall.manual`). Failures are classified as for `publish`.
        """
        platform = get_platform(self.channel.platform)
        manual = str((platform.facts.get("recall") or {}).get("manual") or "")
        raise NotWithdrawable(manual or f"{platform.title} offers no way to withdraw a post through its API: delete "
                              f"it by hand in the platform's own app or console (its id there: {remote_id})")  # fmt: skip

    def audit_fields(self) -> dict[str, Any]:
        """Fields every delivery record of this channel carries in the audit log (`sandbox: true` for the sandbox)."""
        return {}

    def close(self) -> None:
        """Release connections."""
