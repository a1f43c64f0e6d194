"""Hand-off channels (小红书, 视频号, 头条号): no public publishing API, so a person posts, from a bundle mediactl writes.

One adapter for every such platform, registered under each one's name; what differs between them is
data, the `handoff:` section of the platform's facts file (data/platforms/<platform>.yaml): the app,
the order media are uploaded in, how many images and of which ratio, how a topic is written, and the
checklist steps. A new hand-off platform is a facts file, not code.

A delivery writes the bundle to `<path>/<channel>/<slug>/` (the channel's `path` option, default
`handoff`, inside the project), atomically (a staging folder renamed into place; an older bundle of
the item is replaced whole):
- the media in upload order, numbered (`01-cover.jpg`, `02-…`; a video first where the platform wants it);
- each text field in its own file exactly as approved (`title.txt`, `body.txt` …), `topics.txt` in the
  platform's topic syntax, subtitles under their names;
- `checklist.md`: numbered steps in Chinese, what the person does in the app, ending with the
  `mediactl queue resolve JOB --sent URL` that records the post;
- `bundle.json`: the job, item, channel, content hash and idempotency key, and every file in order
  with its sha256.
Every byte comes from the sealed variant (Variant.read, re-hashed as it is read): the bundle is exactly
what was approved. Texts are checked against the platform's limits (the channel's narrower ones) and
the images against its count and ratios before anything is written.

Then the channel's operator is told through the channel its `notify` option names (a webhook channel,
e.g. the WeCom group robot `ops-robot`): item, channel, bundle path and the resolve command. The job
ends `awaiting-confirmation` until a person records the post with `queue resolve`. A notification
that fails does not fail the job: the bundle is written and complete, and is the delivery; failing
the job would invite `queue retry` to write it and announce it again for content a person may already
have posted, and `failed` would say nothing reached the hand-off when it did. The job records the
failed notification instead (its error, the audit record) and the run exits 1, so cron reports that
someone must tell the operator. Nothing drives a browser or holds anyone's cookies.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import secrets
import shutil
import string
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from mediactl.config.platforms import Platform, get_platform
from mediactl.core import fsutil
from mediactl.core.errors import FilesystemError, MediactlError, relpath
from mediactl.publish.adapters import adapter_class
from mediactl.publish.adapters.base import Adapter, DeliveryError, Receipt, Rejected, Variant
from mediactl.text.textfit import count

if TYPE_CHECKING:  # annotations only
    from mediactl.config.model import Channel, Config

BUNDLE, CHECKLIST, TOPICS = "bundle.json", "checklist.md", "topics.txt"
DEFAULT_PATH = "handoff"
RATIO_TOLERANCE = 0.01  # a rendered image is drawn at the platform's size exactly; 1 % allows for rounding


@runtime_checkable
class Notifier(Protocol):
    """An adapter that can tell people something (the webhook adapter): what a `notify` channel must be."""

    def notify(self, text: str, facts: dict[str, Any], key: str) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Step:
    """One checklist step: `text` with {placeholders}; shown only if the variant has `when` and lacks `unless`."""

    text: str
    when: str | None = None
    unless: str | None = None


@dataclass(frozen=True)
class HandoffFacts:
    """A platform's `handoff:` facts (see the module docstring)."""

    app: str
    upload: tuple[str, ...]  # media names in upload order; `video` and `body_images` name those
    max_images: int | None
    ratios: dict[str, str]  # media name → "W:H"
    topic_syntax: str  # "#{topic}"
    checklist: tuple[Step, ...]

    @classmethod
    def of(cls, platform: Platform) -> HandoffFacts:
        data = platform.facts.get("handoff")
        if not isinstance(data, dict):
            raise MediactlError(f"platform '{platform.name}' has no hand-off facts (`handoff:` in its facts file)")
        images = data.get("images") or {}
        steps = tuple(
            Step(step) if isinstance(step, str) else Step(str(step["text"]), step.get("if"), step.get("unless"))
            for step in data.get("checklist") or ()
        )
        return cls(
            app=str(data.get("app") or platform.title),
            upload=tuple(data.get("upload") or ()),
            max_images=images.get("max"),
            ratios={str(k): str(v) for k, v in (images.get("ratios") or {}).items()},
            topic_syntax=str((data.get("topics") or {}).get("syntax") or "#{topic}"),
            checklist=steps,
        )


