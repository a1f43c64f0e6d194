"""Placeholder text is a blocker: the scaffold's stock lines (read from the scaffold files themselves) and the
configured patterns (`check.placeholders:`), in check and in approve."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from conftest import write
from mediactl.check.placeholders import DEFAULT_PATTERNS, scaffold_lines


def _check(cli, root: Path, *args: str) -> tuple[int, list[dict]]:
    result = cli(root, "check", "--format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)["findings"]


def test_stock_lines_come_from_the_scaffold_files() -> None:
    lines = scaffold_lines()
    assert "正文从这里开始。每个平台的版本由模板生成，请只在这里写原创内容。" in lines
    assert "小标题" in lines
    for kind in ("article", "graphic", "video"):
        scaffold = (resources.files("mediactl") / "data" / "scaffolds" / f"{kind}.md").read_text("utf-8")
        body = scaffold.split("\n---\n", 1)[1]
        assert any(line in body for line in lines)


def test_a_new_item_left_as_scaffolded_is_a_blocker_naming_file_line_and_field(cli, minimal: Path) -> None:
    assert cli(minimal, "new", "article", "draft-one", "--title", "新春理财指南").exit_code == 0
    code, findings = _check(cli, minimal)
    assert code == 1
    own = [f for f in findings if f["rule"].startswith("placeholder.") and not f["channel"]]
    assert {(f["file"], f["field"], f["severity"]) for f in own} == {
        ("content/article/draft-one/index.md", "body", "blocker")
    }
    body_line = next(f for f in own if f["matched"].startswith("正文从这里开始"))
    text = (minimal / "content/article/draft-one/index.md").read_text("utf-8").splitlines()
    assert text[body_line["line"] - 1].startswith("正文从这里开始")
    assert any(f["matched"] == "小标题" for f in own)


@pytest.mark.parametrize("kind", ["graphic", "video"])
def test_every_kind_of_scaffold_is_caught(cli, minimal: Path, kind: str) -> None:
    assert cli(minimal, "new", kind, f"stock-{kind}").exit_code == 0
    result = cli(minimal, "check", "--format", "line", f"stock-{kind}")
    assert result.exit_code == 1 and "blocker placeholder.scaffold" in result.stdout


def test_a_stock_sentence_left_inside_real_copy_is_caught(cli, minimal: Path) -> None:
    write(minimal / "content/article/half/index.md",
          "---\ntitle: 半成品\nchannels: [outbox]\n---\n\n春节期间网点营业时间调整。正文从这里开始。\n")  # fmt: skip
    code, findings = _check(cli, minimal)
    assert code == 1 and [f["matched"] for f in findings if f["rule"] == "placeholder.scaffold"] == ["正文从这里开始。"]


@pytest.mark.parametrize(
    ("text", "matched"),
    [("利率为 xx%，详见公告。", "xx%"), ("活动时间【待补充】。", "【待补充】"), ("奖品待定。", "待定"),
     ("TODO: 补充活动细则。", "TODO"), ("名额 XXX 名。", "XXX"), ("开始日期 TBD。", "TBD")],
)  # fmt: skip
def test_default_patterns_are_blockers(cli, minimal: Path, text: str, matched: str) -> None:
    write(minimal / "content/article/p/index.md", f"---\ntitle: 活动\nchannels: [outbox]\n---\n\n{text}\n")
    code, findings = _check(cli, minimal)
    hits = [f for f in findings if f["rule"] == "placeholder.pattern"]
    assert code == 1 and [(f["matched"], f["severity"], f["line"]) for f in hits] == [(matched, "blocker", 6)]


def test_words_that_merely_contain_a_pattern_are_not_placeholders(cli, minimal: Path) -> None:
    write(minimal / "content/article/p/index.md",
          "---\ntitle: 活动\nchannels: [outbox]\n---\n\n尺码 XXXL 有货，TODOS 应用可下载。\n")  # fmt: skip
    code, findings = _check(cli, minimal)
    assert code == 0 and not [f for f in findings if f["rule"].startswith("placeholder.")]


def test_configured_patterns_replace_the_defaults(cli, minimal: Path) -> None:
    config = minimal / "mediactl.yaml"
    config.write_text(config.read_text("utf-8") + "check:\n  placeholders: [待确认, FIXME]\n", "utf-8")
    write(minimal / "content/article/p/index.md",
          "---\ntitle: 活动\nchannels: [outbox]\n---\n\n奖品待定，时间待确认。\n\nFIXME later\n")  # fmt: skip
    code, findings = _check(cli, minimal)
    assert code == 1
    assert sorted(f["matched"] for f in findings if f["rule"] == "placeholder.pattern") == ["FIXME", "待确认"]


def test_defaults_hold_the_documented_patterns() -> None:
    assert {"TODO", "XXX", "TBD", "【待补充】", "待定", "xx%"} <= set(DEFAULT_PATTERNS)


def test_a_bad_placeholders_setting_names_the_config_line(cli, minimal: Path) -> None:
    config = minimal / "mediactl.yaml"
    config.write_text(config.read_text("utf-8") + "check:\n  placeholders: {TODO: yes}\n", "utf-8")
    result = cli(minimal, "check")
    assert result.exit_code == 2 and "check.placeholders" in result.stderr


def test_approve_is_refused_while_a_placeholder_stands(cli, example: Path, monkeypatch) -> None:
    index = example / "content/article/anti-fraud-2026/index.md"
    index.write_text(
        index.read_text("utf-8") + "\n正文从这里开始。每个平台的版本由模板生成，请只在这里写原创内容。\n", "utf-8"
    )
    monkeypatch.setenv("MEDIACTL_USER", "li.na")  # the item's author hands it over
    cli(example, "review", "anti-fraud-2026")
    monkeypatch.setenv("MEDIACTL_USER", "wang.min")
    result = cli(example, "approve", "anti-fraud-2026", "--note", "已核对")
    assert result.exit_code == 1, result.output
    assert "placeholder.scaffold" in result.stderr and "content/article/anti-fraud-2026/index.md:" in result.stderr
    assert "nothing was approved" in result.stderr
    assert not (example / "approvals/anti-fraud-2026.yaml").exists()


def test_the_pattern_finds_what_a_word_bounded_alternation_finds() -> None:
    """The compiled pattern looks behind each branch's first character, and is tried only where a branch can
    begin (both for speed); the matches stay the same."""
    import random
    import re

    from mediactl.check.placeholders import _pattern, _spans

    patterns = (*DEFAULT_PATTERNS, "待确认", "9折", "a-b")
    plain = "|".join(
        (r"(?<![A-Za-z0-9])" if p[0].isalnum() and p[0].isascii() else "")
        + re.escape(p)
        + (r"(?![A-Za-z0-9])" if p[-1].isalnum() and p[-1].isascii() else "")
        for p in sorted(set(patterns), key=len, reverse=True)
    )
    reference = re.compile(plain, re.IGNORECASE)
    compiled = _pattern(tuple(patterns))
    assert compiled is not None
    rng = random.Random(7)
    alphabet = "TODOtodoBDFIXMExX%待定补充确认【】9折a-b1 _"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(30)))
        expected = [m.span() for m in reference.finditer(text)]
        assert [m.span() for m in compiled.finditer(text)] == expected, text
        assert list(_spans(tuple(patterns), text)) == expected, text  # tried only where a match can begin
