"""What the preview shows of each variant: its texts, files, findings, limits, hash and approval, all proven.

The checker approves content hashes; the gallery is where they see what a hash covers. So nothing
here is re-rendered: texts come from the variant's own files (each compared with its manifest),
images and the video are linked only after their bytes hashed to the manifest's sha256, and the
findings are the checker's own, run on the verified variant as `mediactl check` runs them. A file
edited after render is shown as "changed since render" instead of its content.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from mediactl.check.ocr_frames import INTERVAL as FRAME_INTERVAL
from mediactl.check.rules import SEVERITIES
from mediactl.check.runner import variant_findings
from mediactl.core.errors import MediactlError, UsageError, relpath
from mediactl.preview.boxes import Aspect, frame_window, percent_of, shown_window
from mediactl.preview.frames import frame_for
from mediactl.preview.marks import Piece, pieces
from mediactl.publish.approvals import approval_views, is_author
from mediactl.render.manifest import read_manifest
from mediactl.render.plan import Planned, plan_variants
from mediactl.render.verify import Verified, verify

if TYPE_CHECKING:  # annotations only
    from mediactl.check.findings import Finding
    from mediactl.config.model import Config
    from mediactl.library.content import Item
    from mediactl.library.scan import Library

#: How a field's role is labelled in the limits line ("标题 14/32").
ROLE_LABELS = {"title": "标题", "summary": "摘要", "body": "正文", "hashtags": "话题", "link": "链接", "author": "作者"}
BODY_FORMATS = {".html": "html", ".md": "markdown"}


@dataclass(frozen=True)
class FindingView:
    """One finding as the page lists it; `placed`: highlighted in the text it names."""

    rule: str
    severity: str
    message: str
    matched: str
    where: str  # file:line:column
    field: str
    suggestion: str
    allowed: str  # the allowance's reason when one covers it
    placed: bool


@dataclass(frozen=True)
class FieldView:
    """A text field as the audience gets it, split into plain pieces and highlighted findings."""

    name: str
    role: str
    file: str
    format: str  # text, markdown (shown as written) or html (the variant's own HTML, sandboxed)
    text: str
    pieces: tuple[Piece, ...]
    length: int
    limit: int | None
    changed: bool  # the file differs from the manifest: its text is not shown

    @property
    def limit_text(self) -> str:
        """The limits line, "标题 14/32": the role's name, the length as the platform counts it, and the limit."""
        label = ROLE_LABELS.get(self.role, self.name)
        return f"{label} {self.length}/{self.limit}" if self.limit else f"{label} {self.length}"


@dataclass(frozen=True)
class FileView:
    """An image, cover or video of the variant; `path` is None when its bytes are not the manifest's."""

    name: str
    file: str  # as the manifest names it
    path: Path | None  # the proven file on disk
    sha256: str
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    regions: tuple[Region, ...] = ()  # findings read inside this image (or a video's frames), drawn over it

    @property
    def changed(self) -> bool:
        return self.path is None

    def boxes(self, aspect: Aspect | None = None) -> list[Box]:
        """The boxes over the image as a frame shows it: whole and scaled, or cropped to `aspect` (the template
        passes the aspect it crops the <img> to); a box the crop leaves out of view is not drawn."""
        if not self.width or not self.height:
            return []
        window = shown_window((self.width, self.height), aspect)
        placed = ((percent_of(r.box, window), r) for r in self.regions)
        return [
            Box(*at, r.severity, r.rule, r.message, r.allowed, r.start, r.end) for at, r in placed if at is not None
        ]


class Region(NamedTuple):
    """A finding read inside an image: its box (x, y, w, h) in the image's own pixels; in a video's frame, also the
    window of the video (seconds) its words are on screen (boxes.frame_window)."""

    box: tuple[int, int, int, int]
    severity: str
    rule: str
    message: str
    allowed: str
    start: float | None = None
    end: float | None = None


class Box(NamedTuple):
    """A finding's box over an image, in percent of the part the frame shows (the <img> is scaled by its CSS)."""

    left: float
    top: float
    width: float
    height: float
    severity: str
    rule: str
    message: str
    allowed: str
    start: float | None = None  # over a video: shown while the player is at or after `start` and before `end`
    end: float | None = None

    @property
    def css(self) -> str:
        return f"ocr-box sev-{self.severity}" + (" allowed" if self.allowed else "")

    @property
    def style(self) -> str:
        return f"left:{self.left:.2f}%;top:{self.top:.2f}%;width:{self.width:.2f}%;height:{self.height:.2f}%"


