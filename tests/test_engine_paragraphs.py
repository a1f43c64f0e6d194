"""Regex rules run only on the paragraphs holding one of their `requires` literals (issue 17, speed).

The automaton that finds the terms finds the literals too, with where they are; each paragraph holding one is
searched on its own, the others never. These prove the findings are those of one pass over every paragraph.
"""

from __future__ import annotations

from pathlib import Path

from mediactl.check.engine import Engine
from mediactl.check.extract import extract_text
from mediactl.check.matcher import Matcher
from mediactl.check.normalize import Normalizer
from mediactl.check.rules import Profile, load_rules

PACK = """\
pack: tp
title: 测试
rules:
  - id: tp.rate
    kind: regex
    severity: error
    message: 承诺收益率
    source: 测试
    pattern: '(?<![不非])(?:保证|承诺)[^。\\n]{0,6}?\\d+%'
    requires: [保证, 承诺]
    examples: {match: [保证收益5%], no_match: [不保证收益5%]}
  - id: tp.rate-first
    kind: regex
    severity: warning
    message: 利率
    source: 测试
    pattern: '(?:利率\\s*)?\\d+%'
    requires: ['%']
    examples: {match: [利率5%], no_match: [利率]}
  - id: tp.link
    kind: regex
    severity: warning
    message: 链接
    source: 测试
    pattern: 'https?://[!-~]+'
    requires: ['://']
    examples: {match: [见https://a.cn], no_match: [见官网]}
"""

_NORMALIZER = Normalizer()


def _engine(tmp_path: Path) -> Engine:
    path = tmp_path / "tp.yaml"
    path.write_text(PACK, encoding="utf-8")
    return Engine(load_rules([path]), normalizer=_NORMALIZER)


def _places(engine: Engine, text: str) -> list[tuple[int, int, str, str]]:
    findings = engine.check(extract_text(text, "t.txt"), Profile())
    return [(f.line, f.column, f.rule, f.matched) for f in findings if f.rule.startswith("tp.")]


def test_only_the_paragraphs_with_a_literal_are_searched_and_every_match_there_is_found(tmp_path: Path) -> None:
    text = "今天天气很好。\n\n我们保证收益。\n\n本周收益5%，\n承诺年化6%。\n\n不承诺8%。\n\n见 https://example.cn/x 与 http://b.cn"
    assert _places(_engine(tmp_path), text) == [
        (5, 5, "tp.rate-first", "5%"),
        (6, 1, "tp.rate", "承诺年化6%"),
        (6, 5, "tp.rate-first", "6%"),
        (8, 4, "tp.rate-first", "8%"),
        (10, 3, "tp.link", "https://example.cn/x"),
        (10, 26, "tp.link", "http://b.cn"),
    ]


def test_the_same_findings_as_each_paragraph_checked_alone(tmp_path: Path) -> None:
    """A file's findings are those of its paragraphs checked one by one (lines shifted): nothing is lost
    where a literal sits in one paragraph and the match in another, or a literal straddles a break."""
    engine = _engine(tmp_path)
    paragraphs = ["保证", "收益5%", "保\n证收益", "3%承诺", "承诺收益9%与保证2%", "存款", "利率", "7%", "保证\n1%"]
    together = _places(engine, "\n\n".join(paragraphs))
    alone = []
    line = 1
    for paragraph in paragraphs:
        alone += [(found_line + line - 1, *rest) for found_line, *rest in _places(engine, paragraph)]
        line += paragraph.count("\n") + 2
    assert together == sorted(alone) and together


def test_files_checked_together_give_what_each_gives_alone(tmp_path: Path) -> None:
    """check_many (several files' texts in one automaton pass) gives each file the findings check gives it."""
    engine = _engine(tmp_path)
    engine.matcher.for_volume()
    texts = ["我们保证", "收益5%，承诺年化6%", "", "保证\n1% 见 https://a.cn", "保证收益 3%", "存款利率"]
    for astral in ([], ["𠀀保证收益 3%"]):  # all in the BMP: one scan; a text beyond it: each text on its own
        files = [extract_text(text, f"{number}.txt") for number, text in enumerate(texts + astral)]
        together = engine.check_many(files, Profile())
        assert together == [engine.check(segments, Profile()) for segments in files]
        assert [len(found) for found in together] == [0, 3, 0, 3, 2, 0, *([2] if astral else [])]


def test_a_match_no_longer_runs_across_a_paragraph_break_and_hides_the_one_beside_it(tmp_path: Path) -> None:
    """利率\\n\\n5% was one match across the break (dropped, as every such match): 5% beside it was lost."""
    assert _places(_engine(tmp_path), "年化利率\n\n5%") == [(3, 1, "tp.rate-first", "5%")]


def test_probe_spans_are_original_offsets_of_first_and_last_character() -> None:
    m = Matcher(["保本"], probes=["第1", "保本", "www."])
    matches, spans = m.search_spans("荣获第 1 名，保本，www.a.cn 第1")
    assert [x.text for x in matches] == ["保本"]
    assert spans == {0: [(2, 4), (20, 21)], 1: [(8, 9)], 2: [(11, 13)]}  # www. : its last kept character
    assert m.search("荣获第 1 名")[1] == {0}
