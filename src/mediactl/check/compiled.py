"""Compiled rules, normalisation tables and the engine cached between runs, so a one-file check starts fast.

Parsing and validating the YAML packs, building the fold tables and normalising every
term cost more than checking a caption. They are pickled under the project's state
folder (or the user cache for ad hoc checks), keyed by everything they are built from:
the pack files' names, sizes and modification times, the config's rule settings, the
code that builds them, and the mediactl version. The Aho-Corasick automaton cannot be
pickled; it is rebuilt on load (milliseconds). The user cache also holds, per project,
the few settings an ad hoc check needs from mediactl.yaml (runner.CheckSettings).

What each saves, in instructions of a whole one-file check in the bench project (5,000 terms;
cachegrind, 2026-12-06; ~1.0 G with all of them): the normalizer 79 %, the rules 53 %, the
self-test marker (runner.prepared) 24 %, the settings 21 %, the engine 4 % (0.3 % with the
built-in packs only, outside a project).
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from mediactl import __version__
from mediactl.core import fsutil

T = TypeVar("T")


def key_of(*parts: Any) -> str:
    return hashlib.sha256(repr((__version__, *parts)).encode()).hexdigest()[:32]


def cached(folder: Path, name: str, key: str, build: Callable[[], T]) -> T:
    """`build()`'s result, from `folder/name-key.pickle` when present; a corrupt cache is rebuilt."""
    path = folder / "compiled" / f"{name}-{key}.pickle"
    with (
        contextlib.suppress(OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError),
        open(path, "rb") as handle,
    ):
        return pickle.load(handle)  # our own cache file, keyed by everything it is built from
    value = build()
    with contextlib.suppress(OSError):
        for stale in path.parent.glob(f"{name}-*.pickle"):
            stale.unlink(missing_ok=True)
        fsutil.write_bytes(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    return value
