"""mediactl.check.extract: visible text with positions, for Markdown, front matter, HTML, text, SRT/VTT, YAML, JSON."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mediactl.check import extract as extract_module
from mediactl.check.extract import (
    Segment,
    extract_data,
    extract_file,
    extract_front_matter,
    extract_html,
    extract_markdown,
    extract_subtitles,
    extract_text,
)


def rows(segments: list[Segment]) -> list[tuple[str, int, str]]:
    return [(segment.field, segment.block, segment.text) for segment in segments]


def where(segments: list[Segment], term: str, field: str | None = None) -> tuple[int, int]:
    """Position of the first occurrence of term in the segments (of one field)."""
    for segment in segments:
        if field in (None, segment.field) and term in segment.text:
            return segment.position(segment.text.index(term))
    raise AssertionError(f"{term!r} not found in {rows(segments)}")


def source_char(source: str, line: int, column: int) -> str:
    return source.split("\n")[line - 1][column - 1]


@pytest.fixture(autouse=True, params=["native", "python"])
def extraction_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test here runs on both paths: the C extension's (where built) and the pure-Python fallback."""
    if request.param == "python":
        monkeypatch.setattr(extract_module, "_native", None)
    elif extract_module._native is None:
        pytest.skip("the native extension was not built (no C compiler)")
    return request.param


# --- Markdown: markup joined ----------------------------------------------------------------


@pytest.mark.parametrize(
    "markdown",
    [
        "保**本**",
        "*保*本",
        "<span>保</span>本",
        '<span style="color:red">保</span><span>本</span>',
        "保<br>本",
        "保<br/>\n本",
        "`保`本",
        "保\\\n本",  # a hard line break
        "保&#26412;",  # 本 as a character reference
    ],
)
def test_markdown_markup_is_removed_and_joined(markdown: str) -> None:
    assert rows(extract_markdown(markdown, "a.md")) == [("body", 0, "保本")]


def test_intraword_underscores_are_not_emphasis_in_commonmark() -> None:
    # The reader sees the underscores (as mediactl.text.markup.to_text does): normalisation has to skip them.
    assert rows(extract_markdown("_保_本 __稳__赚", "a.md")) == [("body", 0, "_保_本 __稳__赚")]


def test_soft_breaks_join_chinese_without_a_space_and_latin_with_one() -> None:
    markdown = "本产品保\n本保息\n\nguaranteed\nreturns\n\n稳赚\nno risk\n\nrisk-free\n收益\n"
    assert rows(extract_markdown(markdown, "a.md")) == [
        ("body", 0, "本产品保本保息"),
        ("body", 1, "guaranteed returns"),
        ("body", 2, "稳赚no risk"),
        ("body", 3, "risk-free收益"),
    ]


def test_headings_list_items_table_cells_and_blockquotes_are_separate_blocks() -> None:
    markdown = """\
# 标题保

本在下一段

- 第一项
- 第二项

| 产品 | 说明 |
|---|---|
| 理财 | 保本 |

> 引用的
> 话

Setext 标题
---
"""
    assert rows(extract_markdown(markdown, "a.md")) == [
        ("body", 0, "标题保"),
        ("body", 1, "本在下一段"),
        ("body", 2, "第一项"),
        ("body", 3, "第二项"),
        ("body", 4, "产品"),
        ("body", 5, "说明"),
        ("body", 6, "理财"),
        ("body", 7, "保本"),
        ("body", 8, "引用的话"),
        ("body", 9, "Setext 标题"),
    ]


def test_link_text_stays_in_the_body_and_the_target_is_a_link_segment() -> None:
    markdown = '看[保本产品](https://example.com/保本 "提示")和![保本图片](a.png)。\n\n<https://b.example/x>\n'
    segments = extract_markdown(markdown, "a.md")
    assert rows(segments) == [
        ("body", 0, "看保本产品和。"),
        ("link", 0, "https://example.com/保本"),
        ("alt", 0, "保本图片"),
        ("body", 1, "https://b.example/x"),
        ("link", 1, "https://b.example/x"),
    ]
    assert where(segments, "保本", "link") == (1, 29)
    assert where(segments, "保本", "alt") == (1, 40)
    assert segments[4].position(segments[4].text.index("b.example")) == (3, 10)


def test_reference_link_target_points_at_its_definition() -> None:
    segments = extract_markdown("见[说明][r]。\n\n[r]: https://example.com/r\n", "a.md")
    assert rows(segments) == [("body", 0, "见说明。"), ("link", 0, "https://example.com/r")]
    assert segments[1].position(0) == (3, 6)


