"""Drawing a layout with Pillow: backgrounds, images, auto-fitted Chinese text, QR codes.

Split from the layout model so that locating and hashing layouts (the render cache) never
imports Pillow; `mediactl.graphics.layout` documents the schema.
"""

from __future__ import annotations

import io
import math
import re
import threading
import warnings
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, NoReturn

from PIL import Image, ImageChops, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from mediactl.config.yamlpos import KeyPath
from mediactl.core import confine
from mediactl.core.errors import relpath
from mediactl.graphics.fonts import covers, default_font_paths, load_font
from mediactl.graphics.layout import (
    _INVISIBLE,
    FORMATS,
    Background,
    Element,
    Gradient,
    ImageElement,
    Layout,
    LayoutError,
    LogoElement,
    QrElement,
    RectElement,
    RenderedImage,
    TextElement,
    _is_int,
)
from mediactl.text.linebreak import NO_START, break_lines

MAX_INPUT_PIXELS = 80_000_000  # larger inputs are refused (a decompression bomb, or a mistake)
MAX_CANVAS_SIDE = 8192
JPEG_QUALITY = 88
JPEG_MIN_QUALITY = 60
JPEG_QUALITY_STEP = 4
JPEG_SUBSAMPLING = 2  # 4:2:0, fixed so output does not vary with Pillow's defaults
REFERENCE_WIDTH = 1080
INPUT_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")  # JPEG covers phones' MPO files
RESAMPLE = Image.Resampling.BICUBIC  # as sharp as Lanczos to the eye at these ratios, and a third faster
_TEXT_LOCK = threading.Lock()  # FreeType faces are shared (cached) and not safe to use concurrently


def render_image(
    layout: Layout,
    width: int,
    height: int,
    *,
    texts: Mapping[str, str],
    images: Mapping[str, Path],
    qr_url: str | None,
    fmt: str = "jpeg",
    max_bytes: int | None = None,
    root: Path | None = None,
    focus: tuple[float, float] | None = None,
) -> RenderedImage:
    """Render `layout` at `width`×`height` px as JPEG or PNG bytes.

    `texts` maps field names (title, summary …) to text; `images` maps slot names to files;
    `qr_url` is drawn by qr elements. `root` only shortens image paths in messages. Raises
    LayoutError for anything that cannot be drawn correctly (text that does not fit, missing
    glyphs, missing or unreadable images, a JPEG that cannot meet `max_bytes`). `focus` ([x, y], 0–1 of
    the picture: the item's `focus:`) is the point a centred cover crop keeps in the middle, as far as the
    picture's edges allow, so a tall crop of a wide photo keeps the face and not the empty sky.
    """
    fmt = {"jpg": "jpeg"}.get(fmt.lower(), fmt.lower())
    if fmt not in FORMATS:
        raise LayoutError(f"{layout.file}: unknown output format {fmt!r}; use jpeg or png")
    if layout.background.transparent and fmt != "png":
        raise LayoutError(
            layout.where(
                ("background", "transparent"),
                f"a transparent layout is drawn as PNG: {fmt.upper()} has no transparency",
            )
        )
    for what, value in (("width", width), ("height", height)):
        if not _is_int(value) or not 16 <= value <= MAX_CANVAS_SIDE:
            raise LayoutError(f"{layout.file}: canvas {what} must be 16 to {MAX_CANVAS_SIDE} px, got {value!r}")
    ctx = _Render(layout, width, height, texts, images, qr_url, root, focus)
    canvas, elements = ctx.background()
    for element in elements:
        getattr(ctx, f"draw_{type(element).__name__.removesuffix('Element').lower()}")(canvas, element)
    data, quality = _encode(canvas, fmt, max_bytes, layout)
    return RenderedImage(data, width, height, fmt, ctx.font_sizes, quality)


