"""SVG logos drawn as pictures: a bank's logo usually exists as SVG, and a PNG export is one more file to keep in
step with it.

resvg (through the `resvg-py` wheel: Rust, no system library, wheels for Linux, macOS and Windows) renders it at
the pixel size the layout's box needs, so a logo is crisp at any size. Before it is drawn the file must stand on
its own: an SVG may reference other files or URLs (`<image href="file:///…">`, `xlink:href`, CSS `url(…)` or
`@import`) and declare entities; any of these is refused, so drawing a logo never reads outside it (nothing leaves
the project, and nothing is fetched). Text in a logo is drawn with mediactl's own fonts only (no system fonts), so
the picture is the same on every machine.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from PIL import Image

from mediactl.core.errors import MediactlError

MAX_SVG_BYTES = 2 * 1024 * 1024  # a logo; a larger file is a drawing, or an attack on the parser
MAX_SIDE = 4096  # pixels: a layout box is never larger
FAMILY = "Noto Sans CJK SC"  # the shipped fonts' family: every family a logo's text names falls back to it
_URL = re.compile(r"url\(\s*['\"]?\s*(?!#|data:)", re.IGNORECASE)
_IMPORT = re.compile(r"@import", re.IGNORECASE)
_HREF = re.compile(r"(^|})href$")


class SvgError(MediactlError):
    """An SVG file that cannot be drawn: unreadable, not SVG, or referring to something outside itself."""


def refusal(data: bytes) -> str | None:
    """Why this SVG cannot be drawn as a self-contained logo (None: it can)."""
    if len(data) > MAX_SVG_BYTES:
        return f"it is {len(data):,} bytes; a logo is at most {MAX_SVG_BYTES:,}"
    text = data.decode("utf-8", errors="replace")
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        return "it declares a DOCTYPE or entities (export it again without them)"
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        return f"it is not well-formed XML ({exc})"
    if not root.tag.endswith("svg"):
        return f"its root element is <{root.tag}>, not <svg>"
    for element in root.iter():
        for name, value in element.attrib.items():
            if _HREF.search(name) and not value.strip().startswith(("#", "data:")):
                return f"<{_local(element.tag)}> refers to '{value[:80]}' outside the file (embed it, or remove it)"
            if name == "style" and (_URL.search(value) or _IMPORT.search(value)):
                return f"a style of <{_local(element.tag)}> loads something outside the file"
        if _local(element.tag) == "style" and (_URL.search(element.text or "") or _IMPORT.search(element.text or "")):
            return "its stylesheet loads something outside the file (@import or url())"
    return None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def render(file: Path, display: str, box: tuple[int, int], fonts: list[Path]) -> Image.Image:
    """The SVG in `file` as an RGBA picture that fits inside `box` (its aspect kept), drawn at that size."""
    import resvg_py  # lazy: only a project with an SVG logo loads the renderer

    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise SvgError(f"logo file not found: {display}") from None
    except OSError as exc:
        raise SvgError(f"logo {display}: cannot be read ({exc.strerror})") from None
    problem = refusal(data)
    if problem:
        raise SvgError(f"logo {display}: not drawn: {problem}")
    text = data.decode("utf-8")
    width, height = (min(max(side, 1), MAX_SIDE) for side in box)
    try:
        picture = _draw(resvg_py, text, fonts, width=width)
        if picture.height > height:  # taller than the box at its width: fit the height instead
            picture = _draw(resvg_py, text, fonts, height=height)
    except ValueError as exc:
        raise SvgError(f"logo {display}: resvg cannot draw it ({exc})") from None
    return picture


def _draw(resvg_py: object, text: str, fonts: list[Path], **size: int) -> Image.Image:
    families = dict.fromkeys(("font_family", "serif_family", "sans_serif_family", "monospace_family"), FAMILY)
    png = resvg_py.svg_to_bytes(  # type: ignore[attr-defined]
        svg_string=text, skip_system_fonts=True, font_files=[str(font) for font in fonts], **families, **size
    )
    with Image.open(io.BytesIO(bytes(png))) as opened:
        return opened.convert("RGBA")
