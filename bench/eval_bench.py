"""Accuracy on the labelled evaluation set (issue 17): recall per category, false alarms on clean copy.

    python bench/eval_bench.py                  # every case in eval/*.yaml, failing at "error" (as `mediactl check`)
    python bench/eval_bench.py --fail-on warning
    python bench/eval_bench.py --batch 1,2,3    # only those batches, counted and listed (a held-out batch unseen)

Each case is checked in-process the way `mediactl check FILE` checks an ad hoc text file outside any
project (check/runner.py: the built-in packs, their self-tests, extract_source, engine.check), with the
case's `platform` and `products` as the profile, so scoped rules (disclosures by product, diversion by
platform) apply as they would to that copy. A violation counts as caught, and clean copy as a false
alarm, when a finding at or above --fail-on is reported: that is what makes `mediactl check` exit 1.
Every miss and every false alarm is listed with what fired, so a number is never read without its cases.

The set's schema lives here too (`load_cases`, `schema_problems`): tests/test_eval_set.py checks the
files with the same code the benchmark reads them with. Targets (≥95 % recall, ≤3 % false alarms) are
printed beside the figures and never asserted: the figures are the point.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
EVAL_DIR = ROOT / "eval"
PLATFORMS = frozenset(path.stem for path in (ROOT / "src" / "mediactl" / "data" / "platforms").glob("*.yaml"))
LABELS = ("violation", "clean")
REQUIRED = ("id", "batch", "text", "label", "category", "source", "verbatim")
RECALL_TARGET = 0.95
FALSE_ALARM_TARGET = 0.03


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    label: str
    category: str
    source: str
    verbatim: bool
    batch: int = 1  # which batch added it: rules tuned on a batch make its figures optimistic (eval/README.md)
    platform: str | None = None
    products: tuple[str, ...] | None = None
    file: str = ""


def load_cases(folder: Path = EVAL_DIR) -> list[Case]:
    """Every case of every eval/*.yaml, in file order (schema problems are for `schema_problems`)."""
    cases: list[Case] = []
    for path in sorted(folder.glob("*.yaml")):
        for raw in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            cases.append(_case(raw, path.name))
    return cases


def _case(raw: dict[str, Any], file: str) -> Case:
    products = raw.get("products")
    return Case(
        id=str(raw.get("id", "")),
        text=str(raw.get("text", "")),
        label=str(raw.get("label", "")),
        category=str(raw.get("category", "")),
        source=str(raw.get("source", "")).strip(),
        verbatim=raw.get("verbatim") is True,
        batch=int(raw.get("batch") or 1),
        platform=raw.get("platform"),
        products=tuple(products) if products else None,
        file=file,
    )


def parse_batches(text: str) -> frozenset[int]:
    """`--batch 1,2,3` as a set of batch numbers; a word that is not a whole number from 1 is a usage error."""
    words = [word.strip() for word in text.split(",") if word.strip()]
    if not words or not all(word.isdigit() and int(word) >= 1 for word in words):
        raise argparse.ArgumentTypeError(f"--batch takes batch numbers separated by commas (1,2,3), not '{text}'")
    return frozenset(int(word) for word in words)


def in_batches(cases: list[Case], batches: frozenset[int] | None) -> list[Case]:
    """Only the cases of `batches` (all when None): a batch held out for a later measure is neither counted nor
    listed, so tuning on the others never shows its misses."""
    return cases if batches is None else [case for case in cases if case.batch in batches]


def schema_problems(folder: Path = EVAL_DIR) -> list[str]:
    """What is wrong with the set as written: missing fields, unknown labels, empty sources, duplicate ids."""
    problems: list[str] = []
    seen: Counter[str] = Counter()
    for path in sorted(folder.glob("*.yaml")):
        for index, raw in enumerate(yaml.safe_load(path.read_text(encoding="utf-8")) or []):
            where = f"{path.name} case {index + 1} ({raw.get('id', '?') if isinstance(raw, dict) else '?'})"
            if not isinstance(raw, dict):
                problems.append(f"{where}: not a mapping")
                continue
            problems += [f"{where}: no '{key}'" for key in REQUIRED if raw.get(key) in (None, "")]
            if raw.get("label") not in LABELS:
                problems.append(f"{where}: label '{raw.get('label')}' is not one of {', '.join(LABELS)}")
            if not isinstance(raw.get("batch"), int) or isinstance(raw.get("batch"), bool) or raw["batch"] < 1:
                problems.append(f"{where}: batch must be a whole number from 1")
            if not isinstance(raw.get("verbatim"), bool):
                problems.append(f"{where}: verbatim must be true or false")
            if raw.get("platform") is not None and raw["platform"] not in PLATFORMS:
                problems.append(f"{where}: platform '{raw['platform']}' is not one of the project's platforms")
            if "products" in raw and not isinstance(raw["products"], list):
                problems.append(f"{where}: products must be a list")
            seen[str(raw.get("id"))] += 1
    problems += [f"id '{case_id}' is used {count} times" for case_id, count in seen.items() if count > 1]
    return problems


def fired(case: Case, fail_on: str) -> tuple[list[str], list[str]]:
    """(findings at or above fail_on, findings below it) for one case, each as 'rule 「matched」'."""
    # lazy: the schema test loads this file and needs no rules, engine or mediactl install
    from mediactl.check.extract import extract_source
    from mediactl.check.report import failing
    from mediactl.check.rules import Profile
    from mediactl.check.runner import prepared

    _, engine = prepared(None, None)
    segments = extract_source(case.text, f"{case.id}.txt", "text")
    findings = engine.check(segments, Profile(platform=case.platform, products=case.products))
    failed = failing(findings, fail_on)
    shown = [f"{f.rule} 「{f.matched}」" for f in failed]
    below = [f"{f.rule} 「{f.matched}」({f.severity})" for f in findings if f not in failed]
    return shown, below


def report(cases: list[Case], fail_on: str) -> None:
    """Print recall per category, the false-alarm rate, and every miss and false alarm."""
    caught: dict[str, list[bool]] = defaultdict(list)
    alarms: dict[str, list[bool]] = defaultdict(list)
    batches: dict[tuple[int, str], list[bool]] = defaultdict(list)
    misses: list[str] = []
    false_alarms: list[str] = []
    for case in cases:
        failed, below = fired(case, fail_on)
        hit = bool(failed)
        batches[(case.batch, case.label)].append(hit)
        if case.label == "violation":
            caught[case.category].append(hit)
            if not hit:
                misses.append(_line(case, below, "below fail-on"))
        else:
            alarms[case.category].append(hit)
            if hit:
                false_alarms.append(_line(case, failed, "fired"))
    verbatim = sum(case.verbatim for case in cases)
    print(f"{len(cases)} cases ({verbatim} verbatim), failing at '{fail_on}'\n")
    _table("Recall on violations", caught, RECALL_TARGET, "≥")
    _table("False alarms on clean copy", alarms, FALSE_ALARM_TARGET, "≤")
    _batches(batches)
    _listing("Misses", misses)
    _listing("False alarms", false_alarms)


def _table(title: str, results: dict[str, list[bool]], target: float, sign: str) -> None:
    print(f"{title} (target {sign} {target:.0%}):")
    for category, hits in sorted(results.items()):
        print(f"  {category:<34} {sum(hits):>3}/{len(hits):<3} {sum(hits) / len(hits):6.1%}")
    every = [hit for hits in results.values() for hit in hits]
    if every:
        print(
            f"  {'ALL':<34} {sum(every):>3}/{len(every):<3} {sum(every) / len(every):6.1%}  (target {sign} {target:.0%})"
        )
    print()


def _batches(batches: dict[tuple[int, str], list[bool]]) -> None:
    """Recall and false alarms per batch: a batch the rules were tuned on reads better than one they never saw."""
    print("By batch (a batch the rules were tuned on is optimistic; see eval/README.md):")
    for batch in sorted({batch for batch, _ in batches}):
        caught, alarms = batches.get((batch, "violation"), []), batches.get((batch, "clean"), [])
        recall = f"recall {sum(caught)}/{len(caught)} {sum(caught) / len(caught):6.1%}" if caught else "no violations"
        false = f"false alarms {sum(alarms)}/{len(alarms)} {sum(alarms) / len(alarms):6.1%}" if alarms else "no clean"
        print(f"  batch {batch}: {recall}   {false}")
    print()


def _listing(title: str, lines: list[str]) -> None:
    print(f"{title} ({len(lines)}):")
    for line in lines:
        print(line)
    print()


def _line(case: Case, findings: list[str], what: str) -> str:
    text = case.text.replace("\n", " ⏎ ")
    extra = f"\n      {what}: {'; '.join(findings)}" if findings else ""
    return f"  {case.id} [{case.category}] {text}{extra}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=EVAL_DIR, help="folder of case files (default: eval/)")
    parser.add_argument("--fail-on", default="error", help="lowest severity that counts (default: error)")
    parser.add_argument(
        "--batch", type=parse_batches, default=None, help="only these batches, e.g. 1,2,3 (default: every batch)"
    )
    args = parser.parse_args()
    problems = schema_problems(args.eval)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    report(in_batches(load_cases(args.eval), args.batch), args.fail_on)
    return 0


if __name__ == "__main__":
    sys.exit(main())
