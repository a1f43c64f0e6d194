"""How a large ad hoc check splits its files among worker processes (check/runner.py, issue 17 speed)."""

from __future__ import annotations

from mediactl.check import runner


def test_batches_keep_the_order_and_shrink_towards_the_end_when_workers_share_them() -> None:
    named = [(f"f{n}.md", f"/x/f{n}.md") for n in range(2000)]
    batches = runner._batches(named, 2)
    sizes = [len(batch) for batch in batches]
    assert [item for batch in batches for item in batch] == named
    assert max(sizes) == runner.FILES_PER_BATCH and sizes == sorted(sizes, reverse=True)
    # The last batches are small: a worker left alone at the end is alone for a few files, not a hundred.
    assert all(size <= runner.FILES_PER_BATCH // 8 for size in sizes[-5:])


def test_one_process_keeps_full_batches() -> None:
    named = [(f"f{n}.md", f"/x/f{n}.md") for n in range(5 * runner.FILES_PER_BATCH // 2)]
    size = runner.FILES_PER_BATCH
    assert [len(batch) for batch in runner._batches(named, 1)] == [size, size, size // 2]
    assert runner._batches([], 2) == []
