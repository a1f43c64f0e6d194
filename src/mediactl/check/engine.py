"""Applying rules to segments of visible text: one matcher pass, then each rule kind.

Every term of every rule (and every allowed context, trigger and required
sentence) goes into one Aho-Corasick automaton, so a segment is normalised and
scanned once however many rules there are. Regex rules run on the folded text,
which has the same length as the original, so their offsets need no mapping.
"""

from __future__ import annotations

import functools
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate
from typing import Any, NamedTuple

from mediactl.check.contexts import contexts, mentioned, prepare_contexts, quoted_in
from mediactl.check.equivalents import accepted
from mediactl.check.findings import Finding
from mediactl.check.homophones import spellings
from mediactl.check.normalize import Normalizer, explain
from mediactl.check.policy import policy_severity
from mediactl.check.reader import Reading, example_problems, load, masked, read, review
from mediactl.check.rules import RANK, Profile, Rule, RulePackError, RuleSet
from mediactl.check.squeeze import Squeezed, reads_chinese
from mediactl.check.statements import lawful, statements
from mediactl.core.errors import Problem

TERM, ALLOW, TRIGGER, REQUIRE = "term", "allow", "trigger", "require"


class Hit(NamedTuple):
    """A matcher hit resolved to its rule and role, with the segment it was found in."""

    rule: int
    role: str
    term: str
    start: int
    end: int
    text: str
    normalisations: tuple[str, ...]
    segment: Any


#: Hit(...) without the Python-level __new__ of a NamedTuple: a large check makes one per match.
_hit = functools.partial(tuple.__new__, Hit)