@dataclass
class VariantView:
    """Everything the gallery shows of one item on one channel."""

    item: str
    title: str
    kind: str
    channel: str
    platform: str
    frame: str
    state: str  # rendered, not-rendered or modified (its files changed after render)
    problem: str = ""
    content_hash: str = ""
    approval: str = "none"  # approval_views' channel state: valid, incomplete, void, none, not-rendered, modified
    approvers: list[str] = field(default_factory=list)
    approved_at: str | None = None
    approve_command: str = ""
    fields: list[FieldView] = field(default_factory=list)
    images: list[FileView] = field(default_factory=list)
    video: FileView | None = None
    video_cover: FileView | None = None
    hashtags: list[str] = field(default_factory=list)
    link: str = ""
    findings: list[FindingView] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return (self.item, self.channel)

    @property
    def severity(self) -> str:
        """The worst severity among findings no allowance covers ("none" when there are none)."""
        found = {f.severity for f in self.findings if not f.allowed}
        if not found:
            return "none"
        return next((s for s in SEVERITIES if s in found), min(found))

    def role(self, role: str) -> FieldView | None:
        """The first field with this role (title, summary, body …): what a frame puts in that place."""
        return next((f for f in self.fields if f.role == role), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "item": self.item, "channel": self.channel, "platform": self.platform, "frame": self.frame,
            "state": self.state, "problem": self.problem or None, "content_hash": self.content_hash or None,
            "approval": self.approval, "approvers": self.approvers, "approve_command": self.approve_command,
            "limits": {f.name: {"length": f.length, "limit": f.limit} for f in self.fields},
            "changed_files": [f.file for f in self.fields if f.changed]
                             + [m.file for m in (*self.images, self.video, self.video_cover) if m and m.changed],
            "severity": self.severity,
            "findings": [{"rule": f.rule, "severity": f.severity, "where": f.where, "matched": f.matched,
                          "message": f.message, "allowed": f.allowed or None} for f in self.findings],
        }  # fmt: skip


def collect(config: Config, library: Library, slugs: list[str] | None, channel: str | None) -> list[VariantView]:
    """A view of every planned variant of the selected items (unknown slug or channel: a usage error).

    Raises UsageError when none of them is rendered: there is nothing to show until `mediactl render` ran.
    """
    planned, _ = plan_variants(library, config, slugs, channel)
    approvals = approval_views(config, library.select(slugs))
    views = [_view(config, p, approvals[p.item.slug]) for p in planned]
    if not any(v.state != "not-rendered" for v in views):
        where = relpath(config.build_path, config.root)
        raise UsageError(
            f"{where}/: nothing to preview, no variant of the {'named items' if slugs else 'library'} is rendered",
            hint="run mediactl render first, then mediactl preview",
        )
    return views


def _view(config: Config, planned: Planned, approvals: dict[str, Any]) -> VariantView:
    item, channel = planned.item, planned.channel
    platform_frame = frame_for(channel)
    view = VariantView(item.slug, item.title, item.kind, channel.name, channel.platform, platform_frame,
                       state="not-rendered", approve_command=approve_command(config, item))  # fmt: skip
    state = next((c for c in approvals["channels"] if c["channel"] == channel.name), None)
    if state:
        view.approval, view.approvers, view.approved_at = state["state"], state["approvers"], state["approved_at"]
    folder = config.build_path / channel.name / item.slug
    manifest = read_manifest(folder)
    if manifest is None:
        view.problem = "not rendered: run mediactl render"
        return view
    verified = _verified(folder, config.root, view)
    findings = variant_findings(config, planned, verified) if verified else []
    _fill(view, manifest, folder, config.root, findings)
    return view


def _verified(folder: Path, root: Path, view: VariantView) -> Verified | None:
    """The variant verified byte for byte, or None with the view marked modified and why."""
    try:
        verified = verify(folder, root)
    except MediactlError as exc:
        view.state, view.problem = "modified", exc.message
        return None
    view.state = "rendered"
    view.content_hash = verified.content_hash if verified else ""
    return verified


