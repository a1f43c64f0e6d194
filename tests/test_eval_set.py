"""The labelled evaluation set (issue 17) is well formed: the benchmark's numbers mean something only if
every case names its source, ids are unique, labels are valid and each category the issue names is there.

Recall and false alarms are measured by bench/eval_bench.py, never asserted here. The schema is checked with
the benchmark's own reader (`schema_problems`), so the test and the benchmark cannot disagree on a file.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "eval_bench.py"

VIOLATION_CATEGORIES = {  # the classes issue 17 names; each must have at least one violation
    "guaranteed return",
    "best/only claims",
    "leading-the-industry claims",
    "principal-safe claims",
    "deposit-rate inducement",
    "contact diversion",
    "missing disclosure",
    "evasion: separators",
    "evasion: homophones",
    "evasion: traditional",
    "evasion: full-width",
    "evasion: pinyin",
}
CLEAN_CATEGORIES = {"product page with disclosures", "anti-fraud education", "festival greeting"}


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("eval_bench", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["eval_bench"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_the_set_has_no_schema_problems(bench: ModuleType) -> None:
    assert bench.schema_problems() == []


def test_every_named_category_has_cases_of_its_label(bench: ModuleType) -> None:
    cases = bench.load_cases()
    violations = {case.category for case in cases if case.label == "violation"}
    clean = {case.category for case in cases if case.label == "clean"}
    assert VIOLATION_CATEGORIES - violations == set()
    assert CLEAN_CATEGORIES - clean == set()


def test_every_source_names_a_document_or_an_address(bench: ModuleType) -> None:
    """A source is a URL, a shared word list, or an official document by its title (《…》) or number (〔…〕号)."""
    vague = [
        case.id
        for case in bench.load_cases()
        if not any(mark in case.source for mark in ("http://", "https://", "wordlists/", "《", "号"))
    ]
    assert vague == []


def test_schema_problems_are_found(bench: ModuleType, tmp_path: Path) -> None:
    """The checker itself can fail: a duplicate id, a bad label, a missing source, a string verbatim and an unknown platform are named."""
    (tmp_path / "broken.yaml").write_text(
        "- {id: a, text: 保本, label: violation, category: x, source: 'https://example.org/1', verbatim: true}\n"
        "- {id: a, text: 你好, label: fine, category: y, source: '', verbatim: 'yes'}\n"
        "- {id: b, text: 加V, label: violation, category: z, source: 'https://example.org/2', verbatim: false, platform: moments}\n",
        encoding="utf-8",
    )
    problems = "\n".join(bench.schema_problems(tmp_path))
    assert "id 'a' is used 2 times" in problems
    assert "label 'fine'" in problems
    assert "no 'source'" in problems
    assert "verbatim must be true or false" in problems
    assert "platform 'moments' is not one of the project's platforms" in problems


def test_batch_option_counts_and_lists_only_those_batches(
    bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--batch 1` keeps a held-out batch out of the figures and the listings: its cases are never shown."""
    (tmp_path / "cases.yaml").write_text(
        "- {id: seen, batch: 1, text: 保本保息, label: violation, category: x, source: 'https://example.org/1', verbatim: false}\n"
        "- {id: held-out, batch: 4, text: 稳赚不赔, label: violation, category: x, source: 'https://example.org/2', verbatim: false}\n"
        "- {id: held-out-clean, batch: 4, text: 你好, label: clean, category: y, source: 'https://example.org/3', verbatim: false}\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(sys, "argv", ["eval_bench.py", "--eval", str(tmp_path), "--batch", "1", "--fail-on", "info"])
    assert bench.main() == 0
    out = capsys.readouterr().out
    assert "1 cases" in out and "batch 1:" in out
    assert "batch 4" not in out and "held-out" not in out and "稳赚" not in out
    assert bench.parse_batches("1, 2,3") == frozenset({1, 2, 3})
    with pytest.raises(Exception, match="batch numbers"):
        bench.parse_batches("1,x")
