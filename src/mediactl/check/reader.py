"""The learned reader: a second opinion on a whole paragraph, where phrase rules read single wordings.

Phrase and shape rules close the copy they were written from and miss claims made in other words
(eval/README.md: seven rules rounds each raised the batch they read to ~98 % and the next unseen batch by
0-5 points). They also fire on the same words inside a warning that quotes them. The reader is character
n-gram logistic regression trained on labelled copy (`tools/train_reader.py`: the evaluation batches a
rules round may read, a corpus of the bank's own lawful copy and ordinary prose), and rules of kind `learned`
(data/rules/reader.yaml) use it two ways:

- **above** a threshold, a paragraph where no claim rule matched is reported as reading like a claim, the
  n-grams that weighed most named as evidence, so an editor sees why;
- **below** a threshold, an error of a rule it arbitrates (the claim rules, never diversion) is lowered to a
  warning with the score in the message, where the paragraph and the error's sentence read like the warnings
  and explainers that quote such words and the advertiser does not speak; a missing disclosure only where
  nothing in the whole variant reads like an offer by a second model, offers.json (scope `variant`: a story, a
  report or an explainer that names a product). Nothing is hidden; the finding stays in the report.

Features are counted on the fold of the text (check/normalize.py: traditional to simplified, full-width to
ASCII, case; digits read as 0), so an evasion by spelling reads like the claim it spells. The model is JSON:
each n-gram's key, idf and weight as three packed columns (`pack`); scoring is the sublinear-tf idf vector,
L2-normalised, dotted with the weights, through the logistic function, as the trainer computed it (natively: the
same to 1e-12).
"""

from __future__ import annotations

import array
import base64
import bisect
import json
import math
import re
import sys
import zlib
from collections import Counter
from functools import cached_property, lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, NamedTuple

from mediactl.check.contexts import own_voice, sentence_bounds, sets_aside
from mediactl.check.findings import Finding
from mediactl.check.rules import RANK, Rule

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence


#: The version of _native.ngram_scores this code calls; another build scores in Python (same figures, slower).
READER_API = 5
_SLOT_BYTES = 8 + 16  # a slot of the native table: its uint64 key, then (apart) its idf and weight as doubles
_GOLDEN = 0x9E3779B97F4A7C15  # Fibonacci hashing: the n-gram table's slot is the key times this, top bits

#: Runs of whitespace count as one space: line breaks inside a paragraph are layout, not wording.
_SPACES = re.compile(r"\s+")
#: Han characters, as the C extension counts them (is_han): a rule reads only paragraphs holding enough of them.
HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")


#: Every ASCII digit reads as 0: a figure's size is no sign of a claim (2.87% in a fund's facts, 8% in a promise),
#: its place is (年化0.00%稳拿); with the digits themselves the model learned the years and rates of its copy.
_DIGITS = str.maketrans("123456789", "000000000")


def features(folded: str, sizes: tuple[int, ...] = (1, 2, 3)) -> Counter[str]:
    """Every character n-gram of `folded` (the normalizer's fold of a paragraph, digits read as 0) and how often
    it occurs."""
    text = _SPACES.sub(" ", folded).strip().translate(_DIGITS)
    counts: Counter[str] = Counter()
    for size in sizes:
        counts.update(text[i : i + size] for i in range(len(text) - size + 1))
    return counts


