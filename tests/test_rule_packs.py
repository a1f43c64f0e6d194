"""The built-in compliance rule packs (src/mediactl/data/rules/*.yaml) are well-formed and self-consistent.

The check engine is written separately; these tests only pin the pack format documented in
`mediactl.check` and check each rule's own examples with a simple stand-in for the engine's
normalisation (NFKC, lower case, Chinese numerals → digits, zero-width and separator characters
removed for terms). The stand-in does not fold traditional characters: examples stay simplified.
`rule_problems` is tested on broken rules too, so a check that can never fail would be noticed.
"""

from __future__ import annotations

import copy
import string
import unicodedata
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import regex
import yaml

from conftest import assert_no_yaml_problems

RULES_DIR = Path(__file__).resolve().parents[1] / "src" / "mediactl" / "data" / "rules"
EQUIVALENTS_FILE = RULES_DIR.parent / "check" / "disclosure_equivalents.yaml"
EQUIVALENTS = yaml.safe_load(EQUIVALENTS_FILE.read_text("utf-8"))["equivalents"]
FILES = sorted(RULES_DIR.glob("*.yaml"))
BUILT_IN = {"adlaw", "finance", "disclosures", "diversion", "pii"}

PLATFORMS = {
    "wechat_oa", "wecom", "weibo", "douyin", "channels", "xiaohongshu",
    "bilibili", "kuaishou", "toutiao", "website", "webhook", "outbox",
}  # fmt: skip
ITEM_KINDS = {"article", "video", "graphic"}
RULE_KINDS = {"term", "regex", "disclosure", "occurrence", "learned"}
SEVERITIES = {"blocker", "error", "warning", "info"}
WHEN_KEYS = {"platforms", "channels", "products", "kinds"}
VALIDATORS = {"luhn", "cn_id"}
SCOPES = {"variant", "paragraph"}
COMMON_KEYS = {
    "id",
    "kind",
    "severity",
    "message",
    "source",
    "examples",
    "when",
    "unless_quoted_by",
    "severity_by_policy",
}
CONTEXTS = set(yaml.safe_load((RULES_DIR.parent / "check" / "contexts.yaml").read_text("utf-8"))["contexts"])
STATEMENT_SPECS = yaml.safe_load((RULES_DIR.parent / "check" / "statements.yaml").read_text("utf-8"))["statements"]
STATEMENTS = set(STATEMENT_SPECS)
POLICIES = {"links_out", "diversion", "qr_codes"}
KIND_KEYS: dict[str, tuple[set[str], set[str]]] = {  # kind: (required, optional)
    "term": ({"terms"}, {"allow", "suggest", "lawful_in"}),
    "regex": ({"pattern"}, {"validate", "suggest", "requires", "requires_digits", "lawful_in"}),
    "disclosure": ({"trigger", "require"}, {"scope", "allow"}),
    "occurrence": ({"terms", "max"}, {"allow", "scope"}),
    "learned": (
        {"model"},
        {"above", "below", "sentence_below", "arbitrates", "defers_to", "min_han", "suggest", "scope"},
    ),
}
ID_RE = regex.compile(r"[a-z0-9._-]+")
MIN_EXAMPLES = 2

# ---- a stand-in for the engine's normalisation ----

NUMERALS = str.maketrans("〇零一二三四五六七八九", "00123456789")
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def fold(text: str) -> str:
    """What regex patterns see: NFKC (full-width → half-width), lower case, Chinese numerals → digits."""
    return unicodedata.normalize("NFKC", text.translate(INVISIBLE)).lower().translate(NUMERALS)


def _is_separator(char: str) -> bool:
    return char.isspace() or unicodedata.category(char)[0] in "PZ" or unicodedata.category(char) == "Cf"


def fold_terms(text: str) -> str:
    """What term matching sees: `fold`, then separators (spaces, punctuation) skipped."""
    return "".join(char for char in fold(text) if not _is_separator(char))


def _ascii_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


