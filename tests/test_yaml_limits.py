"""YAML bombs: aliases and nesting are bounded in every YAML file mediactl reads, with file and line."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from conftest import write
from mediactl.config import yamlpos

# 452 bytes of front matter that expand to 9**9 (387 million) strings when aliases are followed
BILLION_LAUGHS = """\
title: lol
extra:
  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""
# few aliases, still exponential: each level doubles (2**40 nodes from 80 alias uses)
DOUBLING = "x0: &x0 [a]\n" + "".join(f"x{n}: &x{n} [*x{n - 1}, *x{n - 1}]\n" for n in range(1, 41))
RECURSIVE = "title: t\nextra: &a {x: *a}\n"


@pytest.fixture
def bounded_conversion(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stop a runaway expansion after 100,000 converted nodes, so unbounded code fails fast instead of
    eating the machine's memory (the bound the guard must keep is far below that)."""
    original = yamlpos._convert
    calls = 0

    def counting(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls > 100_000:
            raise AssertionError("YAML aliases were expanded without a bound")
        return original(*args, **kwargs)

    monkeypatch.setattr(yamlpos, "_convert", counting)


@pytest.mark.usefixtures("bounded_conversion")
@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (BILLION_LAUGHS, 7, "aliases"),
        (DOUBLING, 13, "aliases"),
        (RECURSIVE, 2, "refers to itself"),
    ],
    ids=["billion-laughs", "doubling", "recursive"],
)
def test_alias_bombs_are_refused_with_the_line(text: str, line: int, words: str) -> None:
    tracemalloc.start()
    try:
        doc = yamlpos.load_located(text, "bomb.yaml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    (problem,) = doc.problems
    assert problem.file == "bomb.yaml" and problem.line == line, str(problem)
    assert words in problem.message
    assert doc.data is None
    assert peak < 5_000_000  # bounded memory: nothing was expanded


def test_deep_nesting_is_refused_not_a_recursion_error() -> None:
    doc = yamlpos.load_located("a: " + "[" * 900 + "]" * 900 + "\n", "deep.yaml")
    (problem,) = doc.problems
    assert problem.line == 1 and "nested" in problem.message


def test_ordinary_aliases_and_merge_keys_still_work() -> None:
    text = "base: &base {size: 12, color: red}\nlabel: {<<: *base, size: 14}\nsame: *base\nlist: [*base, *base]\n"
    doc = yamlpos.load_located(text, "ok.yaml")
    assert doc.data["same"] == {"size": 12, "color": "red"}
    assert doc.data["list"] == [{"size": 12, "color": "red"}] * 2
    assert doc.data["label"]["color"] == "red"


@pytest.mark.usefixtures("bounded_conversion")
@pytest.mark.parametrize("text", [BILLION_LAUGHS, RECURSIVE], ids=["billion-laughs", "recursive"])
def test_ls_reports_a_front_matter_bomb_with_file_and_line(cli, minimal: Path, text: str) -> None:
    write(minimal / "content/article/bomb/index.md", "---\n" + text + "---\n正文\n")
    result = cli(minimal, "ls")
    assert result.exit_code == 2, result.output
    assert "this is a bug" not in result.stderr
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("content/article/bomb/index.md:")]
    assert line.startswith(("content/article/bomb/index.md:8:", "content/article/bomb/index.md:3:"))


@pytest.mark.usefixtures("bounded_conversion")
def test_config_and_rule_packs_are_guarded_too(cli, minimal: Path) -> None:
    config = minimal / "mediactl.yaml"
    config.write_text(config.read_text("utf-8") + "x-defaults: &a {x: *a}\n", "utf-8")
    result = cli(minimal, "config", "validate")
    assert result.exit_code == 2
    assert "mediactl.yaml:" in result.stderr and "refers to itself" in result.stderr
    assert "this is a bug" not in result.stderr


def test_plain_loader_refuses_bombs(tmp_path: Path) -> None:
    """Layout hashing and platform facts read YAML without positions, through the same guard."""
    with pytest.raises(yamlpos.YAMLLimitError) as caught:
        yamlpos.load_data(BILLION_LAUGHS, "layout.yaml")
    assert caught.value.problem_mark.line + 1 == 7
    assert yamlpos.load_data("a: &x [1]\nb: *x\n", "ok.yaml") == {"a": [1], "b": [1]}