class Model:
    """A trained model (`load`): per n-gram its idf and its weight, the intercept, and what it was trained on."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.sizes = tuple(int(size) for size in data["sizes"])
        self.intercept = float(data["intercept"])
        self.trained_on: dict[str, Any] = dict(data.get("trained_on", {}))
        native = self._scorer() is not None
        # Where the native scorer runs, only its table is kept: the dict of 20,000 n-grams was 6 MiB in each
        # process of a large check, the table is 1.5 MiB. `terms` is read back from the table if ever asked.
        self._terms: dict[str, tuple[float, float]] | None = None
        if "packed" in data:  # the shipped model (`pack`): built into the table with no Python object per n-gram
            keys, idfs, weights = unpack(data["packed"])
            if native:
                self._table = _table_from(keys, _scaled(idfs), _scaled(weights), len(keys))
            else:
                self._terms = {
                    gram_of(key): (idf, weight)
                    for key, idf, weight in zip(keys, _scaled(idfs), _scaled(weights), strict=True)
                }
        else:  # a model written out as {n-gram: [idf, weight]} (tests, a model made by hand)
            self._terms = {gram: (float(idf), float(weight)) for gram, (idf, weight) in data["terms"].items()}
            if native:
                self._table = _table_of(self._terms)
                self._terms = None

    def _scorer(self) -> Any:
        """The C extension where it was built and reads this model's n-gram sizes (1 to n, every one), else None."""
        native = _native_scorer()
        return native if native is not None and self.sizes == tuple(range(1, len(self.sizes) + 1)) else None

    @property
    def terms(self) -> dict[str, tuple[float, float]]:
        """Each n-gram's (idf, weight): as loaded, or read back from the native table (keys are reversible)."""
        if self._terms is None:
            capacity = len(self._table) // _SLOT_BYTES
            keys = array.array("Q", self._table[: 8 * capacity])
            payload = array.array("d", self._table[8 * capacity :])
            self._terms = {
                gram_of(key): (payload[2 * slot], payload[2 * slot + 1]) for slot, key in enumerate(keys) if key
            }
        return self._terms

    def scores(self, folded: str, starts: list[int], ends: list[int]) -> tuple[list[float], list[int]]:
        """`read(folded[start:end])` of each span (the paragraphs of one file in its fold) and how many Han
        characters each holds, natively where the C extension was built: every paragraph of a check is scored,
        and in Python that took 6.0 s on the 2,000-file Markdown bench (7.8 M characters), in C 0.26 s."""
        native = self._scorer()
        if native is not None:
            scores, han = native.ngram_scores(folded, self._table, self.intercept, len(self.sizes), starts, ends)
            return scores, han
        spans = [folded[start:end] for start, end in zip(starts, ends, strict=True)]
        return [self.read(span) for span in spans], [han_count(span) for span in spans]

    @cached_property
    def _table(self) -> bytes:
        """The native scorer's table (`_table_of`), where the model was made without it (tests switch it off)."""
        return _table_of(self.terms)

    def read(self, folded: str) -> float:
        """The score of one paragraph's fold (0-1: how much it reads like a violation), in Python."""
        values = [
            ((1.0 + math.log(count)) * known[0], known[1])
            for gram, count in features(folded, self.sizes).items()
            if (known := self.terms.get(gram)) is not None
        ]
        norm = math.sqrt(sum(value * value for value, _ in values)) or 1.0
        logit = self.intercept + sum(value * weight for value, weight in values) / norm
        return 1.0 / (1.0 + math.exp(-max(min(logit, 60.0), -60.0)))

    def evidence(self, folded: str, count: int) -> list[tuple[int, int]]:
        """Where in `folded` (a paragraph's fold) the `count` n-grams that raised its score most first stand,
        strongest first: of two or more letters, digits or Han (a reader can read them), with a positive weight,
        by (1 + log(count)) * idf * weight. Natively where built; the Python path gives the same spans."""
        native = self._scorer()
        if native is not None:
            return list(native.ngram_evidence(folded, self._table, len(self.sizes), count))
        points: list[str] = []
        origin: list[int] = []  # where each character of the collapsed text stands in `folded`
        for at, char in enumerate(folded):
            if char.isspace():
                if points and points[-1] != " ":
                    points.append(" ")
                    origin.append(at)
                continue
            points.append(char)
            origin.append(at)
        while points and points[-1] == " ":
            points.pop()
            origin.pop()
        text = "".join(points).translate(_DIGITS)
        seen: dict[str, list[int]] = {}  # n-gram -> [count, first start, size]
        for start in range(len(text)):
            for size in self.sizes:
                gram = text[start : start + size]
                if len(gram) == size and gram in self.terms:
                    entry = seen.setdefault(gram, [0, start, size])
                    entry[0] += 1
        ranked = sorted(
            (
                (-(1.0 + math.log(n)) * self.terms[gram][0] * self.terms[gram][1], first, size)
                for gram, (n, first, size) in seen.items()
                if size > 1 and gram.isalnum() and self.terms[gram][1] > 0
            ),
        )
        return [(origin[first], origin[first + size - 1] + 1) for _, first, size in ranked[: max(count, 0)]]


