"""Markdown to platform bodies: WeChat inline-styled HTML, plain HTML, plain text."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from mediactl.text.markup import WECHAT_STYLES, Converted, add_tracking, to_html, to_text, to_wechat_html

# Short marker styles make exact WeChat expectations readable: <p style="s:p">.
S = {key: f"s:{key}" for key in WECHAT_STYLES}
TRACK = {"utm_source": "wechat", "utm_medium": "oa"}

DOCUMENT = """# 理财**指南**

保**本**收益，*稳健*；详见[官网](https://bank.cn/p?utm_source=site#top)。
第二行

- 一
  - 二
1. x

> 引用
> Quote line

<span>保</span>本 <script>alert(1)</script> <style>p{color:red}</style>

![封面](img/cover.png) `a<b` [Guide](https://e.com/g) [文章](https://mp.weixin.qq.com/s/abc)

```
code
```

| a | b |
|:-|-:|
| 1 | 2 |

---
line  
hard
"""


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(markup: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(markup)
    parser.close()
    return parser.tags


# --- add_tracking ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://bank.cn/a", "https://bank.cn/a?utm_source=wechat&utm_medium=oa"),
        ("https://bank.cn", "https://bank.cn/?utm_source=wechat&utm_medium=oa"),
        ("http://bank.cn/a?x=1", "http://bank.cn/a?x=1&utm_source=wechat&utm_medium=oa"),
        ("https://bank.cn/a?x=1#sec-2", "https://bank.cn/a?x=1&utm_source=wechat&utm_medium=oa#sec-2"),
        ("https://bank.cn/a#sec", "https://bank.cn/a?utm_source=wechat&utm_medium=oa#sec"),
        ("https://bank.cn/a?utm_source=site", "https://bank.cn/a?utm_source=site&utm_medium=oa"),
        ("https://bank.cn/a?utm_source=site&utm_medium=x", "https://bank.cn/a?utm_source=site&utm_medium=x"),
        ("https://bank.cn/a?q=%E4%B8%AD&b=a+b", "https://bank.cn/a?q=%E4%B8%AD&b=a+b&utm_source=wechat&utm_medium=oa"),
        ("HTTPS://bank.cn/a", "HTTPS://bank.cn/a?utm_source=wechat&utm_medium=oa"),
        ("mailto:ir@bank.cn", "mailto:ir@bank.cn"),
        ("mailto:ir@bank.cn?subject=hi", "mailto:ir@bank.cn?subject=hi"),
        ("tel:95588", "tel:95588"),
        ("/products/a", "/products/a"),
        ("products/a.html", "products/a.html"),
        ("//cdn.bank.cn/a", "//cdn.bank.cn/a"),
        ("#risk", "#risk"),
        ("ftp://bank.cn/a", "ftp://bank.cn/a"),
    ],
)
def test_add_tracking(url: str, expected: str) -> None:
    assert add_tracking(url, TRACK) == expected


def test_add_tracking_without_params_returns_the_url_unchanged() -> None:
    assert add_tracking("https://bank.cn", {}) == "https://bank.cn"


def test_add_tracking_encodes_values_and_keeps_param_order() -> None:
    params = {"utm_campaign": "春节 活动", "utm_source": "wx"}
    assert add_tracking("https://bank.cn/a", params) == (
        "https://bank.cn/a?utm_campaign=%E6%98%A5%E8%8A%82%20%E6%B4%BB%E5%8A%A8&utm_source=wx"
    )


# --- structure ------------------------------------------------------------------------------


def test_headings() -> None:
    markdown = "# 一级\n\n## 二级 **重点**\n\n### Three\n"
    assert to_html(markdown).text == "<h1>一级</h1>\n<h2>二级 <strong>重点</strong></h2>\n<h3>Three</h3>\n"
    assert to_wechat_html(markdown, styles=S).text == (
        '<h1 style="s:h1">一级</h1><h2 style="s:h2">二级 <strong style="s:strong">重点</strong></h2>'
        '<h3 style="s:h3">Three</h3>'
    )
    assert to_text(markdown).text == "一级\n\n二级 重点\n\nThree"


def test_paragraphs_keep_full_width_punctuation() -> None:
    markdown = "您好，欢迎！本产品（R2级）：“稳健”；‘低波动’、适合长期持有……\n\n第二段。"
    assert to_html(markdown).text == (
        "<p>您好，欢迎！本产品（R2级）：“稳健”；‘低波动’、适合长期持有……</p>\n<p>第二段。</p>\n"
    )
    assert to_text(markdown).text == "您好，欢迎！本产品（R2级）：“稳健”；‘低波动’、适合长期持有……\n\n第二段。"


def test_nested_lists() -> None:
    markdown = "- 存款\n  - 定期\n  - 活期\n- 理财\n\n3. 第三\n4. 第四\n"
    assert to_html(markdown).text == (
        "<ul>\n<li>存款\n<ul>\n<li>定期</li>\n<li>活期</li>\n</ul>\n</li>\n<li>理财</li>\n</ul>\n"
        '<ol start="3">\n<li>第三</li>\n<li>第四</li>\n</ol>\n'
    )
    assert to_wechat_html(markdown, styles=S).text == (
        '<ul style="s:ul"><li style="s:li">存款<ul style="s:ul"><li style="s:li">定期</li><li style="s:li">活期</li>'
        '</ul></li><li style="s:li">理财</li></ul>'
        '<ol start="3" style="s:ol"><li style="s:li">第三</li><li style="s:li">第四</li></ol>'
    )
    assert to_text(markdown).text == "· 存款\n  · 定期\n  · 活期\n· 理财\n\n3. 第三\n4. 第四"


def test_loose_list_item_with_two_paragraphs_in_text() -> None:
    assert to_text("1. 第一段\n\n   第二段\n2. 下一项\n").text == "1. 第一段\n   第二段\n2. 下一项"


def test_blockquote() -> None:
    markdown = "> 投资有风险\n>\n> 入市需谨慎\n"
    assert to_html(markdown).text == "<blockquote>\n<p>投资有风险</p>\n<p>入市需谨慎</p>\n</blockquote>\n"
    assert to_wechat_html(markdown, styles=S).text == (
        '<blockquote style="s:blockquote"><p style="s:p">投资有风险</p><p style="s:p">入市需谨慎</p></blockquote>'
    )
    assert to_text(markdown).text == "投资有风险\n\n入市需谨慎"


def test_emphasis_inside_a_word() -> None:
    markdown = "保**本**型，非*保*收益"
    assert to_html(markdown).text == "<p>保<strong>本</strong>型，非<em>保</em>收益</p>\n"
    assert to_wechat_html(markdown, styles=S).text == (
        '<p style="s:p">保<strong style="s:strong">本</strong>型，非<em style="s:em">保</em>收益</p>'
    )
    assert to_text(markdown).text == "保本型，非保收益"


def test_code_inline_and_blocks() -> None:
    markdown = "用 `a<b` 比较\n\n```python\nif a:\n\tb  = 1\n```\n"
    assert to_html(markdown).text == (
        '<p>用 <code>a&lt;b</code> 比较</p>\n<pre><code class="language-python">if a:\n\tb  = 1\n</code></pre>\n'
    )
    assert to_wechat_html(markdown, styles=S).text == (
        '<p style="s:p">用 <code style="s:code">a&lt;b</code> 比较</p>'
        '<pre style="s:pre">if&nbsp;a:<br>&nbsp;&nbsp;&nbsp;&nbsp;b&nbsp;&nbsp;=&nbsp;1</pre>'
    )
    assert to_text(markdown).text == "用 a<b 比较\n\nif a:\n\tb  = 1"


def test_tables() -> None:
    markdown = "| 产品 | 收益 |\n|:--|--:|\n| 存款 | 1.5% |\n"
    assert to_html(markdown).text == (
        "<table>\n<thead>\n<tr>\n<th>产品</th>\n<th>收益</th>\n</tr>\n</thead>\n"
        "<tbody>\n<tr>\n<td>存款</td>\n<td>1.5%</td>\n</tr>\n</tbody>\n</table>\n"
    )
    assert to_wechat_html(markdown, styles=S).text == (
        '<table style="s:table"><tr style="s:tr"><th style="s:th;text-align:left">产品</th>'
        '<th style="s:th;text-align:right">收益</th></tr><tr style="s:tr"><td style="s:td;text-align:left">存款</td>'
        '<td style="s:td;text-align:right">1.5%</td></tr></table>'
    )
    assert to_text(markdown).text == "产品 | 收益\n存款 | 1.5%"


def test_text_drops_rules_and_collapses_blank_lines() -> None:
    assert to_text("第一段   \n\n---\n\n\n\n第二段\n\n\n").text == "第一段\n\n第二段"


# --- soft line breaks -----------------------------------------------------------------------


def test_soft_break_between_chinese_lines_has_no_space() -> None:
    markdown = "本产品为\n稳健型，\n适合长期持有。"
    assert to_text(markdown).text == "本产品为稳健型，适合长期持有。"
    assert to_html(markdown).text == "<p>本产品为稳健型，适合长期持有。</p>\n"
    assert to_wechat_html(markdown, styles=S).text == '<p style="s:p">本产品为稳健型，适合长期持有。</p>'


def test_soft_break_between_english_lines_is_a_space() -> None:
    markdown = "Wealth management\nfor **everyone**\nand more"
    assert to_text(markdown).text == "Wealth management for everyone and more"
    assert to_html(markdown).text == "<p>Wealth management\nfor <strong>everyone</strong>\nand more</p>\n"
    assert to_wechat_html(markdown, styles=S).text == (
        '<p style="s:p">Wealth management for <strong style="s:strong">everyone</strong> and more</p>'
    )


def test_soft_break_next_to_one_cjk_side_has_no_space() -> None:
    assert to_text("年化收益\nAPY 2%，\nsee **详情**\n页").text == "年化收益APY 2%，see 详情页"


def test_hard_break() -> None:
    assert to_text("第一行  \n第二行").text == "第一行\n第二行"
    assert to_html("第一行  \n第二行").text == "<p>第一行<br>\n第二行</p>\n"
    assert to_wechat_html("第一行\\\n第二行", styles=S).text == '<p style="s:p">第一行<br>第二行</p>'


# --- links ----------------------------------------------------------------------------------

LINKS = "看[官网](https://bank.cn/p?utm_source=site#a)和[Guide](https://e.com/g)，[旧文](https://mp.weixin.qq.com/s/abc)，再看[官网](https://bank.cn/p?utm_source=site#a)。"
OFFICIAL = "https://bank.cn/p?utm_source=site&amp;utm_medium=oa#a"
GUIDE = "https://e.com/g?utm_source=wechat&amp;utm_medium=oa"
ARTICLE = "https://mp.weixin.qq.com/s/abc?utm_source=wechat&amp;utm_medium=oa"
LINK_TARGETS = (
    "https://bank.cn/p?utm_source=site&utm_medium=oa#a",
    "https://e.com/g?utm_source=wechat&utm_medium=oa",
    "https://mp.weixin.qq.com/s/abc?utm_source=wechat&utm_medium=oa",
)
KEPT_ARTICLE = f'<a href="{ARTICLE}" style="s:a">旧文</a>'


def test_wechat_link_mode_keep() -> None:
    result = to_wechat_html(LINKS, tracking=TRACK, link_mode="keep", styles=S)
    assert result.text == (
        f'<p style="s:p">看<a href="{OFFICIAL}" style="s:a">官网</a>和<a href="{GUIDE}" style="s:a">Guide</a>，'
        f'{KEPT_ARTICLE}，再看<a href="{OFFICIAL}" style="s:a">官网</a>。</p>'
    )
    assert result.links == LINK_TARGETS


def test_wechat_link_mode_text() -> None:
    result = to_wechat_html(LINKS, tracking=TRACK, link_mode="text", styles=S)
    assert result.text == (
        f'<p style="s:p">看官网（{OFFICIAL}）和Guide ({GUIDE})，{KEPT_ARTICLE}，再看官网（{OFFICIAL}）。</p>'
    )
    assert result.links == LINK_TARGETS


def test_wechat_link_mode_footnote() -> None:
    result = to_wechat_html(LINKS, tracking=TRACK, styles=S)  # footnote is the default
    assert result.text == (
        '<p style="s:p">看官网<sup style="s:sup">[1]</sup>和Guide<sup style="s:sup">[2]</sup>，'
        f'{KEPT_ARTICLE}，再看官网<sup style="s:sup">[1]</sup>。</p>'
        '<section style="s:footnotes"><p style="s:footnotes-title">参考链接</p>'
        f'<p style="s:footnotes-item">[1] {OFFICIAL}</p><p style="s:footnotes-item">[2] {GUIDE}</p></section>'
    )
    assert result.links == LINK_TARGETS


def test_wechat_link_mode_drop() -> None:
    result = to_wechat_html(LINKS, tracking=TRACK, link_mode="drop", styles=S)
    assert result.text == f'<p style="s:p">看官网和Guide，{KEPT_ARTICLE}，再看官网。</p>'
    assert result.links == LINK_TARGETS


@pytest.mark.parametrize("mode", ["keep", "text", "footnote", "drop"])
def test_wechat_article_links_are_always_anchors(mode: str) -> None:
    result = to_wechat_html("[往期](http://MP.weixin.qq.com/s?__biz=MzA&mid=1#rd)", link_mode=mode, styles=S)
    assert (
        result.text
        == '<p style="s:p"><a href="http://MP.weixin.qq.com/s?__biz=MzA&amp;mid=1#rd" style="s:a">往期</a></p>'
    )


def test_wechat_autolink_shows_the_url_once() -> None:
    assert to_wechat_html("<https://e.com/a>", tracking={"utm_source": "wx"}, styles=S).text == (
        '<p style="s:p">https://e.com/a?utm_source=wx</p>'
    )


def test_no_footnote_section_without_external_links() -> None:
    assert "参考链接" not in to_wechat_html("[往期](https://mp.weixin.qq.com/s/x)").text


def test_html_keeps_links_with_tracking_and_title() -> None:
    result = to_html('[官网](https://bank.cn/ "招商") [邮件](mailto:ir@bank.cn) [风险](#risk)', tracking=TRACK)
    assert result.text == (
        '<p><a href="https://bank.cn/?utm_source=wechat&amp;utm_medium=oa" title="招商">官网</a> '
        '<a href="mailto:ir@bank.cn">邮件</a> <a href="#risk">风险</a></p>\n'
    )
    assert result.links == ("https://bank.cn/?utm_source=wechat&utm_medium=oa", "mailto:ir@bank.cn", "#risk")


def test_text_links_inline_uses_full_width_parentheses_after_chinese() -> None:
    result = to_text(LINKS, tracking={"utm_source": "wx"})
    assert result.text == (
        "看官网（https://bank.cn/p?utm_source=site#a）和Guide (https://e.com/g?utm_source=wx)，"
        "旧文（https://mp.weixin.qq.com/s/abc?utm_source=wx），再看官网（https://bank.cn/p?utm_source=site#a）。"
    )


def test_text_links_url_and_none() -> None:
    markdown = "详见[官网](https://bank.cn/p)，或 <https://e.com>"
    assert to_text(markdown, tracking={"utm_source": "wx"}, links="url").text == (
        "详见https://bank.cn/p?utm_source=wx，或 https://e.com/?utm_source=wx"
    )
    assert to_text(markdown, tracking={"utm_source": "wx"}, links="none").text == "详见官网，或 https://e.com"
    assert to_text(markdown, links="inline").text == "详见官网（https://bank.cn/p），或 https://e.com"


def test_javascript_links_are_not_links() -> None:
    result = to_html("[点我](javascript:alert(1))")
    assert result.text == "<p>[点我](javascript:alert(1))</p>\n"
    assert result.links == ()


def test_bad_modes_are_rejected() -> None:
    with pytest.raises(ValueError, match="link_mode"):
        to_wechat_html("x", link_mode="inline")
    with pytest.raises(ValueError, match="links"):
        to_text("x", links="footnote")
    with pytest.raises(ValueError, match="unknown style keys: div"):
        to_wechat_html("x", styles={"div": "color:red"})


# --- images ---------------------------------------------------------------------------------

IMAGES = '![封面](图片/封面.png)\n\n文字 ![b](https://cdn.bank.cn/b.jpg "标题") 与 ![c](./c%20d.png)\n'


def test_images_are_listed_in_document_order() -> None:
    expected = ("图片/封面.png", "https://cdn.bank.cn/b.jpg", "./c d.png")
    assert to_html(IMAGES).images == expected
    assert to_wechat_html(IMAGES).images == expected
    assert to_text(IMAGES).images == expected


def test_images_in_html_outputs() -> None:
    assert to_html(IMAGES).text == (
        '<p><img src="图片/封面.png" alt="封面"></p>\n'
        '<p>文字 <img src="https://cdn.bank.cn/b.jpg" alt="b" title="标题"> 与 <img src="./c d.png" alt="c"></p>\n'
    )
    assert to_wechat_html("![封面](a.png)", styles=S).text == (
        '<p style="s:p"><img src="a.png" alt="封面" style="s:img"><span style="s:caption">封面</span></p>'
    )
    assert "max-width:100%" in WECHAT_STYLES["img"]


def test_images_are_dropped_from_text() -> None:
    assert to_text(IMAGES).text == "文字  与"


# --- raw HTML and WeChat safety -------------------------------------------------------------


def test_raw_html_is_escaped_never_emitted() -> None:
    markdown = '<span>保</span>本 <script>alert(1)</script>\n\n<div onclick="x()">块</div>\n'
    assert to_html(markdown).text == (
        "<p>&lt;span&gt;保&lt;/span&gt;本 &lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
        '<p>&lt;div onclick="x()"&gt;块&lt;/div&gt;</p>\n'
    )
    assert to_wechat_html(markdown, styles=S).text == (
        '<p style="s:p">&lt;span&gt;保&lt;/span&gt;本 &lt;script&gt;alert(1)&lt;/script&gt;</p>'
        '<p style="s:p">&lt;div onclick="x()"&gt;块&lt;/div&gt;</p>'
    )
    assert to_text(markdown).text == '<span>保</span>本 <script>alert(1)</script>\n\n<div onclick="x()">块</div>'


def test_wechat_output_has_no_style_script_or_event_tags() -> None:
    for mode in ("keep", "text", "footnote", "drop"):
        tags = _tags(to_wechat_html(DOCUMENT, link_mode=mode).text)
        names = {name for name, _ in tags}
        assert names.isdisjoint({"style", "script", "iframe", "div"}), mode
        spans = [attrs for name, attrs in tags if name == "span"]  # only our image captions, never the raw <span>
        assert all(attrs == {"style": WECHAT_STYLES["caption"]} for attrs in spans), mode
        assert all(not attr.startswith("on") for _, attrs in tags for attr in attrs), mode


def test_every_wechat_element_has_a_style() -> None:
    tags = _tags(to_wechat_html(DOCUMENT).text)
    names = {name for name, _ in tags}
    assert names >= {"h1", "p", "strong", "em", "ul", "ol", "li", "blockquote", "img", "code", "pre", "a", "sup"}
    assert names >= {"table", "tr", "th", "td", "hr", "section", "br"}
    unstyled = [name for name, attrs in tags if name != "br" and not attrs.get("style")]
    assert unstyled == []


def test_wechat_default_typography() -> None:
    result = to_wechat_html("正文")
    assert result == Converted(
        text='<p style="margin:0 0 16px;font-size:16px;line-height:1.75;letter-spacing:0.5px;color:#333;'
        'text-align:justify">正文</p>',
        images=(),
        links=(),
    )


def test_wechat_styles_override_one_tag() -> None:
    result = to_wechat_html("**重点**正文", styles={"strong": "color:#c00"})
    assert result.text.startswith('<p style="margin:0 0 16px;font-size:16px;')
    assert '<strong style="color:#c00">重点</strong>' in result.text


def test_html_comments_are_never_published() -> None:
    """An allowance comment (<!-- mediactl: allow … -->) is for reviewers, not the audience."""
    from mediactl.text.markup import to_html, to_text, to_wechat_html

    source = '甲\n\n<!-- mediactl: allow rule reason="r" -->\n\n乙<!-- 注 -->丙\n'
    for convert in (to_text, to_html, to_wechat_html):
        text = convert(source).text
        assert "mediactl" not in text and "注" not in text and "&lt;!--" not in text
        assert "乙丙" in text
