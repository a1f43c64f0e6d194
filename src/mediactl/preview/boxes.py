"""Where a finding read inside a picture is drawn: its region, in the picture's pixels, in percent of what is shown.

A frame scales a picture to its width, and some frames crop it to the platform's aspect as the platform does (a
Xiaohongshu note shows 3:4, a WeCom card's thumbnail a square: CSS `object-fit: cover`, centred). A box in percent
of the whole picture then lands beside the words it marks. So the box is placed in the window the frame shows,
computed from the same aspect the template gives the picture (one value, passed to both).

A video's words are read in sampled frames (check/ocr_frames.py: the first, every scene change, and one at least
every INTERVAL seconds), and a finding names its frame's time and when its words leave the screen: the next frame
read with other words, or none (a card on screen for several samples is read once). Its box is drawn over the
player while the player is within that window. The player shows the whole video (object-fit: contain), so the
box is placed in percent of the whole picture, and the stylesheet sizes the layer that holds it to the picture
the player draws inside its letterbox.
"""

from __future__ import annotations

from typing import Any

#: (width, height) of the shape a frame crops a picture to, e.g. (3, 4); None: the whole picture, only scaled.
Aspect = tuple[int, int]
Rect = tuple[float, float, float, float]  # x, y, width, height


def shown_window(size: tuple[int, int], aspect: Aspect | None) -> Rect:
    """The part of a picture of `size` pixels that a frame cropping it to `aspect` shows (as CSS object-fit: cover
    does: scaled to fill, centred, what overflows cut off on both sides equally)."""
    width, height = size
    if aspect is None:
        return (0.0, 0.0, float(width), float(height))
    wanted = aspect[0] / aspect[1]
    if width / height > wanted:  # wider than the frame: the left and right edges are cut
        kept = height * wanted
        return ((width - kept) / 2, 0.0, kept, float(height))
    kept = width / wanted  # taller: the top and bottom are cut
    return (0.0, (height - kept) / 2, float(width), kept)


def percent_of(region: tuple[int, int, int, int], window: Rect) -> Rect | None:
    """`region` (picture pixels) in percent of `window` (left, top, width, height), clipped to it; None when the
    crop leaves none of it in view."""
    x, y, w, h = region
    wx, wy, ww, wh = window
    left, top = max(x, wx), max(y, wy)
    right, bottom = min(x + w, wx + ww), min(y + h, wy + wh)
    if right <= left or bottom <= top:
        return None
    return (100 * (left - wx) / ww, 100 * (top - wy) / wh, 100 * (right - left) / ww, 100 * (bottom - top) / wh)


def frame_window(finding: Any, duration: float | None, interval: float) -> tuple[float | None, float | None]:
    """The window (start, end) of the video in which a finding read in a frame shows: from its frame's time until its
    words leave the screen (`until`: the next frame read with other words), else to the video's end, else, where the
    length is unknown, one sampling `interval` (a frame is sampled at least that often); (None, None) for an image."""
    if finding.time is None:
        return (None, None)
    end = finding.until if finding.until is not None else duration or finding.time + interval
    return (finding.time, max(finding.time, end))