def occurrences(text: str, term: str) -> Iterator[tuple[int, int]]:
    """Spans of `term` in folded `text`; Han needs no boundary, a Latin/digit edge must not touch another."""
    if not term:
        return
    start = text.find(term)
    while start != -1:
        end = start + len(term)
        left_ok = not (_ascii_alnum(term[0]) and start > 0 and _ascii_alnum(text[start - 1]))
        right_ok = not (_ascii_alnum(term[-1]) and end < len(text) and _ascii_alnum(text[end]))
        if left_ok and right_ok:
            yield start, end
        start = text.find(term, start + 1)


def term_hits(text: str, terms: list[str], allow: list[str]) -> list[str]:
    """Terms found in `text` outside every allowed phrase (an allowed phrase must cover the whole term)."""
    folded = fold_terms(text)
    allowed = [span for phrase in allow for span in occurrences(folded, fold_terms(phrase))]
    return [
        term
        for term in terms
        for start, end in occurrences(folded, fold_terms(term))
        if not any(a_start <= start and end <= a_end for a_start, a_end in allowed)
    ]


def luhn(digits: str) -> bool:
    numbers = [int(char) for char in digits if char.isdigit()]
    total = 0
    for index, number in enumerate(reversed(numbers)):
        if index % 2:
            number = number * 2 - 9 if number > 4 else number * 2
        total += number
    return len(numbers) >= 2 and total % 10 == 0


def cn_id(text: str) -> bool:
    """GB 11643 check digit of an 18-character resident ID number."""
    value = "".join(char for char in text.lower() if char.isalnum())
    if len(value) != 18 or not value[:17].isdigit():
        return False
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return value[17] == "10x98765432"[sum(int(d) * w for d, w in zip(value[:17], weights, strict=True)) % 11]


CHECKSUMS = {"luhn": luhn, "cn_id": cn_id}


def fires(rule: dict[str, Any], text: str) -> bool:
    """Would the rule report something in `text` (its `when` assumed to hold)?"""
    kind = rule["kind"]
    if kind == "term":
        return any(
            not _lawful(rule, text, fold_terms(term)) for term in term_hits(text, rule["terms"], rule.get("allow", []))
        )
    if kind == "occurrence":
        return len(term_hits(text, rule["terms"], rule.get("allow", []))) > rule["max"]
    if kind == "regex":
        check = CHECKSUMS.get(rule.get("validate", ""), lambda _: True)
        return any(
            check(match.group()) and not _lawful(rule, text, match.group())
            for match in regex.finditer(rule["pattern"], fold(text))
        )
    folded = fold_terms(text)  # disclosure
    triggered = bool(term_hits(text, rule["trigger"], rule.get("allow", [])))
    satisfied = any(fold_terms(phrase) in folded for phrase in rule["require"]) or _equivalent_present(rule, text)
    return triggered and not satisfied


def _lawful(rule: dict[str, Any], text: str, matched: str) -> bool:
    """A statement of `lawful_in` holds for a one-sentence example (data/check/statements.yaml, read here on its own:
    the sentence says what it must and nothing it must not, and the matched words are among those it may excuse)."""
    folded = fold(text)
    for name in rule.get("lawful_in") or []:
        spec = STATEMENT_SPECS[name]
        if spec.get("matches") and matched not in spec["matches"]:
            continue
        if regex.search(spec["sentence"], folded) and not (spec.get("unless") and regex.search(spec["unless"], folded)):
            return True
    return False


def _equivalent_present(rule: dict[str, Any], text: str) -> bool:
    """An equivalent wording of a required sentence (data/check/disclosure_equivalents.yaml): a whole wording,
    or every clause (any alternative) in one paragraph."""
    for entry in EQUIVALENTS:
        if entry["sentence"] not in rule["require"]:
            continue
        if any(fold_terms(w["text"]) in fold_terms(text) for w in entry.get("wordings", [])):
            return True
        for paragraph in text.split("\n\n"):
            folded = fold_terms(paragraph)
            clauses = entry.get("clauses") or []
            if clauses and all(any(fold_terms(a) in folded for a in clause) for clause in clauses):
                return True
    return False


# ---- the checks ----


def _string_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) and v.strip() for v in value)