@lru_cache(maxsize=1)
def _native_scorer() -> Any:
    """The C extension when it was built at this version (and MEDIACTL_NO_NATIVE is unset), else None."""
    from mediactl.check.normalize import _native  # lazy: `rules ls` and start-up need no normalizer

    return _native if getattr(_native, "READER_API", None) == READER_API else None


def masked(folded: str, names: Sequence[str]) -> str:
    """`folded` without what is not copy to the reader, each character read as a space (so offsets stay): web
    addresses (their Latin letters read like the pinyin of an evasion), and the bank's own brand and product names
    (folded, longest first; compliance.names), which its training copy names 某银行 and 某理财产品 and which can
    read like a promise (稳享添利)."""
    if "http" in folded or "www." in folded:  # most texts hold none: two plain searches, not a regex scan
        folded = _ADDRESS.sub(lambda match: " " * len(match.group()), folded)
    for name in names:
        if name and name in folded:
            folded = folded.replace(name, " " * len(name))
    return folded


#: A web address in the fold: printable ASCII up to a space or the first other character (a Chinese sentence goes
#: on right after a link; the fold has made full-width punctuation ASCII).
_ADDRESS = re.compile(r"(?:https?://|www\.)[!-~]+", re.IGNORECASE)


def han_count(text: str) -> int:
    """How many Han characters `text` holds (an ID, a URL, a date or a name in Latin letters holds none)."""
    return len(HAN.findall(text))


def _table_of(terms: dict[str, tuple[float, float]]) -> bytes:
    """The native table (`_table_from`) of a model's {n-gram: (idf, weight)}."""
    idfs_weights = terms.values()
    return _table_from(
        (gram_key(gram) for gram in terms), (idf for idf, _ in idfs_weights), (w for _, w in idfs_weights), len(terms)
    )


def _table_from(keys: Iterable[int], idfs: Iterable[float], weights: Iterable[float], count: int) -> bytes:
    """The n-grams (`gram_key`s with their idf and weight) as an open-addressing hash table for the native scorer
    (_native.c's GramTable): a power of two slots, at most half full so probe runs stay short; first every slot's
    key (native uint64, 0 for an empty slot: probed alone, 8 bytes a slot), then every slot's idf and weight
    (native doubles)."""
    bits = max(1, (2 * count - 1).bit_length())
    mask = (1 << bits) - 1
    table = array.array("Q", [0]) * (1 << bits)
    payload = array.array("d", [0.0]) * (2 << bits)
    for key, idf, weight in zip(keys, idfs, weights, strict=True):
        slot = ((key * _GOLDEN) & 0xFFFFFFFFFFFFFFFF) >> (64 - bits)
        while table[slot]:
            slot = (slot + 1) & mask
        table[slot] = key
        payload[2 * slot], payload[2 * slot + 1] = idf, weight
    return table.tobytes() + payload.tobytes()


#: The packed model's idf and weight are stored as integers of this many units (the trainer rounds both to 5
#: decimals), read back as n / SCALE: the same doubles a JSON "0.12345" parses to.
SCALE = 100_000


def pack(terms: dict[str, tuple[float, float]]) -> dict[str, str]:
    """A model's n-grams as the shipped model stores them: their `gram_key`s (uint64), idfs and weights (int32 in
    SCALE units), each little-endian, zlib-compressed and base64 in JSON. Loading {n-gram: [idf, weight]} as JSON
    made ~20,000 strings, lists and floats at once (11 MiB at its peak, most kept by the allocator in every
    check); these three strings become the table directly (`Model`)."""
    ordered = sorted((gram_key(gram), idf, weight) for gram, (idf, weight) in terms.items())
    columns = {
        "keys": array.array("Q", (key for key, _, _ in ordered)),
        "idf": array.array("i", (round(idf * SCALE) for _, idf, _ in ordered)),
        "weight": array.array("i", (round(weight * SCALE) for _, _, weight in ordered)),
    }
    return {name: _packed_column(column) for name, column in columns.items()}


