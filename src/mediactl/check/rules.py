"""Rule packs: YAML files of compliance rules, validated as strictly as the config.

A broken rule must fail loudly: a pack that does not parse, a rule with an unknown
kind, a regex that does not compile, or a term that normalises to nothing is an
error naming the pack file, line and key, and the command exits 2. Self-tests
(`examples`) are run by `mediactl rules test` and whenever a pack changes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediactl.check.contexts import contexts, contexts_bytes
from mediactl.check.equivalents import equivalents_bytes
from mediactl.check.homophones import homophones_bytes
from mediactl.check.statements import statements, statements_bytes
from mediactl.core import confine
from mediactl.core.errors import Problem, ProblemsError, relpath

if TYPE_CHECKING:  # parsing is skipped when the compiled rules come from the cache
    from collections.abc import Callable

    from mediactl.config.schema import Checker
    from mediactl.config.yamlpos import KeyPath

KINDS = ("term", "regex", "disclosure", "occurrence", "learned")
SEVERITIES = ("blocker", "error", "warning", "info")
RANK = {"info": 0, "warning": 1, "error": 2, "blocker": 3}
SCOPES = ("variant", "paragraph")
VALIDATORS = ("luhn", "cn_id")
WHEN_KEYS = ("platforms", "channels", "products", "kinds")
RULE_KEYS = (
    "id", "kind", "severity", "message", "source", "terms", "allow", "suggest", "pattern", "validate",
    "requires", "requires_digits", "trigger", "require", "scope", "max", "when", "examples",
    "unless_quoted_by", "severity_by_policy", "model", "above", "below", "arbitrates", "defers_to", "min_han",
    "sentence_below", "lawful_in",
)  # fmt: skip
#: Platform policies a rule's severity may follow (platform facts `policy:`), and what a policy may say.
POLICIES = ("links_out", "diversion", "qr_codes")
POLICY_VALUES = ("forbidden", "allowed")
RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


class RulePackError(ProblemsError):
    """A rule pack is invalid; checking with it would silently miss words, so nothing is checked."""


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    severity: str
    message: str
    source: str
    pack_file: str
    line: int
    terms: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    suggest: dict[str, str] = field(default_factory=dict)  # term → suggestion ("" key: for every term)
    pattern: str = ""
    validate: str = ""
    # Literals of which every match contains one (folded text): the pattern runs only where one is.
    requires: tuple[str, ...] = ()
    # A prefilter: every match holds this many decimal digits (\d, folded) in one run, one space or hyphen apart at most.
    requires_digits: int = 0
    trigger: tuple[str, ...] = ()
    require: tuple[str, ...] = ()
    # variant | paragraph; "" (a rule built in code): variant for a disclosure, paragraph for a learned one
    scope: str = ""
    max: int = 0
    when: dict[str, tuple[str, ...]] = field(default_factory=dict)
    match_examples: tuple[str, ...] = ()
    no_match_examples: tuple[str, ...] = ()
    # A context (data/check/contexts.yaml) in which a match is a quotation, not a claim: downgraded to info.
    unless_quoted_by: str = ""
    # Statements (data/check/statements.yaml) under which a match is a fact, not a claim: downgraded to info.
    lawful_in: tuple[str, ...] = ()
    # The platform policy (facts `policy:`) that sets the severity: {"policy": name, "forbidden": sev, …}.
    severity_by_policy: dict[str, str] = field(default_factory=dict)
    # A learned rule (check/reader.py): its model in data/reader/, the score from which a paragraph no other rule
    # failed is reported (None: it reports nothing), the score under which an error of a rule whose id starts with
    # one of `arbitrates` is lowered to a warning (the paragraph reads like a warning or an explainer that quotes
    # the words; None: it lowers nothing). With scope `variant`, it lowers where the variant read whole reads under
    # `below` (a story or an explainer that names a product, and offers none).
    model: str = ""
    above: float | None = None
    below: float | None = None
    # ... and under which the sentence holding the error must read (None: `below`); scope variant: every run of
    # clauses of the variant (reader.WINDOW_HAN; None: none is read alone)
    sentence_below: float | None = None
    arbitrates: tuple[str, ...] = ()
    defers_to: tuple[str, ...] = ()  # a paragraph where one of these rules matched, at any severity, is not reported
    min_han: int = 1  # ... and the fewest Han characters a paragraph (scope variant: the variant) must hold to be read

    def suggestion(self, term: str = "") -> str:
        return self.suggest.get(term) or self.suggest.get("", "")

    def applies(self, profile: Profile, fold: Callable[[str], str] = str) -> bool:
        """Whether this rule is in force for a variant or file with this profile. Products are compared as `fold`
        (the engine's normalizer) reads them: front matter in traditional characters (貸款) names 贷款."""
        for key, wanted in self.when.items():
            have = profile.values(key)
            if have is None:
                continue  # the profile does not know (an ad hoc file without --platform): be strict, apply
            if key == "products":
                wanted, have = tuple(fold(name).strip() for name in wanted), tuple(fold(name).strip() for name in have)
            if not set(wanted) & set(have):
                return False
        return True


@dataclass(frozen=True)
class Profile:
    """What is being checked: a rule with `when` applies only where the profile matches.

    A field left as None is unknown, and rules filtered on it apply (the strict reading).
    """

    platform: str | None = None
    channel: str | None = None
    products: tuple[str, ...] | None = None
    kind: str | None = None

    def values(self, key: str) -> tuple[str, ...] | None:
        single = {"platforms": self.platform, "channels": self.channel, "kinds": self.kind}
        if key == "products":
            return self.products
        value = single.get(key)
        return None if value is None else (value,)


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    files: tuple[str, ...]
    digest: str  # sha256 of every pack's bytes and the config's rule settings: the cache key
    names: tuple[str, ...] = ()  # compliance.names: the bank's own names, which the learned reader leaves out

    def by_id(self) -> dict[str, Rule]:
        return {rule.id: rule for rule in self.rules}


def engine_data() -> bytes:
    """The data files the engine reads beside the packs (equivalent disclosures, quoting contexts, homophones):
    part of the rule set's digest, so a change to them rebuilds the engine and re-runs the self-tests."""
    return equivalents_bytes() + b"\0" + contexts_bytes() + b"\0" + statements_bytes() + b"\0" + homophones_bytes()


def builtin_pack_files() -> list[Path]:
    folder = Path(str(resources.files("mediactl") / "data" / "rules"))
    return sorted(folder.glob("*.yaml"))


def pack_files(root: Path | None, packs: tuple[str, ...], compliance_dir: Path | None) -> list[Path]:
    """`builtin` means the packaged packs; other entries are files or globs relative to the project.

    The repository's own `compliance/*.yaml` are always loaded.
    """
    files: list[Path] = []
    for entry in packs:
        if entry == "builtin":
            files.extend(builtin_pack_files())
        elif root is not None:
            matched = sorted(root.glob(entry))
            files.extend(matched if matched else [root / entry])
    if compliance_dir is not None and compliance_dir.is_dir():
        files.extend(sorted(compliance_dir.glob("*.yaml")) + sorted(compliance_dir.glob("*.yml")))
    unique: dict[Path, None] = {}
    for file in files:
        unique.setdefault(file, None)
    return list(unique)


def load_rules(
    files: list[Path],
    *,
    root: Path | None = None,
    disable: tuple[str, ...] = (),
    severity: dict[str, str] | None = None,
    names: tuple[str, ...] = (),
) -> RuleSet:
    """Load and validate every pack; raise RulePackError listing every problem at once."""
    problems: list[Problem] = []
    rules: list[Rule] = []
    digest = hashlib.sha256()
    for file in files:
        shown = relpath(file, root) if root else file.name
        builtin = file.parent == Path(str(resources.files("mediactl") / "data" / "rules"))
        if builtin:
            shown = f"builtin/rules/{file.name}"
        try:
            data = file.read_bytes() if builtin or root is None else confine.read_bytes(file, root, what="rule pack")
        except confine.OutsideProjectError as exc:
            problems.append(Problem(shown, exc.message.split(": ", 1)[1]))
            continue
        except OSError as exc:
            problems.append(Problem(shown, f"cannot read rule pack: {exc.strerror}"))
            continue
        digest.update(shown.encode() + b"\0" + data + b"\0")
        parsed = _parse_pack(data.decode("utf-8", "replace"), shown, problems)
        from mediactl.check.reader import model_bytes  # lazy: start-up, and reader reads this module's RANK

        for model in sorted({rule.model for rule in parsed if rule.model}):
            digest.update(model_bytes(model) + b"\0")  # a retrained model re-runs the self-tests, as a changed pack
        rules.extend(parsed)
    _check_ids(rules, problems, disable, severity or {})
    if any(p.is_error for p in problems):
        raise RulePackError("rule packs", problems)
    digest.update(repr((sorted(disable), sorted((severity or {}).items()), sorted(names))).encode())
    digest.update(engine_data())
    relevelled = tuple(_relevel(rule, severity or {}) for rule in rules if rule.id not in disable)
    shown_files = tuple(relpath(f, root) if root else f.name for f in files)
    return RuleSet(relevelled, shown_files, digest.hexdigest(), names)


def _relevel(rule: Rule, severity: dict[str, str]) -> Rule:
    """A repository may re-level a rule, but never below error for a blocker (blockers are the law)."""
    wanted = severity.get(rule.id)
    if not wanted or rule.severity == "blocker":
        return rule
    return replace(rule, severity=wanted, severity_by_policy={})  # the repository's word beats the platform's


def _check_ids(rules: list[Rule], problems: list[Problem], disable: tuple[str, ...], severity: dict[str, str]) -> None:
    seen: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in seen:
            other = seen[rule.id]
            problems.append(
                Problem(
                    rule.pack_file, f"rule id '{rule.id}' is also defined in {other.pack_file}:{other.line}", rule.line
                )
            )
        seen[rule.id] = rule
    for rule_id in (*disable, *severity):
        if rule_id not in seen:
            from mediactl.config.schema import did_you_mean  # lazy: start-up, as _parse_pack

            problems.append(
                Problem("mediactl.yaml", f"compliance: unknown rule '{rule_id}'{did_you_mean(rule_id, seen)}")
            )
        elif rule_id in disable and seen[rule_id].severity == "blocker":
            problems.append(
                Problem("mediactl.yaml", f"compliance.disable: '{rule_id}' is a blocker and cannot be disabled")
            )


def _parse_pack(text: str, shown: str, problems: list[Problem]) -> list[Rule]:
    # lazy: start-up, the config stack (PyYAML) only when the packs are parsed, not loaded from the cache
    from mediactl.config.schema import Checker
    from mediactl.config.yamlpos import load_located  # lazy: as above

    doc = load_located(text, shown)
    if doc.problems:
        problems.extend(doc.problems)
        return []
    check = Checker(doc)
    top = check.mapping(doc.data, (), known=("pack", "title", "description", "rules"), required=("pack", "rules"))
    pack = check.string(top.get("pack"), ("pack",)) or ""
    raw_rules = top.get("rules")
    if not isinstance(raw_rules, list):
        check.error(("rules",), "expected a list of rules")
        problems.extend(doc.problems)
        return []
    rules = [
        rule for index, raw in enumerate(raw_rules) if (rule := _parse_rule(check, raw, ("rules", index), pack, shown))
    ]
    problems.extend(doc.problems)
    return rules


def _parse_rule(check: Checker, raw: Any, path: KeyPath, pack: str, shown: str) -> Rule | None:
    data = check.mapping(raw, path, known=RULE_KEYS, required=("id", "kind", "severity", "message", "source"))
    rule_id = check.string(data.get("id"), (*path, "id")) or ""
    if rule_id and not RULE_ID.match(rule_id):
        check.error((*path, "id"), f"'{rule_id}' is not a valid rule id (lowercase letters, digits, '.', '-', '_')")
    if rule_id and pack and not rule_id.startswith(f"{pack}."):
        check.error((*path, "id"), f"rule id '{rule_id}' must start with the pack name '{pack}.'")
    kind = check.string(data.get("kind"), (*path, "kind"), choices=KINDS, what="rule kind")
    severity = check.string(data.get("severity"), (*path, "severity"), choices=SEVERITIES, what="severity")
    examples = check.mapping(data.get("examples"), (*path, "examples"), known=("match", "no_match"))
    rule = Rule(
        id=rule_id,
        kind=kind or "term",
        severity=severity or "error",
        message=check.string(data.get("message"), (*path, "message")) or "",
        source=check.string(data.get("source"), (*path, "source")) or "",
        pack_file=shown,
        line=check.doc.position(path)[0] or 1,
        terms=tuple(check.string_list(data.get("terms"), (*path, "terms"))),
        allow=tuple(check.string_list(data.get("allow"), (*path, "allow"))),
        suggest=_suggest(check, data.get("suggest"), (*path, "suggest")),
        pattern=check.string(data.get("pattern"), (*path, "pattern")) or "",
        validate=check.string(data.get("validate"), (*path, "validate"), choices=VALIDATORS, what="validator") or "",
        requires=tuple(check.string_list(data.get("requires"), (*path, "requires"))),
        requires_digits=check.integer(data.get("requires_digits"), (*path, "requires_digits"), minimum=1) or 0,
        trigger=tuple(check.string_list(data.get("trigger"), (*path, "trigger"))),
        require=tuple(check.string_list(data.get("require"), (*path, "require"))),
        scope=_scope(check, data.get("scope"), (*path, "scope"), kind),
        max=check.integer(data.get("max"), (*path, "max"), minimum=0) or 0,
        when=_when(check, data.get("when"), (*path, "when")),
        match_examples=tuple(check.string_list(examples.get("match"), (*path, "examples", "match"))),
        no_match_examples=tuple(check.string_list(examples.get("no_match"), (*path, "examples", "no_match"))),
        unless_quoted_by=_context(check, data.get("unless_quoted_by"), (*path, "unless_quoted_by")),
        lawful_in=_statements(check, data.get("lawful_in"), (*path, "lawful_in")),
        severity_by_policy=_by_policy(check, data.get("severity_by_policy"), (*path, "severity_by_policy")),
        model=_model(check, data.get("model"), (*path, "model")),
        above=_score(check, data.get("above"), (*path, "above")),
        below=_score(check, data.get("below"), (*path, "below")),
        sentence_below=_score(check, data.get("sentence_below"), (*path, "sentence_below")),
        arbitrates=tuple(check.string_list(data.get("arbitrates"), (*path, "arbitrates"))),
        defers_to=tuple(check.string_list(data.get("defers_to"), (*path, "defers_to"))),
        min_han=check.integer(data.get("min_han"), (*path, "min_han"), minimum=1) or 1,
    )
    _require_for_kind(check, rule, data, path)
    return rule if kind and severity and rule_id else None


def _suggest(check: Checker, value: Any, path: KeyPath) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, str):
        return {"": value}
    data = check.mapping(value, path)
    return {str(k): str(v) for k, v in data.items()}


