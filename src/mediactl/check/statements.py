"""Lawful statements: a claim's words that are true of what their sentence speaks about (data/check/statements.yaml).

Some words a rule must catch are, in one kind of sentence, a fact the bank is obliged or entitled to state:
存款保险 repays principal and interest together up to 50万元 (保本也保息 is how every bank explains it), and an
activity rule that states how many gifts there are (每日限量50份，名额有限，领完即止) announces a real limit, not
pressure. A rule opts in with `lawful_in: [NAME, …]`; the engine reports a match at `info` when a statement holds
in the match's sentence. Each statement is two patterns on the folded text (simplified, half-width, 一 as 1): what
the sentence must say (`sentence`) and what it must not (`unless`: the simile an ad borrows the fact with, 像存款保险
一样保本; the countdown that turns a limit into pressure, 仅剩最后3份). Narrower than a quoting context on purpose:
the fact must be in the claim's own sentence.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

from mediactl.check.contexts import own_voice, sentence_bounds

STATEMENTS_FILE = ("data", "check", "statements.yaml")


@dataclass(frozen=True)
class Statement:
    name: str
    description: str
    sentence: Any  # compiled `regex` pattern: what the sentence must say
    unless: Any | None  # ... and what it must not
    matches: frozenset[str] = frozenset()  # the matched words (folded) it may excuse; empty: any
    lawful_examples: tuple[str, ...] = ()
    claim_examples: tuple[str, ...] = ()


def statements_bytes() -> bytes:
    """The data file as stored (part of the rule set's digest)."""
    return resources.files("mediactl").joinpath(*STATEMENTS_FILE).read_bytes()


@functools.cache
def statements() -> dict[str, Statement]:
    import regex  # lazy: start-up; the rules' own patterns use the same engine

    from mediactl.config.yamlpos import load_data  # libyaml, as contexts.yaml is read

    data = load_data(statements_bytes().decode("utf-8"), "/".join(STATEMENTS_FILE)) or {}
    found = {}
    for name, spec in (data.get("statements") or {}).items():
        where = f"{'/'.join(STATEMENTS_FILE)}: statement {name}"
        if not isinstance(spec, dict) or not spec.get("sentence") or not spec.keys() <= _KEYS:
            raise ValueError(f"{where}: needs 'sentence' and only {', '.join(sorted(_KEYS))}")
        examples = spec.get("examples") or {}
        try:
            sentence = regex.compile(str(spec["sentence"]))
            unless = regex.compile(str(spec["unless"])) if spec.get("unless") else None
        except regex.error as exc:
            raise ValueError(f"{where}: a pattern does not compile: {exc}") from exc
        found[name] = Statement(
            name=name,
            description=str(spec.get("description") or ""),
            sentence=sentence,
            unless=unless,
            matches=frozenset(str(word) for word in spec.get("matches") or []),
            lawful_examples=tuple(str(text) for text in examples.get("lawful") or []),
            claim_examples=tuple(str(text) for text in examples.get("claims") or []),
        )
    return found


_KEYS = frozenset({"description", "source", "sentence", "unless", "matches", "examples"})


def stated_lawfully(folded: str, start: int, statement: Statement) -> bool:
    """Whether the sentence holding folded[start] says what `statement` needs and nothing it excludes, and the
    advertiser does not speak in it (本产品, 这款, 本行: a fact said of one's own product is its pitch)."""
    begin, end = sentence_bounds(folded, start)
    sentence = folded[begin:end]
    return (
        statement.sentence.search(sentence) is not None
        and (statement.unless is None or statement.unless.search(sentence) is None)
        and not own_voice(sentence)
    )


def lawful(folded: str, start: int, end: int, names: tuple[str, ...]) -> Statement | None:
    """The first of the named statements that holds for the match folded[start:end], if any."""
    known = statements()
    matched = folded[start:end]
    for name in names:
        statement = known[name]
        if (not statement.matches or matched in statement.matches) and stated_lawfully(folded, start, statement):
            return statement
    return None