class _Render:
    def __init__(self, layout, width, height, texts, images, qr_url, root, focus=None) -> None:
        self.layout = layout
        self.width = width
        self.height = height
        self.scale = width / REFERENCE_WIDTH
        self.texts = texts
        self.images = images
        self.qr_url = qr_url
        self.root = root
        self.focus = focus
        self.font_sizes: dict[str, int] = {}

    def fail(self, element: Element | None, key: str | None, message: str) -> NoReturn:
        path: KeyPath = ("background",) if element is None else ("elements", element.index)
        if key:
            path = (*path, key)
        raise LayoutError(self.layout.where(path, message))

    def px_box(self, element: Element) -> tuple[int, int, int, int]:
        return _px_box(element, self.width, self.height)

    # -- background and shapes

    def background(self) -> tuple[Image.Image, tuple[Element, ...]]:
        """The canvas with its background drawn, and the elements still to draw.

        Without a background image, the background and the rects that come before any other
        element do not depend on the inputs: they are drawn once per layout and size, cached.
        """
        bg = self.layout.background
        elements = self.layout.elements
        size = (self.width, self.height)
        file = self.images.get(bg.image) if bg.image is not None else None
        if bg.image is not None and file is None and not bg.optional:
            self.fail(None, "image", self.missing_slot(bg.image))
        if file is None:
            static = 0
            while static < len(elements) and isinstance(elements[static], RectElement):
                static += 1
            canvas = _static_canvas(bg, elements[:static], size).copy()
            return canvas, elements[static:]
        canvas = _base_canvas(bg, size)
        picture, offset = self.fitted(file, size, bg.fit, "center", "middle")
        _paste(canvas, picture, offset)
        return canvas, elements

    def draw_rect(self, canvas: Image.Image, element: RectElement) -> None:
        _draw_rect(canvas, element)

    def draw_image(self, canvas: Image.Image, element: ImageElement) -> None:
        file = self.images.get(element.slot)
        if file is None:
            if element.optional:
                return
            self.fail(element, "slot", self.missing_slot(element.slot))
        left, top, w, h = self.px_box(element)
        picture, (dx, dy) = self.fitted(file, (w, h), element.fit, element.align, element.valign)
        radius = round(element.radius * self.scale)
        if radius:
            mask = _rounded_mask(*picture.size, radius)
            if picture.mode == "RGBA":
                mask = ImageChops.multiply(mask, picture.getchannel("A"))
            _blend(canvas, picture.convert("RGB"), (left + dx, top + dy), mask)
        else:
            _paste(canvas, picture, (left + dx, top + dy))

    def draw_logo(self, canvas: Image.Image, element: LogoElement) -> None:
        if element.path is None:  # brand.logo, optional, and the brand has none
            return
        left, top, w, h = self.px_box(element)
        picture, (dx, dy) = self.fitted(element.path, (w, h), "contain", element.align, element.valign)
        _paste(canvas, picture, (left + dx, top + dy))

    def draw_qr(self, canvas: Image.Image, element: QrElement) -> None:
        if not self.qr_url:
            if element.optional:
                return
            self.fail(element, None, "no QR code URL was given (and this qr element is not optional: true)")
        import segno  # lazy: only a layout with a QR code pays for segno (~50 ms a process)

        try:
            code = segno.make_qr(self.qr_url, error="m")
        except (segno.DataOverflowError, ValueError) as exc:
            self.fail(element, None, f"cannot encode the QR code URL ({exc})")
        border = 2
        modules = len(code.matrix) + 2 * border
        left, top, w, h = self.px_box(element)
        module = min(w, h) // modules
        if module < 1:
            self.fail(
                element,
                "box",
                f"the box is {w}×{h} px at {self.width}×{self.height}: too small for a QR code of {modules} modules",
            )
        light = b"\xff"
        quiet = light * modules
        rows = [quiet] * border
        rows += [light * border + bytes(0 if v else 255 for v in row) + light * border for row in code.matrix]
        rows += [quiet] * border
        matrix = Image.frombytes("L", (modules, modules), b"".join(rows))
        side = modules * module
        picture = ImageOps.colorize(matrix.resize((side, side), Image.Resampling.NEAREST), element.dark, element.light)
        dx, dy = _place((w, h), (side, side), element.align, element.valign)
        canvas.paste(picture, (left + dx, top + dy))

    # -- text

    def draw_text(self, canvas: Image.Image, element: TextElement) -> None:
        raw = element.literal if element.literal is not None else self.texts.get(element.field or "")
        text = _clean_text(raw)
        key = "literal" if element.literal is not None else "text"
        if not text:
            if element.optional:
                return
            self.fail(element, key, f"{element.what} is empty (mark the element optional: true to allow that)")
        left, top, w, h = self.px_box(element)
        with _TEXT_LOCK:
            self.check_glyphs(element, key, text)
            px, lines, font = self.fit(element, text, w, h)
            measure = _measurer(font)
            self.font_sizes[element.name] = px
            step = px * element.line_height
            block = px + (len(lines) - 1) * step
            y0 = top + {"top": 0, "middle": (h - block) / 2, "bottom": h - block}[element.valign]
            baseline = _baseline(font)
            # Simplified-Chinese ，。、；： sit in the left half of their em: the right half is
            # blank, and centring or right-aligning by the advance would push the line off.
            hangs = element.font is None and element.script == "SC" and element.align != "left"
            placed = []
            for i, line in enumerate(lines):
                line_w = measure(line) - (px / 2 if hangs and line[-1:] in "，。、；：" else 0)
                dx = {"left": 0, "center": (w - line_w) / 2, "right": w - line_w}[element.align]
                placed.append(((round(left + dx), round(y0 + i * step + baseline)), line))
            if element.stroke is not None:
                _outline(canvas, placed, font, element.stroke, self.scale)
            # On a transparent canvas the text goes on a layer of its own colour and is composited, so
            # its soft edges keep that colour over a half-transparent band instead of blending toward it.
            layer = Image.new("RGBA", canvas.size, (*element.color, 0)) if canvas.mode == "RGBA" else canvas
            draw = ImageDraw.Draw(layer)
            for origin, line in placed:
                draw.text(origin, line, font=font, fill=element.color, anchor="ls")
            if layer is not canvas:
                canvas.alpha_composite(layer)

    def check_glyphs(self, element: TextElement, key: str, text: str) -> None:
        font = load_font(16, element.weight, element.script, element.font)
        missing = covers(font, text)
        if missing:
            names = ", ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in missing)
            face = element.font.name if element.font else f"Noto Sans CJK {element.script}"
            self.fail(element, key, f"{element.what}: the font {face} has no glyph for {names}")

    def sizes(self, element: TextElement) -> list[int]:
        low, high = element.size
        steps = list(range(high, low - 1, -2))
        if steps[-1] != low:
            steps.append(low)
        return list(dict.fromkeys(max(1, round(s * self.scale)) for s in steps))

    def fit(self, element: TextElement, text: str, w: int, h: int) -> tuple[int, list[str], ImageFont.FreeTypeFont]:
        """The largest size whose broken lines fit the box, with those lines and the font."""
        sizes = self.sizes(element)
        paragraphs = text.count("\n") + 1
        ink = text.replace("\n", "").replace(" ", "").replace("\u3000", "")
        reference = None
        for px in sizes:
            font = load_font(px, element.weight, element.script, element.font)
            if reference is None:
                reference = _measurer(font)(ink) / px  # width per px of size, to skip hopeless sizes
            allowed = self.allowed_lines(element, px, h)
            needed_at_least = max(paragraphs, math.ceil(reference * px * 0.98 / w - 1e-9))
            if needed_at_least > allowed and px != sizes[-1]:
                continue
            measure = _measurer(font)
            lines = break_lines(text, w, measure)
            if len(lines) <= allowed:
                if element.balance and len(lines) > 1:
                    phrased = self.phrase_fit(element, text, [s for s in sizes if s <= px], len(lines), w, h)
                    if phrased:
                        return phrased
                    lines = _balance(text, lines, w, measure)
                return px, lines, font
        if element.overflow == "ellipsis" and allowed >= 1:
            return px, _ellipsize(lines[:allowed], lines[allowed:], w, measure), font
        x, y, bw, bh = element.box
        if element.max_lines is not None and allowed == element.max_lines:
            limit = f"max_lines allows {allowed}"
        else:
            limit = f"the box holds {allowed}"
        self.fail(
            element,
            None,
            f"{element.what} does not fit its box (box [{x:g}, {y:g}, {bw:g}, {bh:g}] = {w}×{h} px at "
            f"{self.width}×{self.height}) even at the minimum size {element.size[0]} ({px} px here): "
            f"it needs {len(lines)} line{'s' if len(lines) != 1 else ''}, {limit}",
        )

    def phrase_fit(
        self, element: TextElement, text: str, sizes: list[int], count: int, w: int, h: int
    ) -> tuple[int, list[str], ImageFont.FreeTypeFont] | None:
        """The largest size, at most a fifth smaller than sizes[0], at which the text breaks only
        after clause punctuation in at most `count` lines that fit the box."""
        for px in sizes:
            if px < sizes[0] * 0.8:
                break
            font = load_font(px, element.weight, element.script, element.font)
            allowed = min(count, self.allowed_lines(element, px, h))
            lines = _phrase_lines(text, allowed, w, _measurer(font))
            if lines:
                return px, lines, font
        return None

    def allowed_lines(self, element: TextElement, px: int, h: int) -> int:
        by_height = int((h - px) / (px * element.line_height) + 1e-9) + 1 if h >= px else 0
        return by_height if element.max_lines is None else min(by_height, element.max_lines)

    # -- images

    def missing_slot(self, slot: str) -> str:
        given = ", ".join(sorted(self.images)) or "none"
        return f"no image was given for slot {slot!r} (images given: {given})"

    def fitted(
        self, file: Path, size: tuple[int, int], fit: str, align: str, valign: str
    ) -> tuple[Image.Image, tuple[int, int]]:
        """The image in `file` scaled to cover or fit inside `size`, and its offset in that box."""
        display = relpath(Path(file), self.root)
        if self.root is not None and Path(file).is_relative_to(self.root):  # a project file: never through a link out
            file = confine.confined(Path(file), self.root, what="image")
        picture = open_image(Path(file), display, size, fit)
        iw, ih = picture.size
        bw, bh = size
        if fit == "cover":
            scale = max(bw / iw, bh / ih)
            cw, ch = min(iw, bw / scale), min(ih, bh / scale)  # min: float rounding must not overshoot
            fx, fy = self.focus or (0.5, 0.5)
            x0 = max(0.0, {"left": 0, "center": min(iw - cw, max(0.0, fx * iw - cw / 2)), "right": iw - cw}[align])
            y0 = max(0.0, {"top": 0, "middle": min(ih - ch, max(0.0, fy * ih - ch / 2)), "bottom": ih - ch}[valign])
            out = picture.resize(size, RESAMPLE, box=(x0, y0, x0 + cw, y0 + ch), reducing_gap=3.0)
            return out, (0, 0)
        scale = min(bw / iw, bh / ih)
        target = (max(1, round(iw * scale)), max(1, round(ih * scale)))
        out = picture.resize(target, RESAMPLE, reducing_gap=3.0)
        return out, _place(size, target, align, valign)