def _context(check: Checker, value: Any, path: KeyPath) -> str:
    if value is None:
        return ""
    return check.string(value, path, choices=tuple(contexts()), what="context") or ""


def _statements(check: Checker, value: Any, path: KeyPath) -> tuple[str, ...]:
    """`lawful_in: [NAME]`: statements under which a match is a fact (check/statements.py); read only when named."""
    names = tuple(check.string_list(value, path))
    known = statements() if names else {}
    for name in names:
        if name not in known:
            check.error(path, f"unknown statement '{name}' (one of {', '.join(sorted(known))})")
    return names


def _by_policy(check: Checker, value: Any, path: KeyPath) -> dict[str, str]:
    """`{policy: diversion, forbidden: error, allowed: warning}`: the severity where a platform's policy says so."""
    if value is None:
        return {}
    data = check.mapping(value, path, known=("policy", *POLICY_VALUES), required=("policy",))
    resolved = {"policy": check.string(data.get("policy"), (*path, "policy"), choices=POLICIES, what="policy") or ""}
    for key in POLICY_VALUES:
        if key in data:
            resolved[key] = check.string(data[key], (*path, key), choices=SEVERITIES, what="severity") or ""
    return resolved


def _model(check: Checker, value: Any, path: KeyPath) -> str:
    """A model file of mediactl's data/reader/ (a bare name: models ship with the code that reads them)."""
    if value is None:
        return ""
    from mediactl.check.reader import models  # lazy: as load_rules

    name = check.string(value, path) or ""
    if name and name not in models():
        check.error(path, f"unknown model '{name}' (mediactl ships: {', '.join(models()) or 'none'})")
        return ""
    return name