def unpack(packed: dict[str, str]) -> tuple[array.array[int], array.array[int], array.array[int]]:
    """`pack`'s n-gram keys, idfs and weights (these two in SCALE units: `_scaled`)."""
    keys = _column(packed["keys"], "Q")
    idfs, weights = (_column(packed[name], "i") for name in ("idf", "weight"))
    if not len(keys) == len(idfs) == len(weights):
        raise ValueError("a packed model's columns differ in length")
    if keys and min(keys) >> 63 != 1:  # every gram_key has its top bit set: 0 would be an empty slot of the table
        raise ValueError("a packed model holds a key that is no n-gram")
    return keys, idfs, weights


def _scaled(column: array.array[int]) -> Iterator[float]:
    return (n / SCALE for n in column)


def _packed_column(column: array.array[int]) -> str:
    if sys.byteorder != "little":
        column.byteswap()
    return base64.b64encode(zlib.compress(column.tobytes(), 9)).decode("ascii")


def _column(text: str, code: str) -> array.array[int]:
    column = array.array(code, zlib.decompress(base64.b64decode(text, validate=True)))  # "i": 4 bytes where Python runs
    if sys.byteorder != "little":
        column.byteswap()
    return column


def gram_of(key: int) -> str:
    """The n-gram of a `gram_key`."""
    chars = [chr(key & 0x1FFFFF)]
    for place in (1, 2):
        point = (key >> (21 * place)) & 0x1FFFFF
        if point:
            chars.append(chr(point - 1))
    return "".join(chars)


def gram_key(gram: str) -> int:
    """An n-gram of 1-3 code points as the native table's key: the top bit set (0 marks an empty slot), the
    first code point in bits 0-20, each later one plus 1 in the next 21 bits (code points are below 2**21)."""
    key = 1 << 63 | ord(gram[0])
    for place, char in enumerate(gram[1:], start=1):
        key |= (ord(char) + 1) << (21 * place)
    return key


def _distinct(grams: Any) -> list[str]:
    """N-grams in order, leaving out any that overlaps a stronger one as a part or a whole (一分 then 一分不: one)."""
    kept: list[str] = []
    for gram in grams:
        gram = gram.strip()
        if gram and not any(gram in other or other in gram for other in kept):
            kept.append(gram)
    return kept


@lru_cache(maxsize=4)
def load(name: str) -> Model:
    """The model `name` from data/reader/ (a rule's `model:`), read once per process."""
    text = resources.files("mediactl").joinpath(f"data/reader/{name}").read_text(encoding="utf-8")
    return Model(json.loads(text))


def models() -> tuple[str, ...]:
    """The model files mediactl ships (data/reader/*.json), by name."""
    folder = resources.files("mediactl").joinpath("data/reader")
    return tuple(sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".json")))


def model_bytes(name: str) -> bytes:
    """The model file's bytes, for the rules' digest: a retrained model invalidates the compiled-rules cache."""
    return resources.files("mediactl").joinpath(f"data/reader/{name}").read_bytes()


# --- the rule: reviewing one file's findings ------------------------------------------------------------


#: The most of a sentence a finding quotes.
QUOTE_CHARS = 80


Scores = dict[str, tuple[list[float], list[int]]]  # model name -> (each paragraph's score, its Han characters)


class Reading(NamedTuple):
    """What the learned rules in force read of one file: the rules, its fold without addresses and the bank's
    names (`masked`), and each model's scores of its paragraphs (`read`)."""

    rules: list[Rule]
    text: str
    scores: Scores


