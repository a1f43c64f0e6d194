"""Words inside pictures: images (and video frames) read by an OCR engine into lines of text with their boxes.

A poster or a cover carries most of a bank's claims, so the gate reads what its pixels say. The engine is
RapidOCR on ONNX Runtime (`rapidocr_onnxruntime`): its wheel carries the PP-OCRv4 detection, direction and
recognition models (Chinese and English, ~16 MB), so nothing is downloaded at run time and nothing is installed
by hand. It is imported on first use only (start-up), and one engine serves the whole process.

Reading is slow (a 1080x1440 poster: ~2 s of CPU, about 1 s on a quiet 2-core machine; bench/ocr_bench.py), so
readings are cached by the sha256 of the image bytes and the engine's version (`ocr_cache.OcrCache`): an unchanged
image is never read twice. `OcrReader` reads in a background thread
while the text of the variants is checked (ONNX Runtime releases the GIL); `lines()` joins.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from mediactl.check.findings import timestamp
from mediactl.core.errors import UsageError

if TYPE_CHECKING:
    from concurrent.futures import Future

    from mediactl.check.extract import Segment
    from mediactl.check.ocr_cache import OcrCache

#: The suffixes an ad hoc check reads as images, and as videos (their sampled frames).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".webm")


def is_picture(path: str) -> bool:
    """Whether an ad hoc file is read by OCR rather than as text."""
    return os.path.splitext(path)[1].lower() in (*IMAGE_SUFFIXES, *VIDEO_SUFFIXES)


#: A line the recogniser is less sure of than this is noise (textures, logos), not words.
MIN_SCORE = 0.5
#: The detector's view of a picture, longest side in pixels (see _new_engine).
DETECT_SIDE = 960


class OcrLine(NamedTuple):
    """One line of text found in a picture; box: (x, y, w, h) in the picture's pixels."""

    text: str
    box: tuple[int, int, int, int]
    score: float


class OcrError(UsageError):
    """A picture that cannot be read (corrupt, not an image, a video ffmpeg cannot decode), or no engine."""


# --- the engine --------------------------------------------------------------------------------------------------

_ENGINE: Any = None
_ENGINE_LOCK = threading.Lock()


def engine_version() -> str:
    """What made a cached result: the engine package and its version (its models ship inside it), and our settings."""
    from importlib.metadata import PackageNotFoundError, version  # lazy: only when images are read

    try:
        return f"rapidocr_onnxruntime-{version('rapidocr_onnxruntime')}-det{DETECT_SIDE}-min{MIN_SCORE}"
    except PackageNotFoundError:
        return "none"


@functools.cache
def unavailable() -> str:
    """Why the engine cannot run in this Python ('' when it can), asked once per process before reading.

    Its wheels stop at Python 3.12; and OpenCV's desktop build (the engine's dependency) needs libGL.so.1, which a
    minimal server lacks. Either way the check goes on without reading pictures and every report says so and
    why, rather than a fresh machine's first check failing: where pictures must be read, compliance.ocr: required
    makes those verdicts fail.
    """
    from importlib.util import find_spec  # lazy: as engine_version

    if find_spec("rapidocr_onnxruntime") is None:
        return "the OCR engine (rapidocr_onnxruntime) is not installed for this Python (its wheels stop at 3.12)"
    try:
        import cv2  # noqa: F401  # lazy: ~0.3 s, only when pictures are about to be read
    except ImportError as exc:
        return (f"OpenCV cannot be loaded ({exc}); on a server without a desktop, install its headless build: "
                "pip uninstall -y opencv-python && pip install opencv-python-headless")  # fmt: skip
    return ""


def _engine() -> Any:
    """The process's one engine, created on first use (loading its models takes ~0.4 s)."""
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            _ENGINE = _new_engine()
    return _ENGINE


