"""The pictures laid over a video, drawn by the graphics engine: titles, subtitle lines, title cards, logos.

Text goes through media layouts (`mediactl.graphics`), so a video's title is drawn with the covers' fonts,
Chinese line breaking and fitting, and a character the font lacks is an error naming it and the layout,
never a tofu box. Transparent layouts (`background: {transparent: true}`) are cropped to what they draw,
so an overlay costs the engine only its visible pixels. Each result is an `Overlay` (`mediactl.video.overlay`),
the one contract with the engines; times are seconds of the output timeline.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

from PIL import Image

from mediactl.core import confine
from mediactl.core.errors import relpath
from mediactl.graphics.draw import open_image, render_image
from mediactl.graphics.layout import (
    DEFAULT_KIT,
    BrandKit,
    Layout,
    LayoutError,
    builtin_layout_dir,
    find_layout,
    load_layout,
)
from mediactl.video.cues import Cue, SubtitleError
from mediactl.video.overlay import Overlay

Size = tuple[int, int]  # width, height of the output frame in px
POSITIONS = ("top-left", "top-right", "bottom-left", "bottom-right")


def load(
    name: str, templates: Path | None = None, *, root: Path | None = None, brand: BrandKit = DEFAULT_KIT
) -> Layout:
    """The media layout `name`: the project's `templates/media/<name>.yaml` if there is one, else the packaged one
    (the covers' lookup). `templates` is the project's templates folder; `root` shortens paths in messages;
    `brand` is what its `brand.*` colours, logo and fonts are (the item's brand, as on its covers)."""
    folders = [templates / "media"] if templates is not None else []
    return load_layout(find_layout(name, [*folders, builtin_layout_dir()]), root=root, brand=brand)


def title(
    texts: Mapping[str, str], size: Size, layout: Layout, start: float = 0.0, end: float | None = None
) -> Overlay:
    """The item's texts (title, summary …) drawn with a transparent `layout`, shown from `start` to `end`."""
    return _transparent(layout, size, texts, "title", start, end)


def subtitles(
    cues: Sequence[Cue], size: Size, layout: Layout, offset: float = 0.0, *, display: str = ""
) -> list[Overlay]:
    """One overlay per cue: its text in the layout's field `text`, shown while the cue runs, shifted by `offset`
    (the intro's length). A cue that cannot be drawn (too long for the box, a character the font lacks) is a
    SubtitleError naming the subtitle file (`display`) and the cue's line, then the layout's own message."""
    out = []
    for cue in cues:
        try:
            out.append(
                _transparent(
                    layout, size, {"text": cue.text}, f"subtitle {cue.index}", cue.start + offset, cue.end + offset
                )
            )
        except LayoutError as exc:
            raise SubtitleError(
                display or "subtitles", cue.line, f"cue {cue.index} cannot be drawn: {exc.message}"
            ) from None
    return out


def card(texts: Mapping[str, str], size: Size, layout: Layout) -> Overlay:
    """A title card: an opaque full-frame PNG of `layout` (its background and texts), for an intro or outro."""
    if layout.background.transparent:
        raise LayoutError(
            layout.where(
                ("background",), "a title card fills the frame: give it a colour, gradient or image, not transparent"
            )
        )
    image = render_image(layout, *size, texts=texts, images={}, qr_url=None, fmt="png")
    return Overlay(image.data, 0, 0, size[0], size[1], what="card")


def logo(
    path: Path,
    size: Size,
    position: str = "top-right",
    width_fraction: float = 0.14,
    margin: float = 0.04,
    opacity: float = 0.85,
    *,
    root: Path | None = None,
) -> Overlay:
    """A logo image (PNG, or any raster format the covers read; not SVG) scaled to `width_fraction` of the frame's
    width, `margin` × the frame's width from the two edges of its corner, at `opacity`, for the whole video.
    A logo taller than the frame allows is scaled down to fit inside its margins."""
    if position not in POSITIONS:
        raise LayoutError(f"logo position {position!r} is not one of {', '.join(POSITIONS)}")
    if not 0 < width_fraction <= 1 or not 0 <= margin < 0.5:
        raise LayoutError(f"logo width {width_fraction!r} must be in (0, 1] and margin {margin!r} in [0, 0.5)")
    path = Path(path)
    display = relpath(path, root)
    if path.suffix.lower() == ".svg":
        raise LayoutError(f"logo {display}: SVG is not supported; export the logo as a PNG with transparency")
    if root is not None and path.is_relative_to(root):  # a project file: never through a link out
        path = confine.confined(path, root, what="logo")
    frame_w, frame_h = size
    gap = round(margin * frame_w)
    box = (max(1, round(width_fraction * frame_w)), max(1, frame_h - 2 * gap))
    picture = open_image(path, display, box, "contain").convert("RGBA")
    scale = min(box[0] / picture.width, box[1] / picture.height)
    picture = picture.resize(
        (max(1, round(picture.width * scale)), max(1, round(picture.height * scale))), Image.Resampling.LANCZOS
    )
    x = gap if position.endswith("left") else frame_w - gap - picture.width
    y = gap if position.startswith("top") else frame_h - gap - picture.height
    return Overlay(_png(picture), x, y, picture.width, picture.height, opacity=opacity, what="logo")


def _transparent(
    layout: Layout, size: Size, texts: Mapping[str, str], what: str, start: float, end: float | None
) -> Overlay:
    """A transparent layout drawn full frame, cropped to its visible pixels (nothing visible: one clear pixel)."""
    if not layout.background.transparent:
        raise LayoutError(
            layout.where(
                ("background",),
                f"the {what.split()[0]} layout must be transparent (background: {{transparent: true}}): an opaque one would hide the video",
            )
        )
    png, left, top, width, height = _drawn(layout, tuple(sorted(texts.items())), size)
    return Overlay(png, left, top, width, height, start, end, what=what)


@functools.lru_cache(maxsize=256)
def _drawn(layout: Layout, texts: tuple[tuple[str, str], ...], size: Size) -> tuple[bytes, int, int, int, int]:
    """A transparent layout drawn and cropped: (PNG, left, top, width, height). Remembered in the process, since
    a render draws the same title and cue lines for every channel of a size, and again when only the encode is
    cached (the recipe hashes these pictures): drawing them was most of a cached render's time."""
    rendered = render_image(layout, *size, texts=dict(texts), images={}, qr_url=None, fmt="png")
    with Image.open(io.BytesIO(rendered.data)) as opened:
        canvas = opened.convert("RGBA")
    left, top, right, bottom = canvas.getchannel("A").getbbox() or (0, 0, 1, 1)
    piece = canvas.crop((left, top, right, bottom))
    return _png(piece), left, top, piece.width, piece.height


def _png(picture: Image.Image) -> bytes:
    """PNG bytes without metadata, as the graphics engine writes them: the same picture, the same bytes."""
    buffer = io.BytesIO()
    picture.save(buffer, "PNG", compress_level=6)
    return buffer.getvalue()
