"""Regex rules see separator-folded text (check/squeeze.py): 收 益 高 is 收益高 to them as to the term rules.

Spacing a claim out (收 益 率 高 达 15%以上, 亏 了 全 赔) passed every regex rule while the term rules caught 保 本;
these tests failed before the regex rules searched the squeezed text. A finding still quotes the copy as written and
points at its column; what the squeeze must not join (a line break, a clause mark, a title mark, Latin words) stays.
"""

from __future__ import annotations

import re

import pytest

from mediactl.check.extract import extract_source
from mediactl.check.normalize import Normalizer
from mediactl.check.report import failing
from mediactl.check.rules import Profile
from mediactl.check.runner import prepared
from mediactl.check.squeeze import Squeezed, reads_chinese


class _Joined:
    """The engine's joined segments, as far as the squeeze asks: one segment of the whole text."""

    def __init__(self, text: str) -> None:
        self.segments = [type("Segment", (), {"text": text})()]
        self.starts = [0]

    def locate(self, start: int, end: int) -> tuple[object, int]:
        return self.segments[0], start


def _squeezed(text: str) -> str:
    """The text a rule reading Chinese searches (the folded text where nothing is squeezed)."""
    normalized = Normalizer().normalize(text)
    view = Squeezed(normalized, _Joined(text))._view(0, len(text))
    return normalized.base if view is None else view.text


def _spans(pattern: str, text: str) -> list[tuple[int, int]]:
    """Where `pattern` matches `text`, searched squeezed, in folded offsets."""
    view = Squeezed(Normalizer().normalize(text), _Joined(text))
    return [(found.start(), found.end()) for found in view.finditer(re.compile(pattern), "", [0])]


def _failing(text: str, profile: Profile | None = None) -> list[tuple[str, str, int]]:
    _, engine = prepared(None, None)
    findings = engine.check(extract_source(text, "t.txt", "text"), profile or Profile())
    return [(finding.rule, finding.matched, finding.column) for finding in failing(findings, "error")]


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("收 益 率 高 达 15%以上", "finance.return-forecast"),
        ("年 化 收 益 率 高 达 18%", "finance.return.high-figure"),
        ("这款理财收 益 高、风 险 低", "finance.risk-mismatch.pair"),
        ("收益·很高，安全·可靠", "finance.risk-mismatch.pair"),
        ("大 学 生 也 能 借", "finance.loan.students"),
        ("亏 了 全 赔", "finance.promise.loss-cover"),
        ("认\u200b购\u200b即\u200b送好礼", "finance.wm-gift"),
    ],
)
def test_a_spaced_out_claim_fails_a_regex_rule(text: str, rule: str) -> None:
    assert rule in [found[0] for found in _failing(text)], text


def test_the_finding_quotes_the_copy_as_written_at_its_column() -> None:
    found = [f for f in _failing("本行：亏 了 全 赔，放心买") if f[0] == "finance.promise.loss-cover"]
    assert found == [("finance.promise.loss-cover", "亏 了 全 赔", 4)]


def test_offsets_map_back_to_the_folded_text() -> None:
    assert _squeezed("甲 乙·丙x y") == "甲乙丙x y"  # Latin keeps its space
    assert _spans("乙丙", "甲 乙·丙x y") == [(2, 5)]
    assert _spans("甲乙丙x", "甲 乙·丙x y") == [(0, 6)]
    assert _spans("x y", "甲 乙·丙x y") == [(5, 8)]


@pytest.mark.parametrize(
    "text",
    [
        "确保。本周",  # a sentence mark
        "确保，本周",  # a clause mark
        "保\n本",  # a line break: lines stay apart
        "存款《规定》送礼",  # title marks
        "的＋微信",  # ASCII punctuation (＋ folds to +): content to a pattern
        "ab cd",  # Latin words
        "保    本",  # more than the matcher's gap (3 visible characters)
    ],
)
def test_what_is_not_squeezed(text: str) -> None:
    assert _squeezed(text) == Normalizer().normalize(text).base, text


def test_only_rules_that_read_chinese_are_squeezed() -> None:
    assert reads_chinese("(?:收益|回报)率?\\s*\\d+%")
    assert not reads_chinese("(?<!\\d)1[3-9]\\d{9}(?!\\d)")


def test_text_without_separators_is_searched_as_folded() -> None:
    assert _spans("保本", "年化收益率高达18%，保本保息") == [(11, 13)]


@pytest.mark.parametrize(
    ("text", "squeezed"),
    [
        ("收 益 高", "收益高"),  # within the Basic Multilingual Plane: the table-driven build of the patterns
        ("收🔥益🔥高", "收益高"),  # an emoji (beyond the BMP) as the separator: the build with astral ranges
        ("𠀀 收 益", "𠀀收益"),  # a Han character beyond the BMP (CJK Extension B) beside a space
    ],
)
def test_a_text_beyond_the_bmp_is_squeezed_as_one_within_it(text: str, squeezed: str) -> None:
    assert _squeezed(text) == squeezed


def test_both_builds_of_the_patterns_find_the_same_runs_in_bmp_text() -> None:
    """The BMP-only build (most copy) drops only what a BMP text cannot hold: on such text both builds agree."""
    from mediactl.check.squeeze import _gap_patterns

    removed = Normalizer().normalize("x")._removal.chars
    full, bmp = _gap_patterns(removed, True), _gap_patterns(removed, False)
    samples = ["收 益 高", "保·本\u200b保\u3000息", "年 化 收 益 率 高 达 18%", "确保，本周", "a b", "理 财 ★ 产 品"]
    for text in samples:
        assert [m.span() for m in full.runs.finditer(text)] == [m.span() for m in bmp.runs.finditer(text)], text
        assert (full.any_separator.search(text) is None) == (bmp.any_separator.search(text) is None), text
