"""What a check's worker processes hold (issue 17: the Markdown bench's summed PSS missed its 100 MiB target)."""

from __future__ import annotations

import pickle

from mediactl.check.engine import _folded
from mediactl.check.normalize import Normalizer, explain


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