def read(rules: Sequence[Rule], segments: Sequence[Any], folded: str, starts: list[int]) -> Scores:
    """Each of the rules' models' scores of the paragraphs (`segments`, at `starts` in `folded`). A variant-scoped
    rule reads the whole variant, and only where it has an error to judge: its model reads no paragraph here."""
    ends = [start + len(segment.text) for start, segment in zip(starts, segments, strict=True)]
    names = {rule.model for rule in rules if rule.scope != "variant"}
    return {name: load(name).scores(folded, starts, ends) for name in names}


def review(
    rules: Sequence[Rule],
    segments: Sequence[Any],
    folded: str,
    starts: list[int],
    findings: list[Finding],
    scores: Scores | None = None,
    never: frozenset[str] = frozenset(),
) -> list[Finding]:
    """One file's findings after the learned `rules` (those in force, in pack order) have read each of its
    paragraphs (`segments`, at `starts` in `folded`, the fold of their joined text). A rule reads a paragraph
    of at least its `min_han` Han characters.

    With scope `variant`, a rule lowers where nothing in the variant reads like an offer (`_lower_if_nothing_offers`).
    With `below`, a paragraph's rule lowers an error of an `arbitrates` rule (never one of `never`: the disclosure
    rules) to a warning when both the paragraph and the sentence holding the error score under it (the copy reads like a
    warning or an explainer: a claim tacked onto warning boilerplate is a sentence of its own and is not lowered)
    and the paragraph is not in the advertiser's own voice (read on the fold: 我們 is 我们). With `above`, it
    reports the paragraph when the score is at least that, nothing there failed at error and no earlier learned
    rule reported it; where a `defers_to` rule matched below error (a quotation the contexts lowered to info), the
    sentences holding those matches are the rules' and the paragraph is scored without them."""
    scores = scores if scores is not None else read(rules, segments, folded, starts)
    places = _Places(segments)
    numbers = [places.find(finding) for finding in findings]
    claimed: set[int] = set()  # paragraphs a learned rule reported: a later one does not report them again
    for rule in rules:
        if rule.scope == "variant":
            _lower_if_nothing_offers(rule, segments, folded, starts, findings)
            continue
        score_of, han = scores[rule.model]
        if rule.below is not None:
            candidates = [
                (index, number)
                for index, (finding, number) in enumerate(zip(findings, numbers, strict=True))
                if number is not None
                and han[number] >= rule.min_han
                and score_of[number] < rule.below
                and finding.severity == "error"
                and finding.rule.startswith(rule.arbitrates)
                and finding.rule not in never
            ]
            paragraph_of = dict(candidates)
            for index in _read_as_warnings(rule, segments, folded, starts, findings, candidates):
                findings[index] = _lowered(rule, findings[index], score_of[paragraph_of[index]])
        if rule.above is None:
            continue
        failed = set(claimed)
        deferred: dict[int, list[Finding]] = {}  # paragraph -> the matches of deferred rules below error in it
        for finding, number in zip(findings, numbers, strict=True):
            if number is None:
                continue
            if RANK.get(finding.severity, 0) >= RANK["error"]:
                failed.add(number)
            elif rule.defers_to and finding.rule.startswith(rule.defers_to):
                deferred.setdefault(number, []).append(finding)
        texts = {
            number: folded[starts[number] : starts[number] + len(segments[number].text)]
            for number, score in enumerate(score_of)
            if han[number] >= rule.min_han and number not in failed and (score >= rule.above or number in deferred)
        }
        rest = _without_deferred(rule, segments, texts, deferred)
        for number, text in texts.items():
            score = score_of[number] if number not in deferred else rest[number][0]
            if score >= rule.above and (number not in deferred or rest[number][1] >= rule.min_han):
                read_text = text if number not in deferred else rest[number][2]
                findings.append(_claim(rule, load(rule.model), segments[number], read_text, score))
                numbers.append(number)
                claimed.add(number)
    return findings


