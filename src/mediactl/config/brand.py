"""`brand:` in mediactl.yaml: the bank's name, logo, colours, fonts, disclosure style and seasonal themes.

One place says what the bank looks like, so every cover, title card and WeChat article agrees with the
others and a seasonal campaign (春节: red and gold) is one `theme:` line in an item, not a set of copied
layouts. Validated with the config (file:line:key for every problem); nothing here draws or imports
Pillow: the renderers turn a `Resolved` brand into what they need.

    brand:
      name: 示例银行
      logo: templates/brand/logo.svg      # SVG (self-contained), PNG, JPEG or WebP, relative to the project
      colors: {primary: "#0B2A5B", accent: "#C9A35B", text: "#FFFFFF", background: "#F5F7FA"}
      fonts: {Bold: fonts/BankSans-Bold.otf}   # the bank's own faces by weight; others: the bundled font
      disclosure: {style: box, title: 风险提示}  # box (bordered, 醒目) | banner (filled)
      themes:
        春节:
          colors: {primary: "#B3121B", accent: "#F2C14E"}
          from: 01-20                     # MM-DD recurs every year (a range may wrap the new year),
          to: 02-20                       #   YYYY-MM-DD is one date; an item's `theme:` wins over dates
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from mediactl.config.schema import Checker
from mediactl.config.yamlpos import KeyPath

BRAND_KEYS = ("name", "logo", "colors", "fonts", "disclosure", "themes")
COLOR_NAMES = ("primary", "accent", "text", "background")
THEME_KEYS = ("colors", "logo", "from", "to")
DISCLOSURE_KEYS = ("style", "title")
DISCLOSURE_STYLES = ("box", "banner")
FONT_WEIGHTS = ("Thin", "Light", "DemiLight", "Regular", "Medium", "Bold", "Black")
LOGO_SUFFIXES = (".svg", ".png", ".jpg", ".jpeg", ".webp")  # SVG drawn at the box's size (graphics/svg.py)
FONT_SUFFIXES = (".otf", ".ttf", ".ttc", ".otc")
HEX = re.compile(r"#[0-9A-Fa-f]{6}")
DAY = re.compile(r"^(?:(\d{4})-)?(\d{2})-(\d{2})$")

# The look when a project names no brand: the deep blue and gold the packaged layouts were drawn in.
DEFAULT_COLORS: dict[str, str] = {"primary": "#0B2A5B", "accent": "#C9A35B", "text": "#FFFFFF", "background": "#F5F7FA"}


@dataclass(frozen=True)
class Day:
    """A theme's start or end: every year on month-day when `year` is None, else that one date."""

    month: int
    day: int
    year: int | None = None

    def on(self, year: int) -> date:
        return date(self.year or year, self.month, self.day)


@dataclass(frozen=True)
class Theme:
    name: str
    colors: dict[str, str] = field(default_factory=dict)  # only the colours it changes
    logo: str | None = None
    start: Day | None = None
    end: Day | None = None

    def covers(self, when: date) -> bool:
        """Whether `when` falls in the theme's dates (a recurring range may wrap the new year: 12-20 to 01-10)."""
        if self.start is None or self.end is None:
            return False
        if self.start.year is not None or self.end.year is not None:
            return self.start.on(when.year) <= when <= self.end.on(when.year)
        start, end = (self.start.month, self.start.day), (self.end.month, self.end.day)
        day = (when.month, when.day)
        return start <= day <= end if start <= end else (day >= start or day <= end)


@dataclass(frozen=True)
class Disclosure:
    style: str = "box"
    title: str = "风险提示"


@dataclass(frozen=True)
class Resolved:
    """The brand as one item shows it: its theme's colours and logo over the base ones."""

    name: str
    colors: dict[str, str]
    logo: Path | None
    fonts: dict[str, Path]
    disclosure: Disclosure
    theme: str | None


@dataclass(frozen=True)
class Brand:
    name: str = ""
    logo: str | None = None  # relative to the project root
    colors: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_COLORS))
    fonts: dict[str, str] = field(default_factory=dict)  # weight → file relative to the project root
    disclosure: Disclosure = Disclosure()
    themes: dict[str, Theme] = field(default_factory=dict)

    def theme_for(self, chosen: str | None, when: date | None) -> Theme | None:
        """The item's own `theme:` if it names one, else the first theme whose dates hold `when`."""
        if chosen:
            return self.themes.get(chosen)
        if when is None:
            return None
        return next((theme for theme in self.themes.values() if theme.covers(when)), None)

    def resolve(self, root: Path, chosen: str | None = None, when: date | None = None) -> Resolved:
        theme = self.theme_for(chosen, when)
        colors = {**self.colors, **(theme.colors if theme else {})}
        logo = (theme.logo if theme and theme.logo else None) or self.logo
        return Resolved(
            name=self.name,
            colors=colors,
            logo=root / logo if logo else None,
            fonts={weight: root / file for weight, file in self.fonts.items()},
            disclosure=self.disclosure,
            theme=theme.name if theme else None,
        )


