"""Build one variant: its text files and images in memory, its video as a staged file, and its manifest."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from mediactl.config.model import Config
from mediactl.config.platforms import Platform, get_platform
from mediactl.core import confine
from mediactl.core.errors import relpath
from mediactl.library.content import Item
from mediactl.render.errors import VariantError
from mediactl.render.manifest import content_hash, header, sha256, text_file
from mediactl.render.media import render_media
from mediactl.render.plan import Planned
from mediactl.render.texts import render_texts
from mediactl.render.video import SUBTITLE_SUFFIXES, VIDEO_FILE, VideoVariant, make_video, takes_video
from mediactl.text import textfit
from mediactl.video.ffmpeg import Progress

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".webm", ".mkv", ".flv")
COVER_FILE = "cover.jpg"


def build_variant(
    config: Config, planned: Planned, input_hash: str, progress: Progress | None = None
) -> tuple[dict[str, bytes], dict[str, Any], dict[str, Path]]:
    """(files by name, manifest, staged files by name: the video, copied in by `write_variant`)."""
    item, channel = planned.item, planned.channel
    platform = get_platform(channel.platform)
    texts = render_texts(item, channel, config)
    made = _video(item, config, planned, platform, progress) if item.kind == "video" else None
    media = render_media(item, platform.images_for(item.kind), texts, config.root, config.templates_path,
                         (made.cover_picture or made.cover_frame) if made else None, made.cover_layout if made else None)  # fmt: skip
    body_images = [_body_image(item, src, config) for src in texts.settings.images]
    video = made.entry if made else None
    subtitles = _subtitles(item, config) if video else []
    files: dict[str, bytes] = {}
    frame_cover = bool(made and made.cover_frame and not any(image.name == "cover" for image in media))
    if made and made.cover_frame and frame_cover:
        files[COVER_FILE] = _frame_jpeg(made.cover_frame)  # a platform with no cover layout: the frame itself
    fields: dict[str, Any] = {}
    for spec in texts.settings.fields.values():
        text = texts.fields[spec.name]
        name = text_file(spec.name, text, platform.body_format, spec.role)
        files[name] = text.encode("utf-8")
        fields[spec.name] = {
            "file": name,
            "role": spec.role,
            "length": textfit.count(text, spec.count),
            "count": spec.count,
            "limit": spec.max,
        }
    media_meta = []
    for image in media:
        files[image.file] = image.data
        media_meta.append(
            {
                "name": image.name,
                "file": image.file,
                "width": image.width,
                "height": image.height,
                "format": image.format,
                "bytes": len(image.data),
                "sha256": sha256(image.data),
                "layout": image.layout,
                "font_sizes": image.font_sizes,
                "texts": image.texts,  # what is drawn on it: check reads these too
                "qr": image.qr,  # the link a QR code on it carries ("" when none is drawn)
            }
        )
    manifest = {
        **header(planned, texts.template),
        "texts": texts.fields,
        "fields": fields,
        "hashtags": texts.context["hashtags"],
        "link": texts.context["link"],
        "links": texts.settings.links,
        "disclosures": texts.context["disclosures"],
        "media": media_meta,
        "body_images": body_images,
        "warnings": texts.settings.warnings,  # e.g. a field that no whole sentence fitted (render/filters.py)
        "video": video,
        "subtitles": subtitles,
        "input_hash": input_hash,
    }
    if frame_cover:
        manifest["video"]["cover"] = {
            "file": COVER_FILE,
            "bytes": len(files[COVER_FILE]),
            "sha256": sha256(files[COVER_FILE]),
        }
    manifest["content_hash"] = content_hash(manifest)
    return files, manifest, made.staged if made else {}


def _video(item: Item, config: Config, planned: Planned, platform: Platform, progress: Progress | None) -> VideoVariant:
    """The source as it is for a channel without video facts; otherwise a video made for the channel."""
    source = _source_path(item)
    if not takes_video(platform):
        return VideoVariant({**_source_file(source, config, "video"), "transcoded": False})
    made = make_video(item, source, config, platform, planned.channel, progress)
    folder = config.build_path / planned.channel.name / item.slug  # where write_variant puts the staged files
    made.entry["file"] = relpath(folder / VIDEO_FILE, config.root)
    return made


def _frame_jpeg(frame: Path) -> bytes:
    from io import BytesIO  # lazy: as Pillow below

    from PIL import Image  # lazy: start-up, only a video variant without a cover layout needs it

    out = BytesIO()
    with Image.open(frame) as image:
        image.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
    return out.getvalue()


def _body_image(item: Item, src: str, config: Config) -> dict[str, Any]:
    """An image the body refers to: external URLs are listed, local files must exist in the item folder
    (and, through any link, inside the project)."""
    if "://" in src or src.startswith("//"):
        return {"src": src, "external": True}
    relative = PurePosixPath(src)
    path = item.folder / relative
    if relative.is_absolute() or ".." in relative.parts or not path.is_file():
        raise VariantError(item.file, f"body image '{src}' not found in {relpath(item.folder, config.root)}/")
    return {"src": src, **_source_file(path, config, "body image")}


def _source_path(item: Item) -> Path:
    videos = [a for a in item.assets if Path(a.path).suffix.lower() in VIDEO_SUFFIXES]
    if not videos:
        raise VariantError(item.file, "a video item needs a video file in `assets` (e.g. source.mp4)")
    return item.asset_path(videos[0])


def _subtitles(item: Item, config: Config) -> list[dict[str, Any]]:
    """The item's subtitle files go with its video: the audience reads them, so they are hashed and checked."""
    found = [a for a in item.assets if Path(a.path).suffix.lower() in SUBTITLE_SUFFIXES]
    return [
        {**_source_file(item.asset_path(a), config, "subtitles"), "format": Path(a.path).suffix.lower()[1:]}
        for a in found
    ]


def _source_file(path: Path, config: Config, what: str) -> dict[str, Any]:
    """A file of the item that goes out as it is: where it is, its size and sha256 (read in chunks)."""
    digest, size = confine.sha256_file(path, config.root, what=what)
    return {"file": relpath(path, config.root), "bytes": size, "sha256": digest}
