"""OCR readings on disk: what an image (or a video's sampled frames) says, so an unchanged picture is read once.

Keyed by the sha256 of the bytes, the engine's version and settings (`ocr.engine_version`) and, for a video, how its
frames were chosen: a reading is reused only for exactly those bytes read exactly that way.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any

from mediactl.check.ocr import OcrLine, engine_version
from mediactl.core import fsutil

CACHE_FOLDER = "ocr"


class OcrCache:
    """OCR results on disk, one JSON file per image, keyed by the image's sha256 and the engine's version.

    Written atomically; an entry that does not parse, or was made by another engine, is read again, never trusted.
    """

    def __init__(self, folder: Path, version: str | None = None) -> None:
        self.folder = folder / CACHE_FOLDER
        self.version = version or engine_version()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{hashlib.sha256(key.encode()).hexdigest() if len(key) > 64 else key}.json"

    def get(self, digest: str, sampling: str = "") -> list[tuple[float, list[OcrLine]]] | None:
        """The cached reading of an image (one frame at time 0) or of a video's frames (`sampling`: how they were
        chosen); None when there is none, or it is damaged or was made by another engine or sampling."""
        try:
            data = json.loads(self._path(digest + sampling).read_text("utf-8"))
            if data["engine"] != self.version or data["sha256"] != digest or data["sampling"] != sampling:
                return None
            return [(float(time), [_stored(entry) for entry in lines]) for time, lines in data["frames"]]
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None

    def put(self, digest: str, frames: list[tuple[float, list[OcrLine]]], sampling: str = "") -> None:
        data = {"engine": self.version, "sha256": digest, "sampling": sampling,
                "frames": [[time, [[ln.text, list(ln.box), ln.score] for ln in lines]] for time, lines in frames]}  # fmt: skip
        with contextlib.suppress(OSError):  # a read-only cache: the image is simply read again next time
            fsutil.write_text(self._path(digest + sampling), json.dumps(data, ensure_ascii=False))


def _stored(entry: Any) -> OcrLine:
    text, box, score = entry
    return OcrLine(str(text), (int(box[0]), int(box[1]), int(box[2]), int(box[3])), float(score))
