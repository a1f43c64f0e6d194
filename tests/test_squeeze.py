"""Regex rules see separator-folded text (check/squeeze.py): 收 益 高 is 收益高 to them as to the term rules.

Spacing a claim out (收 益 率 高 达 15%以上, 亏 了 全 赔) passed every regex rule while the term rules caught 保 本;
these tests failed before the regex rules searched the squeezed text. A finding still quotes the copy as written and
points at its column; what the squeeze must not join (a line break, a clause mark, a title mark, Latin words) stays.
"""

from __future__ import annotations

import pytest

from mediactl.check.extract import extract_source
from mediactl.check.normalize import Normalizer
from mediactl.check.report import failing
from mediactl.check.rules import Profile
from mediactl.check.runner import prepared
from mediactl.check.squeeze import squeezed


class _Joined:
    """The engine's joined segments, as far as the squeeze asks: one segment of the whole text."""

    def __init__(self, text: str) -> None:
        self.segments = [type("Segment", (), {"text": text})()]
        self.starts = [0]

    def locate(self, start: int, end: int) -> tuple[object, int]:
        return self.segments[0], start


def _squeezed(text: str):
    normalized = Normalizer().normalize(text)
    return squeezed(normalized, _Joined(text))


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
    view = _squeezed("甲 乙·丙x y")
    assert view is not None
    assert view.base == "甲乙丙x y"  # Latin keeps its space
    assert [view.to_folded(i) for i in range(len(view.base))] == [0, 2, 4, 5, 6, 7]
    assert [view.to_squeezed(i) for i in (0, 2, 4, 5, 8)] == [0, 1, 2, 3, 6]


@pytest.mark.parametrize(
    "text",
    [
        "确保。本周",  # a sentence mark
        "确保，本周",  # a clause mark
        "保\n本",  # a line break: lines stay apart
        "详见《存款 送礼 规定》",  # a title mark next to Han is kept (《 and 》 are not separators here)
        "ab cd",  # Latin words
        "保    本",  # more than the matcher's gap (3 visible characters)
    ],
)
def test_what_is_not_squeezed(text: str) -> None:
    view = _squeezed(text)
    kept = view.base if view is not None else Normalizer().normalize(text).base
    assert kept == Normalizer().normalize(text).base or "《" in text, text
    if "《" in text:
        assert "《" in kept and "》" in kept


def test_text_without_separators_is_searched_as_folded() -> None:
    assert _squeezed("年化收益率高达18%，保本保息") is None
