"""A video item's video for one channel: its template, the probed source, the overlays, the encode, the cover frame.

Channels whose platform facts say `video: null` get the source file as it is (`transcoded: false`);
every other channel gets an MP4 made for it (`transcoded: true`), staged as a file (never held in
memory) for `manifest.write_variant`, with the probe facts and the recipe hash in the manifest.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediactl.config.model import Config
from mediactl.config.platforms import Platform
from mediactl.core import confine, fsutil
from mediactl.core.errors import relpath
from mediactl.library.content import Item
from mediactl.render.context import item_brand
from mediactl.render.errors import VariantError
from mediactl.render.layouts import layout_folders
from mediactl.render.media import brand_kit, layout_texts
from mediactl.video.ffmpeg import Progress
from mediactl.video.graph import Staged, Target, main_seconds
from mediactl.video.overlay import Overlay
from mediactl.video.probe import Probe
from mediactl.video.template import VideoTemplate, find_template, load_template

if TYPE_CHECKING:  # annotations only
    from mediactl.config.brand import Resolved
    from mediactl.config.model import Channel

VIDEO_FILE = "video.mp4"
SUBTITLE_SUFFIXES = (".srt", ".vtt")  # an item's subtitle assets: hashed and checked (build), burned in (here)


@dataclass(frozen=True)
class VideoVariant:
    """The manifest's `video` entry, the files to stage into the variant, and the frame for the cover."""

    entry: dict[str, Any]
    staged: dict[str, Path] = field(default_factory=dict)
    cover_frame: Path | None = None  # a PNG beside the encode in the cache
    cover_layout: str | None = None
    cover_picture: Path | None = None  # the source's own frame at that second, without overlays: what layouts compose


def takes_video(platform: Platform) -> bool:
    """Whether the platform gets a video made for it (facts with a `video:` block) or the source unchanged."""
    return bool(platform.facts.get("video"))


def template_name(platform: Platform, channel: Channel) -> str:
    return channel.templates.get("video") or str(platform.facts["video"].get("template") or "video-horizontal")


def load_channel_template(config: Config, platform: Platform, channel: Channel) -> VideoTemplate:
    path = find_template(template_name(platform, channel), layout_folders(config.templates_path))
    return load_template(path, root=config.root)


def target_for(template: VideoTemplate, platform: Platform) -> Target:
    facts = platform.facts["video"]
    width, height = template.size or (int(facts["width"]), int(facts["height"]))
    return Target(width, height, facts.get("max_seconds"), facts.get("max_bytes"))


def make_video(item: Item, source: Path, config: Config, platform: Platform, channel: Channel,
               progress: Progress | None = None) -> VideoVariant:  # fmt: skip
    """Probe the source, gather the overlays, encode (or reuse the cache), and take the cover frame."""
    from mediactl.video.encode import cache_folder, encode, frame_png  # lazy: a text-only render never needs them

    display = relpath(source, config.root)
    digest, _ = confine.sha256_file(source, config.root, what="video")
    facts = _probed(source, display, digest)
    template = load_channel_template(config, platform, channel)
    target = target_for(template, platform)
    refuse_trimming(item, display, facts, template, target, platform)
    drawn = cards(item, channel, template, target, config)
    bookends = {which: path for (_, path), which in zip(_written(list(drawn.values()), config), drawn, strict=True)}
    staged = Staged(overlays=tuple(_written(text_overlays(item, channel, template, target, config), config)),
                    intro=bookends.get("intro"), outro=bookends.get("outro"))  # fmt: skip
    encoded = encode(source, display, facts, digest, template, target, staged, cache_folder(config.state_path),
                     progress)  # fmt: skip
    wanted_at = item.video_cover_at if item.video_cover_at is not None else template.cover_at  # the item's own choice
    at = min(wanted_at, max(0.0, encoded.probe.duration - 0.1))
    entry = {
        "file": "",  # set by build: the variant's own copy, relative to the project
        "bytes": encoded.bytes,
        "sha256": encoded.sha256,
        "transcoded": True,
        "source": {"file": display, "sha256": digest},
        "template": template.name,
        "recipe": encoded.recipe,
        "cover_at": round(at, 3),  # the cover frame's second (Douyin's cover_tsp): approved with the video
        **{k: v for k, v in encoded.probe.facts().items() if k != "rotation"},
    }
    frame = encoded.path.with_name(f"{encoded.recipe}.at{at:.3f}.png")
    if not frame.is_file():
        fsutil.write_bytes(frame, frame_png(encoded.path, at, f"{display}: the cover frame"))
    # The covers compose the source's own picture: the encoded frame carries the burned-in title and subtitles,
    # which a cover's own title would repeat. Same second, clamped into the source.
    source_at = min(at, max(0.0, facts.duration - 0.1))
    picture = encoded.path.with_name(f"{digest}.source.at{source_at:.3f}.png")
    if not picture.is_file():
        fsutil.write_bytes(picture, frame_png(source, source_at, f"{display}: the cover picture"))
    return VideoVariant(entry, {VIDEO_FILE: encoded.path}, frame, template.cover_layout, picture)


