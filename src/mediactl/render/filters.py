"""The Jinja filters templates use, built once per environment.

Each filter receives the variant's settings first (platform facts, channel
tracking parameters, effective limits), so templates stay short:
``{{ item.title | fit("title") }}`` fits the title to this platform's limit,
counted the way this platform counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from mediactl.config.platforms import FieldSpec
from mediactl.render import wechat_style
from mediactl.render.context import VariantSettings
from mediactl.text import markup, textfit


def fit(variant: VariantSettings, text: str, field: str, ellipsis: str = "…", reserve: str = "") -> str:
    """Fit to the limit of `field` on this channel: whole sentences, else a clause and the ellipsis (a warning).

    `reserve` is text the template appends after this one (a link, hashtags): its length
    is kept free, so `{{ body | fit("status", reserve=tail) }}{{ tail }}` fits as a whole.
    A shortened text is followed by the platform's read-more line where it allows links.
    """
    spec = variant.field(field)
    fitted = textfit.fit_text(str(text), _room(spec, str(reserve)), spec.count, ellipsis)
    more = variant.read_more(str(reserve)) if fitted.cut else ""
    if more:
        fitted = textfit.fit_text(str(text), _room(spec, more + str(reserve)), spec.count, ellipsis)
    if fitted.cut in ("clause", "word"):
        variant.warn(
            f"field '{field}': no whole sentence fits in {spec.max} ({spec.count}), so it ends "
            f"{'at a clause' if fitted.cut == 'clause' else 'mid-clause'} with {ellipsis or 'no ellipsis'}: "
            f"「{fitted.text[-12:]}」; shorten the first sentence or add an override in front matter"
        )
    return fitted.text + more if fitted.text else fitted.text


def _room(spec: FieldSpec, tail: str) -> int:
    """What is left of the field's limit once `tail` (text that follows in the same field) is counted."""
    room = spec.max - textfit.count(tail, spec.count) if tail else spec.max
    if spec.max_bytes:
        room = min(room, spec.max_bytes - len(tail.encode("utf-8"))) if spec.count == "bytes" else room
    return max(room, 0)


def truncate_to(variant: VariantSettings, text: str, limit: int, mode: str = "chars", ellipsis: str = "…") -> str:
    return textfit.truncate(str(text), int(limit), mode, ellipsis)


def count(variant: VariantSettings, text: str, mode: str = "chars") -> int:
    return textfit.count(str(text), mode)


def hashtags(variant: VariantSettings, tags: Iterable[str], style: str | None = None) -> str:
    """Tags in this platform's syntax: 微博 #话题#, 抖音 #话题, none where the platform has none."""
    return textfit.format_hashtags(list(tags), style or variant.platform.hashtag_style)


def wechat_html(variant: VariantSettings, source: str, drop_title: bool = True) -> str:
    """Markdown → inline-styled HTML in the brand's colours; external links become footnotes where only 阅读原文
    may link out; the body's leading H1 is left out (WeChat shows the article's title above the body)."""
    link_mode = "keep" if variant.platform.link_policy == "allowed" else "footnote"
    converted = markup.to_wechat_html(
        str(source), tracking=variant.tracking, link_mode=link_mode,
        styles=wechat_style.styles(variant.brand), drop_title=drop_title,
    )  # fmt: skip
    variant.collect(converted)
    return converted.text


def wechat_disclosures(variant: VariantSettings, sentences: Iterable[str]) -> str:
    """The required disclosures as the brand's bordered box at full text size (醒目), or nothing."""
    return wechat_style.disclosure_box(variant.brand, [str(s) for s in sentences])


def wechat_read_more(variant: VariantSettings, link: str) -> str:
    """The line pointing to 阅读原文, when the article has one (a `content_source_url`)."""
    return wechat_style.read_more(variant.brand) if link else ""


def html(variant: VariantSettings, source: str) -> str:
    converted = markup.to_html(str(source), tracking=variant.tracking)
    variant.collect(converted)
    return converted.text


def markdown(variant: VariantSettings, source: str) -> str:
    """Markdown kept as written, for targets that render it themselves (a static site); its images and links are
    collected as `html` collects them, so the images are sealed with the variant and delivered beside the page."""
    variant.collect(markup.to_html(str(source)))
    return str(source)


def plaintext(variant: VariantSettings, source: str, links: str | None = None) -> str:
    """Markdown → plain text; links are dropped on platforms that forbid them in text."""
    if links is None:
        links = "inline" if variant.platform.link_policy == "allowed" else "none"
    converted = markup.to_text(str(source), tracking=variant.tracking, links=links)
    variant.collect(converted)
    return converted.text


def track(variant: VariantSettings, url: str) -> str:
    return markup.add_tracking(str(url), variant.tracking)


def cjk_punct(variant: VariantSettings, text: str) -> str:
    return textfit.cjk_punctuation(str(text))


def keep_chars(variant: VariantSettings, text: str, allowed: str = "") -> str:
    """Letters (Chinese included) and digits, plus `allowed`: for fields such as 视频号 short titles."""
    return "".join(ch for ch in str(text) if ch.isalnum() or ch in allowed)


FILTERS: dict[str, Callable[..., Any]] = {
    "fit": fit,
    "truncate_to": truncate_to,
    "count": count,
    "hashtags": hashtags,
    "wechat_html": wechat_html,
    "wechat_disclosures": wechat_disclosures,
    "wechat_read_more": wechat_read_more,
    "html": html,
    "markdown": markdown,
    "plaintext": plaintext,
    "track": track,
    "cjk_punct": cjk_punct,
    "keep_chars": keep_chars,
}
