"""textfit: counting the way each platform counts, and cutting text without breaking it."""

from __future__ import annotations

import pytest

from mediactl.text.textfit import (
    COUNT_MODES,
    cjk_punctuation,
    count,
    fit_text,
    fits,
    format_hashtags,
    is_cjk,
    truncate,
)

FAMILY = "👨\u200d👩\u200d👧"  # 5 code points, 1 grapheme
FLAG_CN = "🇨🇳"  # 2 regional indicators, 1 grapheme
THUMB = "👍🏽"  # emoji + skin tone modifier
HEART = "❤️"  # U+2764 + variation selector 16
E_ACUTE = "e\u0301"  # e + combining acute accent


# --- count -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "mode", "expected"),
    [
        ("", "chars", 0),
        ("中文", "chars", 2),
        ("零風險", "chars", 3),
        ("Hello 世界", "chars", 8),
        (FAMILY, "chars", 5),
        (FLAG_CN, "chars", 2),
        ("\U00020000", "chars", 1),
        ("", "half_ascii", 0),
        ("a", "half_ascii", 1),
        ("ab", "half_ascii", 1),
        ("abc", "half_ascii", 2),
        ("中a", "half_ascii", 2),
        ("中文", "half_ascii", 2),
        ("零風險", "half_ascii", 3),
        ("Weibo微博", "half_ascii", 5),
        ("你好，world！", "half_ascii", 7),
        ("ＡＢ", "half_ascii", 2),
        ("ｱｲ", "half_ascii", 1),
        ("ｶﾞｶﾞ", "half_ascii", 1),
        (FAMILY, "half_ascii", 1),
        (FLAG_CN + "a", "half_ascii", 2),
        (THUMB + HEART, "half_ascii", 2),
        ("1\ufe0f\u20e31", "half_ascii", 2),
        (E_ACUTE + "a", "half_ascii", 2),
        ("中文abc" + FAMILY, "half_ascii", 5),
        ("\U00020000ab", "half_ascii", 2),
        ("abc", "bytes", 3),
        ("中文", "bytes", 6),
        ("é", "bytes", 2),
        ("😀", "bytes", 4),
        (FAMILY, "bytes", 18),
        (FLAG_CN, "bytes", 8),
        ("abc", "utf16", 3),
        ("中文", "utf16", 2),
        ("😀", "utf16", 2),
        ("\U00020000", "utf16", 2),
        (FAMILY, "utf16", 8),
        ("中文ab", "graphemes", 4),
        (FAMILY, "graphemes", 1),
        (FLAG_CN + "🇺🇸", "graphemes", 2),
        (THUMB, "graphemes", 1),
        (HEART, "graphemes", 1),
        (E_ACUTE * 3, "graphemes", 3),
        ("a\r\nb", "graphemes", 3),
    ],
)
def test_count(text: str, mode: str, expected: int) -> None:
    assert count(text, mode) == expected


def test_count_defaults_to_code_points() -> None:
    assert count(FAMILY + "中") == 6


@pytest.mark.parametrize("mode", COUNT_MODES)
def test_long_chinese_copy_counts_the_same_on_fast_and_slow_paths(mode: str) -> None:
    plain = "年化收益率3.85%，零風險“稳健”理财……" * 50
    # One emoji forces the grapheme-aware path; its own contribution is known per mode.
    emoji_cost = {"chars": 1, "half_ascii": 1, "bytes": 4, "utf16": 2, "graphemes": 1}[mode]
    assert count(plain + "😀", mode) == count(plain, mode) + emoji_cost


def test_count_modes_are_the_documented_five() -> None:
    assert COUNT_MODES == ("chars", "half_ascii", "bytes", "utf16", "graphemes")


def test_unknown_count_mode_names_the_valid_ones() -> None:
    with pytest.raises(
        ValueError, match=r"unknown count mode 'width'; valid modes: chars, half_ascii, bytes, utf16, graphemes"
    ):
        count("abc", "width")


# --- fits --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "limit", "mode", "expected"),
    [
        ("你好", 2, "chars", True),
        ("你好", 1, "chars", False),
        ("", 0, "chars", True),
        ("ab", 1, "half_ascii", True),
        ("abc", 1, "half_ascii", False),
        ("中文", 5, "bytes", False),
        ("中文", 6, "bytes", True),
        (FAMILY, 1, "graphemes", True),
        (FAMILY, 1, "chars", False),
    ],
)
def test_fits(text: str, limit: int, mode: str, expected: bool) -> None:
    assert fits(text, limit, mode) is expected