def _new_engine() -> Any:
    try:
        from rapidocr_onnxruntime import RapidOCR  # lazy: start-up; ~0.6 s of imports (onnxruntime, cv2)
    except ImportError as exc:
        raise OcrError(
            f"the OCR engine cannot be loaded ({exc}); images and video frames cannot be read",
            hint="on a server without a desktop, OpenCV's desktop build needs libGL: "
            "`pip uninstall -y opencv-python && pip install opencv-python-headless`; "
            "or check without reading images: `mediactl check --no-ocr` (compliance.ocr: false)",
        ) from None
    threads = max(1, min(os.cpu_count() or 1, 4))  # one reader thread; ONNX Runtime's own threads do the work
    # The detector sees the picture at most DETECT_SIDE pixels on its longer side (RapidOCR's default scales the
    # shorter side UP to 736: a 1080x1920 cover cost 4x the time for the same lines; bench/ocr_bench.py).
    return RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1, det_limit_type="max",
                    det_limit_side_len=DETECT_SIDE)  # fmt: skip


def read_pixels(data: bytes, shown: str) -> list[OcrLine]:
    """The lines of text in an image's bytes, in the image's pixels; `shown` names it in an error."""
    import numpy  # lazy: start-up (numpy comes with the engine)
    from PIL import Image, UnidentifiedImageError  # lazy: start-up, Pillow only when a picture is read

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            rgb = image.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise OcrError(f"{shown}: not a readable image ({exc}); its text cannot be checked") from None
    pixels = numpy.ascontiguousarray(numpy.asarray(rgb)[:, :, ::-1])  # the engine takes OpenCV's BGR order
    found, _ = _engine()(pixels)
    return [_line(entry) for entry in found or () if float(entry[2]) >= MIN_SCORE and str(entry[1]).strip()]


def _line(entry: Any) -> OcrLine:
    """(quadrilateral, text, score) as the engine gives it -> an OcrLine with an upright box."""
    points, text, score = entry
    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    left, top = int(min(xs)), int(min(ys))
    box = (left, top, round(max(xs)) - left, round(max(ys)) - top)
    return OcrLine(str(text).strip(), box, round(float(score), 4))


# --- reading in the background -----------------------------------------------------------------------------------