def test_code_spans_and_code_blocks_are_text() -> None:
    markdown = "用 `保本` 字样\n\n```text\n第一行\n  保本\n```\n\n    缩进代码保本\n"
    segments = extract_markdown(markdown, "a.md")
    assert rows(segments) == [
        ("body", 0, "用 保本 字样"),
        ("body", 1, "第一行\n  保本"),
        ("body", 2, "缩进代码保本"),
    ]
    assert where(segments, "保本") == (1, 4)
    assert segments[1].position(segments[1].text.index("保本")) == (5, 3)
    assert segments[2].position(4) == (8, 9)


def test_raw_html_in_markdown_comments_and_scripts_are_not_text() -> None:
    markdown = (
        "前<!-- 保本 -->后 <script>保本</script>尾\n\n<div>\n  块 &amp; <b>保</b>本\n  <img alt='图中保本'>\n</div>\n"
    )
    segments = extract_markdown(markdown, "a.md")
    assert rows(segments) == [("body", 0, "前后 尾"), ("body", 1, "块 & 保本"), ("alt", 0, "图中保本")]
    assert where(segments, "保本", "body") == (4, 14)
    assert where(segments, "图中", "alt") == (5, 13)


# --- Markdown: positions --------------------------------------------------------------------


def test_position_of_a_term_on_the_third_line_of_a_paragraph() -> None:
    markdown = "引言\n\n第一行 *强调*\n第二行**加粗**文字\n第三行有保本字样\n"
    segments = extract_markdown(markdown, "a.md", line_offset=10)
    paragraph = segments[1]
    assert paragraph.text == "第一行 强调第二行加粗文字第三行有保本字样"
    assert paragraph.position(paragraph.text.index("保本")) == (15, 5)
    assert paragraph.position(paragraph.text.index("加粗")) == (14, 6)
    assert paragraph.position(paragraph.text.index("文字")) == (14, 10)
    assert paragraph.position(paragraph.text.index("强调")) == (13, 6)


def test_every_character_of_plain_markdown_points_at_itself() -> None:
    markdown = "# 标题 *保本*\n\n> 引用 **理财**\n> 第二行 `代码`\n\n1. 列表 [链接](http://x.cn)\n   - 嵌套 保本\n"
    for segment in extract_markdown(markdown, "a.md"):
        for offset, char in enumerate(segment.text):
            if char != " " or segment.field != "body":
                assert source_char(markdown, *segment.position(offset)) == char, (segment, offset)


def test_every_character_points_at_itself_in_tables_lists_links_and_full_width_text() -> None:
    """Positions come from the parser's source ranges (issue 17): exact inside emphasis, links, cells and items."""
    markdown = (
        "# 标题：**保本**理财\n\n"
        "| 产品　名称 | 说明（年化） |\n|---|---|\n| 稳享**添利** | 收益 *４.５％* 保[本](https://例子.cn/保本) |\n\n"
        "> 引用：保<span>本</span>\n> - 列表项　全角　保本\n\n"
        "1. 第一\n   - 嵌套[链接文字][ref]与`代码\n     跨行`\n\n"
        "[ref]: https://example.com/参考\n"
    )
    segments = extract_markdown(markdown, "a.md")
    assert [segment.text for segment in segments if segment.field == "body"] == [
        "标题：保本理财", "产品\u3000名称", "说明（年化）", "稳享添利", "收益 ４.５％ 保本", "引用：保本",
        "列表项\u3000全角\u3000保本", "第一", "嵌套链接文字与代码 跨行",
    ]  # fmt: skip
    for segment in segments:
        for offset, char in enumerate(segment.text):
            if char != " ":
                assert source_char(markdown, *segment.position(offset)) == char, (segment, offset)


def test_an_ordered_list_marker_is_not_mistaken_for_the_same_text_in_the_item() -> None:
    # The old source search found the first "1." on the line: the list marker, five columns early.
    [segment] = extract_markdown("1. **1.**：保本\n", "a.md")
    assert segment.text == "1.：保本"
    assert segment.position(0) == (1, 6)


