"""Markdown (CommonMark, as Chinese editors write it) to what each platform's body needs.

Three outputs share one parse (markdown-it-py, raw HTML disabled so ``<span>`` is text):

* ``to_wechat_html``: a WeChat Official Account article body. WeChat strips ``<style>`` and
  scripts, so every element carries an inline ``style``; external links are mostly not
  allowed in the body, so ``link_mode`` turns them into text, footnotes or nothing.
* ``to_html``: plain semantic HTML for a website CMS.
* ``to_text``: plain text for captions and posts.

Each renderer walks the syntax tree with one small method per node type (``_paragraph``,
``_link``…). A soft line break is joined without a space when either side is CJK: a newline
between two Chinese lines would otherwise show up as a stray space.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markdown_it.tree import SyntaxTreeNode

from mediactl.text.cjk import has_cjk as _has_cjk

__all__ = [
    "LINK_MODES",
    "TEXT_LINK_MODES",
    "WECHAT_STYLES",
    "Converted",
    "add_tracking",
    "to_html",
    "to_text",
    "to_wechat_html",
]

_NO_PARAMS: Mapping[str, str] = MappingProxyType({})
# Raw HTML is parsed (so comments can be recognised and dropped: an allowance comment such as
# <!-- mediactl: allow … --> is never audience text) but never emitted: other raw HTML is escaped.
_MD = MarkdownIt("commonmark", {"html": True}).enable("table")
_COMMENT = re.compile(r"<!--.*?-->", re.S)

LINK_MODES = ("keep", "text", "footnote", "drop")
TEXT_LINK_MODES = ("inline", "url", "none")
FOOTNOTE_TITLE = "参考链接"
WECHAT_HOST = "mp.weixin.qq.com"

_BODY = "font-size:16px;line-height:1.75;letter-spacing:0.5px;color:#333"
_MONO = "font-family:Menlo,Consolas,monospace"

# Default inline styles of the WeChat body, by tag name (plus three keys for the footnote list).
WECHAT_STYLES: Mapping[str, str] = MappingProxyType(
    {
        "p": f"margin:0 0 16px;{_BODY};text-align:justify",
        "h1": "margin:24px 0 16px;font-size:22px;font-weight:bold;line-height:1.4;color:#222",
        "h2": "margin:24px 0 16px;font-size:20px;font-weight:bold;line-height:1.4;color:#222",
        "h3": "margin:20px 0 12px;font-size:18px;font-weight:bold;line-height:1.4;color:#222",
        "h4": "margin:20px 0 12px;font-size:17px;font-weight:bold;line-height:1.4;color:#222",
        "h5": "margin:16px 0 8px;font-size:16px;font-weight:bold;line-height:1.4;color:#222",
        "h6": "margin:16px 0 8px;font-size:16px;font-weight:bold;line-height:1.4;color:#555",
        "blockquote": "margin:16px 0;padding:8px 16px;border-left:4px solid #d0d7de;background:#f6f8fa;color:#555",
        "ul": f"margin:0 0 16px;padding-left:2em;list-style-type:disc;{_BODY}",
        "ol": f"margin:0 0 16px;padding-left:2em;list-style-type:decimal;{_BODY}",
        "li": f"margin:4px 0;{_BODY}",
        "strong": "font-weight:bold;color:#222",
        "em": "font-style:italic",
        "code": f"{_MONO};font-size:14px;padding:2px 4px;border-radius:3px;background:#f3f4f6;color:#c7254e",
        "pre": f"margin:16px 0;padding:12px;border-radius:4px;background:#f6f8fa;overflow-x:auto;white-space:nowrap;"
        f"{_MONO};font-size:14px;line-height:1.6;color:#333",
        "img": "display:block;width:100%;max-width:100%;height:auto;margin:16px 0 8px",
        "caption": "display:block;margin:0 0 16px;font-size:14px;line-height:1.6;color:#888;text-align:center",
        "a": "color:#576b95;text-decoration:none",
        "sup": "font-size:12px;line-height:0;vertical-align:super;color:#576b95",
        "hr": "margin:24px 0;border:0;border-top:1px solid #e5e5e5",
        "table": "width:100%;margin:16px 0;border-collapse:collapse;font-size:14px;line-height:1.6;color:#333",
        "tr": "border:0",
        "th": "padding:6px 8px;border:1px solid #d0d7de;background:#f6f8fa;font-weight:bold;text-align:left",
        "td": "padding:6px 8px;border:1px solid #d0d7de",
        "footnotes": "margin:32px 0 0;padding-top:8px;border-top:1px solid #e5e5e5",
        "footnotes-title": "margin:0 0 8px;font-size:14px;font-weight:bold;line-height:1.6;color:#555",
        "footnotes-item": "margin:0;font-size:12px;line-height:1.6;color:#888;word-break:break-all",
    }
)


@dataclass(frozen=True)
class Converted:
    text: str  # the HTML or plain text
    images: tuple[str, ...]  # image sources in document order: the adapter uploads these
    links: tuple[str, ...]  # link targets after tracking parameters were added, in order, deduplicated


# --- URLs ---------------------------------------------------------------------------------


def add_tracking(url: str, params: Mapping[str, str]) -> str:
    """Add query parameters (utm_source=…) to an http(s) URL; existing keys in the URL win.

    The URL is not re-encoded: the existing query and the fragment stay byte for byte, new
    parameters are appended in the order given. mailto:, tel:, relative, protocol-relative
    and anchor links are returned untouched, and so is everything when params is empty.
    """
    if not params:
        return url
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return url
    rest, hash_sign, fragment = url.partition("#")
    base, _, query = rest.partition("?")
    if not parts.path:
        base += "/"  # https://example.com -> https://example.com/?utm_source=…
    present = {key for key, _ in parse_qsl(query, keep_blank_values=True)}
    added = [(key, value) for key, value in params.items() if key not in present]
    if not added:
        return url
    extra = urlencode(added, quote_via=quote)
    query = f"{query}&{extra}" if query and not query.endswith("&") else query + extra
    return f"{base}?{query}{hash_sign}{fragment}"


def _is_wechat_article(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme.lower() in ("http", "https") and (parts.hostname or "") == WECHAT_HOST


def _is_relative(src: str) -> bool:
    parts = urlsplit(src)
    return not parts.scheme and not parts.netloc


# --- CJK and soft line breaks ---------------------------------------------------------------


def _neighbour_char(children: list[Token], start: int, step: int) -> str:
    """The nearest text character from children[start] on, walking by step; '' at a line break."""
    index = start
    while 0 <= index < len(children):
        token = children[index]
        if token.type in ("softbreak", "hardbreak"):
            return ""
        if token.type in ("text", "code_inline") and token.content:
            return token.content[-1] if step < 0 else token.content[0]
        index += step
    return ""


def _mark_soft_breaks(tokens: list[Token]) -> None:
    """Record on each softbreak whether a CJK character touches it (meta['cjk'])."""
    for block in tokens:
        children = block.children or []
        for index, token in enumerate(children):
            if token.type == "softbreak":
                around = _neighbour_char(children, index - 1, -1) + _neighbour_char(children, index + 1, 1)
                token.meta["cjk"] = _has_cjk(around)


def _parse(markdown: str) -> SyntaxTreeNode:
    tokens = _MD.parse(markdown)
    _mark_soft_breaks(tokens)
    return SyntaxTreeNode(tokens)


def _plain(node: SyntaxTreeNode) -> str:
    """The visible text of an inline subtree (anchor text, image alt)."""
    if node.type in ("text", "code_inline"):
        return node.content
    if node.type == "softbreak":
        return "" if node.meta.get("cjk") else " "
    if node.type == "hardbreak":
        return "\n"
    return "".join(_plain(child) for child in node.children)


def _parenthesised(anchor: str, url: str) -> str:
    """'（url）' after a Chinese anchor text, ' (url)' after a Latin one."""
    return f"（{url}）" if _has_cjk(anchor) else f" ({url})"


# --- the walker shared by all outputs -------------------------------------------------------


class _Walker:
    """Dispatches each node to ``_<node type>``; collects images and links on the way."""

    def __init__(self, tracking: Mapping[str, str]) -> None:
        self.tracking = tracking
        self.images: list[str] = []
        self.links: dict[str, None] = {}  # an ordered set

    def render(self, node: SyntaxTreeNode) -> str:
        handler = getattr(self, f"_{node.type}", None)
        if handler is not None:
            return handler(node)
        return self.children(node) if node.children else self.escape(node.content)

    def children(self, node: SyntaxTreeNode) -> str:
        return "".join(self.render(child) for child in node.children)

    def _html_block(self, node: SyntaxTreeNode) -> str:
        text = _COMMENT.sub("", node.content).strip()
        return self.raw_block(text) if text else ""

    def _html_inline(self, node: SyntaxTreeNode) -> str:
        return "" if _COMMENT.fullmatch(node.content.strip()) else self.escape(node.content)

    def raw_block(self, text: str) -> str:
        """A block of raw HTML from the Markdown, shown as the text it is (never as markup)."""
        return self.escape(text)

    def escape(self, text: str) -> str:
        return text

    def link_target(self, node: SyntaxTreeNode) -> str:
        url = add_tracking(str(node.attrs["href"]), self.tracking)
        self.links.setdefault(url)
        return url

    def autolink_text(self, node: SyntaxTreeNode) -> str:
        """What an autolink (<https://…>) shows when its URL is written out: the URL once, tracked."""
        return add_tracking(_plain(node), self.tracking)

    def image_source(self, node: SyntaxTreeNode) -> str:
        src = str(node.attrs["src"])
        if _is_relative(src):
            src = _MD.normalizeLinkText(src)  # 图片/a.png as written, not %E5%9B%BE%E7%89%87/a.png
        self.images.append(src)
        return src

    def convert(self, markdown: str) -> Converted:
        text = self.render(_parse(markdown))
        return Converted(text=text, images=tuple(self.images), links=tuple(self.links))


# --- HTML -----------------------------------------------------------------------------------


class _HtmlRenderer(_Walker):
    """Plain semantic HTML: no styles, links kept."""

    newline = "\n"  # between block tags

    def escape(self, text: str) -> str:
        return html.escape(text, quote=False)

    def style(self, key: str, extra: str = "") -> str:
        return ""

    def open(self, tag: str, *, key: str | None = None, extra_style: str = "", **attrs: object) -> str:
        parts = [tag]
        parts += [f'{name}="{html.escape(str(value))}"' for name, value in attrs.items() if value not in (None, "")]
        style = self.style(key or tag, extra_style)
        if style:
            parts.append(f'style="{html.escape(style)}"')
        return f"<{' '.join(parts)}>"

    def element(self, node: SyntaxTreeNode, tag: str | None = None) -> str:
        tag = tag or node.tag
        return f"{self.open(tag)}{self.children(node)}</{tag}>"

    def container(self, node: SyntaxTreeNode, *, start: object = None) -> str:
        """A block element around its children; ``start`` is an ordered list's first number (None: left out)."""
        return f"{self.open(node.tag, start=start)}{self.newline}{self.children(node)}</{node.tag}>{self.newline}"

    # blocks
    def _root(self, node: SyntaxTreeNode) -> str:
        return self.children(node)

    def _heading(self, node: SyntaxTreeNode) -> str:
        return self.element(node) + self.newline

    def raw_block(self, text: str) -> str:
        return f"{self.open('p')}{self.escape(text)}</p>{self.newline}"

    def _paragraph(self, node: SyntaxTreeNode) -> str:
        if node.hidden:  # a tight list item: no <p>
            return self.children(node) + (self.newline if node.next_sibling else "")
        return self.element(node) + self.newline

    def _bullet_list(self, node: SyntaxTreeNode) -> str:
        return self.container(node)

    def _ordered_list(self, node: SyntaxTreeNode) -> str:
        return self.container(node, start=node.attrs.get("start"))

    def _list_item(self, node: SyntaxTreeNode) -> str:
        return self.element(node) + self.newline

    def _blockquote(self, node: SyntaxTreeNode) -> str:
        return self.container(node)

    def _fence(self, node: SyntaxTreeNode) -> str:
        language = node.info.split(maxsplit=1)[0] if node.info.strip() else ""
        attrs = {"class": f"language-{language}"} if language else {}
        code = self.open("code", **attrs)
        return f"<pre>{code}{self.escape(node.content)}</code></pre>{self.newline}"

    def _code_block(self, node: SyntaxTreeNode) -> str:
        return f"<pre><code>{self.escape(node.content)}</code></pre>{self.newline}"

    def _hr(self, node: SyntaxTreeNode) -> str:
        return self.open("hr") + self.newline

    def _table(self, node: SyntaxTreeNode) -> str:
        return self.container(node)

    def _thead(self, node: SyntaxTreeNode) -> str:
        return self.container(node)

    def _tbody(self, node: SyntaxTreeNode) -> str:
        return self.container(node)

    def _tr(self, node: SyntaxTreeNode) -> str:
        return self.container(node)

    def _th(self, node: SyntaxTreeNode) -> str:
        return self.cell(node)

    def _td(self, node: SyntaxTreeNode) -> str:
        return self.cell(node)

    def cell(self, node: SyntaxTreeNode) -> str:
        return self.element(node) + self.newline

    def _inline(self, node: SyntaxTreeNode) -> str:
        return self.children(node)

    # inline
    def _text(self, node: SyntaxTreeNode) -> str:
        return self.escape(node.content)

    def _strong(self, node: SyntaxTreeNode) -> str:
        return self.element(node)

    def _em(self, node: SyntaxTreeNode) -> str:
        return self.element(node)

    def _code_inline(self, node: SyntaxTreeNode) -> str:
        return f"{self.open('code')}{self.escape(node.content)}</code>"

    def _softbreak(self, node: SyntaxTreeNode) -> str:
        return "" if node.meta.get("cjk") else "\n"

    def _hardbreak(self, node: SyntaxTreeNode) -> str:
        return "<br>" + self.newline

    def _link(self, node: SyntaxTreeNode) -> str:
        return self.anchor(node, self.link_target(node))

    def anchor(self, node: SyntaxTreeNode, url: str) -> str:
        return f"{self.open('a', href=url, title=node.attrs.get('title'))}{self.children(node)}</a>"

    def _image(self, node: SyntaxTreeNode) -> str:
        return self.open("img", src=self.image_source(node), alt=_plain(node), title=node.attrs.get("title"))


class _WechatRenderer(_HtmlRenderer):
    """Inline-styled HTML for a WeChat article body; external links handled by link_mode."""

    newline = ""  # WeChat's editor turns whitespace between tags into visible gaps

    def __init__(
        self, tracking: Mapping[str, str], link_mode: str, styles: Mapping[str, str], drop_title: bool = False
    ) -> None:
        super().__init__(tracking)
        self.link_mode = link_mode
        self.styles = styles
        self.footnotes: dict[str, int] = {}
        self.drop_title = drop_title
        self.seen_heading = False

    def _heading(self, node: SyntaxTreeNode) -> str:
        first, self.seen_heading = not self.seen_heading, True
        if first and self.drop_title and node.tag == "h1":
            return ""  # the article's own title: WeChat shows it above the body
        return super()._heading(node)

    def _image(self, node: SyntaxTreeNode) -> str:
        caption = _plain(node).strip()
        image = super()._image(node)
        return f"{image}{self.open('span', key='caption')}{self.escape(caption)}</span>" if caption else image

    def style(self, key: str, extra: str = "") -> str:
        return ";".join(part for part in (self.styles.get(key, ""), extra) if part)

    def _root(self, node: SyntaxTreeNode) -> str:
        return self.children(node) + self.footnote_list()

    def footnote_list(self) -> str:
        if not self.footnotes:
            return ""
        items = [
            f"{self.open('p', key='footnotes-item')}[{number}] {self.escape(url)}</p>"
            for url, number in self.footnotes.items()
        ]
        title = f"{self.open('p', key='footnotes-title')}{FOOTNOTE_TITLE}</p>"
        return f"{self.open('section', key='footnotes')}{title}{''.join(items)}</section>"

    def _fence(self, node: SyntaxTreeNode) -> str:
        # WeChat collapses newlines and runs of spaces in <pre>: spell them out.
        lines = node.content.rstrip("\n").split("\n")
        body = "<br>".join(self.escape(line.expandtabs(4)).replace(" ", "&nbsp;") for line in lines)
        return f"{self.open('pre')}{body}</pre>"

    _code_block = _fence

    def _thead(self, node: SyntaxTreeNode) -> str:
        return self.children(node)

    _tbody = _thead

    def cell(self, node: SyntaxTreeNode) -> str:
        tag = node.tag
        align = str(node.attrs.get("style", ""))  # text-align:… from the delimiter row
        return f"{self.open(tag, extra_style=align)}{self.children(node)}</{tag}>"

    def _softbreak(self, node: SyntaxTreeNode) -> str:
        return "" if node.meta.get("cjk") else " "

    def _link(self, node: SyntaxTreeNode) -> str:
        url = self.link_target(node)
        if self.link_mode == "keep" or _is_wechat_article(url):
            return self.anchor(node, url)
        inner = self.children(node)
        if self.link_mode == "drop":
            return inner
        if node.markup == "autolink":
            return self.escape(self.autolink_text(node))
        if self.link_mode == "text":
            return inner + self.escape(_parenthesised(_plain(node), url))
        number = self.footnotes.setdefault(url, len(self.footnotes) + 1)
        return f"{inner}{self.open('sup')}[{number}]</sup>"


# --- plain text -----------------------------------------------------------------------------


class _TextRenderer(_Walker):
    """Plain text: blocks separated by a blank line, list items one a line."""

    def __init__(self, tracking: Mapping[str, str], links: str) -> None:
        super().__init__(tracking)
        self.link_mode = links

    def blocks(self, node: SyntaxTreeNode, separator: str = "\n\n") -> str:
        rendered = (self.render(child) for child in node.children)
        return separator.join(block for block in rendered if block.strip())

    def _root(self, node: SyntaxTreeNode) -> str:
        lines = [line.rstrip() for line in self.blocks(node).split("\n")]
        kept: list[str] = []
        for line in lines:
            if line or (kept and kept[-1]):  # at most one blank line in a row
                kept.append(line)
        return "\n".join(kept).strip("\n")

    def _heading(self, node: SyntaxTreeNode) -> str:
        return self.children(node)

    def _paragraph(self, node: SyntaxTreeNode) -> str:
        return self.children(node)

    def _blockquote(self, node: SyntaxTreeNode) -> str:
        return self.blocks(node)

    def _bullet_list(self, node: SyntaxTreeNode) -> str:
        return "\n".join(self.item(child, "· ") for child in node.children)

    def _ordered_list(self, node: SyntaxTreeNode) -> str:
        start = int(node.attrs.get("start", 1))
        return "\n".join(self.item(child, f"{start + index}. ") for index, child in enumerate(node.children))

    def item(self, node: SyntaxTreeNode, marker: str) -> str:
        lines = self.blocks(node, "\n").split("\n")
        indent = " " * len(marker)
        return "\n".join([marker + lines[0]] + [indent + line if line else line for line in lines[1:]])

    def _fence(self, node: SyntaxTreeNode) -> str:
        return node.content.rstrip("\n")

    _code_block = _fence

    def _hr(self, node: SyntaxTreeNode) -> str:
        return ""

    def _table(self, node: SyntaxTreeNode) -> str:
        return self.blocks(node, "\n")

    def _thead(self, node: SyntaxTreeNode) -> str:
        return self.blocks(node, "\n")

    _tbody = _thead

    def _tr(self, node: SyntaxTreeNode) -> str:
        return " | ".join(self.render(cell).strip() for cell in node.children)

    def _inline(self, node: SyntaxTreeNode) -> str:
        return self.children(node)

    def _text(self, node: SyntaxTreeNode) -> str:
        return node.content

    def _code_inline(self, node: SyntaxTreeNode) -> str:
        return node.content

    def _softbreak(self, node: SyntaxTreeNode) -> str:
        return "" if node.meta.get("cjk") else " "

    def _hardbreak(self, node: SyntaxTreeNode) -> str:
        return "\n"

    def _image(self, node: SyntaxTreeNode) -> str:
        self.image_source(node)
        return ""

    def _link(self, node: SyntaxTreeNode) -> str:
        url = self.link_target(node)
        inner = self.children(node)
        if self.link_mode == "none":
            return inner
        if node.markup == "autolink":
            return self.autolink_text(node)
        if self.link_mode == "url" or not inner.strip():
            return url
        return inner + _parenthesised(inner, url)


# --- public API -----------------------------------------------------------------------------


def to_wechat_html(
    markdown: str,
    *,
    tracking: Mapping[str, str] = _NO_PARAMS,
    link_mode: str = "footnote",
    styles: Mapping[str, str] | None = None,
    drop_title: bool = False,
) -> Converted:
    """HTML for a WeChat Official Account article body: every element but <br> has an inline style.

    Images are full width, their alt text set under them as a caption. `drop_title` leaves out the body's
    first H1 when no heading comes before it: WeChat shows the article's title above the body already.

    link_mode: 'keep' (<a href>), 'text' (anchor text then '（url）' / ' (url)'), 'footnote'
    (anchor text then <sup>[n]</sup>, and a '参考链接' section at the end listing '[n] url'),
    'drop' (anchor text only). Links to mp.weixin.qq.com are always kept as <a>. An autolink
    (<https://…>) shows its URL once, with no footnote. `styles` replaces the default style of
    the keys it names (see WECHAT_STYLES); an empty string leaves that tag without a style.
    """
    if link_mode not in LINK_MODES:
        raise ValueError(f"link_mode must be one of {', '.join(LINK_MODES)}, not {link_mode!r}")
    merged = dict(WECHAT_STYLES)
    if styles:
        unknown = sorted(set(styles) - set(WECHAT_STYLES))
        if unknown:
            raise ValueError(f"unknown style keys: {', '.join(unknown)} (known: {', '.join(WECHAT_STYLES)})")
        merged.update(styles)
    return _WechatRenderer(tracking, link_mode, merged, drop_title).convert(markdown)


def to_html(markdown: str, *, tracking: Mapping[str, str] = _NO_PARAMS) -> Converted:
    """Plain semantic HTML (for a website CMS): no inline styles, links kept (with tracking), raw HTML escaped."""
    return _HtmlRenderer(tracking).convert(markdown)


def to_text(markdown: str, *, tracking: Mapping[str, str] = _NO_PARAMS, links: str = "inline") -> Converted:
    """Plain text for captions and posts.

    Emphasis markers removed, headings and paragraphs separated by one blank line, list items
    as '· item' / '1. item' (nested ones indented two or three spaces), blockquotes and code as
    their text, images and rules dropped, table rows as 'a | b'. A soft line break is joined
    without a space when either side is CJK, with one space otherwise. links: 'inline' ->
    'anchor（url）' after a Chinese anchor, 'anchor (url)' otherwise; 'url' -> the URL; 'none'
    -> the anchor text.
    """
    if links not in TEXT_LINK_MODES:
        raise ValueError(f"links must be one of {', '.join(TEXT_LINK_MODES)}, not {links!r}")
    return _TextRenderer(tracking, links).convert(markdown)