def _lower_if_nothing_offers(
    rule: Rule, segments: Sequence[Any], folded: str, starts: list[int], findings: list[Finding]
) -> None:
    """A variant-scoped arbiter: each error of an `arbitrates` rule becomes a warning when nothing in the variant
    reads like an offer by the rule's own model (`_nothing_offers`). Made for the disclosures a named product asks
    for: a staff story, a news report on a launch, a fund report explained or a market comment names 理财 or 贷款
    and offers nothing; a page that sells (起购, 火热发售, a rate, 点击申请) keeps the error, however much else it
    says. Nothing is lowered where a paragraph is copy the model cannot read (words in letters without Han: an
    English offer beside a Chinese story). Read only where such an error exists: most files have none."""
    arbitrated = [i for i, f in enumerate(findings) if f.severity == "error" and f.rule.startswith(rule.arbitrates)]
    if not arbitrated or not segments:
        return
    spans = [(start, start + len(segment.text)) for segment, start in zip(segments, starts, strict=True)]
    if any(_LETTERS.search(folded, begin, end) and not han_count(folded[begin:end]) for begin, end in spans):
        return
    quiet, score = _nothing_offers(rule, folded, spans)
    if quiet:
        for index in arbitrated:
            findings[index] = _lowered(rule, findings[index], score)


def _nothing_offers(rule: Rule, folded: str, spans: Sequence[tuple[int, int]]) -> tuple[bool, float]:
    """Whether the paragraphs at `spans` of `folded` offer nothing, and the highest score read: the variant read
    whole (first paragraph to last) holds `min_han` Han and reads under `below`, and with `sentence_below` every run
    of clauses of up to WINDOW_HAN Han (`_windows`) reads under that. The whole alone is diluted by whatever else a
    page says (a market comment, then 手机银行搜索…即可定投); a run of clauses reads a pitch as the short ads the
    model learned, even one comma-joined into a sentence of news."""
    model, below = load(rule.model), rule.below or 0.0
    (score,), (han,) = model.scores(folded, [spans[0][0]], [spans[-1][1]])
    if han < rule.min_han or score >= below:
        return False, score
    if rule.sentence_below is None:
        return True, score
    windows = _windows(folded, spans)
    scores, counts = model.scores(folded, [begin for begin, _ in windows], [end for _, end in windows])
    read = [
        (value, begin, end)
        for value, count, (begin, end) in zip(scores, counts, windows, strict=True)
        if count >= _WINDOW_MIN_HAN
    ]
    highest = max([score, *(value for value, _, _ in read)])
    if highest >= rule.sentence_below:
        return False, highest
    offered = any(
        value >= below and own_voice(folded[begin:end]) and _HOW_TO_GET.search(folded, begin, end)
        for value, begin, end in read
    )
    return not offered, highest


#: How a run of clauses in the advertiser's own voice (本行, 我行) says the product is to be had: it offers even where the
#: model reads it under `sentence_below` (我行新一期养老理财产品正在募集，可通过手机银行认购: 0.70). Not done (申请了).
_HOW_TO_GET = re.compile(
    "(?:认购|申购|起购|起投|起存|购买|定投|办理|申请|募集|发售|开售|在售|上架|预约|可借|可贷)(?![了过])"
)
#: A run of clauses read alone (`_windows`) holds up to this many Han: the length of the short ads the offers model
#: learned. Chosen on batches 19-20 with a model of 1-18: runs of 40, 60 and 90 lowered 35, 43 and 44 of their false
#: alarms at 0.75 (the rule reads 0.7, for a margin against padded pitches), and no violation whose disclosure decides.
WINDOW_HAN = 60
#: ... and at least this many: a heading of one word (## 基金) names a subject, it offers nothing.
_WINDOW_MIN_HAN = 4
#: Where a clause ends, on the fold (full-width commas fold to ASCII; 。 and 、 stay).
_CLAUSE_END = re.compile("[。！？；!?;，,、\n]")