def _score(check: Checker, value: Any, path: KeyPath) -> float | None:
    """A threshold on the reader's score: a number from 0 to 1."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        check.error(path, f"expected a score from 0 to 1, got {value!r}")
        return None
    return float(value)


def _when(check: Checker, value: Any, path: KeyPath) -> dict[str, tuple[str, ...]]:
    from mediactl.config.platforms import all_platforms  # lazy: start-up, as _parse_pack

    data = check.mapping(value, path, known=WHEN_KEYS, what="filter")
    when = {key: tuple(check.string_list(data[key], (*path, key))) for key in WHEN_KEYS if key in data}
    for index, name in enumerate(when.get("platforms", ())):
        check.string(name, (*path, "platforms", index), choices=all_platforms(), what="platform")
    return when


def _scope(check: Checker, raw: Any, path: KeyPath, kind: str | None) -> str:
    """Where a rule looks: a disclosure or occurrence rule counts over the variant unless told `paragraph`; a learned
    rule reads each paragraph, or with `variant` lowers by the variant's reading as a whole (check/reader.py)."""
    default = "paragraph" if kind == "learned" else "variant"
    return check.string(raw if raw is not None else default, path, choices=SCOPES, what="scope") or default


def _require_for_learned(check: Checker, rule: Rule, data: dict[str, Any], path: KeyPath) -> None:
    """What a learned rule must and must not say: its model reads the text, and its thresholds go together."""
    for key in ("terms", "allow", "pattern", "validate", "trigger", "require", "max", "unless_quoted_by"):
        if data.get(key) is not None:
            check.error((*path, key), f"a learned rule has no '{key}': its model reads the text")
    if data.get("above") is None and data.get("below") is None:
        check.error(path, "a learned rule needs 'above' (to report), 'below' (to lower errors) or both")
    if rule.below is not None and rule.above is not None and rule.below >= rule.above:
        check.error((*path, "below"), f"'below' ({rule.below}) must be under 'above' ({rule.above})")
    if rule.scope == "variant" and (rule.above is not None or rule.below is None):
        check.error((*path, "scope"), "a learned rule reads a whole variant only to lower errors: 'below', no 'above'")
    if rule.sentence_below is not None and rule.below is None:
        check.error(
            (*path, "sentence_below"), "'sentence_below' goes with 'below': it reads the sentences of a lowering"
        )
    if rule.scope == "variant" and rule.defers_to:
        check.error((*path, "defers_to"), "a rule that reads a whole variant reports nothing to defer")
    if rule.sentence_below is not None and (rule.below or 0.0) > rule.sentence_below:
        check.error((*path, "sentence_below"), "'sentence_below' reads parts of what 'below' reads: at least 'below'")
    if bool(rule.arbitrates) != (rule.below is not None):
        check.error((*path, "arbitrates"), "'arbitrates' and 'below' go together: the rules to lower, and when")