@lru_cache(maxsize=8)
def _static_canvas(bg: Background, rects: tuple[RectElement, ...], size: tuple[int, int]) -> Image.Image:
    """The background colour or gradient with `rects` drawn on it (cached: copy before use)."""
    canvas = _base_canvas(bg, size)
    for rect in rects:
        _draw_rect(canvas, rect)
    return canvas


def _base_canvas(bg: Background, size: tuple[int, int]) -> Image.Image:
    if bg.transparent:
        return Image.new("RGBA", size, (0, 0, 0, 0))
    if bg.gradient is not None:
        return _gradient(size, bg.gradient)[0].copy()
    return Image.new("RGB", size, bg.color or (0, 0, 0))


def _px_box(element: Element, width: int, height: int) -> tuple[int, int, int, int]:
    """Left, top, width, height in px; edges are rounded, so adjacent boxes meet exactly."""
    x, y, w, h = element.box
    left, top = round(x * width), round(y * height)
    right, bottom = round((x + w) * width), round((y + h) * height)
    return left, top, max(1, right - left), max(1, bottom - top)


def _draw_rect(canvas: Image.Image, element: RectElement) -> None:
    left, top, w, h = _px_box(element, canvas.width, canvas.height)
    radius = round(element.radius * canvas.width / REFERENCE_WIDTH)
    if element.gradient is not None:
        layer, alpha = _gradient((w, h), element.gradient)
    else:
        assert element.color is not None  # the layout loader requires exactly one of color and gradient
        *rgb, a = element.color
        if a == 255 and radius == 0:
            ImageDraw.Draw(canvas).rectangle((left, top, left + w - 1, top + h - 1), fill=tuple(rgb))
            return
        layer = Image.new("RGB", (w, h), tuple(rgb))
        alpha = Image.new("L", (w, h), a)
    if radius:
        alpha = ImageChops.multiply(alpha, _rounded_mask(w, h, radius))
    _blend(canvas, layer, (left, top), alpha)