def test_fits_rejects_unknown_mode() -> None:
    with pytest.raises(ValueError, match="valid modes"):
        fits("abc", 3, "words")


# --- truncate ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "limit", "mode", "expected"),
    [
        # already fits: unchanged, even with trailing punctuation or a dangling bracket
        ("你好世界", 4, "chars", "你好世界"),
        ("你好，", 3, "chars", "你好，"),
        ("abc def", 7, "chars", "abc def"),
        ("", 0, "chars", ""),
        ("Weibo微博", 5, "half_ascii", "Weibo微博"),
        # limits 0 and 1
        ("你好", 0, "chars", ""),
        ("你好世界", 1, "chars", "…"),
        ("abc", 1, "half_ascii", "…"),
        # Chinese, simplified and traditional
        ("你好世界和平", 4, "chars", "你好世…"),
        ("零風險高收益理財產品", 5, "chars", "零風險高…"),
        # trailing punctuation dropped before the ellipsis
        ("你好，世界和平", 4, "chars", "你好…"),
        ("甲、乙丙丁戊", 3, "chars", "甲…"),
        ("注意；请勿转发", 4, "chars", "注意…"),
        ("时间：明天上午", 4, "chars", "时间…"),
        ("第一句。第二句话", 5, "chars", "第一句。"),  # a whole sentence, no ellipsis
        ("你好,世界和平", 4, "chars", "你好…"),
        ("Note: details follow", 7, "chars", "Note…"),
        ("a;b;c;d;e", 3, "chars", "a…"),
        ("等等……然后呢", 4, "chars", "等等…"),
        # dangling opening brackets and quotes dropped, closing ones kept
        ("他说「你好世界」", 4, "chars", "他说…"),
        ("利率（年化）较高", 4, "chars", "利率…"),
        ("标题：《理财指南》", 5, "chars", "标题…"),
        ("他说“你好世界”", 4, "chars", "他说…"),
        ("见『附录』说明", 3, "chars", "见…"),
        ("说(hello world)", 3, "chars", "说…"),
        ("「你好」世界和平", 5, "chars", "「你好」…"),
        ("【重要通知】请查收", 3, "chars", "【重…"),
        # trailing whitespace dropped
        ("Hello  wonderful", 8, "chars", "Hello…"),
        ("你好 世界和平", 4, "chars", "你好…"),
        # never inside a Latin word or number: back off to the previous boundary
        ("Hello wonderful world", 12, "chars", "Hello…"),
        ("Hello big world", 10, "chars", "Hello big…"),
        ("理财产品Premium收益", 8, "chars", "理财产品…"),
        ("理财产品Premium收益", 12, "chars", "理财产品Premium…"),
        ("年化收益率3.85%起", 8, "chars", "年化收益率…"),
        ("利率2.60%，稳健", 6, "chars", "利率…"),
        ("会议09:00开始", 5, "chars", "会议…"),
        ("详见https://example.com/a 谢谢", 10, "chars", "详见…"),
        # a single word longer than the limit is cut between graphemes
        ("Supercalifragilistic", 5, "chars", "Supe…"),
        ("「Supercalifragilistic」", 6, "chars", "「Supe…"),
        ("Antidisestablishmentarianism is long", 10, "chars", "Antidises…"),
        (E_ACUTE * 4, 4, "chars", E_ACUTE + "…"),
        # never inside a grapheme cluster at the cut point
        (f"家庭{FAMILY}幸福", 6, "chars", "家庭…"),
        (f"家庭{FAMILY}幸福", 8, "chars", f"家庭{FAMILY}…"),
        (f"中国{FLAG_CN}加油", 4, "chars", "中国…"),
        (f"中国{FLAG_CN}加油", 5, "chars", f"中国{FLAG_CN}…"),
        (f"点赞{THUMB}好的", 4, "chars", "点赞…"),
        (f"爱心{HEART}满满", 4, "chars", "爱心…"),
        (f"{FAMILY}{FAMILY}{FAMILY}", 2, "graphemes", f"{FAMILY}…"),
        (f"{FAMILY}{FAMILY}", 11, "utf16", f"{FAMILY}…"),
        # the other modes
        ("微博Weibo测试文本", 5, "half_ascii", "微博…"),
        ("Weibo测试文本abc def", 5, "half_ascii", "Weibo测…"),
        ("中文测试", 7, "bytes", "中…"),
        ("😀😀😀", 4, "utf16", "😀…"),
    ],
)
def test_truncate(text: str, limit: int, mode: str, expected: str) -> None:
    assert truncate(text, limit, mode) == expected


