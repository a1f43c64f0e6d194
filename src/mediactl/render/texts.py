"""The text fields of one variant: template output or front-matter override, then the hard limits.

A text over a platform's hard limit is an error for that variant with the
field, the length, the limit and its source. It is never cut silently: only a
template that asks for it (`| fit("title")`) truncates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mediactl.config.model import Channel, Config
from mediactl.config.platforms import FieldSpec
from mediactl.library.content import Item
from mediactl.render import context as variant_context
from mediactl.render.context import VariantSettings
from mediactl.render.errors import VariantError
from mediactl.render.sources import select, template_for
from mediactl.render.templates import environment, render_fields
from mediactl.text import textfit

OVERRIDABLE_ROLES = ("title", "summary", "body")


@dataclass(frozen=True)
class Texts:
    template: str
    fields: dict[str, str]
    settings: VariantSettings
    context: dict[str, Any]


def render_texts(item: Item, channel: Channel, config: Config) -> Texts:
    context, settings = variant_context.build(item, channel, config)
    names = template_for(item.kind, channel)
    overrides = {
        spec.name: variant_context.override(item, channel, spec.role)
        for spec in settings.fields.values()
        if spec.role in OVERRIDABLE_ROLES
    }
    overrides = {
        key: with_hashtags(str(value).strip(), settings, key, context["hashtags"])
        for key, value in overrides.items()
        if value is not None
    }
    wanted = [name_ for name_ in settings.fields if name_ not in overrides]
    env = environment(config.templates_path, config.root)
    name, rendered = (
        render_fields(env, names, wanted, context) if wanted else (select(names, config.templates_path), {})
    )
    fields = {name_: overrides.get(name_, rendered.get(name_, "")) for name_ in settings.fields}
    problems = [p for spec in settings.fields.values() if (p := limit_problem(spec, fields[spec.name], channel))]
    if problems:
        hint = (
            "shorten the text, add an override in front matter "
            f'(overrides: {{{channel.platform}: {{title: …}}}}), or truncate in the template with | fit("field")'
        )
        raise VariantError(item.file, "; ".join(problems) + f" (hint: {hint})")
    return Texts(name, fields, settings, context)


def with_hashtags(text: str, settings: VariantSettings, field: str, tags: list[str]) -> str:
    """An override replaces the text the template would write, but the platform's topics still
    belong in its hashtag field (抖音 `text` = title + #话题)."""
    if settings.platform.hashtag_field != field or not tags:
        return text
    formatted = textfit.format_hashtags(tags, settings.platform.hashtag_style)
    separator = "\n\n" if settings.fields[field].role == "body" else " "
    return f"{text}{separator}{formatted}" if formatted else text


def limit_problem(spec: FieldSpec, text: str, channel: Channel) -> str | None:
    """Why `text` breaks the field's hard limits on this channel, or None."""
    where = f"{channel.platform} field '{spec.name}'"
    if spec.required and not text:
        return f"{where} is empty but required"
    length = textfit.count(text, spec.count)
    unit = "characters" if spec.count == "chars" else f"units ({spec.count})"
    if length > spec.max:
        return f"{where} is {length} {unit}, over the limit of {spec.max} [{spec.source or 'channel limit'}]"
    if spec.min and text and length < spec.min:
        return f"{where} is {length} {unit}, under the minimum of {spec.min} [{spec.source}]"
    if spec.max_bytes and len(text.encode("utf-8")) > spec.max_bytes:
        size = len(text.encode("utf-8"))
        return f"{where} is {size} bytes, over the limit of {spec.max_bytes} bytes [{spec.source}]"
    return None
