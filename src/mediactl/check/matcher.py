"""Find every term of a word list in a text: one Aho-Corasick pass over the normalised text.

Terms and text are normalised the same way (``normalize.Normalizer``): folded one to
one, then stripped of invisible and separator characters. ``ahocorasick_rs`` finds all
overlapping occurrences in the compact text; each is mapped back to original offsets
and kept only if it passes two rules:

**Latin boundaries.** Han needs no word boundary (Chinese has no spaces). A term whose
normalised form starts (ends) with an ASCII letter or digit matches only where the
character before (after) it in the folded text is not an ASCII letter or digit: ``vx``
is not found in ``vxworks``, ``1`` not in ``2021`` (nor in ``二〇二一``, which folds to
``2021``), and ``qq`` not in ``qqq`` (every occurrence touches another ``q``; a run of
the same letter is taken as a different word; likewise ``vx`` is not found in
``vx123456``: an ID glued to the term is the regex rules' job). The neighbour is the
character right next to the match in the original text, so an invisible character there
counts as a boundary: inserting one to make a Latin term match is itself an evasion.

**Gaps.** Characters removed inside a match (between two term characters) are
accepted only if each gap between two consecutive term characters

* has at most ``max_gap`` code points, invisible characters not counted (``\r\n`` is two);
* holds no paragraph break: two or more line breaks (``\\r\\n`` counts once) or U+2029;
* is not made only of clause and sentence marks (``。，、；：！？`` and their ASCII
  forms ``,;:!?``) with ordinary spacing: ``确保。本周`` does not contain ``保本``.

So ``保 本``, ``保.本``, ``保*本``, ``保\\n本`` (a soft line break), ``保🔥本``,
``保\\u200b本`` and ``稳·赚`` match, ``保。本``, ``保， 本`` and ``保\\n\\n本`` do not.
Brackets, quotes, dashes and ellipses are ordinary separators (``保「本`` matches), so
``确保「本周」`` is a known false positive, left to allowed contexts and suppressions.
"""

from __future__ import annotations

import operator
from bisect import bisect_right
from collections.abc import Sequence
from typing import NamedTuple

import ahocorasick_rs

from mediactl.check.normalize import INVISIBLE, Normalized, Normalizer, _native, explain

__all__ = ["CLAUSE_MARKS", "Match", "Matcher"]

#: Clause and sentence marks a gap may not consist of (with spacing only). Full-width
#: ，；：！？ fold to ASCII in ``base``; the ASCII forms are treated alike, as in mixed-width
#: typing. ``.`` is not one: in Chinese text it is a decimal point or an evasion dot.
CLAUSE_MARKS = "。，、；：！？,;:!?｡､"

_ASCII_ALNUM = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_INVISIBLE = frozenset(INVISIBLE)
_CLAUSE = frozenset(CLAUSE_MARKS)
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_JOINER = "\n"  # between the texts of one scan (search_many): the fold removes it, so no key or compact text has it
_END = operator.itemgetter(2)


class Match(NamedTuple):  # a tuple: one per hit, and a large check has tens of thousands
    term_index: int  # index of the term in the list given to Matcher (not `index`: that is tuple.index)
    start: int  # original offsets (code points), [start, end)
    end: int
    text: str  # original[start:end], inserted characters included
    normalisations: tuple[str, ...]  # what the match needed (normalize.explain); () when written as the term