_PHRASE = re.compile(r"[^，、：；！？。,;:!? ]+[，、：；！？。,;:!? ]*|[，、：；！？。,;:!? ]+")


def _phrase_lines(text: str, count: int, width: int, measure: Callable[[str], float]) -> list[str] | None:
    """Lines that break only after clause punctuation (守好钱袋子，/谨防电信网络诈骗), when the
    phrases fit in at most `count` lines; else None. Titles read better broken at phrases."""
    phrases = _PHRASE.findall(text)
    if len(phrases) < 2 or "\n" in text:
        return None
    lines: list[str] = []
    current = ""
    for phrase in phrases:
        if measure((current + phrase).strip()) <= width:
            current += phrase
            continue
        if not current.strip() or measure(phrase.strip()) > width:
            return None
        lines.append(current.strip())
        current = phrase
    lines.append(current.strip())
    if len(lines) > count or any(line[:1] in NO_START for line in lines[1:]):
        return None
    return lines


def _balance(text: str, lines: list[str], width: int, measure: Callable[[str], float]) -> list[str]:
    """The same number of lines, broken at the narrowest width that still needs no more."""
    count = len(lines)
    total = sum(measure(line) for line in lines)
    low, high = max(1, int(total / count) - 1), width  # low is too narrow, high gives `count` lines
    while high - low > 1:
        middle = (low + high) // 2
        if len(break_lines(text, middle, measure)) <= count:
            high = middle
        else:
            low = middle
    return break_lines(text, high, measure)