def _fill(view: VariantView, manifest: dict[str, Any], folder: Path, root: Path, findings: list[Finding]) -> None:
    """Texts, files and findings from the manifest, each file proven against the sha256 it names."""
    shown = relpath(folder, root)
    placed: set[int] = set()
    for name, meta in manifest.get("fields", {}).items():
        text = str(manifest["texts"].get(name, ""))
        changed = not _same_text(folder / meta["file"], text)
        mine = [(i, f) for i, f in enumerate(findings) if f.file == f"{shown}/{meta['file']}"]
        split, hits = pieces("" if changed else text, [f for _, f in mine])
        placed.update(i for (i, _), hit in zip(mine, hits, strict=True) if hit)
        fmt = BODY_FORMATS.get(Path(meta["file"]).suffix, "text") if meta.get("role") == "body" else "text"
        view.fields.append(FieldView(name, meta.get("role", ""), meta["file"], fmt, text, tuple(split),
                                     int(meta.get("length") or 0), meta.get("limit"), changed))  # fmt: skip
    view.images = [_file(m["name"], m["file"], folder / m["file"], m["sha256"], m) for m in manifest.get("media", [])]
    for index, image in enumerate(view.images):
        view.images[index], boxed = _boxed(image, f"{shown}/{image.file}", findings)
        placed.update(boxed)
    video = manifest.get("video")
    if video:
        view.video = _file("video", video["file"], root / video["file"], video["sha256"], video)
        cover = video.get("cover")
        if cover:
            view.video_cover = _file("cover", cover["file"], folder / cover["file"], cover["sha256"], {})
        view.video, boxed = _boxed(view.video, video["file"], findings)
        placed.update(boxed)
    view.hashtags = list(manifest.get("hashtags", []))
    view.link = str(manifest.get("link", ""))
    view.findings = [_finding_view(f, i in placed) for i, f in enumerate(findings)]


def _boxed(image: FileView, shown: str, findings: list[Finding]) -> tuple[FileView, list[int]]:
    """The image (or video) with the boxes of the findings read inside it, and those findings' indexes (placed); a
    box read in a video's frame carries the window of the video that frame stands for."""
    if image.changed or not image.width or not image.height:
        return image, []
    mine = [(index, f, f.region) for index, f in enumerate(findings) if f.file == shown and f.region is not None]
    regions = tuple(Region(box, f.severity, f.rule, f.message, f.suppressed, *frame_window(f, image.duration, FRAME_INTERVAL))
                    for _, f, box in mine)  # fmt: skip
    return (dataclasses.replace(image, regions=regions) if regions else image), [index for index, _, _ in mine]


def _same_text(path: Path, text: str) -> bool:
    try:
        return path.read_bytes() == text.encode("utf-8")
    except OSError:
        return False


def _file(name: str, file: str, path: Path, sha256: str, meta: dict[str, Any]) -> FileView:
    """The file's view; its path only when its bytes hash to `sha256` (what render wrote and the hash covers)."""
    proven = path if _sha256(path) == sha256 else None
    return FileView(name, file, proven, sha256, meta.get("width"), meta.get("height"), meta.get("duration"))


def _sha256(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def _finding_view(finding: Finding, placed: bool) -> FindingView:
    return FindingView(finding.rule, finding.severity, finding.message, finding.matched,
                       _where(finding), finding.field, finding.suggestion,
                       finding.suppressed, placed)  # fmt: skip


def _where(finding: Finding) -> str:
    """file:line:column for text; the file, a frame's time and the box for words read inside a picture."""
    if finding.region is None and finding.time is None:
        return f"{finding.file}:{finding.line}:{finding.column}"
    return f"{finding.file}{finding.place}"


def approve_command(config: Config, item: Item) -> str:
    """The command that approves the item as it is now: `approve` signs every channel's variant of the item.

    `--as` names a declared person who holds a role the policy asks for and did not write the item (the
    author cannot approve); `<person>` when the configuration declares nobody who could.
    """
    wanted = {r.role for name in item.channels for r in config.project.approval.requirements(name)}
    fit = sorted(
        p.id for p in config.people.values() if any(p.holds(role) for role in wanted) and not is_author(item, p)
    )
    return f'mediactl approve {item.slug} --as {fit[0] if fit else "<person>"} --note "已核对"'