def refuse_trimming(item: Item, display: str, facts: Probe, template: VideoTemplate, target: Target,
                    platform: Platform) -> None:  # fmt: skip
    """An item that says `video: {trim: false}` must fit whole: a longer source is an error naming the item's key."""
    used = main_seconds(facts, template, target)
    if item.video_trim or used >= facts.duration - 0.05:
        return
    limits = (
        [f"the video template {template.name}'s max_seconds {template.max_seconds:g} s"] if template.max_seconds else []
    )
    limits += [f"{platform.title}'s maximum of {target.max_seconds:g} s"] if target.max_seconds else []
    less = " less its title cards" if any(b and b.card for b in (template.intro, template.outro)) else ""
    raise VariantError(f"{item.file}:{item.video_trim_line}",
                       f"video.trim: false, but the source {display} is {facts.duration:g} s long and this channel "
                       f"takes {used:g} s ({' and '.join(limits)}{less}); shorten the source, or let it be trimmed "
                       "(remove `trim: false`)")  # fmt: skip


_PROBED: dict[str, Probe] = {}


def _probed(source: Path, display: str, digest: str) -> Probe:
    """A source is probed once per process, not once per channel (its sha256 says it is the same file)."""
    from mediactl.video.probe import probe  # lazy: as in make_video

    if digest not in _PROBED:
        _PROBED[digest] = probe(source, display)
    return _PROBED[digest]


def text_overlays(
    item: Item, channel: Channel, template: VideoTemplate, target: Target, config: Config
) -> list[Overlay]:
    """The pictures laid over the main section: the template's title, the item's subtitles, the logo.

    Drawn by the graphics engine (video/overlays.py), so a title on a video has the covers' fonts and line
    breaking; subtitle lines are the cues of the item's SRT/VTT, cleaned as the check reads them, timed on
    the main section's clock (the graph shows overlays after the intro). Nothing is imported for a template
    that draws no text.
    """
    if not (template.title or template.subtitles or template.logo):
        return []
    from mediactl.video import overlays  # lazy: Pillow and the fonts only when a template draws text

    size = (target.width, target.height)
    found: list[Overlay] = []
    brand = item_brand(item, channel, config)
    if template.title:
        layout = _layout(template.title, "video-title", config, brand)
        end = template.title.get("to")
        found.append(overlays.title(layout_texts(item, channel, brand), size, layout, float(template.title.get("from", 0)),
                                    None if end is None else float(end)))  # fmt: skip
    subtitles = _subtitle_file(item) if template.subtitles else None
    if template.subtitles and subtitles is not None:
        from mediactl.video.cues import read_cues  # lazy: as overlays

        display = relpath(subtitles, config.root)
        cues = read_cues(confine.confined(subtitles, config.root, what="subtitles"), display)
        found += overlays.subtitles(cues, size, _layout(template.subtitles, "video-subtitle", config, brand),
                                    display=display)  # fmt: skip
    if template.logo:
        logo = template.logo
        found.append(overlays.logo(config.root / str(logo["file"]), size, str(logo.get("position", "top-right")),
                                   float(logo.get("width", 0.14)), float(logo.get("margin", 0.04)),
                                   float(logo.get("opacity", 0.85)), root=config.root))  # fmt: skip
    return found


def cards(item: Item, channel: Channel, template: VideoTemplate, target: Target, config: Config) -> dict[str, Overlay]:
    """The intro and outro title cards the template asks for (`{card: layout}`), drawn full frame."""
    wanted = {which: b.card for which, b in (("intro", template.intro), ("outro", template.outro)) if b and b.card}
    if not wanted:
        return {}
    from mediactl.video import overlays  # lazy: as in text_overlays

    brand = item_brand(item, channel, config)
    texts = layout_texts(item, channel, brand)
    return {which: overlays.card(texts, (target.width, target.height), overlays.load(name, config.templates_path,
            root=config.root, brand=brand_kit(brand))) for which, name in wanted.items()}  # fmt: skip


def _layout(spec: dict[str, Any], default: str, config: Config, brand: Resolved) -> Any:
    from mediactl.video import overlays  # lazy: as in text_overlays

    return overlays.load(str(spec.get("layout") or default), config.templates_path, root=config.root,
                         brand=brand_kit(brand))  # fmt: skip


def _subtitle_file(item: Item) -> Path | None:
    """The item's subtitle file (its first .srt or .vtt asset): the one the check reads and the render burns in."""
    found = [a for a in item.assets if Path(a.path).suffix.lower() in SUBTITLE_SUFFIXES]
    return item.asset_path(found[0]) if found else None


def _written(found: list[Overlay], config: Config) -> list[tuple[Overlay, Path]]:
    """Overlay PNGs as files for ffmpeg: content-addressed under the video cache, so written once."""
    from mediactl.video.encode import cache_folder  # lazy: as in make_video

    folder = cache_folder(config.state_path) / "overlays"
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for overlay in found:
        path = folder / f"{hashlib.sha256(overlay.png).hexdigest()}.png"
        if not path.is_file():
            fsutil.write_bytes(path, overlay.png)
        out.append((overlay, path))
    return out
