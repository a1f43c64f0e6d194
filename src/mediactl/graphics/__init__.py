"""Graphics: media layouts (YAML) drawn at each platform's size.

`layout` is the schema, loader and lookup, and imports no Pillow, so the render
cache can locate and hash layouts cheaply; `draw` renders them with Pillow.
Public names are re-exported lazily from both.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_LAYOUT = ("Layout", "LayoutError", "RenderedImage", "builtin_layout_dir", "find_layout", "load_layout")
_DRAW = ("render_image",)
__all__ = [*_LAYOUT, *_DRAW]


def __getattr__(name: str) -> Any:
    for module in ("layout", "draw"):
        found = import_module(f"mediactl.graphics.{module}")
        if hasattr(found, name):
            return getattr(found, name)
    raise AttributeError(f"module 'mediactl.graphics' has no attribute {name!r}")
