"""What a video platform's adapter checks and sends of a variant: its video entry, read as the sealed bytes.

A video variant's `video` entry is the MP4 `render` made for the channel (video/: its size, length and
codecs), and the video adapters upload exactly those bytes (`Variant.read` re-hashes them from the vault). What the platform would refuse before a byte is sent is found
here, so every video adapter refuses it alike: no video at all (an article or a graphic on a
video channel), a format the platform does not take, a file over its total size, a topic of
the variant missing from the text that carries topics.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from mediactl.config.platforms import get_platform
from mediactl.publish.adapters.base import Rejected, Variant


def video_entry(variant: Variant) -> dict[str, Any] | None:
    """The variant's video (file, bytes, sha256), or None."""
    video = variant.document.get("video")
    return video if isinstance(video, dict) and video.get("sha256") else None


def video_problems(variant: Variant, platform: str) -> list[str]:
    """Why `platform` would refuse this variant's video, checked from the manifest before anything is read or sent."""
    title = get_platform(platform).title
    video = video_entry(variant)
    if video is None:
        what = {"article": "an article", "graphic": "a graphic"}.get(str(variant.document.get("kind")), "this item")
        return [f"the variant has no video: {title} ({platform}) publishes videos only, and {what} carries none "
                "(the video adapters upload a video item's source clip)"]  # fmt: skip
    facts = get_platform(platform).facts
    problems = []
    formats = (facts.get("video") or {}).get("formats") or []
    suffix = PurePosixPath(str(video.get("file", ""))).suffix.lower().lstrip(".")
    if formats and suffix not in formats:
        problems.append(
            f"video {video.get('file')}: {title} takes {', '.join(formats)}, not {suffix or 'a file without a suffix'}"
        )
    limit = (facts.get("upload") or {}).get("max_bytes")
    if limit is not None and int(video.get("bytes", 0)) > int(limit):
        problems.append(f"video {video.get('file')}: {video.get('bytes')} bytes is over {title}'s {limit} bytes")
    return problems


def missing_topics(text: str, hashtags: list[str]) -> list[str]:
    """The variant's topics that its topic-carrying text lacks (as `#topic`): the platform would show fewer than approved."""
    return [tag for tag in hashtags if f"#{tag}" not in text]


def caption_problems(variant: Variant, field: str, empty: str) -> list[str]:
    """The text that carries a video's title and topics: empty (`empty` says why that is refused), or lacking a topic."""
    text = variant.text(field)
    problems = [empty] if not text.strip() else []
    return problems + [
        f"topic #{tag} is missing from the {field}"
        for tag in missing_topics(text, variant.document.get("hashtags", []))
    ]


def read_video(variant: Variant) -> tuple[str, bytes]:
    """(file name, exactly the sealed bytes) of the variant's video."""
    video = video_entry(variant)
    if video is None:
        raise Rejected("the variant has no video; nothing was sent")
    name = PurePosixPath(str(video["file"])).name
    return name, variant.read(video, f"video {name}")


_MIME = {".mp4": "video/mp4", ".webm": "video/webm", ".mov": "video/quicktime", ".flv": "video/x-flv",
         ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif"}  # fmt: skip


def mime_type(name: str) -> str:
    """The media type of a video or cover by its file name (what upload parts and covers are labelled with)."""
    return _MIME.get(PurePosixPath(name).suffix.lower(), "application/octet-stream")