def parse_brand(check: Checker, raw: Any, root: Path, default_name: str) -> Brand:
    """`brand:` validated; a missing block is the default look under the project's name."""
    path: KeyPath = ("brand",)
    data = check.mapping(raw, path, known=BRAND_KEYS)
    name = check.string(data.get("name"), (*path, "name")) or default_name
    logo = _file(check, data.get("logo"), (*path, "logo"), root, LOGO_SUFFIXES, "logo")
    colors = {**DEFAULT_COLORS, **_colors(check, data.get("colors"), (*path, "colors"))}
    fonts = _fonts(check, data.get("fonts"), (*path, "fonts"), root)
    disclosure = _disclosure(check, data.get("disclosure"), (*path, "disclosure"))
    themes = _themes(check, data.get("themes"), (*path, "themes"), root)
    return Brand(name, logo, colors, fonts, disclosure, themes)


def _colors(check: Checker, raw: Any, path: KeyPath) -> dict[str, str]:
    data = check.mapping(raw, path, known=COLOR_NAMES, what="colour")
    out = {}
    for name in COLOR_NAMES:
        if name not in data:
            continue
        value = data[name]
        if not isinstance(value, str) or not HEX.fullmatch(value):
            shown = "nothing (quote it: an unquoted # starts a YAML comment)" if value is None else repr(value)
            check.error((*path, name), f'expected a colour like "#0B2A5B", got {shown}')
            continue
        out[name] = value.upper()
    return out


def _file(check: Checker, raw: Any, path: KeyPath, root: Path, suffixes: tuple[str, ...], what: str) -> str | None:
    value = check.string(raw, path)
    if value is None:
        return None
    relative = Path(value)
    if relative.is_absolute() or ".." in relative.parts:
        check.error(path, f"the {what} must be a file inside the project, relative to it: {value}")
        return None
    if relative.suffix.lower() not in suffixes:
        check.error(path, f"the {what} must be one of {', '.join(suffixes)}, got {value}")
        return None
    if not (root / relative).is_file():
        check.error(path, f"{what} file not found: {value} (relative to the project folder)")
        return None
    return relative.as_posix()


def _fonts(check: Checker, raw: Any, path: KeyPath, root: Path) -> dict[str, str]:
    data = check.mapping(raw, path, known=FONT_WEIGHTS, what="font weight")
    out = {}
    for weight, value in data.items():
        if weight in FONT_WEIGHTS:
            found = _file(check, value, (*path, weight), root, FONT_SUFFIXES, "font")
            if found:
                out[weight] = found
    return out


def _disclosure(check: Checker, raw: Any, path: KeyPath) -> Disclosure:
    data = check.mapping(raw, path, known=DISCLOSURE_KEYS)
    style = check.string(data.get("style"), (*path, "style"), choices=DISCLOSURE_STYLES, what="disclosure style")
    title = check.string(data.get("title"), (*path, "title"))
    return Disclosure(style or "box", "风险提示" if title is None else title)


def _themes(check: Checker, raw: Any, path: KeyPath, root: Path) -> dict[str, Theme]:
    data = check.mapping(raw, path)
    out = {}
    for name, value in data.items():
        where = (*path, str(name))
        theme = check.mapping(value, where, known=THEME_KEYS)
        start = _day(check, theme.get("from"), (*where, "from"))
        end = _day(check, theme.get("to"), (*where, "to"))
        if (start is None) != (end is None):
            check.error(where, "give both from and to (a date range), or neither (chosen by an item's theme:)")
        elif start and end and (start.year is None) != (end.year is None):
            check.error(where, "from and to must both recur (MM-DD) or both be dates (YYYY-MM-DD)")
        out[str(name)] = Theme(
            str(name),
            _colors(check, theme.get("colors"), (*where, "colors")),
            _file(check, theme.get("logo"), (*where, "logo"), root, LOGO_SUFFIXES, "logo"),
            start,
            end,
        )
    return out


def _day(check: Checker, raw: Any, path: KeyPath) -> Day | None:
    if raw is None:
        return None
    text = raw.isoformat() if isinstance(raw, date) else str(raw)
    match = DAY.fullmatch(text)
    if match is None:
        check.error(path, f"expected MM-DD (every year) or YYYY-MM-DD, got {raw!r}")
        return None
    year = int(match.group(1)) if match.group(1) else None
    try:
        date(year or 2024, int(match.group(2)), int(match.group(3)))  # 2024: a leap year, so 02-29 recurs
    except ValueError:
        check.error(path, f"no such day: {text}")
        return None
    return Day(int(match.group(2)), int(match.group(3)), year)