def _clean_text(value: Any) -> str:
    if value is None:
        return ""
    text = str(value).translate(_INVISIBLE).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return text.strip()


def _ellipsize(kept: list[str], dropped: list[str], width: float, measure: Callable[[str], float]) -> list[str]:
    """`kept` with its last line cut to end in "…" (the text continued in `dropped`)."""
    if not dropped:
        return kept
    last = kept[-1]
    while last and measure(last + "…") > width:
        last = last[:-1]
    kept[-1] = last.rstrip(" ，、。；：,.;:") + "…"
    return kept


@lru_cache(maxsize=512)
def _measurer(font: ImageFont.FreeTypeFont) -> Callable[[str], float]:
    """`font.getlength`, remembering widths (a text is measured many times while it is fitted)."""
    widths: dict[str, float] = {}

    def measure(text: str) -> float:
        found = widths.get(text)
        if found is None:
            if len(widths) > 20_000:
                widths.clear()
            found = widths[text] = font.getlength(text)
        return found

    return measure


@lru_cache(maxsize=64)
def _baseline(font: ImageFont.FreeTypeFont) -> float:
    """From the top of a line's em box to its baseline, in px.

    Chinese glyphs sit centred in the em box, so the ink centre of 中 marks the box centre;
    a font without 中 falls back to its ascent share.
    """
    size = font.size
    if not covers(font, "中"):
        _l, top, _r, bottom = font.getbbox("中", anchor="ls")
        return size / 2 - (top + bottom) / 2
    ascent, descent = font.getmetrics()
    return size * ascent / max(1, ascent + descent)


