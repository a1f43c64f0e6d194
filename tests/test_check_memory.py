"""What a check's worker processes hold (issue 17: the Markdown bench's summed PSS missed its 100 MiB target)."""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import pytest

from mediactl.check.engine import _folded
from mediactl.check.normalize import Normalizer, explain
from mediactl.check.output import Output


def test_explaining_a_match_does_not_rebuild_the_python_fold_table() -> None:
    """The compiled-rules cache stores the normalizer without its 200,000-int fold table as a Python list
    (the native bytes hold it). explain() rebuilt it, character by character through removes(), in every
    worker that found one normalised match: ~7 MiB of PSS a worker, 105 -> 88 MiB on the Markdown bench."""
    normalizer = pickle.loads(pickle.dumps(Normalizer()))  # as the cache loads it
    native = normalizer._native is not None
    assert explain("保 本", normalizer, term="保本") == ("separator",)
    assert _folded("https://Example.cn/ｘ", normalizer) == ("width", "case")
    if native:  # the pure-Python path (MEDIACTL_NO_NATIVE=1) needs the list to fold at all
        assert normalizer._table_list is None


def test_a_cold_check_lets_the_fold_tables_go_once_its_normalizer_is_built() -> None:
    """A first check builds the normalizer (a warm one loads it from the cache, without the tables); the tables
    it was built from stayed in the process the workers fork from: the bench's cold run summed 100 MiB of PSS."""
    from mediactl.check import fold, runner

    normalizer = runner._new_normalizer()
    assert fold._fold_tables.cache_info().currsize == 0
    assert normalizer.fold("保本ＡＢ") == "保本ab"
    if normalizer._native is not None:  # the pure-Python path folds with the list itself
        assert normalizer._table_list is None


def test_a_large_check_builds_what_its_workers_use_before_forking(tmp_path: Path) -> None:
    """Forked workers share the pages the parent built; what each builds on first use (the regex rules, the
    quoting contexts' cue alternations, pyromark's parser) is built twice and counted twice in summed PSS."""
    from mediactl.check import contexts, extract, runner

    files = []
    for number in range(runner.PER_WORKER):
        files.append(tmp_path / f"{number:03}.md")
        files[-1].write_text("# 标题\n\n保本理财，年化收益8%。\n", "utf-8")
    ruleset, engine = runner.prepared(None, None)
    engine.patterns = dict.fromkeys(engine.patterns)  # as a warm check loads it from the compiled cache
    contexts.contexts.cache_clear()
    contexts._cue_pattern.cache_clear()
    extract._markdown_parser.cache_clear()
    spy_freeze = []
    original = runner.gc.freeze

    def freeze() -> None:  # the moment before forking: what exists now is shared
        spy_freeze.append(
            (
                all(pattern is not None for pattern in engine.patterns.values()),
                contexts.contexts.cache_info().currsize,
                contexts._cue_pattern.cache_info().currsize,
                extract._markdown_parser.cache_info().currsize,
            )
        )
        original()

    with pytest.MonkeyPatch.context() as patch, Output("json", stream=io.StringIO()) as output:
        patch.setattr(runner.gc, "freeze", freeze)
        patch.setattr(runner, "prepared", lambda config, state: (ruleset, engine))
        runner.check_files(files, platform=None, products=None, config=None, output=output, jobs=1)
    compiled, loaded, cues, parser = spy_freeze[0]
    assert compiled and loaded == 1 and cues > 0 and parser == 1
