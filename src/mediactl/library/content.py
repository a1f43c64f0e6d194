"""One content item: ``content/<kind>/<slug>/index.md`` = YAML front matter + Markdown body.

Parsing validates every field against the project config (channels must exist,
scheduled times must parse in the project time zone, declared assets must be
files inside the item folder) and reports each problem as
``content/…/index.md:LINE:COL: field: message``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path, PurePosixPath
from typing import Any

from mediactl.config.model import STATUSES, Config
from mediactl.config.platforms import all_platforms
from mediactl.config.schema import Checker, did_you_mean
from mediactl.config.yamlpos import KeyPath, LocatedYAML, load_located
from mediactl.core import confine, controls
from mediactl.core.errors import Problem, relpath
from mediactl.library.frontmatter import split_front_matter

KINDS = ("article", "video", "graphic")
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
ITEM_FILE = "index.md"
OVERRIDE_KEYS = ("title", "summary", "hashtags", "body")
FRONT_MATTER_KEYS = (
    "title", "summary", "kind", "status", "author", "tags", "audience", "products", "campaign",
    "channels", "schedule", "overrides", "assets", "extra", "allow", "video", "theme", "focus",
)  # fmt: skip
VIDEO_KEYS = ("trim", "cover_at")


@dataclass(frozen=True)
class Asset:
    path: str  # relative to the item folder, POSIX separators
    role: str | None = None
    alt: str | None = None


@dataclass(frozen=True)
class Item:
    slug: str
    kind: str
    title: str
    folder: Path
    file: str  # relative to the project root, as printed in messages
    body: str
    body_line: int  # line of the file where the Markdown body starts
    updated: datetime
    summary: str = ""
    status: str = "draft"
    author: str = ""
    author_line: int = 1  # where `author:` is written, or the front matter's first line: approve names it
    tags: tuple[str, ...] = ()
    audience: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    campaign: str = ""
    channels: tuple[str, ...] = ()  # resolved: `all` is expanded to every enabled channel
    all_channels: bool = False  # `channels: all`: channels that cannot take this kind are skipped, not errors
    schedule: dict[str, datetime] = field(default_factory=dict)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    assets: tuple[Asset, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    allow: tuple[dict[str, str], ...] = ()  # compliance allowances: {rule, reason}, for the whole item
    video_trim: bool = True  # `video: {trim: false}`: a source longer than a variant allows is an error, not trimmed
    video_trim_line: int = 0  # where `trim:` is written: the error names it
    video_cover_at: float | None = None  # `video: {cover_at: 2.5}`: the second whose frame the covers show
    theme: str | None = None  # `theme: 春节`: one of the brand's themes (config `brand.themes`)
    focus: tuple[float, float] | None = None  # `focus: [x, y]` 0–1: the point crops of its picture keep

    def asset_path(self, asset: Asset) -> Path:
        return self.folder / asset.path


def validate_slug(slug: str) -> str | None:
    """Why `slug` is not usable as a folder and URL name, or None when it is."""
    if not slug:
        return "a slug cannot be empty"
    if "/" in slug or "\\" in slug or slug in (".", "..") or ".." in slug:
        return f"'{slug}' must not contain path separators or '..'"
    if not SLUG.match(slug):
        return (
            f"'{slug}' is not a valid slug: use lowercase ASCII letters, digits, '-' and '_' "
            "(at most 80, starting with a letter or digit), e.g. pinyin such as 'fanzha-2026'"
        )
    return None


def parse_item(file: Path, config: Config) -> tuple[Item | None, list[Problem]]:
    """Parse and validate one ``index.md``; the Item is None when it has errors."""
    shown = relpath(file, config.root)
    try:
        text = confine.read_text(file, config.root, what="item file")
    except confine.OutsideProjectError as exc:
        return None, [Problem(shown, exc.message.removeprefix(f"{shown}: "))]
    except UnicodeDecodeError as exc:
        return None, [Problem(shown, f"not UTF-8 text (byte {exc.start}); save the file as UTF-8")]
    except OSError as exc:
        return None, [Problem(shown, f"cannot read: {exc.strerror}")]
    parts = split_front_matter(text.lstrip("\ufeff"))
    if parts is None:
        message = "no front matter: the file must start with a '---' line, YAML fields, and a closing '---'"
        return None, [Problem(shown, message, line=1, column=1)]
    yaml_text, body, body_line = parts
    doc = load_located(yaml_text, shown, line_offset=1)
    if doc.problems:
        return None, doc.problems
    item = _ItemBuilder(doc, file, config).build(body, body_line, _may_hide_controls(yaml_text))
    errors = [p for p in doc.problems if p.is_error]
    return (None if errors else item), doc.problems


class _ItemBuilder:
    def __init__(self, doc: LocatedYAML, file: Path, config: Config) -> None:
        self.check = Checker(doc)
        self.doc = doc
        self.file = file
        self.folder = file.parent
        self.config = config

    def build(self, body: str, body_line: int, scan_front_matter: bool = True) -> Item | None:
        check = self.check
        data = check.mapping(self.doc.data, (), known=FRONT_MATTER_KEYS, required=("title",), what="field")
        if not isinstance(self.doc.data, dict):
            return None
        kind = self._kind(data.get("kind"))
        channels = self._channels(data.get("channels"))
        item = Item(
            slug=self.folder.name,
            kind=kind or "article",
            title=check.string(data.get("title"), ("title",)) or "",
            folder=self.folder,
            file=self.doc.file,
            body=body,
            body_line=body_line,
            updated=self._updated(),
            summary=check.string(data.get("summary"), ("summary",)) or "",
            status=check.string(data.get("status", "draft"), ("status",), choices=STATUSES, what="status") or "draft",
            author=check.string(data.get("author"), ("author",)) or "",
            author_line=self.doc.position(("author",))[0] or 1,
            tags=tuple(check.string_list(data.get("tags"), ("tags",), split_commas=True)),
            audience=tuple(check.string_list(data.get("audience"), ("audience",), split_commas=True)),
            products=tuple(check.string_list(data.get("products"), ("products",), split_commas=True)),
            campaign=check.string(data.get("campaign"), ("campaign",)) or "",
            channels=channels,
            all_channels=data.get("channels") == "all",
            schedule=self._schedule(data.get("schedule"), channels),
            overrides=self._overrides(data.get("overrides")),
            assets=self._assets(data.get("assets")),
            extra=check.mapping(data.get("extra"), ("extra",)),
            allow=self._allow(data.get("allow")),
            video_trim=self._video_trim(data.get("video")),
            video_trim_line=self.doc.position(("video", "trim"))[0] or 0,
            video_cover_at=self._cover_at(data.get("video")),
            theme=self._theme(data.get("theme")),
            focus=self._focus(data.get("focus")),
        )
        slug_problem = validate_slug(item.slug)
        if slug_problem:
            check.error((), f"item folder name: {slug_problem}")
        self._controls(body, body_line, scan_front_matter)
        return item

    def _controls(self, body: str, body_line: int, scan_front_matter: bool) -> None:
        """Control and bidi characters are errors wherever the audience could get them; zero-width marks warnings."""
        for path, text in _strings(self.doc.data, ()) if scan_front_matter else ():
            for ch in dict.fromkeys(ch for _, ch in controls.forbidden(text)):
                self.check.error(path, _forbidden_message(ch))
            for ch in dict.fromkeys(ch for _, ch in controls.invisible(text)):
                self.check.warn(path, _invisible_message(ch))
        if not controls.present(body):
            return
        for offset, ch in controls.forbidden(body):
            self.doc.problems.append(_body_problem(self.doc.file, body, body_line, offset, _forbidden_message(ch)))
        for offset, ch in controls.invisible(body):
            message = _invisible_message(ch)
            self.doc.problems.append(_body_problem(self.doc.file, body, body_line, offset, message, "warning"))

    def _kind(self, value: Any) -> str | None:
        folder_kind = self._folder_kind()
        kind = self.check.string(value, ("kind",), choices=KINDS, what="kind") if value is not None else folder_kind
        if kind is None:
            self.check.error(("kind",) if value is not None else (), "'kind' is required (article, video or graphic)")
        elif folder_kind and kind != folder_kind:
            self.check.error(("kind",), f"kind '{kind}' does not match the folder content/{folder_kind}/")
        return kind

    def _folder_kind(self) -> str | None:
        try:
            first = self.folder.relative_to(self.config.content_path).parts[0]
        except (ValueError, IndexError):
            return None
        return first if first in KINDS else None

    def _updated(self) -> datetime:
        newest = max((p.stat().st_mtime for p in self.folder.iterdir() if p.is_file()), default=0.0)
        return datetime.fromtimestamp(newest, tz=self.config.project.tz).replace(microsecond=0)

    def _channels(self, value: Any) -> tuple[str, ...]:
        known = self.config.channels
        if value == "all":
            return tuple(name for name, ch in known.items() if ch.enabled and not ch.migrated_to)
        names = self.check.string_list(value, ("channels",), split_commas=True)
        out = []
        for index, name in enumerate(names):
            path = ("channels", index) if isinstance(value, list) else ("channels",)
            if name not in known:
                hint = did_you_mean(name, known) or " (channels are defined in mediactl.yaml)"
                self.check.error(path, f"unknown channel '{name}'{hint}")
            elif name not in out:
                out.append(name)
        return tuple(out)

    def _schedule(self, value: Any, channels: tuple[str, ...]) -> dict[str, datetime]:
        data = self.check.mapping(value, ("schedule",))
        out = {}
        for name, when in data.items():
            path = ("schedule", name)
            if name not in channels:
                self.check.error(path, f"'{name}' is not one of this item's channels ({', '.join(channels) or 'none'})")
                continue
            moment = parse_time(when, self.config.project.tz)
            if moment is None:
                self.check.error(path, f"cannot read '{when}' as a time; write e.g. 2026-12-01 09:00")
            else:
                out[str(name)] = moment
        return out

    def _overrides(self, value: Any) -> dict[str, dict[str, Any]]:
        data = self.check.mapping(value, ("overrides",))
        targets = [*all_platforms(), *self.config.channels]
        out = {}
        for target, fields in data.items():
            path = ("overrides", target)
            if target not in targets:
                self.check.error(path, f"'{target}' is neither a platform nor a channel{did_you_mean(target, targets)}")
                continue
            values = self.check.mapping(fields, path, known=OVERRIDE_KEYS, what="override field")
            if "hashtags" in values:
                values = {**values, "hashtags": self.check.string_list(values["hashtags"], (*path, "hashtags"))}
            for key in ("title", "summary", "body"):
                if key in values:
                    self.check.string(values[key], (*path, key))
            out[str(target)] = values
        return out

    def _video_trim(self, value: Any) -> bool:
        """`video: {trim: false}`: the item's video must go out whole (a message cut short changes its meaning)."""
        video = self.check.mapping(value, ("video",), known=VIDEO_KEYS)
        return self.check.boolean(video.get("trim"), ("video", "trim"), True)

    def _cover_at(self, value: Any) -> float | None:
        """`video: {cover_at: 2.5}`: the frame the covers compose (the video template's `cover.at` otherwise)."""
        at = value.get("cover_at") if isinstance(value, dict) else None
        if at is None:
            return None
        if isinstance(at, bool) or not isinstance(at, int | float) or not 0 <= at <= 86400:
            self.check.error(("video", "cover_at"), f"expected seconds from the start (a number ≥ 0), got {at!r}")
            return None
        return float(at)

    def _theme(self, value: Any) -> str | None:
        """`theme: 春节`: a theme of the project's brand; an unknown name is an error naming the known ones."""
        name = self.check.string(value, ("theme",))
        themes = self.config.brand.themes
        if name is not None and name not in themes:
            known = ", ".join(themes) or "none: add brand.themes to mediactl.yaml"
            self.check.error(("theme",), f"unknown theme '{name}' (the brand's themes: {known})")
            return None
        return name

    def _focus(self, value: Any) -> tuple[float, float] | None:
        """`focus: [x, y]`: where in the item's picture crops stay centred (0–1 from the left and the top)."""
        if value is None:
            return None
        if not (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1 for v in value)
        ):
            self.check.error(("focus",), f"expected [x, y] as fractions 0–1 of the picture, got {value!r}")
            return None
        return (float(value[0]), float(value[1]))

    def _allow(self, value: Any) -> tuple[dict[str, str], ...]:
        """`allow: [{rule: finance.promise.baoben, reason: "…"}]`: suppression needs a rule and a reason."""
        if value is None:
            return ()
        if not isinstance(value, list):
            self.check.error(("allow",), 'expected a list of {rule: RULE-ID, reason: "…"}')
            return ()
        out = []
        for index, entry in enumerate(value):
            path = ("allow", index)
            data = self.check.mapping(entry, path, known=("rule", "reason"), required=("rule", "reason"))
            rule = self.check.string(data.get("rule"), (*path, "rule"))
            reason = self.check.string(data.get("reason"), (*path, "reason"))
            if rule and reason:
                out.append({"rule": rule, "reason": reason})
        return tuple(out)

    def _assets(self, value: Any) -> tuple[Asset, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.check.error(("assets",), "expected a list of file names inside the item folder")
            return ()
        assets = []
        for index, entry in enumerate(value):
            path = ("assets", index)
            spec = entry if isinstance(entry, dict) else {"path": entry}
            spec = self.check.mapping(spec, path, known=("path", "role", "alt"), required=("path",))
            name = self.check.string(spec.get("path"), (*path, "path") if isinstance(entry, dict) else path)
            if name is None:
                continue
            if PurePosixPath(name).is_absolute() or ".." in PurePosixPath(name).parts:
                self.check.error(path, f"asset '{name}' must be a file inside the item folder")
                continue
            if not (self.folder / name).is_file():
                self.check.error(path, f"asset '{name}' not found in {relpath(self.folder, self.config.root)}/")
                continue
            try:
                confine.confined(self.folder / name, self.config.root, what="asset")
            except confine.OutsideProjectError as exc:
                self.check.error(path, exc.message)
                continue
            assets.append(Asset(name, spec.get("role"), spec.get("alt")))
        return tuple(assets)


def _may_hide_controls(yaml_text: str) -> bool:
    """Whether parsed front matter can hold a control or invisible character: only if the text has
    one, or a backslash (YAML's double-quoted escapes, "\\e" or "\\u202e", are the only other way)."""
    return "\\" in yaml_text or controls.present(yaml_text)


def _strings(data: Any, path: KeyPath) -> list[tuple[KeyPath, str]]:
    """Every string in parsed front matter, keys included, with the path that locates it."""
    if isinstance(data, str):
        return [(path, data)]
    if isinstance(data, dict):
        return [
            found
            for key, value in data.items()
            for found in [*_strings(key, (*path, key)), *_strings(value, (*path, key))]
        ]
    if isinstance(data, list):
        return [found for index, value in enumerate(data) for found in _strings(value, (*path, index))]
    return []


def _body_problem(file: str, body: str, body_line: int, offset: int, message: str, severity: str = "error") -> Problem:
    """A problem at `offset` of the body, located by line and column in ``index.md``."""
    line = body_line + body.count("\n", 0, offset)
    column = offset - body.rfind("\n", 0, offset)
    return Problem(file, message, line, column, "body", severity)


def _forbidden_message(ch: str) -> str:
    return (
        f"contains {controls.describe(ch)}: control and bidi characters would reach the audience unseen "
        "(or reorder what they see); remove it"
    )


def _invisible_message(ch: str) -> str:
    return f"contains an invisible {controls.describe(ch)}; remove it unless it is meant"


def parse_time(value: Any, tz: Any) -> datetime | None:
    """A YAML date/time or ISO text as an aware datetime; naive values are in the project time zone."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time(9, 0))
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("/", "-"))
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)
