"""What the text engine hands the video engines: a picture to lay over the video for a stretch of time.

Titles, subtitle lines and logos are drawn by the graphics engine (the same fonts and line breaking as
the covers, so no tofu), as RGBA PNGs; the ffmpeg graph overlays them with `enable` ranges and the
moviepy path as ImageClips. Keeping this the only contract between the two halves lets either engine
draw the same frame from the same pictures.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Overlay:
    """An RGBA PNG placed with its top-left corner at (x, y) of the output frame, shown from `start` up to
    `end` seconds of the output timeline (after any intro; None: to the end), at `opacity` (0–1)."""

    png: bytes
    x: int
    y: int
    width: int
    height: int
    start: float = 0.0
    end: float | None = None
    opacity: float = 1.0
    what: str = ""  # for messages and tests: "title", "subtitle 3", "logo"

    def __post_init__(self) -> None:
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"overlay {self.what or '?'}: end {self.end} is not after start {self.start}")
        if not 0.0 <= self.opacity <= 1.0:
            raise ValueError(f"overlay {self.what or '?'}: opacity {self.opacity} is not between 0 and 1")