def _unnormalised(pattern: str) -> set[str]:
    """Characters of a pattern that normalisation removes from the text, so they can never match."""
    literal = regex.sub(r"\\[pPN]\{[^}]*\}|\\.", "", pattern)
    return {char for char in literal if fold(char) != char}


def rule_problems(pack: str, rule: Any) -> list[str]:
    """Everything wrong with one rule; empty when it is fine."""
    if not isinstance(rule, dict):
        return ["a rule must be a mapping"]
    problems: list[str] = []
    rule_id, kind = rule.get("id"), rule.get("kind")
    if not isinstance(rule_id, str) or not ID_RE.fullmatch(rule_id) or not rule_id.startswith(f"{pack}."):
        problems.append(f"id {rule_id!r} must be lowercase [a-z0-9._-] and start with '{pack}.'")
    if kind not in RULE_KINDS:
        return [*problems, f"kind {kind!r} not in {sorted(RULE_KINDS)}"]
    if rule.get("severity") not in SEVERITIES:
        problems.append(f"severity {rule.get('severity')!r} not in {sorted(SEVERITIES)}")
    required, optional = KIND_KEYS[kind]
    if missing := (COMMON_KEYS - {"when", "unless_quoted_by", "severity_by_policy"} | required) - rule.keys():
        problems.append(f"missing keys {sorted(missing)}")
    if unknown := rule.keys() - COMMON_KEYS - required - optional:
        problems.append(f"keys {sorted(unknown)} do not belong to a {kind} rule")

    message, source = rule.get("message"), rule.get("source")
    for name, text in (("message", message), ("source", source)):
        if not isinstance(text, str) or not regex.search(r"\p{Han}", text):
            problems.append(f"{name} must be a non-empty Chinese text")
    if isinstance(message, str):
        try:
            fields = {field for _, field, _, _ in string.Formatter().parse(message) if field is not None}
        except ValueError as error:
            fields = {f"<{error}>"}
        if fields - {"match"}:
            problems.append(f"message placeholders {sorted(fields - {'match'})}: only {{match}} is filled in")

    when = rule.get("when", {})
    if not isinstance(when, dict) or not when.keys() <= WHEN_KEYS:
        problems.append(f"when keys must be among {sorted(WHEN_KEYS)}")
    else:
        for key, values in when.items():
            if not _string_list(values):
                problems.append(f"when.{key} must be a non-empty list of names")
        if bad := set(when.get("platforms") or []) - PLATFORMS:
            problems.append(f"when.platforms {sorted(bad)} are not platforms")
        if bad := set(when.get("kinds") or []) - ITEM_KINDS:
            problems.append(f"when.kinds {sorted(bad)} are not item kinds")

    if "unless_quoted_by" in rule and rule["unless_quoted_by"] not in CONTEXTS:
        problems.append(f"unless_quoted_by {rule['unless_quoted_by']!r} is not a context of contexts.yaml")
    if bad := set(rule.get("lawful_in") or []) - STATEMENTS:
        problems.append(f"lawful_in {sorted(bad)} are not statements of statements.yaml")
    by_policy = rule.get("severity_by_policy", {"policy": "diversion"})
    if not (
        isinstance(by_policy, dict)
        and by_policy.get("policy") in POLICIES
        and by_policy.keys() <= {"policy", "forbidden", "allowed"}
        and all(by_policy[key] in SEVERITIES for key in by_policy.keys() - {"policy"})
    ):
        problems.append(
            "severity_by_policy must be {policy: links_out|diversion|qr_codes, forbidden: SEVERITY, allowed: SEVERITY}"
        )

    problems += _kind_problems(rule, kind)
    if problems:
        return problems  # examples cannot be judged on a malformed rule
    return _example_problems(rule)