def _windows(folded: str, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Every run of whole clauses of the paragraphs at `spans` of `folded` that starts at a clause and holds at most
    WINDOW_HAN Han (a longer clause alone), as (begin, end) in `folded`. A paragraph's end ends a clause, and a run
    goes on into the next paragraph: a table's row of cells (均衡优选混合 | 认购期 | 手机银行) or a heading and its
    line read together."""
    bounds = []
    for start, end in spans:
        at = start
        for mark in _CLAUSE_END.finditer(folded, start, end):
            bounds.append((at, mark.end()))
            at = mark.end()
        if at < end:
            bounds.append((at, end))
    han = [han_count(folded[begin:until]) for begin, until in bounds]
    windows = []
    for first in range(len(bounds)):
        last, total = first, han[first]
        while last + 1 < len(bounds) and total + han[last + 1] <= WINDOW_HAN:
            last += 1
            total += han[last]
        windows.append((bounds[first][0], bounds[last][1]))
    return windows


#: Copy in letters: three words of them (an English offer, a pinyin line), not a product code or a unit.
_LETTERS = re.compile(r"[A-Za-z]{2,}(?:[^A-Za-z\n]{1,3}[A-Za-z]{2,}){2}")


def _without_deferred(
    rule: Rule, segments: Sequence[Any], texts: dict[int, str], deferred: dict[int, list[Finding]]
) -> dict[int, tuple[float, int, str]]:
    """For each paragraph where a deferred rule matched below error (a quotation the contexts lowered, a warning):
    the score, Han characters and text of the paragraph with the sentences holding those matches blanked. The
    rules read those sentences; the reader reads the rest, so a quoted warning put first (骗子常说“保本保息”，大家要
    当心。) does not silence it for a claim made in other words after it. Scored together, natively."""
    blanked: dict[int, str] = {}
    for number, matches in deferred.items():
        text = texts.get(number)
        if text is None:
            continue
        spans = {sentence_bounds(segments[number].text, _offset(segments[number], finding)) for finding in matches}
        for begin, end in spans:
            text = text[:begin] + " " * (end - begin) + text[end:]
        blanked[number] = text
    if not blanked:
        return {}
    starts, ends, at = [], [], 0
    for text in blanked.values():
        starts.append(at)
        ends.append(at + len(text))
        at += len(text) + 2
    joined = "\n\n".join(blanked.values())
    scores, han = load(rule.model).scores(joined, starts, ends)
    return {
        number: (score, count, text) for (number, text), score, count in zip(blanked.items(), scores, han, strict=True)
    }


def _read_as_warnings(
    rule: Rule,
    segments: Sequence[Any],
    folded: str,
    starts: list[int],
    findings: list[Finding],
    candidates: list[tuple[int, int]],
) -> list[int]:
    """Of the candidates (finding index, paragraph number: errors in paragraphs that read like a warning), those
    whose sentence reads like one too (scored together, natively: the bench has thousands), whose paragraph is not
    in the advertiser's own voice (read on the fold: 我們 is 我们) and where no contrast sets a belief aside in the
    claim's sentence or the one before it (很多人以为会亏。其实不然。稳赚不赔: `sets_aside`)."""
    if not candidates:
        return []
    bounds, asides = [], []
    for index, number in candidates:
        segment = segments[number]
        offset = _offset(segment, findings[index])
        begin, end = sentence_bounds(segment.text, offset)
        bounds.append((starts[number] + begin, starts[number] + end))
        # a contrast sets the claim's belief aside from the sentence before it on (有人觉得小银行不靠谱。其实不然。…)
        before = sentence_bounds(segment.text, begin - 1)[0] if begin > 0 else begin
        asides.append((starts[number] + before, starts[number] + offset))
    sentence_scores, _ = load(rule.model).scores(folded, [b for b, _ in bounds], [e for _, e in bounds])
    below = rule.sentence_below if rule.sentence_below is not None else (rule.below or 0.0)
    voiced: dict[int, bool] = {}
    chosen = []
    for (index, number), score, (before, at) in zip(candidates, sentence_scores, asides, strict=True):
        if score >= below:
            continue
        if number not in voiced:
            voiced[number] = own_voice(folded[starts[number] : starts[number] + len(segments[number].text)])
        if not voiced[number] and not sets_aside(folded[before:at]):
            chosen.append(index)
    return chosen


def _offset(segment: Any, finding: Finding) -> int:
    """Where in `segment.text` the finding's place (line, column) is, through the paragraph's anchors."""
    offset = 0
    for start, line, column in segment.anchors:
        if (line, column) <= (finding.line, finding.column):
            offset = start + (finding.column - column if line == finding.line else 0)
    return min(max(offset, 0), len(segment.text))


def _lowered(rule: Rule, finding: Finding, score: float) -> Finding:
    read = "全文读来不像推介产品，得分" if rule.scope == "variant" else "整段读作警示或科普，得分"
    note = f"{_MARK.format(rule.id)}{read} {score:.2f}，低于 {rule.below:g}；降为警告，请人工确认）"
    return finding._replace(severity="warning", message=finding.message + note)


_MARK = "（学习型复核 {}："


def example_problems(rule: Rule, normalizer: Any) -> list[str]:
    """A learned rule's self-tests, judged by its model alone: a `match` example of a rule with `above` reads at or
    over it, of a rule with only `below` (an arbiter) reads under it, not in the advertiser's voice, and of a
    variant's arbiter offers nothing as the check reads a variant (`_nothing_offers`); `no_match` the other way. Each
    example must hold `min_han` Han characters to be read at all."""
    model = load(rule.model)
    problems = []
    for text, expected in [*((t, True) for t in rule.match_examples), *((t, False) for t in rule.no_match_examples)]:
        folded = masked(normalizer.fold(text), ())
        (score,), (han,) = model.scores(folded, [0], [len(folded)])  # natively where built: no dict of n-grams
        read_at_all = han >= rule.min_han
        if rule.above is not None:
            fires = read_at_all and score >= rule.above
        else:
            if rule.scope == "variant":  # the whole example is the variant, read as the check reads one
                fires = _nothing_offers(rule, folded, [(0, len(folded))])[0]
            else:
                fires = read_at_all and score < (rule.below or 0.0) and not own_voice(folded)
        if fires != expected:
            verb = "should match but does not" if expected else "must not match but does"
            problems.append(f"rule {rule.id}: example {text!r} {verb} (score {score:.2f})")
    return problems


def _claim(rule: Rule, model: Model, segment: Any, folded: str, score: float) -> Finding:
    """The finding for a paragraph that reads like a claim, at its strongest n-gram as written: `matched` stays
    short and plain (an allowance over the item's paragraph covers the variants' findings by it, which a sentence
    joined across lines and stripped of its markup would not be); the message quotes the sentence around it."""
    spans = model.evidence(folded, 10)
    evidence = _distinct(segment.text[start:end] for start, end in spans)[:5]  # as written, not as folded
    at, until = spans[0] if spans else (0, 0)
    begin, end = sentence_bounds(segment.text, at)
    sentence = segment.text[begin:end][:QUOTE_CHARS]
    line, column = segment.position(at)
    shown = "、".join(evidence) or "—"
    message = (
        f"{rule.message}（学习型复核：得分 {score:.2f}，不低于 {rule.above:g}；依据：{shown}；句：「{sentence}」）"
    )
    return Finding(
        segment.file, line, column, rule.id, rule.severity, message, segment.text[at:until] or sentence,
        rule.source, rule.suggestion(), segment.field,
    )  # fmt: skip


class _Places:
    """Which paragraph a finding is in, from its file, field, line and column (findings carry no paragraph, and one
    check may hold several files: an item's subtitles, a variant's text files and pictures): the last paragraph of
    its file and field that starts at or before it. A paragraph's first anchor is its start, so nothing is computed
    per paragraph (a check holds hundreds of thousands)."""

    def __init__(self, segments: Sequence[Any]) -> None:
        self.starts = sorted(
            (segment.file, segment.field, segment.anchors[0][1], segment.anchors[0][2], number)
            for number, segment in enumerate(segments)
            if segment.text and segment.anchors
        )

    def find(self, finding: Finding) -> int | None:
        place = (finding.file, finding.field, finding.line, finding.column, 1 << 62)
        index = bisect.bisect_right(self.starts, place) - 1
        if index < 0 or self.starts[index][:2] != (finding.file, finding.field):
            return None
        return self.starts[index][4]