@pytest.mark.parametrize(
    ("text", "limit", "ellipsis", "expected"),
    [
        ("你好世界和平", 5, "...", "你好..."),
        ("你好世界和平", 5, "", "你好世界和"),
        ("你好世界", 2, "...", ""),
        ("你好，世界", 3, "", "你好"),
    ],
)
def test_truncate_custom_ellipsis(text: str, limit: int, ellipsis: str, expected: str) -> None:
    assert truncate(text, limit, ellipsis=ellipsis) == expected


@pytest.mark.parametrize("mode", COUNT_MODES)
@pytest.mark.parametrize("limit", [0, 1, 2, 3, 5, 8, 13, 21, 40])
def test_truncated_text_always_fits(mode: str, limit: int) -> None:
    text = f"【公告】零風險？不存在！{FAMILY}理财产品Premium收益3.85%，详见https://example.com {FLAG_CN}「谢谢」"
    result = truncate(text, limit, mode)
    assert count(result, mode) <= limit
    assert result == "" or result.endswith("…") or result[-1] in "？！"  # a clause and the ellipsis, or a sentence
    assert text.startswith(result.removesuffix("…"))


XHS_TAIL = "· 请通过本行官方App、官方网站或营业网点办理业务，不要轻信陌生来电。\n· 如遇可疑情况，请拨打96110。"


@pytest.mark.parametrize(
    ("text", "limit", "expected", "cut"),
    [
        # whole sentences where they fit: ends at the full stop, no ellipsis, never mid-clause
        ("第一句话。第二句话，还有后半句。", 12, "第一句话。", "sentence"),
        ("他说：「先核实。」然后再转账，切记。", 12, "他说：「先核实。」", "sentence"),
        ("真的吗？是的！就是这样，没错。", 8, "真的吗？是的！", "sentence"),
        ("Check first. Then pay, always.", 20, "Check first.", "sentence"),
        ("理财非存款。\n\n产品有风险，投资须谨慎。", 10, "理财非存款。", "sentence"),
        (XHS_TAIL, 45, "· 请通过本行官方App、官方网站或营业网点办理业务，不要轻信陌生来电。", "sentence"),
        # one sentence longer than the room: a clause and the ellipsis, never the pause mark itself
        ("请通过本行官方App、官方网站或营业网点办理业务，不要轻信陌生来电。", 30,
         "请通过本行官方App、官方网站或营业网点办理业务…", "clause"),
        ("时间：明天上午", 4, "时间…", "clause"),
        # no clause fits either: between words
        ("你好世界和平", 4, "你好世…", "word"),
        # numbers, list markers and URLs hold no sentence end
        ("年化3.85%起。稳健", 9, "年化3.85%起。", "sentence"),
        ("1. 第一条很长\n2. 第二条很长很长", 10, "1. 第一条很长…", "clause"),  # a line end is a clause end
        ("详见https://e.com/a?b=1。谢谢", 22, "详见https://e.com/a?b=1。", "sentence"),
        ("fits as it is", 20, "fits as it is", ""),
    ],
)  # fmt: skip
def test_fit_text_prefers_sentences_then_clauses(text: str, limit: int, expected: str, cut: str) -> None:
    assert fit_text(text, limit) == (expected, cut)


def test_fit_text_never_ends_at_a_pause_mark() -> None:
    text = "凡是自称客服、警察并要求您转账的，都是诈骗；请您和家人一起了解：守好钱袋子。"
    for limit in range(1, len(text)):
        fitted = fit_text(text, limit).text
        assert fitted.removesuffix("…")[-1:] not in set("，、；：")


def test_truncate_rejects_negative_limit() -> None:
    with pytest.raises(ValueError, match="limit must be >= 0"):
        truncate("你好", -1)


def test_truncate_rejects_unknown_mode() -> None:
    with pytest.raises(ValueError, match="valid modes"):
        truncate("你好", 1, "words")