class OcrReader:
    """Reads images in one background thread, each distinct image once per process and once per cache.

    `submit` starts reading and returns at once; `lines` waits for that image's result. `engine_calls` counts the
    images the engine really read (the tests' proof that a cached image is not read again).
    """

    def __init__(self, cache: OcrCache, read: Callable[[bytes, str], list[OcrLine]] = read_pixels) -> None:
        self.cache = cache
        self.read = read
        self.engine_calls = 0
        self._futures: dict[str, Future[list[OcrLine]]] = {}
        self._videos: dict[str, Future[list[tuple[float, list[OcrLine]]]]] = {}
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[tuple[Future[Any], Callable[..., Any], tuple[Any, ...]] | None] = (
            queue.SimpleQueue()
        )
        self._thread: threading.Thread | None = None

    def submit(self, data: bytes, shown: str) -> Future[list[OcrLine]]:
        digest = hashlib.sha256(data).hexdigest()
        with self._lock:
            if digest not in self._futures:
                self._futures[digest] = self._later(self._lines_of, digest, data, shown)
            return self._futures[digest]

    def lines(self, data: bytes, shown: str) -> list[OcrLine]:
        return self.submit(data, shown).result()

    def started(self, digest: str) -> Future[list[OcrLine]] | None:
        """The reading of the image whose bytes hash to `digest`, if they were submitted: a caller that proved a
        file's bytes against that sha256 when it queued them need not read the file again to get its lines."""
        with self._lock:
            return self._futures.get(digest)

    def submit_video(self, data: bytes, shown: str) -> Future[list[tuple[float, list[OcrLine]]]]:
        """Start reading a video's sampled frames (ocr_frames); the result: (seconds, lines) of each frame whose
        words differ from the frame before."""
        digest = hashlib.sha256(data).hexdigest()
        with self._lock:
            if digest not in self._videos:
                self._videos[digest] = self._later(self._frames_of, digest, data, shown)
            return self._videos[digest]

    def _later(self, work: Callable[..., Any], *args: Any) -> Future[Any]:
        """`work(*args)` queued for the reading thread (started on the first picture; the caller holds the lock).

        A daemon thread of our own, not a ThreadPoolExecutor: at exit (an error, Ctrl-C) the executor's exit hook
        would first read every picture still queued; this thread simply stops with the process.
        """
        from concurrent.futures import Future  # lazy: start-up, concurrent.futures imports logging (~50 ms)

        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="mediactl-ocr", daemon=True)
            self._thread.start()
        future: Future[Any] = Future()
        self._queue.put((future, work, args))
        return future

    def _work(self) -> None:
        while (task := self._queue.get()) is not None:
            future, work, args = task
            if not future.set_running_or_notify_cancel():
                continue  # cancelled while queued
            try:
                future.set_result(work(*args))
            except BaseException as exc:  # delivered to whoever waits for this picture
                future.set_exception(exc)

    def _lines_of(self, digest: str, data: bytes, shown: str) -> list[OcrLine]:
        cached = self.cache.get(digest)
        if cached is not None:
            return cached[0][1]
        self.engine_calls += 1
        lines = self.read(data, shown)
        self.cache.put(digest, [(0.0, lines)])
        return lines

    def _frames_of(self, digest: str, data: bytes, shown: str) -> list[tuple[float, list[OcrLine]]]:
        from mediactl.check.ocr_frames import (  # lazy: only videos need ffmpeg
            INTERVAL,
            MAX_FRAMES,
            SAMPLING,
            in_video_pixels,
            sample_frames,
        )

        cached = self.cache.get(digest, SAMPLING)
        if cached is not None:
            return cached
        frames: list[tuple[float, list[OcrLine]]] = []
        before: list[str] = []
        sampled = sample_frames(data, shown, Path(shown).suffix or ".mp4")
        for time, frame, scale in sampled:
            self.engine_calls += 1
            lines = in_video_pixels(self.read(frame, f"{shown}@{time}"), scale)
            words = sorted(line.text for line in lines)
            # a card on screen for several samples is read once; a change, even to no words, ends it
            if words != before:
                frames.append((time, lines))
            before = words
        if len(sampled) >= MAX_FRAMES and before:  # sampling stopped short of the end: the last words are known
            frames.append((sampled[-1].time + INTERVAL, []))  # on screen one interval on, not to the video's end
        self.cache.put(digest, frames, SAMPLING)
        return frames

    def close(self) -> None:
        """Cancel what is still queued and stop the reading thread once the picture in hand is read."""
        with self._lock:
            for future in self._futures.values():
                future.cancel()
            for frames in self._videos.values():
                frames.cancel()
            if self._thread is not None:
                self._queue.put(None)
                self._thread.join()
                self._thread = None


_READERS: dict[Path, OcrReader] = {}


def reader_for(state: Path) -> OcrReader:
    """The process's reader for a cache folder (a project's state folder, or the user cache)."""
    from mediactl.check.ocr_cache import OcrCache  # the cache module needs this one's OcrLine

    if state not in _READERS:
        _READERS[state] = OcrReader(OcrCache(state))
    return _READERS[state]


# --- lines as the rules read them ------------------------------------------------------------------------------


def reading_order(lines: list[OcrLine]) -> list[OcrLine]:
    """Top to bottom; lines whose boxes share most of their height are one row, read left to right."""
    rows: list[list[OcrLine]] = []
    for line in sorted(lines, key=lambda ln: (ln.box[1], ln.box[0])):
        row = rows[-1] if rows else None
        if row is not None and _same_row(row[-1], line):
            row.append(line)
        else:
            rows.append([line])
    return [line for row in rows for line in sorted(row, key=lambda ln: ln.box[0])]


def _same_row(a: OcrLine, b: OcrLine) -> bool:
    top, bottom = max(a.box[1], b.box[1]), min(a.box[1] + a.box[3], b.box[1] + b.box[3])
    return bottom - top > 0.5 * min(a.box[3], b.box[3])


