"""Where a template name's source file is, and what it depends on, without importing Jinja.

The render cache needs, for every variant, a hash of its template and of every
template that one extends, includes or imports. Doing that with Jinja's parser
costs an import and a parse per run; the references are plain string literals,
so a regular expression over the source finds them, and the lookup below follows
the same order as the Jinja loader in `templates.environment`.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only
    from mediactl.config.model import Channel

BUILTIN_PREFIX = "builtin/"
_REFERENCE = re.compile(r"""\{%-?\s*(?:extends|include|import|from)\s+(["'])(.+?)\1""")


@cache
def packaged_root() -> Path:
    return Path(str(resources.files("mediactl") / "data" / "templates"))


@cache
def plugin_roots() -> tuple[Path, ...]:
    from mediactl.config.platforms import plugin_template_folders  # lazy: reads entry points

    return tuple(Path(str(folder)) for folder in plugin_template_folders())


def locate(name: str, project_templates: Path) -> Path | None:
    """The file Jinja would load for `name`: the project's first, then the packaged one, then a plug-in's."""
    if name.startswith(BUILTIN_PREFIX):
        candidates = [packaged_root() / name[len(BUILTIN_PREFIX) :]]
    else:
        candidates = [project_templates / name, packaged_root() / name, *(root / name for root in plugin_roots())]
    return next((path for path in candidates if path.is_file()), None)


def template_for(kind: str, channel: Channel) -> list[str]:
    """Candidates in order: the channel's own template for this kind (`templates: {article: …}`),
    else `<platform>/<kind>.j2`, else `<platform>/default.j2`."""
    if kind in channel.templates:
        return [channel.templates[kind]]
    return [f"{channel.platform}/{kind}.j2", f"{channel.platform}/default.j2"]


def select(names: list[str], project_templates: Path) -> str:
    """The first of `names` that exists; the first name when none does (the render reports it)."""
    return next((name for name in names if locate(name, project_templates)), names[0])


def dependency_hash(name: str, project_templates: Path) -> str:
    """sha256 over `name`'s source and, transitively, every template it references."""
    digest = hashlib.sha256()
    seen: set[str] = set()
    pending = [name]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        path = locate(current, project_templates)
        if path is None:
            digest.update(f"missing:{current}\0".encode())
            continue
        source = path.read_bytes()
        digest.update(current.encode() + b"\0" + source + b"\0")
        pending.extend(match.group(2) for match in _REFERENCE.finditer(source.decode("utf-8", "replace")))
    return digest.hexdigest()