def test_checking_markdown_does_not_import_markdown_it() -> None:
    """The check reads Markdown with pyromark; markdown-it-py (render's parser) costs start-up and 10x the time."""
    import subprocess
    import sys

    code = (
        "import sys; from mediactl.check.extract import extract_source;"
        "extract_source('---\\ntitle: 保本\\n---\\n保**本** <b>x</b>\\n\\n<div>块</div>\\n', 'a.md', 'markdown');"
        "print(sorted(m for m in sys.modules if m.startswith('markdown_it')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_escapes_and_entities_point_at_their_source() -> None:
    markdown = "a \\* b &amp; 保本\n"
    [segment] = extract_markdown(markdown, "a.md")
    assert segment.text == "a * b & 保本"
    assert segment.position(2) == (1, 3)  # the backslash
    assert segment.position(6) == (1, 8)  # the '&' of '&amp;'
    assert segment.position(segment.text.index("保本")) == (1, 14)


def test_segment_position_bounds() -> None:
    [segment] = extract_markdown("保本", "a.md")
    assert segment.position(2) == (1, 3)  # just after the end
    with pytest.raises(IndexError):
        segment.position(3)
    with pytest.raises(IndexError):
        segment.position(-1)


# --- front matter and extract_file ----------------------------------------------------------

INDEX_MD = """\
---
title: 保本理财
summary: "稳健 保本"
tags: [理财, 保本]
overrides:
  weibo:
    summary: 微博摘要保本
updated: 2026-01-01
---
# 标题

正文第一行
保本在第二行
"""


def test_extract_file_markdown_with_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "index.md"
    path.write_text(INDEX_MD, encoding="utf-8")
    segments = extract_file(path, "content/article/x/index.md")
    assert rows(segments) == [
        ("title", 0, "保本理财"),
        ("summary", 0, "稳健 保本"),
        ("tags[0]", 0, "理财"),
        ("tags[1]", 0, "保本"),
        ("overrides.weibo.summary", 0, "微博摘要保本"),
        ("body", 0, "标题"),
        ("body", 1, "正文第一行保本在第二行"),
    ]
    assert {segment.file for segment in segments} == {"content/article/x/index.md"}
    assert segments[0].position(0) == (2, 8)
    assert where(segments, "保本", "summary") == (3, 14)
    assert where(segments, "保本", "tags[1]") == (4, 12)
    assert where(segments, "保本", "overrides.weibo.summary") == (7, 18)
    assert where(segments, "标题", "body") == (10, 3)
    assert where(segments, "保本", "body") == (13, 1)


def test_front_matter_block_scalars_and_quotes() -> None:
    yaml_text = "title: '单引号保本'\nsummary: |\n  第一行\n  第二行保本\nauthor:\n  张三\n"
    segments = extract_front_matter(yaml_text, "a.md", line_offset=1)
    assert rows(segments) == [("title", 0, "单引号保本"), ("summary", 0, "第一行\n第二行保本"), ("author", 0, "张三")]
    assert segments[0].position(0) == (2, 9)
    assert segments[1].position(0) == (4, 3)
    assert where(segments, "保本", "summary") == (5, 6)
    assert segments[2].position(0) == (7, 3)


def test_front_matter_syntax_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"a\.md:4:1: YAML syntax error"):
        extract_front_matter("title: a\nsummary: [b\n", "a.md", line_offset=1)


def test_extract_file_bom_crlf_and_no_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "a.markdown"
    path.write_bytes("\ufeff# 标题\r\n\r\n第一行\r\n保本\r\n".encode())
    segments = extract_file(path, "a.markdown")
    assert rows(segments) == [("body", 0, "标题"), ("body", 1, "第一行保本")]
    assert where(segments, "保本") == (4, 1)


def test_extract_file_unknown_suffix_names_the_supported_ones(tmp_path: Path) -> None:
    path = tmp_path / "a.docx"
    path.write_bytes(b"x")
    with pytest.raises(ValueError, match=r"\.docx.*supported: .*\.md.*\.srt.*\.json"):
        extract_file(path, "a.docx")


def test_extract_file_bad_utf8_names_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes("保本".encode() + b"\xff")
    with pytest.raises(ValueError, match=r"a\.txt: not UTF-8 text \(byte 6\)"):
        extract_file(path, "a.txt")


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.txt", "保\n本", [("body", 0, "保本")]),
        ("a.htm", "<p>保<i>本</i></p>", [("body", 0, "保本")]),
        ("a.srt", "1\n00:00:01,000 --> 00:00:02,000\n保本\n", [("subtitle", 0, "保本")]),
        ("a.vtt", "WEBVTT\n\n00:01.000 --> 00:02.000\n保本\n", [("subtitle", 0, "保本")]),
        ("a.yml", "title: 保本\n", [("title", 0, "保本")]),
        ("a.json", '{"title": "保本"}', [("title", 0, "保本")]),
    ],
)
def test_extract_file_format_from_suffix(tmp_path: Path, name: str, content: str, expected: list) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert rows(extract_file(path, name)) == expected