# --- format_hashtags ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "style", "expected"),
    [
        (["话题1", "话题2"], "wrap", "#话题1# #话题2#"),
        (["话题1", "话题2"], "prefix", "#话题1 #话题2"),
        (["话题1", "话题2"], "none", ""),
        ([], "wrap", ""),
        ([" #理财# ", "##基金##", "\t存款 ", "＃养老＃"], "prefix", "#理财 #基金 #存款 #养老"),
        ([" #理财# ", "##基金##"], "wrap", "#理财# #基金#"),
        (["养老 金", "New Year"], "prefix", "#养老金 #NewYear"),
        (["", "  ", "#", "##", "理财"], "wrap", "#理财#"),
        (["ICBC", "icbc", "ＩＣＢＣ", "理财", "#理财#", "理 财"], "wrap", "#ICBC# #理财#"),
        (["ＡＢＣ", "abc"], "prefix", "#ＡＢＣ"),
        (["零風險", "零风险"], "prefix", "#零風險 #零风险"),
    ],
)
def test_format_hashtags(tags: list[str], style: str, expected: str) -> None:
    assert format_hashtags(tags, style) == expected


def test_format_hashtags_accepts_any_iterable() -> None:
    assert format_hashtags((tag for tag in ("a", "b")), "prefix") == "#a #b"


@pytest.mark.parametrize("tags", [[], ["理财"]])
def test_format_hashtags_rejects_unknown_style(tags: list[str]) -> None:
    with pytest.raises(ValueError, match=r"unknown hashtag style 'suffix'; valid styles: wrap, prefix, none"):
        format_hashtags(tags, "suffix")


# --- cjk_punctuation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("你好,世界", "你好，世界"),
        ("今天天气很好, 我们去公园.", "今天天气很好，我们去公园。"),
        ("真的吗?", "真的吗？"),
        ("太好了!", "太好了！"),
        ("什么?!", "什么？！"),
        ("第一;第二", "第一；第二"),
        ("时间:09:00开始", "时间：09:00开始"),
        ("Hello,世界", "Hello，世界"),
        ("增长2.60%,同比", "增长2.60%，同比"),
        ("(注意事项)", "（注意事项）"),
        ("中国(China)", "中国（China）"),
        ("中国 (China) 银行", "中国（China）银行"),
        ("Python(中文版)", "Python（中文版）"),
        ("详见https://example.com/a?x=1,谢谢", "详见https://example.com/a?x=1，谢谢"),
        ("網址:https://example.com", "網址：https://example.com"),
        ("零風險?不存在.", "零風險？不存在。"),
    ],
)
def test_cjk_punctuation_converts_next_to_han(text: str, expected: str) -> None:
    assert cjk_punctuation(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Hello, world.",
        "https://example.com/a,b?x=1&y=2.",
        "访问https://example.com/path.html",
        "利率3.5倍",
        "增长2.60%",
        "上午09:00",
        "共1,000元",
        "`a,b;c` 中",
        "```\nx = f(a, b); y = 2.5\n```",
        "f(x)的值",
        "等等...",
        "附件为年报.pdf",
        "版本v2.0发布",
        "",
    ],
)
def test_cjk_punctuation_leaves_non_chinese_context_alone(text: str) -> None:
    assert cjk_punctuation(text) == text


# --- is_cjk ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "char",
    [
        "中",
        "零",
        "風",
        "險",
        "〇",
        "々",
        "\u3400",  # Ext A
        "\U00020000",  # Ext B
        "\U0002a700",  # Ext C
        "\U0002b740",  # Ext D
        "\U0002b820",  # Ext E
        "\U0002ceb0",  # Ext F
        "\U00030000",  # Ext G
        "\uf900",  # compatibility ideograph
        "\U0002f800",  # compatibility ideographs supplement
        "あ",
        "カ",
        "ー",
        "ｶ",
        "한",
        "ㄅ",
        "。",
        "、",
        "「",
        "\u3000",
        "，",
        "！",
        "Ａ",
        "１",
    ],
)
def test_is_cjk_true(char: str) -> None:
    assert is_cjk(char) is True


@pytest.mark.parametrize("char", ["a", "Z", "1", "é", ",", ".", " ", "😀", "—", "“", "Ж"])
def test_is_cjk_false(char: str) -> None:
    assert is_cjk(char) is False


@pytest.mark.parametrize("text", ["", "中文"])
def test_is_cjk_takes_exactly_one_character(text: str) -> None:
    with pytest.raises(ValueError, match="one character"):
        is_cjk(text)