def _kind_problems(rule: dict[str, Any], kind: str) -> list[str]:
    problems: list[str] = []
    for key in ("terms", "allow", "trigger", "require"):
        if key in rule and not _string_list(rule[key]):
            problems.append(f"{key} must be a non-empty list of non-empty strings")
        elif key in rule and (dupes := [w for w, n in Counter(map(fold_terms, rule[key])).items() if n > 1]):
            problems.append(f"{key} repeats {dupes}")
    if problems:
        return problems
    if kind in ("term", "occurrence"):
        terms = [fold_terms(term) for term in rule["terms"]]
        for phrase in rule.get("allow", []):
            folded = fold_terms(phrase)
            if folded in terms:
                problems.append(f"allow {phrase!r} equals a term: the term could never be reported")
            elif not any(term in folded for term in terms):
                problems.append(f"allow {phrase!r} contains none of the terms")
        suggest = rule.get("suggest")
        if suggest is not None and not (
            (isinstance(suggest, str) and suggest.strip())
            or (isinstance(suggest, dict) and suggest and set(suggest) <= set(rule["terms"]))
        ):
            problems.append("suggest must be a text or a mapping from the rule's own terms")
    if kind == "occurrence" and not (isinstance(rule["max"], int) and rule["max"] >= 0):
        problems.append("max must be a non-negative integer")
    if "scope" in rule and rule["scope"] not in SCOPES:
        problems.append(f"scope {rule['scope']!r} not in {sorted(SCOPES)}")
    if kind == "regex":
        pattern = rule["pattern"]
        try:
            compiled = regex.compile(pattern)
        except (regex.error, TypeError) as error:
            return [f"pattern does not compile: {error}"]
        if compiled.fullmatch(""):
            problems.append("pattern matches the empty string")
        if dead := _unnormalised(pattern):
            problems.append(f"pattern has characters the normalised text never contains: {sorted(dead)}")
        if "validate" in rule and rule["validate"] not in VALIDATORS:
            problems.append(f"validate {rule['validate']!r} not in {sorted(VALIDATORS)}")
        problems += _prefilter_problems(rule, compiled)
    return problems


def _prefilter_problems(rule: dict[str, Any], compiled: regex.Pattern[str]) -> list[str]:
    """`requires` and `requires_digits` are prefilters: every match of the pattern, in any rule's example,
    holds one of the literals and that many digits in one run (one space or hyphen apart at most)."""
    digits = rule.get("requires_digits")
    problems = []
    if digits is not None:
        if not (isinstance(digits, int) and digits >= 1):
            return ["requires_digits must be a whole number >= 1"]
        for text in ALL_EXAMPLES:
            for match in compiled.finditer(fold(text)):
                # Digits one space or hyphen apart are one run; \d as the patterns' own regex module sees it.
                runs = regex.findall(r"\d(?:[ -]?\d)*", match.group())
                if max((len(run) - run.count(" ") - run.count("-") for run in runs), default=0) < digits:
                    problems.append(f"match {match.group()!r} in example {text!r} has no run of {digits} digits")
    literals = rule.get("requires")
    if literals is None:
        return problems
    if not (isinstance(literals, list) and literals and all(isinstance(x, str) and x for x in literals)):
        return ["requires must be a list of non-empty texts"]
    problems += [f"requires literal {x!r} is not in folded form" for x in literals if fold(x) != x]
    for text in ALL_EXAMPLES:
        for match in compiled.finditer(fold(text)):
            if not any(x in match.group() for x in literals):
                problems.append(f"match {match.group()!r} in example {text!r} holds none of requires {literals}")
    return problems


def _example_problems(rule: dict[str, Any]) -> list[str]:
    examples = rule["examples"]
    if not isinstance(examples, dict) or not examples.keys() <= {"match", "no_match"}:
        return ["examples must be a mapping with match and no_match"]
    problems: list[str] = []
    for key in ("match", "no_match"):
        values = examples.get(key)
        if not _string_list(values) or len(values) < MIN_EXAMPLES:
            problems.append(f"examples.{key} needs at least {MIN_EXAMPLES} non-empty texts")
    if problems:
        return problems
    if both := set(examples["match"]) & set(examples["no_match"]):
        problems.append(f"examples both match and do not match: {sorted(both)}")
    if rule["kind"] == "learned":
        return problems  # a model's reading has no stand-in here: `mediactl rules test` runs these examples
    problems += [f"match example not reported: {text!r}" for text in examples["match"] if not fires(rule, text)]
    problems += [f"no_match example reported: {text!r}" for text in examples["no_match"] if fires(rule, text)]
    return problems