def _require_for_kind(check: Checker, rule: Rule, data: dict[str, Any], path: KeyPath) -> None:
    needs = {
        "term": ("terms",),
        "occurrence": ("terms", "max"),
        "regex": ("pattern",),
        "disclosure": ("trigger", "require"),
        "learned": ("model",),
    }
    for key in needs.get(rule.kind, ()):
        if data.get(key) in (None, "", []):
            check.error(path, f"a {rule.kind} rule needs '{key}'")
    if rule.kind == "regex" and rule.pattern:
        import regex  # lazy: start-up, only regex rules need it

        try:
            regex.compile(rule.pattern)
        except regex.error as exc:
            check.error((*path, "pattern"), f"the pattern does not compile: {exc}")
    for key in ("requires", "requires_digits"):
        if data.get(key) is not None and rule.kind != "regex":
            check.error((*path, key), f"only a regex rule has '{key}' (a prefilter for its pattern)")
    if rule.lawful_in and rule.kind not in ("term", "regex"):
        check.error((*path, "lawful_in"), "only a term or regex rule has 'lawful_in' (its matches may be facts)")
    for key in ("model", "above", "below", "sentence_below", "arbitrates", "defers_to", "min_han"):
        if data.get(key) is not None and rule.kind != "learned":
            check.error((*path, key), f"only a learned rule has '{key}'")
    if rule.kind == "learned":
        _require_for_learned(check, rule, data, path)
    if "" in rule.requires:
        check.error((*path, "requires"), "an empty literal would let every text through")
    if not rule.match_examples or not rule.no_match_examples:
        check.error(
            (*path, "examples"), "a rule needs examples that must match and examples that must not (self-tests)"
        )
