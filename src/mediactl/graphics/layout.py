"""Media layouts (YAML) and the renderer that turns one into an image at any platform size.

A layout describes a graphic in fractions of the canvas, so one file serves a 900×383 WeChat
cover, a 1080×1440 Xiaohongshu note and a 1920×1080 Bilibili cover alike. Layouts live in a
project's ``templates/media/<name>.yaml`` or, packaged with mediactl, in
``mediactl/data/templates/media/`` (shown in messages as ``builtin/media/<name>.yaml``); see
`find_layout`.

Schema::

    name: cover-tall                 # optional; defaults to the file name
    description: …                   # optional, free text
    background:                      # a base (color or gradient), optionally an image on top
      color: "#0B2A5B"               # quote colours: an unquoted # starts a YAML comment
      gradient: {from: "#0B2A5B", to: "#06152F", angle: 90}
      image: cover                   # an image slot given to the renderer
      fit: cover                     # cover (fill, crop; default) | contain (fit inside)
      optional: true                 # the slot may be absent: the base alone is drawn
      transparent: true              # instead of all the above: nothing under the elements, an RGBA
                                     #   PNG (video overlays); JPEG output of such a layout is an error
    elements:                        # drawn in order, later on top
      - type: rect                   # a panel behind text
        box: [0, 0.6, 1, 0.4]        # x, y, width, height as fractions (0–1) of the canvas
        color: "#0B2A5BCC"           # #RRGGBB or #RRGGBBAA; or instead `gradient:` as above,
        radius: 24                   #   whose colours may carry alpha too; corner radius
      - type: text
        box: [0.08, 0.1, 0.84, 0.2]
        text: title                  # a field given to the renderer; or `literal: "…"`
        size: [48, 88]               # min and max px on a 1080-px-wide canvas (scaled with width)
        weight: Bold                 # Regular | Bold (the shipped font); a font file's own weight(s)
        script: SC                   # SC | TC: the face of a .ttc font file (the shipped SC face has both)
        font: ../../fonts/brand.otf  # optional project font file, relative to this layout
        color: "#FFFFFF"             # #RRGGBB
        align: left                  # left | center | right
        valign: top                  # top | middle | bottom
        line_height: 1.3             # multiple of the font size
        max_lines: 3                 # optional cap on lines
        optional: true               # an empty field skips the element (default: it is an error)
        overflow: error              # error (default) | ellipsis: at min size cut with "…"
        balance: false               # true (titles): break after clause punctuation if that fits,
                                     #   else lines of even length, instead of greedy fill
        stroke: {width: 4, color: "#000000B3"}  # optional outline around each glyph, width in px at
                                     #   1080 width: text that stays legible over any picture (video)
      - type: image
        box: [0, 0, 1, 0.7]
        slot: master                 # an image given to the renderer
        fit: cover                   # cover | contain
        align: center                # where a contained image sits, where a cover crop is taken
        valign: middle
        radius: 0                    # corner radius, px at 1080 width
        optional: false              # true: skip when the slot is not given
      - type: logo
        box: [0.06, 0.9, 0.3, 0.06]
        path: logo.png               # relative to this layout's folder; must exist (or brand.logo)
        optional: true               # brand.logo only: skip when the brand has no logo
        align: left                  # contained in its box, placed by align/valign
        valign: middle
      - type: qr                     # the tracking URL given to the renderer, drawn with segno
        box: [0.78, 0.84, 0.16, 0.12]
        dark: "#0B2A5B"              # module colours (default deep blue on white)
        light: "#FFFFFF"
        align: right                 # the code is square: placed in its box by align/valign
        valign: bottom
        optional: true               # no URL given: skip (default: it is an error)

Brand references: wherever a colour goes, ``"brand.primary"`` (also ``accent``, ``text``,
``background``) takes the project's brand colour (`mediactl.config.brand`: the item's theme
applied), ``"brand.primary.dark"`` / ``".light"`` a shade of it (mixed 45 % with black or
white), and ``"brand.primary/CC"`` adds an alpha where alpha is allowed. A logo's
``path: brand.logo`` is the brand's logo (``optional: true`` skips it when the brand has
none), and a text element without ``font:`` uses the brand's own font for its weight when the
brand names one. The packaged layouts use only these, never hex literals, so a project's
`brand:` restyles all of them; a project's own layout may still write literals. Without a
brand the references take mediactl's default deep blue and gold.

Gradient ``angle`` is in degrees, clockwise from "left to right" (0): 90 runs top to bottom,
180 right to left, 270 bottom to top; ``from`` is the colour where it starts.

Text fits automatically: the largest size from max down to min in steps of 2 (at 1080 width)
whose lines, broken by Chinese rules (`mediactl.text.linebreak`), fit the box width, whose block
(``size × (1 + (lines − 1) × line_height)``) fits the box height, and whose line count is
within ``max_lines``. No fit at min size is an error (or an ellipsis, if asked for). A
character the font has no glyph for is an error: mediactl never draws a tofu box.

Input images are turned upright by their EXIF orientation and converted to sRGB from their
ICC profile; images over 80 megapixels are refused. QR codes use error correction M, a quiet
zone of 2 modules and a whole number of pixels per module. Zero-width spaces and BOMs pasted
into texts are dropped; tabs become spaces.

Output is deterministic: the same layout, size, texts, images and URL give byte-identical
files (JPEG quality 88, optimised, 4:2:0, baseline, no EXIF; PNG without metadata).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, NoReturn

from mediactl.config.brand import DEFAULT_COLORS
from mediactl.config.yamlpos import KeyPath, LocatedYAML, dotted, load_located
from mediactl.core import confine
from mediactl.core.errors import MediactlError, Problem, relpath
from mediactl.graphics.fonts import FontError, load_font

FORMATS = ("jpeg", "png")
BUILTIN_PREFIX = "builtin/media"

RGB = tuple[int, int, int]
RGBA = tuple[int, int, int, int]

_COLOR = re.compile(r"#([0-9A-Fa-f]{6})([0-9A-Fa-f]{2})?")
_FIELD = re.compile(r"[a-z_][a-z0-9_]*")
_BRAND_COLOR = re.compile(r"brand\.([a-z]+)(?:\.(dark|light))?(?:/([0-9A-Fa-f]{2}))?")
_SHADE = 0.45  # how far .dark / .light mix the colour toward black / white
BRAND_LOGO = "brand.logo"
_LAYOUT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\ufeff\u2060"))  # zero-width marks pasted from editors


class LayoutError(MediactlError):
    """A media layout is invalid, or cannot be rendered with the texts and images given."""


# --------------------------------------------------------------------------- the layout model


@dataclass(frozen=True)
class BrandKit:
    """What a layout's ``brand.*`` references resolve to: colours by name, the logo file, fonts by weight.

    Frozen and hashable (a loaded layout is cached by it); built from the project's `brand:` by the
    renderers, `DEFAULT_KIT` when there is none."""

    colors: tuple[tuple[str, RGB], ...]
    logo: Path | None = None
    fonts: tuple[tuple[str, Path], ...] = ()

    @classmethod
    def of(
        cls, colors: Mapping[str, str], logo: Path | None = None, fonts: Mapping[str, Path] | None = None
    ) -> BrandKit:
        """From hex colours (#RRGGBB, as `mediactl.config.brand` validated them)."""
        rgb = {name: (int(v[1:3], 16), int(v[3:5], 16), int(v[5:7], 16)) for name, v in colors.items()}
        return cls(tuple(sorted(rgb.items())), logo, tuple(sorted((fonts or {}).items())))

    def color(self, name: str) -> RGB | None:
        return dict(self.colors).get(name)

    def font(self, weight: str) -> Path | None:
        return dict(self.fonts).get(weight)


DEFAULT_KIT = BrandKit.of(DEFAULT_COLORS)


@dataclass(frozen=True)
class Gradient:
    start: RGBA
    end: RGBA
    angle: float = 90.0


@dataclass(frozen=True)
class Background:
    color: RGB | None = None
    gradient: Gradient | None = None
    image: str | None = None
    fit: str = "cover"
    optional: bool = False
    transparent: bool = False  # nothing under the elements: drawn on an RGBA canvas, output as PNG only


@dataclass(frozen=True)
class Element:
    index: int
    box: tuple[float, float, float, float]

    @property
    def key(self) -> str:
        return f"elements[{self.index}]"


@dataclass(frozen=True)
class TextElement(Element):
    field: str | None = None
    literal: str | None = None
    font: Path | None = None
    weight: str = "Bold"
    script: str = "SC"
    size: tuple[int, int] = (40, 72)
    color: RGB = (255, 255, 255)
    align: str = "left"
    valign: str = "top"
    line_height: float = 1.3
    max_lines: int | None = None
    optional: bool = False
    overflow: str = "error"
    balance: bool = False
    stroke: tuple[float, RGBA] | None = None  # outline width (px at 1080 width) and colour
    name: str = ""  # the key of this element in RenderedImage.font_sizes

    @property
    def what(self) -> str:
        return f"text field {self.field!r}" if self.field else "literal text"


@dataclass(frozen=True)
class ImageElement(Element):
    slot: str = ""
    fit: str = "cover"
    radius: float = 0
    align: str = "center"
    valign: str = "middle"
    optional: bool = False


@dataclass(frozen=True)
class LogoElement(Element):
    path: Path | None = Path()  # None: brand.logo of a brand that has none (an optional element: skipped)
    align: str = "center"
    valign: str = "middle"


@dataclass(frozen=True)
class QrElement(Element):
    dark: RGB = (11, 42, 91)
    light: RGB = (255, 255, 255)
    align: str = "center"
    valign: str = "middle"
    optional: bool = False


@dataclass(frozen=True)
class RectElement(Element):
    color: RGBA | None = None
    gradient: Gradient | None = None
    radius: float = 0


@dataclass(frozen=True)
class Layout:
    """A validated layout. `file` is how messages name it; `folder` resolves relative paths."""

    name: str
    file: str
    folder: Path
    background: Background
    elements: tuple[Element, ...]
    positions: dict[KeyPath, tuple[int, int]] = field(default_factory=dict, compare=False, repr=False)

    def where(self, path: KeyPath, message: str) -> str:
        """`message` prefixed with the layout file, the line of `path` in it, and the key."""
        line, column = LocatedYAML(None, self.file, self.positions).position(path)
        return str(Problem(file=self.file, message=message, line=line, column=column, key=dotted(path) or None))


@dataclass(frozen=True)
class RenderedImage:
    data: bytes
    width: int
    height: int
    format: str  # "jpeg" or "png"
    font_sizes: dict[str, int]  # px chosen per text element: by field name, else "elements[i]"
    quality: int | None = None  # the JPEG quality used (lower than 88 only to meet max_bytes)


# --------------------------------------------------------------------------- finding and loading


def builtin_layout_dir() -> Path:
    """The folder of the layouts that ship with mediactl."""
    return Path(str(resources.files("mediactl"))) / "data" / "templates" / "media"


def find_layout(name: str, search: Sequence[Path]) -> Path:
    """The first ``<folder>/<name>.yaml`` along `search` (project folder first, builtin last)."""
    if not isinstance(name, str) or not _LAYOUT_NAME.fullmatch(name):
        raise LayoutError(f"media layout name {name!r} is not valid: use letters, digits, '.', '_' and '-'")
    looked: list[str] = []
    for folder in search:
        candidate = Path(folder) / f"{name}.yaml"
        if candidate.is_file():
            return candidate
        looked.append(str(candidate))
    where = "; ".join(looked) if looked else "no folders were given"
    raise LayoutError(f"media layout {name!r} not found; looked for: {where}")


def load_layout(path: Path, *, root: Path | None = None, brand: BrandKit = DEFAULT_KIT) -> Layout:
    """Read and validate a layout file; errors name the file, line and key.

    `root` (the project root) makes project files appear as ``templates/media/x.yaml``; `brand` is what
    the layout's ``brand.*`` references take.
    """
    path = Path(path)
    display = _display_layout(path, root)
    try:
        if root is not None and path.is_relative_to(root):  # a project layout: never through a link out
            text = confine.read_text(path, root, what="media layout")
        else:
            text = path.read_text("utf-8")
    except confine.OutsideProjectError as exc:
        raise LayoutError(exc.message) from None
    except FileNotFoundError:
        raise LayoutError(f"{display}: media layout file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LayoutError(f"{display}: cannot read the media layout: {exc}") from exc
    located = load_located(text, display)
    errors = [p for p in located.problems if p.is_error]
    if errors:
        raise LayoutError(str(errors[0]))
    return _Reader(located, path.parent, brand).layout(path.stem)


def _display_layout(path: Path, root: Path | None) -> str:
    try:
        return f"{BUILTIN_PREFIX}/{path.resolve().relative_to(builtin_layout_dir().resolve()).as_posix()}"
    except ValueError:
        return relpath(path, root)


class _Reader:
    """Validation of the parsed YAML into the model; the first problem raises LayoutError."""

    KEYS: ClassVar[dict[str, frozenset[str]]] = {
        "text": frozenset(
            "type box text literal font weight script size color align valign line_height max_lines optional overflow balance stroke".split()  # noqa: SIM905
        ),
        "image": frozenset(("type", "box", "slot", "fit", "radius", "align", "valign", "optional")),
        "logo": frozenset(("type", "box", "path", "align", "valign", "optional")),
        "qr": frozenset(("type", "box", "dark", "light", "align", "valign", "optional")),
        "rect": frozenset(("type", "box", "color", "gradient", "radius")),
    }

    def __init__(self, located: LocatedYAML, folder: Path, brand: BrandKit = DEFAULT_KIT) -> None:
        self.doc = located
        self.folder = folder
        self.brand = brand

    def fail(self, path: KeyPath, message: str) -> NoReturn:
        raise LayoutError(str(self.doc.problem(path, message)))

    def layout(self, default_name: str) -> Layout:
        data = self.doc.data
        if not isinstance(data, dict):
            self.fail((), "a media layout must be a mapping with background and elements")
        self.keys(data, (), {"name", "description", "background", "elements"}, required={"background", "elements"})
        name = data.get("name", default_name)
        if not isinstance(name, str) or not name.strip():
            self.fail(("name",), f"expected a non-empty string, got {name!r}")
        if "description" in data and not isinstance(data["description"], str):
            self.fail(("description",), "expected a string")
        background = self.background(data["background"], ("background",))
        elements = data["elements"]
        if not isinstance(elements, list):
            self.fail(("elements",), f"expected a list of elements, got {_kind(elements)}")
        parsed = tuple(self.element(item, ("elements", i), i) for i, item in enumerate(elements))
        parsed = self.name_texts(parsed)
        return Layout(name, self.doc.file, self.folder, background, parsed, dict(self.doc.positions))

    # -- pieces

    def keys(self, value: dict[str, Any], path: KeyPath, allowed: set[str] | frozenset[str], required=()) -> None:
        for key in value:
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                self.fail((*path, key), f"unknown key {key!r}; known keys here: {known}")
        for key in sorted(required):
            if key not in value:
                self.fail(path, f"{key!r} is required")

    def mapping(self, value: Any, path: KeyPath) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(path, f"expected a mapping, got {_kind(value)}")
        return value

    def background(self, value: Any, path: KeyPath) -> Background:
        value = self.mapping(value, path)
        self.keys(value, path, {"color", "gradient", "image", "fit", "optional", "transparent"})
        if self.boolean(value.get("transparent", False), (*path, "transparent")):
            if len(value) > 1:
                self.fail(path, "a transparent background has nothing under the elements: give transparent alone")
            return Background(transparent=True)
        if "color" in value and "gradient" in value:
            self.fail(path, "give either color or gradient, not both")
        if not ({"color", "gradient", "image"} & value.keys()):
            self.fail(path, "give a color, a gradient or an image (or transparent: true)")
        color = self.color(value["color"], (*path, "color"), alpha=False)[:3] if "color" in value else None
        gradient = self.gradient(value["gradient"], (*path, "gradient"), alpha=False) if "gradient" in value else None
        image = value.get("image")
        if image is not None:
            image = self.slot(image, (*path, "image"))
        elif "fit" in value or "optional" in value:
            self.fail(path, "fit and optional apply to a background image: add image: <slot>")
        if color is None and gradient is None:
            color = (0, 0, 0)
        return Background(
            color=color,
            gradient=gradient,
            image=image,
            fit=self.choice(value.get("fit", "cover"), (*path, "fit"), ("cover", "contain")),
            optional=self.boolean(value.get("optional", False), (*path, "optional")),
        )

    def element(self, value: Any, path: KeyPath, index: int) -> Element:
        value = self.mapping(value, path)
        kind = value.get("type")
        if kind is None:
            self.fail(path, f"'type' is required: one of {', '.join(self.KEYS)}")
        if kind not in self.KEYS:
            self.fail((*path, "type"), f"unknown element type {kind!r}; expected one of {', '.join(self.KEYS)}")
        self.keys(value, path, self.KEYS[kind], required={"box"})
        box = self.box(value["box"], (*path, "box"))
        return getattr(self, f"element_{kind}")(value, path, index, box)

    def element_text(self, value: dict[str, Any], path: KeyPath, index: int, box) -> TextElement:
        if ("text" in value) == ("literal" in value):
            self.fail(path, "a text element needs exactly one of text (a field name) or literal (the text itself)")
        field_name = literal = None
        if "text" in value:
            field_name = value["text"]
            if not isinstance(field_name, str) or not _FIELD.fullmatch(field_name):
                self.fail((*path, "text"), f"expected a field name such as title or summary, got {field_name!r}")
        else:
            literal = value["literal"]
            if not isinstance(literal, str) or not literal.strip():
                self.fail((*path, "literal"), "expected non-empty text")
        size = self.size(value.get("size", [40, 72]), (*path, "size"))
        line_height = self.number(value.get("line_height", 1.3), (*path, "line_height"), 0.5, 4)
        max_lines = value.get("max_lines")
        if max_lines is not None:
            max_lines = self.integer(max_lines, (*path, "max_lines"), 1, 100)
        font = value.get("font")
        if font is not None:
            if not isinstance(font, str) or not font.strip():
                self.fail((*path, "font"), "expected the path of a font file, relative to this layout")
            font = (self.folder / font).resolve()
        weight = value.get("weight", "Bold")
        script = value.get("script", "SC")
        if not isinstance(weight, str):
            self.fail((*path, "weight"), f"expected a weight name such as Bold, got {weight!r}")
        if font is None:
            font = self.brand.font(weight)  # the bank's own face for this weight, if it has one
        if not isinstance(script, str):
            self.fail((*path, "script"), f"expected SC or TC, got {script!r}")
        try:
            load_font(16, weight, script, font)  # validates weight and font file at load time
        except FontError as exc:
            self.fail((*path, {"path": "font"}.get(exc.field, exc.field)), exc.message)
        return TextElement(
            index=index,
            box=box,
            field=field_name,
            literal=literal,
            font=font,
            weight=weight,
            script=script.upper(),
            size=size,
            color=self.color(value.get("color", "#FFFFFF"), (*path, "color"), alpha=False)[:3],
            align=self.choice(value.get("align", "left"), (*path, "align"), ("left", "center", "right")),
            valign=self.choice(value.get("valign", "top"), (*path, "valign"), ("top", "middle", "bottom")),
            line_height=line_height,
            max_lines=max_lines,
            optional=self.boolean(value.get("optional", False), (*path, "optional")),
            overflow=self.choice(value.get("overflow", "error"), (*path, "overflow"), ("error", "ellipsis")),
            balance=self.boolean(value.get("balance", False), (*path, "balance")),
            stroke=self.stroke(value["stroke"], (*path, "stroke")) if "stroke" in value else None,
        )

    def element_image(self, value: dict[str, Any], path: KeyPath, index: int, box) -> ImageElement:
        if "slot" not in value:
            self.fail(path, "'slot' is required: the name of an image given to the renderer")
        return ImageElement(
            index=index,
            box=box,
            slot=self.slot(value["slot"], (*path, "slot")),
            fit=self.choice(value.get("fit", "cover"), (*path, "fit"), ("cover", "contain")),
            radius=self.number(value.get("radius", 0), (*path, "radius"), 0, 10_000),
            align=self.choice(value.get("align", "center"), (*path, "align"), ("left", "center", "right")),
            valign=self.choice(value.get("valign", "middle"), (*path, "valign"), ("top", "middle", "bottom")),
            optional=self.boolean(value.get("optional", False), (*path, "optional")),
        )

    def element_logo(self, value: dict[str, Any], path: KeyPath, index: int, box) -> LogoElement:
        if "path" not in value:
            self.fail(path, "'path' is required: the logo file, relative to this layout")
        raw = value["path"]
        if not isinstance(raw, str) or not raw.strip():
            self.fail((*path, "path"), f"expected a file path, got {raw!r}")
        optional = self.boolean(value.get("optional", False), (*path, "optional"))
        if raw == BRAND_LOGO:
            return self.brand_logo(value, path, index, box, optional)
        if optional:
            self.fail((*path, "optional"), "optional applies to path: brand.logo (a file named here must exist)")
        file = (self.folder / raw).resolve()
        if not file.is_file():
            self.fail((*path, "path"), f"logo file not found: {raw} (looked at {file})")
        return LogoElement(
            index=index,
            box=box,
            path=file,
            align=self.choice(value.get("align", "center"), (*path, "align"), ("left", "center", "right")),
            valign=self.choice(value.get("valign", "middle"), (*path, "valign"), ("top", "middle", "bottom")),
        )

    def brand_logo(self, value: dict[str, Any], path: KeyPath, index: int, box, optional: bool) -> LogoElement:
        if self.brand.logo is None and not optional:
            self.fail(
                (*path, "path"), "the brand has no logo: set brand.logo in mediactl.yaml, or mark this optional: true"
            )
        return LogoElement(
            index=index,
            box=box,
            path=self.brand.logo,
            align=self.choice(value.get("align", "center"), (*path, "align"), ("left", "center", "right")),
            valign=self.choice(value.get("valign", "middle"), (*path, "valign"), ("top", "middle", "bottom")),
        )

    def element_qr(self, value: dict[str, Any], path: KeyPath, index: int, box) -> QrElement:
        return QrElement(
            index=index,
            box=box,
            dark=self.color(value.get("dark", "#0B2A5B"), (*path, "dark"), alpha=False)[:3],
            light=self.color(value.get("light", "#FFFFFF"), (*path, "light"), alpha=False)[:3],
            align=self.choice(value.get("align", "center"), (*path, "align"), ("left", "center", "right")),
            valign=self.choice(value.get("valign", "middle"), (*path, "valign"), ("top", "middle", "bottom")),
            optional=self.boolean(value.get("optional", False), (*path, "optional")),
        )

    def element_rect(self, value: dict[str, Any], path: KeyPath, index: int, box) -> RectElement:
        if ("color" in value) == ("gradient" in value):
            self.fail(path, "a rect needs exactly one of color or gradient")
        return RectElement(
            index=index,
            box=box,
            color=self.color(value["color"], (*path, "color"), alpha=True) if "color" in value else None,
            gradient=self.gradient(value["gradient"], (*path, "gradient"), alpha=True) if "gradient" in value else None,
            radius=self.number(value.get("radius", 0), (*path, "radius"), 0, 10_000),
        )

    def name_texts(self, elements: tuple[Element, ...]) -> tuple[Element, ...]:
        """Key text elements by field name in font_sizes, unless a field is used twice."""
        fields = [e.field for e in elements if isinstance(e, TextElement) and e.field]
        out: list[Element] = []
        for e in elements:
            if isinstance(e, TextElement):
                unique = e.field is not None and fields.count(e.field) == 1
                e = replace(e, name=e.field if unique and e.field is not None else e.key)
            out.append(e)
        return tuple(out)

    def stroke(self, value: Any, path: KeyPath) -> tuple[float, RGBA]:
        value = self.mapping(value, path)
        self.keys(value, path, {"width", "color"}, required={"width"})
        width = self.number(value["width"], (*path, "width"), 0, 50)
        return width, self.color(value.get("color", "#000000"), (*path, "color"), alpha=True)

    # -- scalars

    def gradient(self, value: Any, path: KeyPath, *, alpha: bool) -> Gradient:
        value = self.mapping(value, path)
        self.keys(value, path, {"from", "to", "angle"}, required={"from", "to"})
        return Gradient(
            start=self.color(value["from"], (*path, "from"), alpha=alpha),
            end=self.color(value["to"], (*path, "to"), alpha=alpha),
            angle=self.number(value.get("angle", 90), (*path, "angle"), 0, 360),
        )

    def color(self, value: Any, path: KeyPath, *, alpha: bool) -> RGBA:
        if isinstance(value, str) and value.startswith("brand."):
            return self.brand_color(value, path, alpha=alpha)
        match = _COLOR.fullmatch(value) if isinstance(value, str) else None
        if match is None or (match.group(2) and not alpha):
            shape = '"#RRGGBB" or "#RRGGBBAA"' if alpha else '"#RRGGBB"'
            got = "nothing (quote it: an unquoted # starts a YAML comment)" if value is None else repr(value)
            self.fail(path, f"expected a colour like {shape}, got {got}")
        digits = match.group(1) + (match.group(2) or "FF")
        r, g, b, a = (int(digits[i : i + 2], 16) for i in range(0, 8, 2))
        return (r, g, b, a)

    def brand_color(self, value: str, path: KeyPath, *, alpha: bool) -> RGBA:
        """``brand.NAME[.dark|.light][/AA]``: the brand's colour, a shade of it, with an alpha."""
        match = _BRAND_COLOR.fullmatch(value)
        rgb = self.brand.color(match.group(1)) if match else None
        if match is None or rgb is None:
            names = ", ".join(f"brand.{name}" for name, _ in self.brand.colors)
            self.fail(path, f"unknown brand colour {value!r}: use one of {names}, optionally .dark/.light and /AA")
        if match.group(3) and not alpha:
            self.fail(path, f"{value!r}: no alpha here (this colour is opaque), drop the /{match.group(3)}")
        target = {"dark": 0, "light": 255}.get(match.group(2) or "")
        r, g, b = rgb if target is None else (round(c + (target - c) * _SHADE) for c in rgb)
        return (r, g, b, int(match.group(3), 16) if match.group(3) else 255)

    def box(self, value: Any, path: KeyPath) -> tuple[float, float, float, float]:
        shape = "expected [x, y, w, h] as fractions of the canvas (0 to 1)"
        if not isinstance(value, list) or len(value) != 4 or not all(_is_number(v) for v in value):
            self.fail(path, f"{shape}, got {value!r}")
        x, y, w, h = (float(v) for v in value)
        if not (0 <= x <= 1 and 0 <= y <= 1 and 0 < w <= 1 and 0 < h <= 1):
            self.fail(path, f"{shape} with w and h above 0, got {value!r}")
        if x + w > 1.0001 or y + h > 1.0001:
            self.fail(path, f"the box {value!r} reaches outside the canvas (x + w and y + h must be at most 1)")
        return (x, y, w, h)

    def size(self, value: Any, path: KeyPath) -> tuple[int, int]:
        if _is_int(value):
            value = [value, value]
        if not isinstance(value, list) or len(value) != 2 or not all(_is_int(v) for v in value):
            self.fail(path, f"expected [min, max] in px at 1080 width, got {value!r}")
        low, high = value
        if not 4 <= low <= high <= 1000:
            self.fail(path, f"expected 4 ≤ min ≤ max ≤ 1000, got {value!r}")
        return (low, high)

    def slot(self, value: Any, path: KeyPath) -> str:
        if not isinstance(value, str) or not _FIELD.fullmatch(value):
            self.fail(path, f"expected an image slot name such as cover or master, got {value!r}")
        return value

    def choice(self, value: Any, path: KeyPath, options: tuple[str, ...]) -> str:
        if value not in options:
            self.fail(path, f"expected one of {', '.join(options)}, got {value!r}")
        return value

    def boolean(self, value: Any, path: KeyPath) -> bool:
        if not isinstance(value, bool):
            self.fail(path, f"expected true or false, got {value!r}")
        return value

    def number(self, value: Any, path: KeyPath, low: float, high: float) -> float:
        if not _is_number(value) or not low <= value <= high:
            self.fail(path, f"expected a number from {low:g} to {high:g}, got {value!r}")
        return float(value)

    def integer(self, value: Any, path: KeyPath, low: int, high: int) -> int:
        if not _is_int(value) or not low <= value <= high:
            self.fail(path, f"expected a whole number from {low} to {high}, got {value!r}")
        return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", type(None): "nothing"}.get(type(value), repr(value))


# --------------------------------------------------------------------------- rendering