# ---- loading ----


def _load(path: Path) -> Any:
    assert_no_yaml_problems(path)  # also refuses duplicate keys
    return yaml.safe_load(path.read_text("utf-8"))


def _collect() -> list[tuple[str, dict[str, Any]]]:
    """(pack, rule) for every rule of every file that parses; parse errors are reported by test_file_parses."""
    rules = []
    for path in FILES:
        try:
            data = _load(path)
        except (yaml.YAMLError, AssertionError, OSError):
            continue
        if isinstance(data, dict) and isinstance(data.get("rules"), list):
            rules += [(path.stem, rule) for rule in data["rules"]]
    return rules


RULES = _collect()
ALL_EXAMPLES = [
    text
    for _, rule in RULES
    if isinstance(rule, dict) and isinstance(rule.get("examples"), dict)
    for group in ("match", "no_match")
    for text in rule["examples"].get(group) or []
    if isinstance(text, str)
]


def _rule_id(item: tuple[str, Any]) -> str:
    pack, rule = item
    return str(rule.get("id")) if isinstance(rule, dict) else f"{pack}:?"


# ---- tests ----


def test_built_in_packs_exist() -> None:
    assert {path.stem for path in FILES} >= BUILT_IN


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_file_parses(path: Path) -> None:
    data = _load(path)
    assert isinstance(data, dict), "top level must be a mapping"
    assert data.keys() <= {"pack", "title", "description", "rules"}, f"unknown top-level keys {sorted(data.keys())}"
    assert data.get("pack") == path.stem, f"pack {data.get('pack')!r} must equal the file name {path.stem!r}"
    assert isinstance(data.get("title"), str) and data["title"].strip(), "title missing"
    assert isinstance(data.get("rules"), list) and data["rules"], "rules must be a non-empty list"


@pytest.mark.parametrize("item", RULES, ids=_rule_id)
def test_rule(item: tuple[str, Any]) -> None:
    pack, rule = item
    assert rule_problems(pack, rule) == []


def test_rule_ids_unique_across_packs() -> None:
    counts = Counter(rule.get("id") for _, rule in RULES)
    assert [rule_id for rule_id, n in counts.items() if n > 1] == []


def test_no_term_in_two_rules() -> None:
    """A term listed by two rules would be reported twice; the stronger rule should own it."""
    owners: dict[str, list[str]] = {}
    for _, rule in RULES:
        for term in rule.get("terms", []):
            owners.setdefault(fold_terms(term), []).append(rule["id"])
    assert {term: ids for term, ids in owners.items() if len(ids) > 1} == {}


def test_term_inventory() -> None:
    per_pack = Counter()
    for pack, rule in RULES:
        per_pack[pack] += len(rule.get("terms", []))
    total = sum(per_pack.values())
    print(f"\nterms per pack: {dict(sorted(per_pack.items()))}; total {total}; rules {len(RULES)}")
    assert total >= 150, f"only {total} terms: a pack lost its word list?"
    assert all(per_pack[pack] > 0 for pack in ("adlaw", "finance", "diversion"))


def test_secondary_sources_are_marked() -> None:
    """Sources that compliance.md lists as secondary copies must say so in the rule."""
    secondary = ("理财公司理财产品销售管理暂行办法", "上海市工商局", "资产管理业务", "银行业协会", "L16", "L14")
    unmarked = [
        rule["id"]
        for _, rule in RULES
        for part in regex.split(r"[；;]", rule.get("source", ""))
        if any(name in part for name in secondary) and not regex.search("二手|未核对", part)
    ]
    assert unmarked == []


def test_pii_examples_carry_real_check_digits() -> None:
    """Checksum rules need positives that pass and negatives that fail only the checksum."""
    for _, rule in RULES:
        if "validate" not in rule:
            continue
        check, pattern = CHECKSUMS[rule["validate"]], regex.compile(rule["pattern"])
        passing = [m.group() for text in rule["examples"]["match"] for m in pattern.finditer(fold(text))]
        failing = [m.group() for text in rule["examples"]["no_match"] for m in pattern.finditer(fold(text))]
        assert passing and all(map(check, passing)), rule["id"]
        assert failing and not any(map(check, failing)), f"{rule['id']}: no checksum-failing negative"


