"""Jinja templates for text variants: one template per platform and kind, one block per field.

``templates/<platform>/<kind>.j2`` in the content repository overrides the packaged
template of the same name; the packaged one stays reachable as
``builtin/<platform>/<kind>.j2`` so a project can extend it and override one block.
The environment is sandboxed (templates are content, not code), bounded in time and
output (`limits`), and undefined variables are errors that name the template file and line.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    FileSystemLoader,
    PackageLoader,
    PrefixLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    pass_context,
)
from jinja2.debug import rewrite_traceback_stack
from jinja2.sandbox import SandboxedEnvironment

from mediactl.config.platforms import plugins
from mediactl.core import confine
from mediactl.core.errors import relpath
from mediactl.render import filters
from mediactl.render.errors import VariantError
from mediactl.render.limits import BoundedEnvironment, RenderLimitError, deadline, joined

PACKAGED = "data/templates"


def template_name(platform: str, kind: str) -> str:
    return f"{platform}/{kind}.j2"


class ConfinedLoader(FileSystemLoader):
    """The project's templates, and nothing a link in them points to outside the project.

    Jinja's FileSystemLoader follows symbolic links, so `{% include "footer.j2" %}` with
    footer.j2 → ~/.ssh/id_ed25519 would put that file into a variant (and from there onto a
    platform). Every source is resolved and confined to the project root before it is read.
    """

    def __init__(self, searchpath: Path, root: Path) -> None:
        super().__init__(str(searchpath))
        self.root = root

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        try:
            confine.confined(Path(filename), self.root, what="template")
        except confine.OutsideProjectError as exc:
            raise VariantError(relpath(Path(filename), self.root), exc.message.split(": ", 1)[1]) from None
        return source, filename, uptodate


@cache
def environment(project_templates: Path, root: Path | None = None) -> SandboxedEnvironment:
    """One environment per project and process: templates are compiled once, filters built once."""
    packaged = PackageLoader("mediactl", PACKAGED)
    project = ConfinedLoader(project_templates, root or project_templates.parent)
    plugged = [PackageLoader(p.package, "templates") for p in plugins().values() if p.templates]  # plug-in platforms'
    loader = ChoiceLoader([project, PrefixLoader({"builtin": packaged}), packaged, *plugged])
    env = BoundedEnvironment(
        loader=loader,
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    for name, function in filters.FILTERS.items():
        env.filters[name] = pass_context(_with_variant(function))
    return env


def _with_variant(function: Callable[..., Any]) -> Callable[..., Any]:
    """Filters receive the variant's settings (platform, channel, tracking) from the template context."""

    def filter_(context: Any, value: Any, *args: Any, **kwargs: Any) -> Any:
        return function(context["_variant"], value, *args, **kwargs)

    filter_.__name__ = function.__name__
    filter_.__doc__ = function.__doc__
    return filter_


def render_fields(
    env: SandboxedEnvironment, names: list[str], fields: list[str], context: Mapping[str, Any]
) -> tuple[str, dict[str, str]]:
    """Render the named blocks of the first template of `names` that exists; return its name too.

    A block missing from the template is an error naming the template and the field.
    """
    template = _load(env, names)
    shown = display_name(env, template.name)
    ctx = template.new_context(dict(context))
    try:
        with deadline():
            joined(template.root_render_func(ctx))  # runs `extends`, so ctx.blocks holds the whole chain
            missing = [field for field in fields if field not in ctx.blocks]
            if missing:
                raise VariantError(shown, f"no block for field {', '.join(repr(m) for m in missing)}")
            return template.name, {field: joined(ctx.blocks[field][0](ctx)).strip() for field in fields}
    except VariantError:
        raise
    except Exception as exc:  # template runtime errors: undefined names, sandbox refusals, filter errors
        raise VariantError(_location(env, shown), _message(exc)) from None


def _load(env: SandboxedEnvironment, names: list[str]) -> Any:
    try:
        return env.select_template(names)
    except TemplateSyntaxError as exc:
        where = f"{display_name(env, exc.name or names[0])}:{exc.lineno}"
        raise VariantError(where, f"template syntax error: {exc.message}") from None
    except TemplateNotFound:
        tried = ", ".join(f"templates/{n}" for n in names)
        raise VariantError(f"templates/{names[0]}", f"template not found (looked for {tried})") from None


def _location(env: SandboxedEnvironment, shown: str) -> str:
    """`templates/x.j2:LINE` of the innermost template frame of the exception being handled."""
    try:
        rewritten = rewrite_traceback_stack(source=None)
    except Exception:
        return shown
    where = shown
    for frame, lineno in traceback.walk_tb(rewritten.__traceback__):
        filename = frame.f_code.co_filename
        if filename.endswith(".j2"):
            where = f"{_shorten(env, filename)}:{lineno}"
    return where


def _message(exc: Exception) -> str:
    if isinstance(exc, RenderLimitError):
        return f"template stopped: {exc}"
    if isinstance(exc, TemplateError):
        return f"template error: {exc.message or exc}"
    return f"template error: {type(exc).__name__}: {exc}"


def display_name(env: SandboxedEnvironment, name: str) -> str:
    """How a template is named in messages: its project path, or `mediactl:` for packaged ones."""
    try:
        _, filename, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
    except TemplateNotFound:
        return f"templates/{name}"
    return _shorten(env, filename or name)


def _shorten(env: SandboxedEnvironment, filename: str) -> str:
    project = Path(env.loader.loaders[0].searchpath[0])  # type: ignore[union-attr]
    path = Path(filename)
    try:
        return (Path("templates") / path.resolve().relative_to(project.resolve())).as_posix()
    except ValueError:
        marker = "mediactl/data/templates/"
        text = path.as_posix()
        return "mediactl:" + text.split(marker, 1)[1] if marker in text else text