def _place(box: tuple[int, int], size: tuple[int, int], align: str, valign: str) -> tuple[int, int]:
    (bw, bh), (w, h) = box, size
    dx = {"left": 0, "center": (bw - w) // 2, "right": bw - w}[align]
    dy = {"top": 0, "middle": (bh - h) // 2, "bottom": bh - h}[valign]
    return dx, dy


def _paste(canvas: Image.Image, picture: Image.Image, offset: tuple[int, int]) -> None:
    if picture.mode == "RGBA":
        _blend(canvas, picture.convert("RGB"), offset, picture.getchannel("A"))
    else:
        canvas.paste(picture, offset)


def _outline(
    canvas: Image.Image,
    placed: list[tuple[tuple[int, int], str]],
    font: ImageFont.FreeTypeFont,
    stroke: tuple[float, tuple[int, int, int, int]],
    scale: float,
) -> None:
    """The glyphs of `placed` lines widened by the stroke, in its colour and opacity, under the text."""
    width, (*rgb, opacity) = stroke
    px = round(width * scale)
    if px < 1 or opacity == 0:
        return
    layer = Image.new("L", canvas.size, 0)
    draw = ImageDraw.Draw(layer)
    for origin, line in placed:
        draw.text(origin, line, font=font, fill=255, anchor="ls", stroke_width=px, stroke_fill=255)
    if opacity < 255:
        layer = layer.point(lambda value: value * opacity // 255)
    _blend(canvas, Image.new("RGB", canvas.size, tuple(rgb)), (0, 0), layer)


def _blend(canvas: Image.Image, picture: Image.Image, offset: tuple[int, int], mask: Image.Image) -> None:
    """The RGB `picture` laid over `canvas` at `offset` through `mask`.

    A transparent (RGBA) canvas is alpha-composited: `paste` would mix the canvas's empty black into
    the colours, and a half-transparent band would come out darker than its colour says.
    """
    if canvas.mode == "RGBA":
        tile = picture.convert("RGBA")
        tile.putalpha(mask)
        canvas.alpha_composite(tile, offset)
    else:
        canvas.paste(picture, offset, mask)


@lru_cache(maxsize=16)
def _gradient(size: tuple[int, int], gradient: Gradient) -> tuple[Image.Image, Image.Image]:
    """An RGB image of `size` running from gradient.start to gradient.end at its angle, and
    its alpha as an L image.

    Cached (the same backgrounds and panels recur across items): callers must not draw on them.
    """
    w, h = size
    angle = math.radians(gradient.angle)
    dx, dy = math.cos(angle), math.sin(angle)
    length = abs(w * dx) + abs(h * dy)  # the projection of the canvas on the direction: t runs 0..1

    def ramp(n: int, d: float) -> bytes:
        return bytes(min(255, max(0, round(255 * ((i + 0.5 - n / 2) * d + abs(d) * n / 2) / length))) for i in range(n))

    across = Image.frombytes("L", (w, 1), ramp(w, dx)).resize(size, Image.Resampling.NEAREST)
    down = Image.frombytes("L", (1, h), ramp(h, dy)).resize(size, Image.Resampling.NEAREST)
    mask = ImageChops.add(across, down)
    rgba = Image.composite(Image.new("RGBA", size, gradient.end), Image.new("RGBA", size, gradient.start), mask)
    return rgba.convert("RGB"), rgba.getchannel("A")


@lru_cache(maxsize=64)
def _corner(radius: int) -> Image.Image:
    """A radius×radius anti-aliased quarter disc (top-left corner), drawn at 4× and reduced."""
    big = Image.new("L", (4 * radius, 4 * radius), 0)
    ImageDraw.Draw(big).ellipse((0, 0, 8 * radius - 1, 8 * radius - 1), fill=255)
    return big.resize((radius, radius), Image.Resampling.BOX)


def _rounded_mask(w: int, h: int, radius: int) -> Image.Image:
    radius = min(radius, w // 2, h // 2)
    mask = Image.new("L", (w, h), 255)
    if radius < 1:
        return mask
    corner = _corner(radius)
    mask.paste(corner, (0, 0))
    mask.paste(corner.transpose(Image.Transpose.FLIP_LEFT_RIGHT), (w - radius, 0))
    mask.paste(corner.transpose(Image.Transpose.FLIP_TOP_BOTTOM), (0, h - radius))
    mask.paste(corner.transpose(Image.Transpose.ROTATE_180), (w - radius, h - radius))
    return mask


def open_image(file: Path, display: str, box: tuple[int, int], fit: str) -> Image.Image:
    """Decode `file` upright, in sRGB, as RGB or RGBA; JPEGs decode at a reduced scale when
    the box is much smaller; an SVG (a logo) is drawn at the box's size (graphics/svg.py). Anything
    wrong with the file is a LayoutError naming it."""
    if file.suffix.lower() == ".svg":
        return _svg(file, display, box)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file, formats=INPUT_FORMATS) as opened:
                w, h = opened.size
                if w * h > MAX_INPUT_PIXELS:
                    raise LayoutError(
                        f"image {display}: {w}×{h} is {w * h / 1e6:.0f} megapixels; "
                        f"the limit is {MAX_INPUT_PIXELS // 1_000_000}"
                    )
                if opened.format in ("JPEG", "MPO"):
                    _draft(opened, box, fit)
                opened.load()
                icc = opened.info.get("icc_profile")
                ImageOps.exif_transpose(opened, in_place=True)
                picture = _to_srgb(opened, icc)
    except LayoutError:
        raise
    except FileNotFoundError:
        raise LayoutError(f"image file not found: {display}") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise LayoutError(
            f"image {display}: too many pixels (limit {MAX_INPUT_PIXELS // 1_000_000} megapixels)"
        ) from None
    except UnidentifiedImageError:
        raise LayoutError(
            f"image {display}: not an image mediactl can read (JPEG, PNG, WebP, GIF, BMP, TIFF)"
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise LayoutError(f"image {display}: cannot be read, the file is corrupt or truncated ({exc})") from None
    return picture


def _svg(file: Path, display: str, box: tuple[int, int]) -> Image.Image:
    from mediactl.graphics import svg  # lazy: resvg loads only for a project whose logo is SVG

    try:
        return svg.render(file, display, box, list(default_font_paths().values()))
    except svg.SvgError as exc:
        raise LayoutError(exc.message) from None


def _draft(opened: Image.Image, box: tuple[int, int], fit: str) -> None:
    """Let libjpeg decode at 1/2, 1/4 or 1/8 scale when that still leaves enough pixels."""
    w, h = opened.size
    orientation = opened.getexif().get(0x0112, 1)
    shown = (h, w) if orientation in (5, 6, 7, 8) else (w, h)
    pick = max if fit == "cover" else min
    scale = pick(box[0] / shown[0], box[1] / shown[1])
    if scale < 1:
        opened.draft("RGB", (math.ceil(w * scale), math.ceil(h * scale)))


def _to_srgb(picture: Image.Image, icc: bytes | None) -> Image.Image:
    has_alpha = picture.mode in ("RGBA", "LA", "PA") or (picture.mode == "P" and "transparency" in picture.info)
    mode = "RGBA" if has_alpha else "RGB"
    if picture.mode != mode:
        picture = picture.convert(mode)
    if icc:
        try:
            from PIL import ImageCms  # lazy: only a picture with an ICC profile needs LittleCMS (~7 ms)

            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            if "srgb" not in (ImageCms.getProfileDescription(source) or "").lower():
                converted = ImageCms.profileToProfile(picture, source, ImageCms.createProfile("sRGB"), outputMode=mode)
                picture = converted if converted is not None else picture  # None only when converted in place
        except (ImportError, OSError, ValueError, ImageCms.PyCMSError):
            pass  # a broken or unsupported profile: keep the pixels as they are
    return picture


def _encode(canvas: Image.Image, fmt: str, max_bytes: int | None, layout: Layout) -> tuple[bytes, int | None]:
    if fmt == "png":
        buffer = io.BytesIO()
        canvas.save(buffer, "PNG", compress_level=6)
        data = buffer.getvalue()
        if max_bytes is not None and len(data) > max_bytes:
            raise LayoutError(
                f"{layout.file}: the {canvas.width}×{canvas.height} PNG is {len(data):,} bytes; "
                f"the limit is {max_bytes:,} (render JPEG instead)"
            )
        return data, None
    quality = JPEG_QUALITY
    while True:
        buffer = io.BytesIO()
        canvas.save(buffer, "JPEG", quality=quality, optimize=True, subsampling=JPEG_SUBSAMPLING, progressive=False)
        data = buffer.getvalue()
        if max_bytes is None or len(data) <= max_bytes:
            return data, quality
        if quality <= JPEG_MIN_QUALITY:
            raise LayoutError(
                f"{layout.file}: the {canvas.width}×{canvas.height} JPEG is {len(data):,} bytes even at quality "
                f"{JPEG_MIN_QUALITY}; the limit is {max_bytes:,}"
            )
        quality = max(JPEG_MIN_QUALITY, quality - JPEG_QUALITY_STEP)