def test_extract_file_explicit_format_wins(tmp_path: Path) -> None:
    path = tmp_path / "notes"
    path.write_text("保**本**", encoding="utf-8")
    assert rows(extract_file(path, "notes", fmt="text")) == [("body", 0, "保**本**")]
    assert rows(extract_file(path, "notes", fmt="markdown")) == [("body", 0, "保本")]


# --- plain text -----------------------------------------------------------------------------


def test_text_paragraphs_and_soft_breaks() -> None:
    text = "  第一段保\n  本\n\n\nSecond\nparagraph\n"
    segments = extract_text(text, "a.txt")
    assert rows(segments) == [("body", 0, "第一段保本"), ("body", 1, "Second paragraph")]
    assert segments[0].position(3) == (1, 6)
    assert segments[0].position(4) == (2, 3)
    assert where(segments, "paragraph") == (6, 1)


# --- subtitles ------------------------------------------------------------------------------


def test_srt_cues_with_their_lines() -> None:
    srt = (
        "1\n00:00:01,000 --> 00:00:02,500\n<i>本产品</i>保\n本\n\n"
        "2\n00:00:03,000 --> 00:00:04,000\n{\\an8}No risk\nat all\n"
    )
    segments = extract_subtitles(srt, "a.srt", fmt="srt")
    assert rows(segments) == [("subtitle", 0, "本产品保本"), ("subtitle", 1, "No risk at all")]
    assert segments[0].position(0) == (3, 4)
    assert where(segments, "保本") == (3, 11)
    assert segments[0].position(4) == (4, 1)
    assert where(segments, "at all") == (9, 1)
    assert where(segments, "risk") == (8, 10)


def test_vtt_header_notes_identifiers_and_tags_are_not_text() -> None:
    vtt = (
        "WEBVTT - 标题不是字幕\n\nNOTE 保本 这是注释\n\nSTYLE\n::cue { color: red }\n\n"
        "intro-1\n00:01.000 --> 00:02.000 align:start\n<v 张三>保本 &amp; 收益</v>\n<c.red>第二行</c>\n"
    )
    segments = extract_subtitles(vtt, "a.vtt", fmt="vtt")
    assert rows(segments) == [("subtitle", 0, "保本 & 收益第二行")]
    assert segments[0].position(0) == (10, 7)
    assert where(segments, "收益") == (10, 16)
    assert where(segments, "第二行") == (11, 8)


def test_subtitle_format_is_checked() -> None:
    with pytest.raises(ValueError, match="srt or vtt"):
        extract_subtitles("", "a.ass", fmt="ass")


# --- HTML -----------------------------------------------------------------------------------

PAGE = """\
<html><head><title>保本 标题</title>
<meta name="description" content="摘要 &amp; 保本">
<style>p { color: red } /* 保本 */</style></head>
<body>
<div><p>本产品<b>保<i>本</i></b> &amp;
理财</p>
<script>var s = "保本";</script>
<ul><li>一<br>二</li><li>A<br>B</li></ul>
<img src="a.png" alt="图 &lt;保本&gt;"><a href="https://a.cn/?a=1&amp;b=保本">链接</a>
</div></body></html>
"""


def test_html_visible_text_blocks_and_attributes() -> None:
    segments = extract_html(PAGE, "a.html")
    assert rows(segments) == [
        ("title", 0, "保本 标题"),
        ("summary", 0, "摘要 & 保本"),
        ("body", 0, "本产品保本 &理财"),
        ("body", 1, "一二"),
        ("body", 2, "A B"),
        ("alt", 0, "图 <保本>"),
        ("link", 0, "https://a.cn/?a=1&b=保本"),
        ("body", 3, "链接"),
    ]
    assert where(segments, "标题", "title") == (1, 23)
    assert where(segments, "保本", "summary") == (2, 44)
    assert where(segments, "保本", "body") == (5, 15)
    assert where(segments, "理财") == (6, 1)
    assert where(segments, "二") == (8, 14)
    assert where(segments, "保本", "alt") == (9, 29)
    assert where(segments, "保本", "link") == (9, 70)


