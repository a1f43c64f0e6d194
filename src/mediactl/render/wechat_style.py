"""The WeChat article body in the bank's colours: headings, quotes, tables, links and the disclosure box.

A bank's 公众号 article reads as the bank's: section headings in its primary colour over an accent rule,
quotes as a tinted panel, table headers in the primary colour, and the required disclosures in a
bordered box at the body's own size, where the rule asks for a conspicuous position (醒目位置), never in
small grey print at the end. Only inline styles: WeChat strips <style> and classes (the allowed tags and
properties are data, `data/wechat/allowed.yaml`, and a test holds the output to them).
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from mediactl.config.brand import DEFAULT_COLORS, Resolved

_TEXT = "font-size:16px;line-height:1.75;letter-spacing:0.5px"
BODY = f"{_TEXT};color:#333"
READ_MORE = "点击文末「阅读原文」，查看完整内容。"


def _colors(brand: Resolved | None) -> dict[str, str]:
    return dict(brand.colors) if brand is not None else dict(DEFAULT_COLORS)


def styles(brand: Resolved | None) -> dict[str, str]:
    """Overrides of `markup.WECHAT_STYLES` in the brand's colours."""
    c = _colors(brand)
    primary, accent, background = c["primary"], c["accent"], c["background"]
    heading = f"font-weight:bold;line-height:1.4;color:{primary}"
    return {
        "h1": f"margin:28px 0 16px;font-size:20px;{heading};text-align:center",
        "h2": f"margin:28px 0 16px;padding:0 0 6px 10px;font-size:18px;{heading};"
        f"border-left:4px solid {primary};border-bottom:1px solid {accent}",
        "h3": f"margin:20px 0 12px;font-size:17px;{heading}",
        "h4": f"margin:20px 0 12px;font-size:16px;{heading}",
        "blockquote": f"margin:16px 0;padding:12px 16px;border-left:4px solid {accent};background:{background};"
        "color:#555",
        "strong": f"font-weight:bold;color:{primary}",
        "a": f"color:{primary};text-decoration:underline",
        "sup": f"font-size:12px;line-height:0;vertical-align:super;color:{primary}",
        "th": f"padding:8px;border:1px solid {primary};background:{primary};color:{c['text']};font-weight:bold;"
        "text-align:left",
        "td": "padding:8px;border:1px solid #d9dee7",
        "pre": f"margin:16px 0;padding:12px;background:{background};overflow-x:auto;white-space:nowrap;"
        "font-family:Menlo,Consolas,monospace;font-size:14px;line-height:1.6;color:#333",
        "code": f"font-family:Menlo,Consolas,monospace;font-size:14px;padding:2px 4px;background:{background};"
        f"color:{primary}",
        "hr": f"margin:24px 0;border:0;border-top:1px solid {accent}",
    }


def disclosure_box(brand: Resolved | None, sentences: Iterable[str]) -> str:
    """The required disclosures in one box at the body's size: bordered in the brand's primary colour
    (`box`, the default) or filled with its background tint (`banner`), its title in bold."""
    listed = [sentence for sentence in sentences if sentence.strip()]
    if not listed:
        return ""
    c = _colors(brand)
    style = brand.disclosure.style if brand is not None else "box"
    title = brand.disclosure.title if brand is not None else "风险提示"
    frame = (
        f"border:2px solid {c['primary']};background:#ffffff"
        if style == "box"
        else f"border:0;border-left:6px solid {c['primary']};background:{c['background']}"
    )
    parts = [f'<section style="margin:24px 0;padding:12px 16px;{frame}">']
    if title:
        parts.append(
            f'<p style="margin:0 0 8px;{_TEXT};font-weight:bold;color:{c["primary"]}">{html.escape(title)}</p>'
        )
    parts += [f'<p style="margin:0 0 4px;{BODY}">{html.escape(sentence)}</p>' for sentence in listed]
    parts.append("</section>")
    return "".join(parts)


def read_more(brand: Resolved | None) -> str:
    """The line that points to 阅读原文 (the article's one sanctioned link out, `content_source_url`)."""
    return f'<p style="margin:24px 0 0;{_TEXT};color:{_colors(brand)["primary"]}">{READ_MORE}</p>'