class Engine:
    def __init__(self, ruleset: RuleSet, normalizer: Any = None) -> None:
        # lazy: start-up, the runner (so render, approve, `rules ls`) loads this module and builds no engine (~4 ms)
        from mediactl.check.matcher import Matcher

        self.rules = list(ruleset.rules)
        self.normalizer = normalizer or Normalizer()
        self.entries: list[tuple[int, str, str]] = []
        searched: list[str] = []  # what the automaton looks for, entry by entry (a term, or another spelling of it)
        self.respelled: set[int] = set()  # entries found through a homophone or pinyin spelling (homophones.tsv)
        for index, rule in enumerate(self.rules):
            roles = (
                [(TRIGGER, rule.trigger), (ALLOW, rule.allow)]
                if rule.kind == "disclosure"
                else [(TERM, rule.terms), (ALLOW, rule.allow)]
            )
            for role, role_terms in roles:
                for term in role_terms:
                    self.entries.append((index, role, term))
                    searched.append(term)
                    if role in (TERM, ALLOW):
                        for spelled in spellings(term):
                            self.respelled.add(len(self.entries))
                            self.entries.append((index, role, term))
                            searched.append(spelled)
        # Compiled on first use (a few ms each): with prefilters, a one-caption check compiles only a few.
        self.patterns: dict[int, Any] = dict.fromkeys(i for i, rule in enumerate(self.rules) if rule.kind == "regex")
        # A pattern runs only on text holding one of its required literals and a long enough run of
        # digits (most texts hold neither). The literals ride in the terms' automaton as probes: a
        # literal in the folded text leaves its kept characters side by side in the compact text, so
        # finding those there is a sound test (and needs no second pass over the text). A literal made
        # only of removed characters (%, ://) is searched for in the folded text. The digit run comes
        # with the fold. Measured (cachegrind, bench/README.md; 2026-12-06), share of a bench file's
        # instructions (plain text / Markdown): the literals save 60 % / 2.9 %, finding them as probes
        # rather than by `literal in base` each 10 % / 0.7 %, the digit run 20 % / 1.1 %.
        self.prefilters = {
            index: tuple(self.normalizer.fold(literal) for literal in self.rules[index].requires)
            for index in self.patterns
        }
        self.literals = sorted({literal for found in self.prefilters.values() for literal in found})
        probed = [index for index, literal in enumerate(self.literals) if self.normalizer.term(literal)]
        self._direct = [index for index in range(len(self.literals)) if index not in probed]
        self._probed = probed  # probe number -> literal number
        # A required sentence is present when its folded form is in the folded text; its own punctuation
        # (、，) must not be subject to the matcher's gap policy, which is meant for evasions.
        # Equivalent wordings (data/check/disclosure_equivalents.yaml) count as the sentence itself.
        self.required: dict[int, tuple[str, ...]] = {}
        self.clause_sets: dict[int, tuple[tuple[tuple[str, ...], ...], ...]] = {}
        for index, rule in enumerate(self.rules):
            if rule.kind == "disclosure":
                sentences, clause_sets = accepted(rule.require)
                self.required[index] = tuple(self.normalizer.term(sentence) for sentence in sentences)
                self.clause_sets[index] = tuple(
                    tuple(tuple(self.normalizer.term(a) for a in clause) for clause in clauses)
                    for clauses in clause_sets
                )
        # The required sentences and their clauses' wordings ride in the automaton too, as probes after the
        # literals: a text that triggers a disclosure rule was searched for each of them with str.find (the
        # 2,000-file Markdown bench: 82 scans of each whole text, ~5 % of the check's CPU). Those the fold
        # would change again (none in the packs) are still searched for in the compact text.
        self._sentences = sorted(_probe_sentences(self.required, self.clause_sets, self.normalizer))
        self._sentence_set = frozenset(self._sentences)
        try:
            self.matcher = Matcher(
                searched, self.normalizer, probes=[*(self.literals[i] for i in probed), *self._sentences]
            )
        except ValueError as exc:
            raise RulePackError("rule packs", [Problem("rule packs", str(exc))]) from None
        self.learned = [index for index, rule in enumerate(self.rules) if rule.kind == "learned"]
        self.disclosure_ids = frozenset(rule.id for rule in self.rules if rule.kind == "disclosure")  # never lowered
        # Longest first, so a name inside a longer one (稳享添利 in 稳享添利180天) does not cut it short.
        self.names = sorted({self.normalizer.fold(name) for name in ruleset.names}, key=len, reverse=True)
        self._in_force: dict[Profile, set[int]] = {}
        self._severity: dict[Profile, dict[str, tuple[str, str]]] = {}
        self._needs = {
            index: (frozenset(map(self.literals.index, self.prefilters[index])), self.rules[index].requires_digits)
            for index in self.patterns
        }

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (the compiled-rules cache) without what is attached again or rebuilt on load: the rules
        (the rule set's own cache holds them), the normalizer (its own cache), compiled patterns, memos."""
        state = dict(self.__dict__)
        state.update(rules=None, normalizer=None, patterns=dict.fromkeys(self.patterns))
        state.update(_in_force={}, _severity={})
        return state

    def attach(self, ruleset: RuleSet, normalizer: Any) -> Engine:
        """The rules and normalizer this engine was built from, after loading it from the cache."""
        self.rules = list(ruleset.rules)
        self.normalizer = self.matcher.normalizer = normalizer
        return self

    def check(self, segments: Sequence[Any], profile: Profile) -> list[Finding]:
        """All findings in `segments` (the paragraphs of one file or variant) for rules in force.

        The segments are joined with paragraph breaks, folded and scanned once: per-call overhead
        would otherwise dominate on files of many short paragraphs. No match crosses a paragraph
        break (the matcher's gap policy refuses one), and any that would is dropped below.
        """
        return self.check_many([segments], profile)[0]

    def check_many(self, files: Sequence[Sequence[Any]], profile: Profile) -> list[list[Finding]]:
        """`check` of each of several files (their segments), in order, with one automaton pass over all their
        texts (Matcher.search_many): scanned one file at a time, between the rest of each file's check, the
        automaton had left the CPU caches and each scan paid for fetching it again."""
        joined = [_Joined(segments) for segments in files]
        normalized = [self.normalizer.normalize(each.text) for each in joined]
        searched = self.matcher.search_many(normalized)
        read = self._read(joined, normalized, profile)
        return [
            self._checked(each, text, found, profile, reading) if each.segments else []
            for each, text, found, reading in zip(joined, normalized, searched, read, strict=True)
        ]

    def _read(self, joined: list[_Joined], normalized: list[Any], profile: Profile) -> list[Reading | None]:
        """The learned rules' reading of each file's paragraphs, all files at once, as the automaton's scan: one
        file at a time between the rest of each check, its table left the CPU caches (2.5x the time)."""
        active = self._active(profile)
        rules = [self.rules[index] for index in self.learned if index in active]
        if not rules:
            return [None] * len(joined)
        texts = [masked(text.base, self.names) for text in normalized]
        return [
            Reading(rules, text, read(rules, each.segments, text, each.starts))
            for each, text in zip(joined, texts, strict=True)
        ]

    def _checked(
        self,
        joined: _Joined,
        normalized: Any,
        searched: tuple[list[Any], dict[int, list[tuple[int, int]]]],
        profile: Profile,
        reading: Reading | None = None,
    ) -> list[Finding]:
        """The findings of one file: its joined segments, their normal form and the automaton's matches in it."""
        active = self._active(profile)
        folded = _FoldedSegments(joined, normalized.base)  # segment id → its folded text, for quoting contexts
        hits: list[Hit] = []
        matches, probes = searched
        probes, sentences = self._sentence_probes(probes)
        entries, locate, respelled = self.entries, joined.locate, self.respelled
        for index, start, end, text, normalisations in matches:
            rule_no, role, term = entries[index]
            located = locate(start, end) if rule_no in active else None
            if located:
                segment, local = located
                if index in respelled:
                    normalisations = (*normalisations, "homophone")
                hits.append(_hit((rule_no, role, term, local, local + end - start, text, normalisations, segment)))
        findings = self._regex(joined, normalized, profile, probes, folded)
        triggered = {hit.rule for hit in hits if hit.role == TRIGGER}
        hits.extend(self._required(joined, normalized, active & triggered, sentences))
        by_rule: dict[int, list[Hit]] = defaultdict(list)
        for hit in hits:
            by_rule[hit.rule].append(hit)
        for index, rule_hits in by_rule.items():
            rule = self.rules[index]
            if rule.kind == "term":
                findings.extend(self._term(rule, rule_hits, folded))
            elif rule.kind == "occurrence":
                findings.extend(self._occurrence(rule, rule_hits))
            elif rule.kind == "disclosure":
                findings.extend(self._disclosure(rule, rule_hits, folded))
        resolved = self._resolved(profile)
        if resolved:
            findings = [_relevelled(f, resolved[f.rule]) if f.rule in resolved else f for f in findings]
        if reading is not None:  # the learned reader, last: it reads the other rules' final severities
            findings = review(
                reading.rules,
                joined.segments,
                reading.text,
                joined.starts,
                findings,
                reading.scores,
                self.disclosure_ids,
            )
        # Whole tuples compare file, line, column, rule first (PLACE_KEY), then the rest: two findings
        # of one rule at one place keep an order that does not depend on the set's hashing.
        return sorted(set(findings))

    def _term(self, rule: Rule, hits: list[Hit], folded: dict[int, str]) -> Iterable[Finding]:
        message, quoted = rule.message, bool(rule.unless_quoted_by or rule.lawful_in)  # most rules have neither
        for hit in _unallowed(hits):
            finding = _finding(rule, hit, message.replace("{match}", hit.text), rule.suggestion(hit.term))
            yield self._in_context(rule, finding, (hit.segment, hit.start, hit.end), folded) if quoted else finding

    def _in_context(self, rule: Rule, finding: Finding, where: tuple[Any, int, int], folded: dict[int, str]) -> Finding:
        """The finding at `info` when its rule's quoting context holds (a warning that names the claim), or one of
        its lawful statements does (存款保险 explained: 50万元以内，保本也保息)."""
        if self._quoted(rule, where, folded):
            note = f"（引用语境「{rule.unless_quoted_by}」：警示或转述违规说法，不作为本文案的承诺；降为提示）"
            return finding._replace(severity="info", message=finding.message + note)
        fact = lawful(folded[id(where[0])], where[1], where[2], rule.lawful_in) if rule.lawful_in else None
        if fact is None:
            return finding
        return finding._replace(
            severity="info", message=f"{finding.message}（「{fact.name}」：{fact.description}；降为提示）"
        )

    def _quoted(self, rule: Rule, where: tuple[Any, int, int], folded: dict[int, str], mention: bool = False) -> bool:
        """Whether the rule's quoting context holds at `where` (the segment and the match's span in it), or with
        `mention`, the match is the whole of a quotation (a word named, not used).

        `folded`: segment id → folded text (_FoldedSegments: cut from the fold of the whole text when first
        asked; a long paragraph may hold many matches)."""
        if not rule.unless_quoted_by:
            return False
        segment, start, end = where
        text = folded[id(segment)]
        context = contexts()[rule.unless_quoted_by]
        return quoted_in(text, start, end, context) or (mention and mentioned(text, start, end, context))

    def _occurrence(self, rule: Rule, hits: list[Hit]) -> Iterable[Finding]:
        for group in _scopes(rule, _unallowed(hits)).values():
            if len(group) > rule.max:
                extra = group[rule.max]
                message = f"{rule.message}（出现 {len(group)} 次，上限 {rule.max} 次）"
                yield _finding(rule, extra, message.replace("{match}", extra.text), rule.suggestion(extra.term))

    def _disclosure(self, rule: Rule, hits: list[Hit], folded: dict[int, str]) -> Iterable[Finding]:
        """A finding per scope that triggers the rule without any accepted sentence. A trigger inside a warning
        (the rule's quoting context: 凡是网络贷款先交钱的就是诈骗) sells nothing, so it owes no disclosure; nor does
        a trigger that is the whole of a quotation (关注“业绩比较基准”): the word is named, no product offered.

        Only a scope without the sentence asks, and only until its first trigger that is not quoted: asking for
        every trigger was a quarter of the engine's CPU on the Markdown bench (most scopes hold the sentence
        or many triggers)."""
        triggers = [h for h in _unallowed([h for h in hits if h.role != REQUIRE]) if h.role == TRIGGER]
        present = _scopes(rule, [h for h in hits if h.role == REQUIRE])
        for scope, group in _scopes(rule, triggers).items():
            if scope in present:
                continue
            first = next(
                (h for h in group if not self._quoted(rule, (h.segment, h.start, h.end), folded, mention=True)), None
            )
            if first is not None:
                message = f"{rule.message}（触发词「{first.text}」，需包含：{rule.require[0]}）"
                yield _finding(rule, first, message, rule.suggestion() or rule.require[0])

    def wording(self, segments: Sequence[Any], rule_id: str) -> str:
        """The text's own wording of a disclosure rule's required sentence, as written there ("" if absent).

        Found as check finds it (any accepted sentence, folded, its punctuation ignored), then cut from the
        segment as the editor wrote it, so a box that repeats the disclosure quotes the item (理财非存款，产品
        有风险，投资须谨慎 with its own commas), not a variant the approver never saw. One segment at a time:
        a sentence never spans paragraphs.
        """
        index = next(i for i, rule in enumerate(self.rules) if rule.id == rule_id)
        for segment in segments:
            normalized = self.normalizer.normalize(segment.text)
            for sentence in self.required[index]:
                found = normalized.compact.find(sentence) if sentence else -1
                if found >= 0:
                    start = normalized.to_original(found)
                    end = normalized.to_original(found + len(sentence) - 1) + 1
                    return str(segment.text[start:end])
            for clauses in self.clause_sets[index]:
                spans = [_first_of(normalized.compact, clause) for clause in clauses]
                if all(span is not None for span in spans):  # the clauses as written, first to last
                    start = normalized.to_original(min(span[0] for span in spans if span))
                    end = normalized.to_original(max(span[1] for span in spans if span) - 1) + 1
                    return str(segment.text[start:end])
        return ""

    def _active(self, profile: Profile) -> set[int]:
        """The rules in force for a profile; the same profile recurs for every file of a large check
        (remembered: 10 % of a plain-text bench file's instructions)."""
        if profile not in self._in_force:
            fold = self.normalizer.fold
            self._in_force[profile] = {index for index, rule in enumerate(self.rules) if rule.applies(profile, fold)}
        return self._in_force[profile]

    def _resolved(self, profile: Profile) -> dict[str, tuple[str, str]]:
        """Rule id → (its own severity, the profile's), for the rules whose severity depends on the profile.

        Two sources, both data: a rule's `severity_by_policy` looked up in the platform's facts (`policy:
        {diversion: forbidden}`), and a product-scoped disclosure on copy whose products are unknown (an
        ad hoc file without --product): the text may be about someone else's product (anti-fraud copy naming
        理财), so it is a warning there and an error only where the products say the sentence is owed.
        A context-downgraded finding (info) is left alone: it is below both.
        """
        if profile not in self._severity:
            resolved = {}
            for rule in self.rules:
                severity = policy_severity(rule, profile.platform)
                unscoped = rule.kind == "disclosure" and "products" in rule.when and profile.products is None
                if unscoped and rule.severity != "blocker":  # a blocker is the law wherever it is in force
                    severity = min(severity, "warning", key=RANK.__getitem__)
                if severity != rule.severity:
                    resolved[rule.id] = (rule.severity, severity)
            self._severity[profile] = resolved
        return self._severity[profile]

    def _required(
        self, joined: _Joined, normalized: Any, active: set[int], sentences: dict[str, list[int]]
    ) -> Iterable[Hit]:
        """Where a required sentence is present: its folded form found in the folded text.

        Only for the disclosure rules in `active` (the caller passes those whose trigger occurs: a required
        sentence matters nowhere else, and searching for each one scanned every text). `sentences`: where the
        automaton found each probed sentence or clause wording (original offset of its first kept character).
        """
        where = _Places(normalized, sentences, self._sentence_set)
        for index, required in self.required.items():
            if index not in active:
                continue
            for sentence in required:
                for first in where[sentence]:
                    located = joined.locate(first, first)
                    if located:
                        yield Hit(index, REQUIRE, "", 0, 0, "", (), located[0])
            for clauses in self.clause_sets[index]:
                for segment in _segments_with_all(joined, where, clauses):
                    yield Hit(index, REQUIRE, "", 0, 0, "", (), segment)

    def _sentence_probes(
        self, probes: dict[int, list[tuple[int, int]]]
    ) -> tuple[dict[int, list[tuple[int, int]]], dict[str, list[int]]]:
        """The matcher's probes split: the regex rules' literals (as _regex takes them), and each required
        sentence or clause wording found -> the original offsets of its first kept character."""
        literals = len(self._probed)
        if all(probe < literals for probe in probes):  # most texts: no disclosure wording at all
            return probes, {}
        sentences = {self._sentences[probe - literals]: [first for first, _ in found]
                     for probe, found in probes.items() if probe >= literals}  # fmt: skip
        return {probe: found for probe, found in probes.items() if probe < literals}, sentences

    def _regex(
        self,
        joined: _Joined,
        normalized: Any,
        profile: Profile,
        probes: dict[int, list[tuple[int, int]]],
        folded: dict[int, str],
    ) -> list[Finding]:
        """Findings of the regex rules in force. A rule that reads Chinese searches the folded text with the separators
        between two Han characters taken out (check/squeeze.py: 收 益 高 is 收益高, as the term rules see it), its
        matches mapped back to folded offsets; where no such separator is, and for digit and URL rules, the folded text."""
        findings: list[Finding] = []
        present: dict[int, set[int]] | None = None  # prefilter literal -> the segments holding it, when first asked
        active = self._active(profile)
        spread: Squeezed | None = None  # made when a rule reading Chinese first searches; squeezes segment by segment
        for index in self.patterns:
            if index not in active:
                continue
            literals, digits = self._needs[index]
            if digits and 0 <= normalized.digit_run < digits:
                continue
            segments = None  # all of them
            if literals:
                if present is None:
                    present = self._literal_segments(joined, normalized.base, probes)
                if literals.isdisjoint(present):  # most rules, most texts: iterates the few literals found
                    continue
                # the smaller side: a shape rule lists hundreds of literals, a text holds tens
                smaller, larger = (literals, present) if len(literals) <= len(present) else (present, literals)
                found = [literal for literal in smaller if literal in larger]
                segments = sorted(set().union(*(present[literal] for literal in found)))
            if not reads_chinese(self.rules[index].pattern):
                findings.extend(self._pattern_findings(index, joined, normalized, folded, segments))
                continue
            if spread is None:
                spread = Squeezed(normalized, joined, self.matcher.max_gap)
            every = spread.every_segment if segments is None else segments
            # the squeezed view stands for both the folded text and the joined segments: offsets stay folded ones
            findings.extend(self._pattern_findings(index, spread, spread, folded, every))
        return findings

    def _literal_segments(
        self, joined: _Joined, base: str, probes: dict[int, list[tuple[int, int]]]
    ) -> dict[int, set[int]]:
        """Prefilter literal -> the numbers of the segments that hold it (a literal found in the compact text
        across a paragraph break counts for both paragraphs); only literals present are keys."""
        spans: dict[int, list[tuple[int, int]]] = {self._probed[probe]: found for probe, found in probes.items()}
        for literal in self._direct:  # made only of removed characters (%, ://): found in the folded text
            text = self.literals[literal]
            found = [(start, start + len(text) - 1) for start in _finds(base, text)]
            if found:
                spans[literal] = found
        return {literal: {joined.number(first) for first, _ in found} | {joined.number(last) for _, last in found}
                for literal, found in spans.items()}  # fmt: skip

    def _pattern_findings(
        self,
        index: int,
        joined: _Joined | Squeezed,
        normalized: Any,
        folded: dict[int, str],
        segments: list[int] | None,
    ) -> Iterable[Finding]:
        rule = self.rules[index]
        pattern = self.patterns[index] or self._compile(index)
        base = normalized.base
        matches = pattern.finditer(base) if segments is None else joined.finditer(pattern, base, segments)
        for match in matches:
            located = joined.locate(match.start(), match.end())
            if located is None:
                continue
            segment, start = located
            text = segment.text[start : start + match.end() - match.start()]
            if rule.validate and not VALIDATORS[rule.validate](match.group(0)):
                continue
            line, column = segment.position(start)
            finding = Finding(
                segment.file, line, column, rule.id, rule.severity, rule.message.replace("{match}", text), text,
                rule.source, rule.suggestion(), segment.field, normalisations=_folded(text, self.normalizer),
            )  # fmt: skip
            yield self._in_context(rule, finding, (segment, start, start + len(text)), folded)

    def _compile(self, index: int) -> Any:
        import regex  # lazy: start-up, only rules of kind regex need it

        self.patterns[index] = regex.compile(self.rules[index].pattern)
        return self.patterns[index]

    def for_volume(self) -> None:
        """Get ready for many texts, before forking workers: each inherits what is built here.

        The UTF-16 automaton (faster per text, slower to build than one caption repays). The regex rules and
        the quoting contexts' cue alternations too: compiled in each worker, regex's and re's pages were each
        worker's own (CPU ~22 ms either way; summed PSS on the Markdown bench ~3 MiB less built here).
        """
        self.matcher.for_volume()
        for index in self.patterns:
            if self.patterns[index] is None:
                self._compile(index)
        prepare_contexts({rule.unless_quoted_by for rule in self.rules if rule.unless_quoted_by})
        if any(rule.lawful_in for rule in self.rules):
            statements()  # compiled once, before the workers fork
        for model in {self.rules[index].model for index in self.learned}:
            load(model)  # the learned reader's model and its native table, shared by the forked workers


def _relevelled(finding: Finding, change: tuple[str, str] | None) -> Finding:
    """The finding at the profile's severity; one a quoting context set to info stays info."""
    if change is None or finding.severity != change[0]:
        return finding
    return finding._replace(severity=change[1])


def _finds(text: str, sentence: str) -> Iterable[int]:
    """Every position of `sentence` in `text` (none for an empty one)."""
    found = text.find(sentence) if sentence else -1
    while found >= 0:
        yield found
        found = text.find(sentence, found + 1)


def _first_of(text: str, alternatives: tuple[str, ...]) -> tuple[int, int] | None:
    """The span of the first alternative found in `text`, in the order listed."""
    for alternative in alternatives:
        found = text.find(alternative) if alternative else -1
        if found >= 0:
            return found, found + len(alternative)
    return None


def _probe_sentences(
    required: dict[int, tuple[str, ...]],
    clause_sets: dict[int, tuple[tuple[tuple[str, ...], ...], ...]],
    normalizer: Any,
) -> set[str]:
    """The required sentences and clause wordings the automaton can find as probes: those the matcher's own
    normalisation (`term`) leaves as they are, so a probe found is exactly an occurrence in the compact text."""
    wanted = {sentence for sentences in required.values() for sentence in sentences}
    wanted |= {a for sets in clause_sets.values() for clauses in sets for clause in clauses for a in clause}
    return {sentence for sentence in wanted if sentence and normalizer.term(sentence) == sentence}


class _Places(dict[str, list[int]]):
    """Sentence -> original offsets of the first kept character of each occurrence in the compact text: as the
    automaton found the probed ones (absent: none), by str.find for any other."""

    def __init__(self, normalized: Any, found: dict[str, list[int]], probed: frozenset[str]) -> None:
        super().__init__(found)
        self.normalized, self.probed = normalized, probed

    def __missing__(self, sentence: str) -> list[int]:
        if sentence in self.probed:
            return []
        to_original = self.normalized.to_original
        return [to_original(found) for found in _finds(self.normalized.compact, sentence)]


def _segments_with_all(joined: _Joined, where: _Places, clauses: tuple[tuple[str, ...], ...]) -> list[Any]:
    """The segments holding every clause (any of its alternatives): a reordered disclosure, one paragraph."""
    holding: set[int] | None = None
    for alternatives in clauses:
        here = set()
        for alternative in alternatives:
            for first in where[alternative]:
                located = joined.locate(first, first)
                if located:
                    here.add(id(located[0]))
        holding = here if holding is None else holding & here
        if not holding:
            return []
    return [segment for segment in joined.segments if id(segment) in (holding or ())]


class _FoldedSegments(dict[int, str]):
    """Segment id → its folded text, cut from the fold of the joined text when first asked: the fold is one
    character to one, so the slice is the segment's own fold, without a native fold (and its compact text and
    offsets) per segment that holds a match of a rule with a quoting context."""

    def __init__(self, joined: _Joined, base: str) -> None:
        super().__init__()
        self.joined, self.base = joined, base
        self.numbers: dict[int, int] | None = None

    def __missing__(self, key: int) -> str:
        if self.numbers is None:  # segment id -> its number, made in native loops (a file has a hundred and more)
            self.numbers = dict(zip(map(id, self.joined.segments), range(len(self.joined.segments)), strict=True))
        number = self.numbers[key]
        start = self.joined.starts[number]
        text = self[key] = self.base[start : start + len(self.joined.segments[number].text)]
        return text


class _Joined:
    """Segment texts joined by paragraph breaks, and the way back from an offset to a segment."""

    BREAK = "\n\n"
    text: str
    starts: list[int]  # where each segment starts in text

    def __init__(self, segments: Sequence[Any]) -> None:
        self.segments = segments
        texts = [segment.text for segment in segments]
        # Each start is the one before plus that segment and a break: prefix sums in native loops (a Markdown
        # file has a hundred segments and more).
        sizes = map(len(self.BREAK).__add__, map(len, texts))
        self.starts = list(accumulate(sizes, initial=0))[:-1] if texts else []
        self.text = self.BREAK.join(texts)

    def number(self, offset: int) -> int:
        """The number of the segment an offset of the joined text falls in (a break belongs to the one before)."""
        return bisect_right(self.starts, offset) - 1

    def finditer(self, pattern: Any, base: str, numbers: list[int]) -> Iterator[Any]:
        """`pattern`'s matches in the given segments (ascending numbers) of `base` (this text folded, the same
        length), each segment searched on its own: a regex rule's matches hold one of its literals, so only the
        paragraphs holding one can hold a match, and most of a long file holds none. Searched in the whole text
        between the segment's bounds, so a lookbehind sees the break before it as in one pass over everything.

        One difference from that pass, by design: a match can no longer run across a paragraph break (it was
        dropped, as check drops every such match, but it could hide a match beside it in the next paragraph)."""
        for number in numbers:
            start = self.starts[number]
            yield from pattern.finditer(base, start, start + len(self.segments[number].text))

    def locate(self, start: int, end: int) -> tuple[Any, int] | None:
        """(segment, offset in it) for a span of the joined text; None if it crosses a break."""
        index = bisect_right(self.starts, start) - 1
        segment = self.segments[index]
        local = start - self.starts[index]
        return (segment, local) if end - self.starts[index] <= len(segment.text) else None


_CJK_NUMERALS = frozenset("〇零一二三四五六七八九十百千万两壹贰叁肆伍陆柒捌玖拾")


def _folded(text: str, normalizer: Any) -> tuple[str, ...]:
    """Which foldings a regex match needed to be seen, counting only signs of evasion.

    A regex match spans the text as written: a URL's own ':' and '/' are not inserted separators,
    and 第一 written with a Chinese numeral is ordinary Chinese, not a disguised digit (①, ⒈ are).
    """
    styled = not text.isascii() and any(  # a URL or a phone number: nothing styled, no character to fold
        c not in _CJK_NUMERALS and not c.isascii() and f.isdigit()
        for c, f in zip(text, normalizer.fold(text), strict=True)
    )
    return tuple(n for n in explain(text, normalizer) if n != "separator" and (n != "number" or styled))


def _unallowed(hits: list[Hit]) -> list[Hit]:
    """Term hits not inside an allowed context of the same rule in the same segment (非保本 is fine)."""
    allowed = [h for h in hits if h.role == ALLOW]
    if allowed:  # most texts hold none: then every hit stands (with len > 1 below: 4 % of a plain-text file)
        hits = [
            hit
            for hit in hits
            if hit.role != ALLOW
            and not any(
                a.segment is hit.segment and a.rule == hit.rule and a.start <= hit.start and a.end >= hit.end
                for a in allowed
            )
        ]
    return _longest_per_start(hits) if len(hits) > 1 else hits


def _longest_per_start(hits: list[Hit]) -> list[Hit]:
    """保本保息 and 保本 at the same place are one finding (the longer term), not two."""
    best: dict[tuple[int, int, int], Hit] = {}
    for hit in hits:
        key = (id(hit.segment), hit.rule, hit.start)
        if key not in best or hit.end > best[key].end:
            best[key] = hit
    return sorted(best.values(), key=lambda h: (h.segment.file, h.segment.field, h.segment.block, h.start))


def _scopes(rule: Rule, hits: Iterable[Hit]) -> dict[tuple[Any, ...], list[Hit]]:
    groups: dict[tuple[Any, ...], list[Hit]] = defaultdict(list)
    for hit in hits:
        key = (hit.segment.file, hit.segment.field, hit.segment.block) if rule.scope == "paragraph" else ()
        groups[key].append(hit)
    return groups


def _finding(rule: Rule, hit: Hit, message: str, suggestion: str) -> Finding:
    segment = hit.segment
    line, column = segment.position(hit.start)
    return Finding(
        segment.file, line, column, rule.id, rule.severity, message, hit.text, rule.source, suggestion,
        segment.field, normalisations=hit.normalisations,
    )  # fmt: skip


def luhn(text: str) -> bool:
    digits = [int(c) for c in text if c.isdigit()]
    if len(digits) < 12:
        return False
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return total % 10 == 0


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def cn_id(text: str) -> bool:
    """GB 11643 resident ID: 17 digits and a check character (0-9 or X)."""
    code = "".join(c for c in text if c.isalnum()).upper()
    if len(code) != 18 or not code[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(code[:17], _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == code[17]


VALIDATORS = {"luhn": luhn, "cn_id": cn_id}


def self_test(ruleset: RuleSet, engine: Engine | None = None) -> list[Problem]:
    """Run every rule's examples; a rule that misses a `match` or flags a `no_match` is broken."""
    from mediactl.check.extract import extract_text  # lazy: start-up, self-tests run only when the packs change

    engine = engine or Engine(ruleset)
    problems = []
    for index, rule in enumerate(ruleset.rules):
        if rule.kind == "learned":  # judged by its model alone: the other rules in force (disabled, re-levelled,
            # a project's own) must not decide whether it passes its own tests
            problems += [
                Problem(rule.pack_file, message, rule.line) for message in example_problems(rule, engine.normalizer)
            ]
            continue
        required = engine.prefilters.get(index, ())
        for text in rule.match_examples if required else ():
            if not any(literal in engine.normalizer.fold(text) for literal in required):
                problems.append(
                    Problem(rule.pack_file, f"rule {rule.id}: example {text!r} holds none of 'requires'", rule.line)
                )
        for text in rule.match_examples if rule.requires_digits else ():
            if engine.normalizer.normalize(text).digit_run < rule.requires_digits:
                message = (
                    f"rule {rule.id}: example {text!r} has no run of {rule.requires_digits} digits ('requires_digits')"
                )
                problems.append(Problem(rule.pack_file, message, rule.line))
        for text, expected in [
            *((t, True) for t in rule.match_examples),
            *((t, False) for t in rule.no_match_examples),
        ]:
            segments = extract_text(text, "<example>")
            found = any(
                f.rule == rule.id and (f.severity != "info" or rule.severity == "info")  # info: quoted (contexts)
                for f in engine.check(segments, Profile())
            )
            if found != expected:
                verb = "should match but does not" if expected else "must not match but does"
                problems.append(Problem(rule.pack_file, f"rule {rule.id}: example {text!r} {verb}", rule.line))
    return problems