def test_html_pre_keeps_newlines_and_whitespace_collapses_elsewhere() -> None:
    segments = extract_html("<p>a   b\t c</p><pre>保\n  本</pre>", "a.html")
    assert rows(segments) == [("body", 0, "a b c"), ("body", 1, "保\n  本")]


def test_html_field_parameter() -> None:
    assert rows(extract_html("<p>保本</p>", "v.html", field="overrides.wechat.body")) == [
        ("overrides.wechat.body", 0, "保本")
    ]


# --- YAML and JSON data ---------------------------------------------------------------------


def test_yaml_every_string_with_its_key_path_and_line() -> None:
    yaml_text = (
        "title: 保本\nposts:\n  - body: 正文保本\n    count: 3\n  - 第二个\nmeta:\n  on: true\n  when: 2026-01-01\n"
    )
    segments = extract_data(yaml_text, "v.yaml", fmt="yaml")
    assert rows(segments) == [("title", 0, "保本"), ("posts[0].body", 0, "正文保本"), ("posts[1]", 0, "第二个")]
    assert [segment.position(0) for segment in segments] == [(1, 8), (3, 11), (5, 5)]


def test_yaml_syntax_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"v\.yaml:2:"):
        extract_data("a: b\n  c: [\n", "v.yaml", fmt="yaml")


def test_json_every_string_with_its_key_path_line_and_column() -> None:
    json_text = '{\n  "title": "保本理财",\n  "posts": [{"body": "a\\"b\\u4fdd本"}, 1, null, "末"],\n  "n": 2\n}\n'
    segments = extract_data(json_text, "v.json", fmt="json")
    assert rows(segments) == [("title", 0, "保本理财"), ("posts[0].body", 0, 'a"b保本'), ("posts[3]", 0, "末")]
    assert segments[0].position(0) == (2, 13)
    body = segments[1]
    assert body.position(0) == (3, 23)
    assert body.position(1) == (3, 24)  # the backslash of \"
    assert body.position(2) == (3, 26)
    assert body.position(3) == (3, 27)  # the backslash of \u4fdd
    assert body.position(4) == (3, 33)
    assert segments[2].position(0) == (3, 48)


def test_json_root_string_and_syntax_error() -> None:
    assert rows(extract_data('"保本"', "v.json", fmt="json")) == [("$", 0, "保本")]
    with pytest.raises(ValueError, match=r"v\.json:2:\d+: JSON syntax error"):
        extract_data('{"a": 1,\n}', "v.json", fmt="json")


def test_data_format_is_checked() -> None:
    with pytest.raises(ValueError, match="yaml or json"):
        extract_data("", "v.toml", fmt="toml")


@pytest.mark.skipif(extract_module._native is None, reason="the native extension was not built (no C compiler)")
def test_plain_text_paragraphs_native_and_python_agree(monkeypatch) -> None:
    """extract_text finds paragraphs natively where it can; the Python path must give the same segments."""
    import random

    rng = random.Random(3)
    alphabet = list("ab保本稳赚 \t\n\n\r\u3000\u2028\x0c\x1c🔥")
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 60))) for _ in range(3000)]
    texts += ["", "\n\n\n", "  一行  ", "第一段\n  续行 \n\n\n第二段\n", "no newline at end", "\r\n\r\nCRLF 段落\r\n"]
    native = [extract_text(t, "x.txt") for t in texts]
    assert all(type(segment) is extract_module.Segment for segments in native for segment in segments)
    monkeypatch.setattr(extract_module, "_native", None)
    assert [extract_text(t, "x.txt") for t in texts] == native


@pytest.mark.parametrize(
    ("source", "display", "extract"),
    [
        ("<div>\n<![ 保本 b\n", "a.md", extract_markdown),  # an HTML block (Markdown)
        ("<p>x</p>\n<![ 保本 b\n", "a.html", extract_html),
        ("<p>x</p>\n<![if 保本 b\n", "a.html", extract_html),  # a keyword html.parser does not know the end of
    ],
)
def test_a_marked_section_html_parser_cannot_read_is_text_not_a_crash(
    source: str, display: str, extract: Callable[[str, str], list[Segment]]
) -> None:
    """`<![` not followed by a keyword made Python's html.parser (3.11, 3.12) raise AssertionError, and the check
    stop with "a bug in mediactl". Browsers read it as a bogus comment up to `>`; with no `>` the words are text,
    and they are checked where they stand."""
    line, column = where(extract(source, display), "保本")
    assert (line, source_char(source, line, column)) == (2, "保")
