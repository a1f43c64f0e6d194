"""Equivalent wordings of required disclosures: data, not more `require` entries in every pack.

A disclosure is written by regulators, the industry association and banks in several equivalent ways
(须/需, another clause order, "理财产品不等于存款" for "理财非存款"). Listing them in each rule's
`require` would repeat them in every pack that requires the sentence and lose their sources; instead
``data/check/disclosure_equivalents.yaml`` keys them by the canonical sentence, each with its source,
and every rule requiring that sentence accepts them (engine.py). Two forms:

* ``wordings``: whole sentences, matched like the canonical one (folded, punctuation ignored);
* ``clauses``: every clause (any of its alternatives) present in one paragraph, in any order; a sentence may
  have several entries, each its own set of clauses (the association's three-clause notice, the regulator's
  risk-disclosure sentence of a 风险揭示书).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

EQUIVALENTS_FILE = ("data", "check", "disclosure_equivalents.yaml")


@dataclass(frozen=True)
class Equivalent:
    """What else satisfies a required sentence."""

    wordings: tuple[str, ...] = ()
    clause_sets: tuple[tuple[tuple[str, ...], ...], ...] = ()  # each: all of its clauses, each any alternative


def equivalents_bytes() -> bytes:
    """The data file as stored: the rule set's digest includes it, so a change re-runs the self-tests."""
    return resources.files("mediactl").joinpath(*EQUIVALENTS_FILE).read_bytes()


@functools.cache
def equivalents() -> dict[str, Equivalent]:
    """Canonical sentence → its equivalent wordings, as listed (not folded)."""
    import yaml  # lazy: start-up, read only when an engine is built (the compiled cache holds the result)

    data = yaml.safe_load(equivalents_bytes().decode("utf-8")) or {}
    found: dict[str, Equivalent] = {}
    for entry in data.get("equivalents") or []:  # a sentence may have several entries (another source's form)
        sentence = str(entry["sentence"])
        wordings = tuple(str(w["text"]) for w in entry.get("wordings") or [])
        clauses = tuple(tuple(str(a) for a in clause) for clause in entry.get("clauses") or [])
        known = found.get(sentence, Equivalent())
        found[sentence] = Equivalent(known.wordings + wordings, known.clause_sets + ((clauses,) if clauses else ()))
    return found


def accepted(require: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[tuple[tuple[str, ...], ...], ...]]:
    """(every accepted sentence, every accepted clause set) for a rule's `require` list, canonical first."""
    table = equivalents()
    sentences = list(require)
    clause_sets: list[tuple[tuple[str, ...], ...]] = []
    for sentence in require:
        equivalent = table.get(sentence)
        if equivalent:
            sentences.extend(w for w in equivalent.wordings if w not in sentences)
            clause_sets.extend(equivalent.clause_sets)
    return tuple(sentences), tuple(clause_sets)