def segment_of(lines: list[OcrLine], shown: str, field: str) -> Segment | None:
    """One segment for a picture: its lines in reading order, joined as a line break inside a paragraph is (without
    a space beside CJK), so a claim a poster breaks over two lines (保本 / 保息) is still one claim. Line n of the
    segment is the picture's n-th line in that order: `region_of` turns a finding's place back into a box."""
    from mediactl.check.extract import Segment  # lazy: start-up
    from mediactl.text.cjk import is_cjk  # lazy: start-up, as Segment

    ordered = reading_order(lines)
    if not ordered:
        return None
    text, anchors = "", []
    for number, line in enumerate(ordered, 1):
        if text and not (is_cjk(text[-1]) or is_cjk(line.text[0])):
            text += " "
        anchors.append((len(text), number, 1))
        text += line.text
    return Segment(text, shown, field, 0, tuple(anchors))


def region_of(lines: list[OcrLine], line: int, column: int, matched: str) -> tuple[int, int, int, int] | None:
    """The box of a finding at (line, column) of `segment_of(lines)`: the line's box, or the union of the boxes of
    the lines a match runs over."""
    ordered = reading_order(lines)
    if not 1 <= line <= len(ordered):
        return None
    first = ordered[line - 1]
    if column - 1 + len(matched) <= len(first.text):  # within one line: its share of the line's width
        return _slice(first, column - 1, len(matched))
    remaining = column - 1 + len(matched)
    boxes = []
    for entry in ordered[line - 1 :]:
        boxes.append(entry.box)
        remaining -= len(entry.text)
        if remaining <= 0:
            break
    left = min(b[0] for b in boxes)
    top = min(b[1] for b in boxes)
    right = max(b[0] + b[2] for b in boxes)
    bottom = max(b[1] + b[3] for b in boxes)
    return (left, top, right - left, bottom - top)


def _slice(line: OcrLine, start: int, length: int) -> tuple[int, int, int, int]:
    """The part of a line's box that characters [start, start + length) take, counting a CJK character as two
    Latin ones wide (the recogniser gives no per-character boxes; this is close for one font on one line)."""
    from mediactl.text.cjk import is_cjk  # lazy: start-up

    widths = [2 if is_cjk(char) else 1 for char in line.text]
    total = sum(widths) or 1
    x, y, w, h = line.box
    left = x + w * sum(widths[:start]) // total
    right = x + w * sum(widths[: start + length]) // total
    return (left, y, max(1, right - left), h)


class Picture(NamedTuple):
    """A picture the audience sees and the lines read from it; `time`: seconds into a video, for a frame, and `until`:
    when its words leave the screen (None: they stay to the end)."""

    shown: str  # the file, as findings name it
    field: str  # image.<name>.ocr, or video.<name>.ocr@mm:ss.s for a frame
    lines: list[OcrLine]
    time: float | None = None
    until: float | None = None


def frame_pictures(shown: str, field: str, frames: list[tuple[float, list[OcrLine]]]) -> list[Picture]:
    """A video's sampled frames as pictures, each frame's field and findings naming its time (field@mm:ss.s) and the
    time of the next frame read (its words differ, or there are none: OcrReader._frames_of keeps only changes, and
    where sampling stopped at MAX_FRAMES, a frame without words one interval after the last) as `until`."""
    ends = [time for time, _ in frames[1:]] + [None] if frames else []  # a video without words: no frames kept
    return [Picture(shown, f"{field}@{timestamp(time)}", lines, time, until)
            for (time, lines), until in zip(frames, ends, strict=True)]  # fmt: skip


def segments_of(pictures: list[Picture]) -> list[Segment]:
    return [s for s in (segment_of(p.lines, p.shown, p.field) for p in pictures) if s is not None]


def placed(findings: list[Any], pictures: list[Picture]) -> list[Any]:
    """Findings in pictures given their box (and a frame's time); other findings unchanged."""
    by_place = {(p.shown, p.field): p for p in pictures}
    out = []
    for finding in findings:
        picture = by_place.get((finding.file, finding.field))
        if picture is not None:
            region = region_of(picture.lines, finding.line, finding.column, finding.matched)
            finding = finding._replace(region=region, time=picture.time, until=picture.until)
        out.append(finding)
    return out
