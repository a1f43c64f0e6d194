"""Video templates (YAML): how a source is re-cut for a platform. Errors name the file, line and key.

Found like media layouts (`graphics.find_layout`): a project's ``templates/media/<name>.yaml`` first,
then the packaged ``data/templates/media/``. Which one a channel uses: `templates: {video: name}` in
its config, else the platform facts' ``video.template``. Schema (all optional except size)::

    name: video-vertical
    size: platform            # or [1080, 1920]; platform: the facts' video.width/height
    fit: {mode: pad, pad: blur, focus: [0.5, 0.5]}   # mode crop|pad; pad blur|"#RRGGBB"; focus: crop centre
    max_seconds: 60           # longer sources are trimmed (or refused: the item's `video: {trim: false}`)
    intro: {card: video-card, seconds: 1.5}          # a card (layout drawn full frame) or {clip: path}
    outro: {clip: brand/outro.mp4}
    title: {layout: video-title, from: 0, to: 4}     # drawn by video/overlays.py (the text half)
    subtitles: {layout: video-subtitle}              # burned in from the item's SRT/VTT; null: none
    logo: {file: brand/logo.png, position: top-right, width: 0.14, margin: 0.04, opacity: 0.85}
    loudness: {i: -16, tp: -1.5, lra: 11}            # EBU R128 loudnorm; null: audio as it is
    cover: {at: 1.0, layout: video-cover-title}      # a frame at `at` s under the platform's cover layout
    encode: {crf: 23, preset: veryfast, audio_bitrate: 128k, maxrate: null, fps: 30}
    engine: ffmpeg            # or moviepy

`title`, `subtitles` and `logo` are read by the text half; the engine checks only that they are
mappings (or null) and hashes them into the recipe.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from mediactl.config.yamlpos import KeyPath, LocatedYAML, load_located
from mediactl.core import confine
from mediactl.core.errors import MediactlError, relpath
from mediactl.graphics.layout import BUILTIN_PREFIX, builtin_layout_dir, find_layout

PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")
TOP_KEYS = frozenset(["name", "description", "size", "fit", "max_seconds", "intro", "outro", "title", "subtitles", "logo", "loudness", "cover", "encode", "engine"])  # fmt: skip
# What the text half (video/overlays.py) reads from each of its keys.
TEXT_KEYS = {"title": {"layout", "from", "to"}, "subtitles": {"layout"},
             "logo": {"file", "position", "width", "margin", "opacity"}}  # fmt: skip
LOGO_POSITIONS = ("top-left", "top-right", "bottom-left", "bottom-right")
_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")
_BITRATE = re.compile(r"\d+(\.\d+)?[kM]?")


class TemplateError(MediactlError):
    """A video template is invalid; the message is `file:line:col: key: what`."""


@dataclass(frozen=True)
class Fit:
    mode: str = "pad"  # crop | pad
    pad: str = "blur"  # blur | #RRGGBB
    focus: tuple[float, float] = (0.5, 0.5)


@dataclass(frozen=True)
class Bookend:
    """An intro or outro: a card (a layout drawn full frame, for `seconds`) or a clip (a video file)."""

    card: str | None = None
    clip: Path | None = None
    seconds: float = 1.5


@dataclass(frozen=True)
class Encode:
    crf: int = 23
    preset: str = "veryfast"
    audio_bitrate: str = "128k"
    maxrate: str | None = None
    fps: int = 30


@dataclass(frozen=True)
class VideoTemplate:
    name: str
    file: str  # as messages show it
    size: tuple[int, int] | None  # None: the platform's size
    fit: Fit = Fit()
    max_seconds: float | None = None
    intro: Bookend | None = None
    outro: Bookend | None = None
    title: dict[str, Any] | None = None
    subtitles: dict[str, Any] | None = None
    logo: dict[str, Any] | None = None
    loudness: dict[str, float] | None = None
    cover_at: float = 1.0
    cover_layout: str | None = None
    encode: Encode = Encode()
    engine: str = "ffmpeg"
    source: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)  # the parsed YAML, for recipes


def find_template(name: str, search: Sequence[Path]) -> Path:
    """The first ``<folder>/<name>.yaml`` along `search`: the same search, and names, as media layouts."""
    try:
        return find_layout(name, search)
    except MediactlError as exc:
        raise TemplateError(exc.message.replace("media layout", "video template")) from None


def load_template(path: Path, *, root: Path | None = None) -> VideoTemplate:
    """Read and validate a video template; the first problem raises TemplateError naming file, line and key."""
    display = _display(path, root)
    try:
        if root is not None and path.is_relative_to(root):  # a project template: never through a link out
            text = confine.read_text(path, root, what="video template")
        else:
            text = path.read_text("utf-8")
    except confine.OutsideProjectError as exc:
        raise TemplateError(exc.message) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"{display}: cannot read the video template: {exc}") from None
    located = load_located(text, display)
    errors = [p for p in located.problems if p.is_error]
    if errors:
        raise TemplateError(str(errors[0]))
    return _Reader(located, path.parent).template(path.stem)


def _display(path: Path, root: Path | None) -> str:
    try:
        return f"{BUILTIN_PREFIX}/{path.resolve().relative_to(builtin_layout_dir().resolve()).as_posix()}"
    except ValueError:
        return relpath(path, root)


class _Reader:
    def __init__(self, located: LocatedYAML, folder: Path) -> None:
        self.doc = located
        self.folder = folder

    def fail(self, path: KeyPath, message: str) -> NoReturn:
        raise TemplateError(str(self.doc.problem(path, message)))

    def template(self, default_name: str) -> VideoTemplate:
        data = self.doc.data
        if not isinstance(data, dict):
            self.fail((), "a video template must be a mapping (size, fit, …)")
        self.keys(data, (), TOP_KEYS, required={"size"})
        name = data.get("name", default_name)
        if not isinstance(name, str) or not name.strip():
            self.fail(("name",), f"expected a non-empty string, got {name!r}")
        cover = self.mapping(data.get("cover") or {}, ("cover",), {"at", "layout"})
        engine = data.get("engine", "ffmpeg")
        if engine not in ("ffmpeg", "moviepy"):
            self.fail(("engine",), f"expected ffmpeg or moviepy, got {engine!r}")
        return VideoTemplate(
            name=name,
            file=self.doc.file,
            size=self.size(data["size"]),
            fit=self.fit(data.get("fit")),
            max_seconds=self.number(data, ("max_seconds",), 0.1, 86400.0, optional=True),
            intro=self.bookend(data.get("intro"), ("intro",)),
            outro=self.bookend(data.get("outro"), ("outro",)),
            title=self.passed_on(data, "title"),
            subtitles=self.passed_on(data, "subtitles"),
            logo=self.passed_on(data, "logo"),
            loudness=self.loudness(data.get("loudness"), ("loudness",)),
            cover_at=self.number(cover, ("cover", "at"), 0.0, 86400.0, optional=True, default=1.0) or 0.0,
            cover_layout=self.name(cover.get("layout"), ("cover", "layout")),
            encode=self.encode(data.get("encode"), ("encode",)),
            engine=engine,
            source=data,
        )

    # -- pieces

    def keys(self, value: dict[str, Any], path: KeyPath, allowed: frozenset[str] | set[str], required=()) -> None:
        for key in value:
            if key not in allowed:
                self.fail((*path, key), f"unknown key {key!r}; known keys here: {', '.join(sorted(allowed))}")
        for key in sorted(required):
            if key not in value:
                self.fail(path, f"{key!r} is required")

    def mapping(self, value: Any, path: KeyPath, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(path, f"expected a mapping, got {type(value).__name__}")
        self.keys(value, path, allowed)
        return value

    def size(self, value: Any) -> tuple[int, int] | None:
        if value == "platform":
            return None
        ok = isinstance(value, list) and len(value) == 2 and all(type(v) is int and 16 <= v <= 8192 for v in value)
        if not ok or value[0] % 2 or value[1] % 2:
            self.fail(("size",), f"expected `platform` or [width, height] in even pixels 16–8192, got {value!r}")
        return int(value[0]), int(value[1])

    def fit(self, value: Any) -> Fit:
        if value is None:
            return Fit()
        fit = self.mapping(value, ("fit",), {"mode", "pad", "focus"})
        mode = fit.get("mode", "pad")
        if mode not in ("crop", "pad"):
            self.fail(("fit", "mode"), f"expected crop or pad, got {mode!r}")
        pad = fit.get("pad", "blur")
        if not (pad == "blur" or (isinstance(pad, str) and _COLOR.fullmatch(pad))):
            self.fail(("fit", "pad"), f'expected blur or a colour "#RRGGBB" (quoted), got {pad!r}')
        focus = fit.get("focus", [0.5, 0.5])
        if not (isinstance(focus, list) and len(focus) == 2 and all(_number(v) and 0 <= v <= 1 for v in focus)):
            self.fail(("fit", "focus"), f"expected [x, y] as fractions 0–1 of the source, got {focus!r}")
        return Fit(mode, pad, (float(focus[0]), float(focus[1])))

    def bookend(self, value: Any, path: KeyPath) -> Bookend | None:
        if value is None:
            return None
        spec = self.mapping(value, path, {"card", "clip", "seconds"})
        if ("card" in spec) == ("clip" in spec):
            self.fail(path, "give exactly one of `card` (a layout name) or `clip` (a video file)")
        seconds = self.number(spec, (*path, "seconds"), 0.1, 60.0, optional=True, default=1.5)
        if "card" in spec:
            return Bookend(card=self.name(spec["card"], (*path, "card")), seconds=seconds or 1.5)
        clip = spec["clip"]
        if not isinstance(clip, str) or not clip:
            self.fail((*path, "clip"), f"expected a file path relative to the template, got {clip!r}")
        return Bookend(clip=self.folder / clip, seconds=seconds or 1.5)

    def passed_on(self, data: dict[str, Any], key: str) -> dict[str, Any] | None:
        """The text half's keys (title, subtitles, logo), checked here so a mistake names this file's line."""
        value = data.get(key)
        if value is None:
            return None
        spec = self.mapping(value, (key,), TEXT_KEYS[key])
        for name in ("layout", "file", "position"):
            if name in spec and (not isinstance(spec[name], str) or not spec[name].strip()):
                self.fail((key, name), f"expected a non-empty string, got {spec[name]!r}")
        if key == "logo" and "file" not in spec:
            self.fail((key,), "'file' is required (the logo image, relative to the project)")
        if spec.get("position", "top-right") not in LOGO_POSITIONS:
            self.fail((key, "position"), f"expected one of {', '.join(LOGO_POSITIONS)}, got {spec['position']!r}")
        for name, (low, high) in {"from": (0.0, 86400.0), "to": (0.0, 86400.0), "width": (0.01, 1.0),
                                  "margin": (0.0, 0.49), "opacity": (0.0, 1.0)}.items():  # fmt: skip
            if name in spec:
                self.number(spec, (key, name), low, high)
        if "to" in spec and float(spec["to"]) <= float(spec.get("from", 0)):
            self.fail((key, "to"), f"expected a time after `from` ({spec.get('from', 0)}), got {spec['to']!r}")
        return spec

    def loudness(self, value: Any, path: KeyPath) -> dict[str, float] | None:
        if value is None:
            return None
        spec = self.mapping(value, path, {"i", "tp", "lra"})
        limits = {"i": (-70.0, -5.0, -16.0), "tp": (-9.0, 0.0, -1.5), "lra": (1.0, 50.0, 11.0)}
        return {key: float(self.number(spec, (*path, key), low, high, optional=True, default=default) or default)
                for key, (low, high, default) in limits.items()}  # fmt: skip

    def encode(self, value: Any, path: KeyPath) -> Encode:
        if value is None:
            return Encode()
        spec = self.mapping(value, path, {"crf", "preset", "audio_bitrate", "maxrate", "fps"})
        preset = spec.get("preset", "veryfast")
        if preset not in PRESETS:
            self.fail((*path, "preset"), f"expected one of {', '.join(PRESETS)}, got {preset!r}")
        for key in ("audio_bitrate", "maxrate"):
            rate = spec.get(key)
            if rate is not None and not (isinstance(rate, str) and _BITRATE.fullmatch(rate)):
                self.fail((*path, key), f"expected a bitrate such as 128k or 6M (quoted), got {rate!r}")
        crf = self.number(spec, (*path, "crf"), 0, 51, optional=True, default=23, integer=True)
        fps = self.number(spec, (*path, "fps"), 1, 120, optional=True, default=30, integer=True)
        return Encode(int(crf or 0), preset, spec.get("audio_bitrate", "128k"), spec.get("maxrate"), int(fps or 30))

    def number(self, data: dict[str, Any], path: KeyPath, low: float, high: float, *, optional: bool = False,
               default: float | None = None, integer: bool = False) -> float | None:  # fmt: skip
        value: Any = data.get(str(path[-1]))
        if value is None and optional:
            return default
        if not _number(value) or (integer and type(value) is not int) or not low <= float(value) <= high:
            kind = "a whole number" if integer else "a number"
            self.fail(path, f"expected {kind} from {low:g} to {high:g}, got {value!r}")
        return float(value)

    def name(self, value: Any, path: KeyPath) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", value):
            self.fail(path, f"expected a layout name (letters, digits, '.', '_', '-'), got {value!r}")
        return value


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