# ---- the checks themselves can fail ----

GOOD_TERM = {
    "id": "finance.test",
    "kind": "term",
    "severity": "error",
    "message": "「{match}」不得使用",
    "source": "《广告法》第二十五条",
    "terms": ["保本"],
    "allow": ["非保本"],
    "examples": {"match": ["本产品保本", "保 本保息"], "no_match": ["非保本浮动收益", "收益浮动"]},
}
GOOD_REGEX = {
    "id": "finance.rate",
    "kind": "regex",
    "severity": "error",
    "message": "不得承诺收益率",
    "source": "《广告法》第二十五条",
    "pattern": r"保证.{0,4}\d+%",
    "examples": {"match": ["保证年化5%", "保证收益３%"], "no_match": ["业绩比较基准3%", "保证金"]},
}
BROKEN = {
    "id prefix": (GOOD_TERM, {"id": "adlaw.test"}),
    "id case": (GOOD_TERM, {"id": "finance.Test"}),
    "kind": (GOOD_TERM, {"kind": "banned"}),
    "severity": (GOOD_TERM, {"severity": "fatal"}),
    "no source": (GOOD_TERM, {"source": None}),
    "english message": (GOOD_TERM, {"message": "do not use"}),
    "placeholder": (GOOD_TERM, {"message": "「{term}」不得使用"}),
    "one match example": (GOOD_TERM, {"examples": {"match": ["本产品保本"], "no_match": ["非保本", "收益浮动"]}}),
    "match not reported": (
        GOOD_TERM,
        {"examples": {"match": ["本产品保本", "收益浮动"], "no_match": ["非保本", "无"]}},
    ),
    "no_match reported": (GOOD_TERM, {"examples": {"match": ["本产品保本", "保本"], "no_match": ["非保本", "保本型"]}}),
    "allow without term": (GOOD_TERM, {"allow": ["非存款"]}),
    "allow equals term": (GOOD_TERM, {"allow": ["保 本"]}),
    "suggest for another term": (GOOD_TERM, {"suggest": {"保息": "x"}}),
    "pattern key on term": (GOOD_TERM, {"pattern": "保本"}),
    "when key": (GOOD_TERM, {"when": {"platform": ["douyin"]}}),
    "when platform": (GOOD_TERM, {"when": {"platforms": ["tiktok"]}}),
    "when kind": (GOOD_TERM, {"when": {"kinds": ["podcast"]}}),
    "regex compiles": (GOOD_REGEX, {"pattern": "保证(.{0,4}"}),
    "regex empty": (GOOD_REGEX, {"pattern": "(保证)?"}),
    "regex full-width": (GOOD_REGEX, {"pattern": r"保证.{0,4}\d+％"}),
    "regex numeral": (GOOD_REGEX, {"pattern": "第一"}),
    "regex validate": (GOOD_REGEX, {"validate": "crc32"}),
    "regex misses": (GOOD_REGEX, {"pattern": r"保证\d+%"}),
    "disclosure without require": (GOOD_TERM, {"kind": "disclosure", "trigger": ["理财"], "terms": None}),
}


def test_good_fixtures_pass() -> None:
    assert rule_problems("finance", GOOD_TERM) == []
    assert rule_problems("finance", GOOD_REGEX) == []


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_rule_is_refused(name: str) -> None:
    base, change = BROKEN[name]
    rule = copy.deepcopy(base)
    for key, value in change.items():
        if value is None:
            rule.pop(key, None)
        else:
            rule[key] = value
    assert rule_problems("finance", rule) != []


def test_fold_matches_the_documented_normalisation() -> None:
    assert fold("ＮＯ．１零风险第一") == "no.10风险第1"
    assert fold_terms("保\u200b本 保，息") == "保本保息"
    assert luhn("6228 4800 1234 5671") and not luhn("6228480012345672")
    assert cn_id("32010219880815108X") and not cn_id("320102198808151081")
