"""Homophone, look-alike and pinyin spellings of banned terms (data/check/homophones.tsv).

A character-level fold would be wrong here: folding 包 to 保 everywhere turns 红包收益 into 红保收益,
which holds 保收益. So the table is applied to the rules' own terms instead: each term (and each allowed
context, so 非包本 stays allowed) is also looked for in the spellings that replace up to two of its parts by
a listed written form. The automaton grows by a few thousand entries; the text is still scanned once.
"""

from __future__ import annotations

import functools
import itertools
from importlib import resources

from mediactl.check.fold import _is_han  # the fold's own test of a Han character, as normalize uses it

HOMOPHONES_FILE = ("data", "check", "homophones.tsv")
MAX_SUBSTITUTIONS = 2


def homophones_bytes() -> bytes:
    """The data file as stored (part of the rule set's digest)."""
    return resources.files("mediactl").joinpath(*HOMOPHONES_FILE).read_bytes()


@functools.cache
def table() -> tuple[tuple[str, str], ...]:
    """(written form, what it stands for) pairs, in file order."""
    pairs = []
    for line in homophones_bytes().decode("utf-8").splitlines():
        if line and not line.startswith("#"):
            written, meant, *_ = line.split("\t")
            pairs.append((written, meant))
    return tuple(pairs)


def spellings(term: str) -> list[str]:
    """Other spellings of `term` with one or two listed substitutions. A spelling with no Han character left
    (lfx, baoben) must be 3 letters or more: shorter Latin words occur in ordinary text (matching keeps Latin
    word boundaries either way)."""
    places = [(start, meant, written) for written, meant in table() for start in _positions(term, meant)]
    found: dict[str, None] = {}
    for count in range(1, MAX_SUBSTITUTIONS + 1):
        for chosen in itertools.combinations(places, count):
            spelled = _apply(term, chosen)
            if spelled and spelled != term and (len(spelled) >= 3 or any(_is_han(char) for char in spelled)):
                found.setdefault(spelled, None)
    return list(found)


def _positions(term: str, part: str) -> list[int]:
    return [i for i in range(len(term) - len(part) + 1) if term.startswith(part, i)]


def _apply(term: str, chosen: tuple[tuple[int, str, str], ...]) -> str:
    """`term` with each chosen part replaced; "" when two chosen parts overlap."""
    result, position = [], 0
    for start, meant, written in sorted(chosen):
        if start < position:
            return ""
        result += [term[position:start], written]
        position = start + len(meant)
    return "".join(result) + term[position:]