class Matcher:
    """All terms of a list, normalised once, in one automaton.

    Probes ride along in the same automaton: texts whose mere presence in the compact text
    the caller wants to know (the regex rules' prefilter literals), without a second pass
    over the text. A probe found is not a match: no boundaries, no gap policy.
    """

    def __init__(
        self,
        terms: Sequence[str],
        normalizer: Normalizer | None = None,
        *,
        max_gap: int = 3,
        probes: Sequence[str] = (),
    ) -> None:
        if isinstance(terms, str):
            raise TypeError("terms must be a sequence of str, not one str")
        max_gap = operator.index(max_gap)
        if max_gap < 0:
            raise ValueError(f"max_gap must be >= 0, not {max_gap}")
        self.normalizer = normalizer if normalizer is not None else Normalizer()
        self.max_gap = max_gap
        self.terms: tuple[str, ...] = tuple(terms)
        by_key: dict[str, list[int]] = {}
        for index, term in enumerate(self.terms):
            if not isinstance(term, str):
                raise TypeError(f"term {index} must be a str, not {type(term).__name__}")
            key = self.normalizer.term(term)
            if not key:
                raise ValueError(f"term {index} {term!r} is empty once normalised (only separators or invisible)")
            by_key.setdefault(key, []).append(index)
        self._keys = list(by_key)
        self._indexes = [tuple(indexes) for indexes in by_key.values()]
        self._latin_start = [key[0] in _ASCII_ALNUM for key in self._keys]
        self._latin_end = [key[-1] in _ASCII_ALNUM for key in self._keys]
        self._term_keys = len(self._keys)  # keys from here on are probes only
        position = {key: index for index, key in enumerate(self._keys)}
        self._probe_keys: list[int] = []
        for index, probe in enumerate(probes):
            key = self.normalizer.term(probe)
            if not key:
                raise ValueError(f"probe {index} {probe!r} is empty once normalised (only separators or invisible)")
            if key not in position:
                position[key] = len(self._keys)
                self._keys.append(key)
            self._probe_keys.append(position[key])
        self._probe_key_set = frozenset(self._probe_keys)  # a probe may share a term's key (保本 both)
        self._key_probes: dict[int, list[int]] = {}  # key -> its probe numbers: a text holds few of the 250 probes
        for number, probe_key in enumerate(self._probe_keys):
            self._key_probes.setdefault(probe_key, []).append(number)
        # The same facts a byte per key, for the native loop (_native.match_spans): 1 Latin start, 2 Latin end, 4 probe.
        self._flags = bytes(
            (index < self._term_keys and self._latin_start[index])
            | (index < self._term_keys and self._latin_end[index]) << 1
            | (index in self._probe_key_set) << 2
            for index in range(len(self._keys))
        )
        self._chars: ahocorasick_rs.AhoCorasick | None = self._str_automaton()
        self._units: ahocorasick_rs.BytesAhoCorasick | None = None

    def __getstate__(self) -> dict[str, object]:
        """Pickled without the automata (they cannot be) and the normalizer (the owner attaches it)."""
        return {**self.__dict__, "_chars": None, "_units": None, "normalizer": None}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)  # the str automaton is built when first needed (_scan): a large check
        # scans UTF-16 units (for_volume), and building both before forking cost the parent ~13 ms of wall

    def _str_automaton(self) -> ahocorasick_rs.AhoCorasick:
        """Every key (terms, then probes) in one automaton over str; rebuilt on load, it cannot be pickled."""
        return ahocorasick_rs.AhoCorasick(self._keys, matchkind=ahocorasick_rs.MatchKind.Standard)

    def for_volume(self) -> None:
        """Get ready for many texts: also scan them as UTF-16 code units.

        Two bytes a character instead of UTF-8's three for Chinese, no UTF-8 encoding of each text
        inside the library and no byte-to-character mapping of its results. Measured 2026-12-06: search
        0.33 -> 0.26 ms per plain-text bench file (0.12 -> 0.10 ms Markdown), the bench's CPU time
        2.35 -> 2.14 s; but it takes 13-37 ms more to build (5,000 terms), which one caption never repays.
        """
        if self._units is None:
            units = [key.encode("utf-16-le", "surrogatepass") for key in self._keys]
            self._units = ahocorasick_rs.BytesAhoCorasick(units, matchkind=ahocorasick_rs.MatchKind.Standard)

    def _scan(self, compact: str) -> tuple[list[tuple[int, int, int]], int]:
        """Raw automaton hits (key, start, end) on `compact`, and how far to shift offsets right to get characters.

        With UTF-16 units, a hit at an odd byte offset straddles two characters: the caller drops it.
        A text with characters beyond the BMP (surrogate pairs would shift the offsets) is scanned as str.
        """
        if self._units is not None:
            units = compact.encode("utf-16-le", "surrogatepass")
            if len(units) == 2 * len(compact):  # no character beyond the BMP: one unit each
                return self._units.find_matches_as_indexes(units, overlapping=True), 1
        if self._chars is None:
            self._chars = self._str_automaton()
        return self._chars.find_matches_as_indexes(compact, overlapping=True), 0

    def find(self, text: str | Normalized) -> list[Match]:
        """Every occurrence of every term, overlapping ones included, sorted by (start, -end, term_index)."""
        return self.search(text)[0]

    def search(self, text: str | Normalized) -> tuple[list[Match], set[int]]:
        """`find`, and the indexes of the probes present in the compact text."""
        matches, probes = self.search_spans(text)
        return matches, set(probes)

    def search_spans(self, text: str | Normalized) -> tuple[list[Match], dict[int, list[tuple[int, int]]]]:
        """`search`, with where each present probe was found: (first, last) original offsets of its first and
        last kept character, in the order found. The regex rules run only on the paragraphs holding one of their
        literals, and the automaton has found those already."""
        normalized = text if isinstance(text, Normalized) else self.normalizer.normalize(text)
        return self._spans(normalized, *self._scan(normalized.compact))

    def search_many(self, texts: Sequence[Normalized]) -> list[tuple[list[Match], dict[int, list[tuple[int, int]]]]]:
        """`search_spans` of each text, all scanned in one pass of the automaton once it is ready for volume.

        The automaton of the bench's 8,800 keys is larger than the CPU's nearer caches: scanned after the rest of
        a file's check, it was fetched again (measured 2026-12-07, the 2,000-file Markdown bench in one process:
        0.57 s in scans, 0.17 s scanning the same texts again at once). The texts are joined by a character the
        fold removes, so none is in a compact text or a key and no match crosses from one text to the next."""
        return [self._spans(text, *found) for text, found in zip(texts, self._scan_many(texts), strict=True)]

    def _scan_many(self, texts: Sequence[Normalized]) -> list[tuple[list[tuple[int, int, int]], int]]:
        """`_scan` of each text's compact form, in one pass over their UTF-16 units where every one is in the BMP."""
        compacts = [text.compact for text in texts]
        if self._units is None or len(compacts) < 2 or self.normalizer.term(_JOINER):
            return [self._scan(compact) for compact in compacts]
        units = _JOINER.join(compacts).encode("utf-16-le", "surrogatepass")
        if len(units) != 2 * (sum(map(len, compacts)) + len(compacts) - 1):  # beyond the BMP: one text at a time
            return [self._scan(compact) for compact in compacts]
        hits = self._units.find_matches_as_indexes(units, overlapping=True)  # in the order of their ends
        scanned: list[tuple[list[tuple[int, int, int]], int]] = []
        first = origin = 0
        for compact in compacts:
            end = origin + 2 * len(compact)
            last = bisect_right(hits, end, first, key=_END)
            # A hit at an odd offset across the joiner is dropped as any odd hit is (its start stays odd).
            scanned.append(([(key, start - origin, stop - origin) for key, start, stop in hits[first:last]], 1))
            first, origin = last, end + 2
        return scanned

    def _spans(
        self, normalized: Normalized, hits: list[tuple[int, int, int]], shift: int
    ) -> tuple[list[Match], dict[int, list[tuple[int, int]]]]:
        """The automaton's raw hits on a text (`_scan`) as `search_spans` gives them."""
        native = _native if normalized._offsets is not None else None  # offsets: the native fold ran
        if native is not None and hasattr(native, "match_spans"):  # the same loop, natively
            kept, gapped, found = native.match_spans(
                hits, shift, normalized._offsets, normalized.base, self._flags, self._term_keys
            )
            kept += [hit for hit in gapped if self._gaps_ok(normalized, hit[0], -hit[1])]
        else:
            kept, found = self._kept(normalized, hits, shift)
        kept.sort()
        original, terms, indexes = normalized.original, self.terms, self._indexes
        matches: list[Match] = []
        for start, negative_end, key in kept:
            span = original[start:-negative_end]
            for index in indexes[key]:  # ascending: the (start, -end, index) order holds
                term = terms[index]
                normalisations = () if span == term else explain(span, self.normalizer, term=term)
                matches.append(Match(index, start, -negative_end, span, normalisations))
        present = sorted((probe, key) for key in found for probe in self._key_probes[key])
        return matches, {probe: found[key] for probe, key in present}

    def _kept(
        self, normalized: Normalized, hits: list[tuple[int, int, int]], shift: int
    ) -> tuple[list[tuple[int, int, int]], dict[int, list[tuple[int, int]]]]:
        """The raw hits (`_scan`) that stand as (start, -end, key) in original offsets, and each probe key found ->
        the original offsets of the first and last kept character of each of its hits (_native.match_spans is
        this loop in C; the tests compare the two)."""
        base = normalized.base
        size = len(base)
        to_original = normalized._mapper()
        latin_start, latin_end = self._latin_start, self._latin_end
        kept: list[tuple[int, int, int]] = []
        found: dict[int, list[tuple[int, int]]] = {}
        probe_keys, term_keys = self._probe_key_set, self._term_keys
        for key, cstart, cend in hits:
            if cstart & shift:  # odd byte offset: not on a character boundary
                continue
            cstart >>= shift
            cend >>= shift
            if key in probe_keys:
                found.setdefault(key, []).append((to_original(cstart), to_original(cend - 1)))
            if key >= term_keys:
                continue
            start = to_original(cstart)
            end = to_original(cend - 1) + 1
            if latin_start[key] and start > 0 and base[start - 1] in _ASCII_ALNUM:
                continue
            if latin_end[key] and end < size and base[end] in _ASCII_ALNUM:
                continue
            if end - start != cend - cstart and not self._gaps_ok(normalized, start, end):
                continue
            kept.append((start, -end, key))
        return kept, found

    def _gaps_ok(self, normalized: Normalized, start: int, end: int) -> bool:
        """Whether every run of removed characters inside ``[start, end)`` is an acceptable gap."""
        for gap in normalized._gaps(start, end):  # folded: ， is ',' and U+3000 is ' ' here
            visible = [c for c in gap if c not in _INVISIBLE]
            if not visible:
                continue
            if len(visible) > self.max_gap:
                return False
            if sum(c in _LINE_BREAKS for c in "".join(visible).replace("\r\n", "\n")) >= 2 or "\u2029" in gap:
                return False
            if all(c in _CLAUSE or c.isspace() for c in visible) and any(c in _CLAUSE for c in visible):
                return False
        return True