@dataclass(frozen=True)
class Medium:
    """A file to upload, in order: its numbered name in the bundle, what it is, and its entry in the document."""

    name: str
    role: str  # video | body_images | a media name (cover, poster …)
    entry: dict[str, Any]

    @property
    def is_image(self) -> bool:
        return self.role != "video"


class HandoffAdapter(Adapter):
    platform = "handoff"  # registered under each hand-off platform's name (pyproject.toml)

    def __init__(self, channel: Channel, config: Config) -> None:
        super().__init__(channel, config)
        self.spec = get_platform(channel.platform)
        self.facts = HandoffFacts.of(self.spec)
        self._notifier: Notifier | None = None
        self._notifier_lock = threading.Lock()  # one adapter serves all of a channel's delivery threads

    # --- planning: what makes every delivery to this channel pointless --------------------------------------

    @classmethod
    def refusal(cls, channel: Channel, config: Config, kind: str) -> str | None:
        try:
            HandoffFacts.of(get_platform(channel.platform))
        except MediactlError as exc:
            return exc.message
        return super().refusal(channel, config, kind) or _notify_problem(channel, config)  # `path`: checked at load

    def validate(self, variant: Variant) -> list[str]:
        """The platform's limits (the channel's, where narrower), image count and ratios: a bundle the app would
        refuse or cut is never written."""
        problems = []
        for spec in self.spec.fields:
            text = variant.text(spec.name)
            limit = min(spec.max, self.channel.limits.get(spec.name, spec.max))
            length = count(text, spec.count)
            where = f"{spec.name} ({variant.document['files'].get(spec.name, spec.name)})"
            if spec.required and not text:
                problems.append(f"{where} is empty; {self.spec.title} requires it")
            elif length > limit:
                problems.append(f"{where} is {length} long ({spec.count}), over {self.channel.name}'s limit of {limit}")
            elif spec.min and text and length < spec.min:
                problems.append(
                    f"{where} is {length} long ({spec.count}), under {self.spec.title}'s minimum of {spec.min}"
                )
            if spec.max_bytes and len(text.encode("utf-8")) > spec.max_bytes:
                problems.append(f"{where} is {len(text.encode('utf-8'))} bytes, over the limit of {spec.max_bytes}")
        images = [m for m in self.upload_order(variant) if m.is_image]
        if self.facts.max_images is not None and len(images) > self.facts.max_images:
            problems.append(f"{len(images)} images; {self.spec.title} takes at most {self.facts.max_images}")
        for medium in images:
            wanted = self.facts.ratios.get(medium.role)
            if wanted and not _has_ratio(medium.entry, wanted):
                size = f"{medium.entry.get('width')}×{medium.entry.get('height')}"
                problems.append(f"{medium.entry.get('file')} is {size}, not {wanted} as {self.spec.title} needs")
        return [f"{problem}; no hand-off bundle was written" for problem in problems]

    # --- delivery ------------------------------------------------------------------------------------------

    def publish(self, variant: Variant, key: str) -> Receipt:
        found = self.store.by_key(key) if self.store is not None else None
        job = found.id if found is not None else None
        target = self.folder(variant.item)
        bundle = self._contents(variant, key, job)  # every blob read and verified before anything is written
        self._write(target, bundle)
        shown = relpath(target, self.config.root) + "/"
        trouble = self._notify(variant, key, shown, job)
        told = self.channel.options.get("notify")
        if trouble:
            told_part = f"notifying {told} failed ({trouble}): tell the operator yourself"
        else:
            told_part = (
                f"{told} notified" if told else f"nobody was notified (channels.{self.channel.name}.notify is not set)"
            )
        after = _resolve_command(job).replace("<链接>", "URL")
        note = f"hand-off bundle written to {shown} ({len(bundle)} files); {told_part}; after posting: {after}"
        return Receipt("awaiting-confirmation", shown, "", {"bundle": shown, "notified": None if trouble else told},
                       note=note, attention=bool(trouble))  # fmt: skip

    def find(self, key: str, variant: Variant | None) -> Receipt | None:
        """Reconciliation: a run that stopped after writing the bundle left it, with its key, in place."""
        if variant is None:
            return None
        target = self.folder(variant.item)
        try:
            written = json.loads((target / BUNDLE).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(written, dict) or written.get("idempotency_key") != key:
            return None
        shown = relpath(target, self.config.root) + "/"
        note = (f"hand-off bundle found in {shown}, written by a run that stopped before recording it; whether "
                f"the operator was told is not known: tell them; after posting: {written.get('resolve', '')}")  # fmt: skip
        return Receipt("awaiting-confirmation", shown, "", {"bundle": shown}, note=note, attention=True)

    def describe(self, variant: Variant, key: str) -> list[dict[str, Any]]:
        names = [name for name, _ in self._plan(variant)]
        target = relpath(self.folder(variant.item), self.config.root) + "/"
        return [{"action": "write hand-off bundle", "path": target, "files": [*names, CHECKLIST, BUNDLE],
                 "notify": self.channel.options.get("notify") or None, "then": "awaiting-confirmation"}]  # fmt: skip

    def close(self) -> None:
        if self._notifier is not None:
            self._notifier.close()

    # --- the bundle ----------------------------------------------------------------------------------------

    def folder(self, item: str) -> Path:
        return self.config.root / _base(self.channel) / self.channel.name / item

    def upload_order(self, variant: Variant) -> list[Medium]:
        """The media, in the order the person uploads them, with their numbered names."""
        doc, found = variant.document, []
        for role in self.facts.upload:
            if role == "video":
                entries = [doc["video"]] if doc.get("video") else []
            elif role == "body_images":
                entries = [image for image in doc.get("body_images", []) if not image.get("external")]
            else:
                entries = variant.media(role)
            found += [(role, entry) for entry in entries]
        return [Medium(f"{n:02d}-{_basename(_source(role, entry))}", role, entry)
                for n, (role, entry) in enumerate(found, start=1)]  # fmt: skip

    def _text_files(self, variant: Variant) -> dict[str, str]:
        """Text field → its file name in the bundle (as the variant names it)."""
        return {field: _basename(variant.document["files"][field]) for field in variant.document["texts"]}

    @staticmethod
    def _extras(variant: Variant) -> list[tuple[str, dict[str, Any]]]:
        """Files the audience gets that are not uploaded in order (subtitles), under their own names."""
        return [(_basename(sub["file"]), sub) for sub in variant.document.get("subtitles", [])]

    def _plan(self, variant: Variant) -> list[tuple[str, Callable[[], bytes]]]:
        """The bundle's files before the checklist, in order, each with how its bytes are read (sealed: verified)."""
        plan: list[tuple[str, Callable[[], bytes]]] = [
            (m.name, functools.partial(variant.read, m.entry, m.name)) for m in self.upload_order(variant)
        ]
        texts = self._text_files(variant)
        plan += [(texts[field], _given(text.encode("utf-8"))) for field, text in variant.document["texts"].items()]
        plan += [(name, functools.partial(variant.read, entry, name)) for name, entry in self._extras(variant)]
        topics = self.topics(variant)
        if topics:
            plan.append((TOPICS, _given(("\n".join(topics) + "\n").encode("utf-8"))))
        return plan

    def _contents(self, variant: Variant, key: str, job: int | None) -> list[tuple[str, bytes]]:
        """Every file of the bundle, in order, read from the sealed variant."""
        media = self.upload_order(variant)
        files = [(name, read()) for name, read in self._plan(variant)]
        topics = self.topics(variant)
        files.append((CHECKLIST, self.checklist(variant, media, job).encode("utf-8")))
        listing = [{"name": name, "bytes": len(data), "sha256": _sha256(data)} for name, data in files]
        manifest = {"item": variant.item, "channel": self.channel.name, "platform": self.channel.platform,
                    "job": job, "idempotency_key": key, "content_hash": variant.content_hash,
                    "written_at": datetime.now(UTC).isoformat(timespec="seconds"), "files": listing,
                    "upload_order": [m.name for m in media], "topics": topics, "resolve": _resolve_command(job)}  # fmt: skip
        files.append((BUNDLE, json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")))
        return files

    def topics(self, variant: Variant) -> list[str]:
        return [self.facts.topic_syntax.format(topic=tag) for tag in variant.document.get("hashtags", [])]

    def checklist(self, variant: Variant, media: list[Medium], job: int | None) -> str:
        """checklist.md: the platform's steps (its facts), filled in and numbered; a step about something the
        variant lacks is left out."""
        values = self._placeholders(variant, media, job)
        steps = [text for step in self.facts.checklist if (text := _step(step, values)) is not None]
        title = next((variant.text(f.name) for f in self.spec.fields if f.role == "title"), variant.item)
        lines = [
            f"# {self.spec.title}发布清单：{variant.item}",
            "",
            f"- 内容：{title}",
            f"- 渠道：{self.channel.name}（{self.channel.description or self.spec.title}）",
            f"- 任务：#{job if job is not None else '?'}，内容哈希 {variant.content_hash[:12]}",
            "- 本文件夹中的文字与图片即审批通过的内容，请勿修改；如需修改，请改原稿并重新审批。",
            "",
            *(f"{n}. {text}" for n, text in enumerate(steps, start=1)),
            "",
        ]
        return "\n".join(lines)

    def _placeholders(self, variant: Variant, media: list[Medium], job: int | None) -> dict[str, Any]:
        by_role: dict[str, list[str]] = {}
        for medium in media:
            by_role.setdefault(medium.role, []).append(medium.name)
        images = [m for m in media if m.is_image]
        ratio = next((self.facts.ratios[m.role] for m in images if m.role in self.facts.ratios), "")
        fields = {spec.name: spec for spec in self.spec.fields}
        counts = {name: f"{count(text, fields[name].count) if name in fields else len(text)} 字"
                  for name, text in variant.document["texts"].items()}  # fmt: skip
        limits = {name: min(spec.max, self.channel.limits.get(name, spec.max)) for name, spec in fields.items()}
        minimums = {name: spec.min for name, spec in fields.items() if spec.min}
        values: dict[str, Any] = {role: "、".join(names) for role, names in by_role.items()}
        values.update(app=self.facts.app, images="、".join(m.name for m in images), ratio=ratio,
                      topics=" ".join(self.topics(variant)), subtitles="、".join(n for n, _ in self._extras(variant)),
                      files=self._text_files(variant), counts=counts, limits=limits, minimums=minimums,
                      resolve=_resolve_command(job),
                      bundle=relpath(self.folder(variant.item), self.config.root) + "/")  # fmt: skip
        return values

    def _write(self, target: Path, files: list[tuple[str, bytes]]) -> None:
        """The bundle, whole or not at all: written to a staging folder beside it, then renamed into place (an
        older bundle of the item is moved aside first and removed once the new one is in place)."""
        parent = target.parent
        self.channel_path(DEFAULT_PATH, self.channel.name)  # a folder linked out of the project: nothing written
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FilesystemError.from_os_error(exc, parent, doing="create the hand-off folder") from None
        unique = f"{os.getpid()}-{threading.get_ident()}-{secrets.token_hex(4)}"
        staging, old = parent / f".{target.name}.tmp-{unique}", parent / f".{target.name}.old-{unique}"
        try:
            staging.mkdir()
            for name, data in files:
                fsutil.write_bytes(staging / _flat(name), data)
            if target.exists() or target.is_symlink():
                os.replace(target, old)
            try:
                os.replace(staging, target)
            except OSError:
                if old.exists() or old.is_symlink():
                    os.replace(old, target)  # the older bundle back: never no bundle
                raise
        except OSError as exc:
            raise FilesystemError.from_os_error(exc, target, doing="write the hand-off bundle") from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            if old.is_symlink():
                old.unlink()
            else:
                shutil.rmtree(old, ignore_errors=True)

    # --- telling the operator ------------------------------------------------------------------------------

    def _notify(self, variant: Variant, key: str, bundle: str, job: int | None) -> str:
        """Tell the operator through the `notify` channel; "" when told (or nobody is configured), else why not."""
        name = self.channel.options.get("notify")
        if not name:
            return ""
        title = next((variant.text(f.name) for f in self.spec.fields if f.role == "title"), "")
        text = (f"【待人工发布】{self.spec.title}（{self.channel.name}）：{variant.item}「{title}」\n"
                f"发布包：{bundle}（按其中的 {CHECKLIST} 逐步操作）\n"
                f"发布后运行：{_resolve_command(job)}")  # fmt: skip
        facts = {"event": "handoff", "job": job, "item": variant.item, "title": title, "channel": self.channel.name,
                 "platform": self.channel.platform, "bundle": bundle, "resolve": _resolve_command(job)}  # fmt: skip
        try:
            self.notifier().notify(text, facts, f"{key}:notify")
        except (DeliveryError, MediactlError) as exc:
            return exc.message
        return ""

    def notifier(self) -> Notifier:
        """The `notify` channel's adapter, made once (it keeps its own HTTP client)."""
        with self._notifier_lock:
            if self._notifier is None:
                channel = self.config.channel(str(self.channel.options["notify"]))
                adapter = adapter_class(channel.platform)(channel, self.config)
                if not isinstance(adapter, Notifier):
                    raise MediactlError(f"channels.{self.channel.name}.notify: channel '{channel.name}' cannot notify")
                adapter.store = self.store
                self._notifier = adapter
            return self._notifier


def _base(channel: Channel) -> str:
    return str(channel.options.get("path") or DEFAULT_PATH)


def _notify_problem(channel: Channel, config: Config) -> str | None:
    """`notify` names a channel of this config whose adapter can notify (a webhook channel)."""
    name = channel.options.get("notify")
    if name is None:
        return None
    where = f"channels.{channel.name}.notify"
    if not isinstance(name, str) or name not in config.channels:
        known = ", ".join(sorted(c.name for c in config.channels.values() if c.platform == "webhook")) or "none"
        return f"{where}: '{name}' is not a channel of mediactl.yaml (webhook channels: {known})"
    target = config.channel(name)
    try:
        able = callable(getattr(adapter_class(target.platform), "notify", None))
    except MediactlError as exc:
        return f"{where}: {exc.message}"
    if not able:
        return f"{where}: channel '{name}' ({target.platform}) cannot send a notification; name a webhook channel"
    return None


def _step(step: Step, values: dict[str, Any]) -> str | None:
    """A step filled in, or None when it is not for this variant (its `when`/`unless`, or a placeholder with
    nothing to show: no {video} in an image note)."""
    if step.when is not None and not values.get(step.when):
        return None
    if step.unless is not None and values.get(step.unless):
        return None
    formatter, out = string.Formatter(), []
    for literal, name, spec, conversion in formatter.parse(step.text):
        out.append(literal)
        if name is None:
            continue
        try:
            value, _ = formatter.get_field(name, (), values)
        except (KeyError, IndexError, AttributeError):
            return None
        if value in ("", None):
            return None
        out.append(formatter.format_field(formatter.convert_field(value, conversion), spec or ""))
    return "".join(out)


def _has_ratio(entry: dict[str, Any], ratio: str) -> bool:
    width, height = (float(part) for part in ratio.split(":"))
    try:
        actual = float(entry["width"]) / float(entry["height"])
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return False
    return abs(actual / (width / height) - 1) <= RATIO_TOLERANCE


def _source(role: str, entry: dict[str, Any]) -> str:
    return str(entry["src"] if role == "body_images" else entry["file"])


def _basename(name: str) -> str:
    return PurePosixPath(name.replace("\\", "/")).name


def _flat(name: str) -> str:
    """A file name of the bundle: one level, no way out of the folder (the names come from the sealed document)."""
    if not name or name in (".", "..") or name != _basename(name):
        raise Rejected(f"refusing to write '{name}' outside the hand-off folder")
    return name


def _given(data: bytes) -> Callable[[], bytes]:
    return lambda: data


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _resolve_command(job: int | None) -> str:
    return f"mediactl queue resolve {job if job is not None else 'JOB'} --sent <链接>"
