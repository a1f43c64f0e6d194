"""The learned reader (check/reader.py): its scoring, native and Python alike, and what its rule does to findings.

The mechanism is tested with small models written here, so a test says exactly which n-gram weighs what; the
shipped model is tested only through its rule's self-tests (`mediactl rules test`) and for what it must never do
(read a URL or a name). Its accuracy is measured by bench/eval_bench.py, never asserted.
"""

from __future__ import annotations

import base64
import json
import zlib
from pathlib import Path

import pytest

from mediactl.check import reader
from mediactl.check.extract import extract_text
from mediactl.check.findings import Finding
from mediactl.check.normalize import Normalizer
from mediactl.check.rules import Profile, Rule, RulePackError, load_rules

FOLD = Normalizer().fold


def tiny_model(weights: dict[str, float], intercept: float = -1.0) -> reader.Model:
    """A model whose listed n-grams carry these weights (idf 1), and a few neutral ones beside them."""
    terms = {gram: [1.0, weight] for gram, weight in weights.items()}
    terms.update({gram: [1.0, 0.0] for gram in ("的", "我们", "本行") if gram not in terms})
    return reader.Model({"sizes": [1, 2, 3], "intercept": intercept, "terms": terms})


def learned_rule(**changes: object) -> Rule:
    base = {
        "id": "reader.claims",
        "kind": "learned",
        "severity": "error",
        "message": "读来像承诺",
        "source": "test",
        "pack_file": "reader.yaml",
        "line": 1,
        "model": "tiny.json",
        "above": 0.8,
        "below": 0.3,
        "min_han": 4,
        "arbitrates": ("finance.",),
        "defers_to": ("finance.",),
    }
    base.update(changes)
    return Rule(**base)  # type: ignore[arg-type]


def reviewed(text: str, findings: list[Finding], rules: list[Rule]) -> list[Finding]:
    """`review` of one text's paragraphs, as the engine calls it (their joined fold and where each starts)."""
    segments = extract_text(text, "a.md")
    joined = "\n\n".join(segment.text for segment in segments)
    starts, at = [], 0
    for segment in segments:
        starts.append(at)
        at += len(segment.text) + 2
    return reader.review(rules, segments, FOLD(joined), starts, findings)


@pytest.fixture
def model(monkeypatch: pytest.MonkeyPatch) -> reader.Model:
    made = tiny_model({"稳赚": 4.0, "到手": 3.0, "警惕": -6.0, "骗": -4.0})
    monkeypatch.setattr(reader, "load", lambda name: made)
    return made


def finding(rule: str, line: int, severity: str = "error", column: int = 1) -> Finding:
    return Finding("a.md", line, column, rule, severity, "规则命中", "稳赚", "src", field="body")


# --- scoring --------------------------------------------------------------------------------------------


def test_features_read_every_digit_as_zero_and_whitespace_runs_as_one_space() -> None:
    counts = reader.features("年化 8%\n\n 稳拿 12")
    assert counts["00"] == 1 and "12" not in counts
    assert counts[" 稳"] == 1 and "  " not in counts


def test_gram_keys_differ_for_every_length_and_the_highest_code_points() -> None:
    grams = ["a", "ab", "abc", "\x00", "\x00\x00", "\U0010ffff", "\U0010ffff\U0010ffff\U0010ffff", "b", "ba"]
    keys = [reader.gram_key(gram) for gram in grams]
    assert len(set(keys)) == len(keys)
    assert all(key >> 63 == 1 for key in keys)  # 0 marks an empty slot of the native table
    assert [reader.gram_of(key) for key in keys] == grams  # the model's n-grams read back from its table


def test_a_model_read_back_from_its_native_table_is_the_model() -> None:
    data = json.loads(reader.model_bytes("claims.json"))
    keys, idfs, weights = reader.unpack(data["packed"])
    shipped = {
        reader.gram_of(k): (i / reader.SCALE, w / reader.SCALE) for k, i, w in zip(keys, idfs, weights, strict=True)
    }
    assert reader.Model(data).terms == shipped


def test_a_packed_model_stores_its_figures_in_units_of_1e5_and_reads_back_what_json_would() -> None:
    keys, idfs, weights = reader.unpack(reader.pack({"稳赚": (0.12345, -1.5), "a": (7.0, 0.00001)}))
    assert [reader.gram_of(key) for key in keys] == ["a", "稳赚"]  # sorted by key
    assert list(idfs) == [700000, 12345] and list(weights) == [1, -150000]
    model = reader.Model({"sizes": [1, 2, 3], "intercept": 0.0, "packed": reader.pack({"稳赚": (0.12345, -1.5)})})
    assert model.terms == {"稳赚": (float("0.12345"), -1.5)}


@pytest.mark.parametrize("damage", ["stray", "zero key", "short column"])
def test_a_damaged_packed_model_is_refused(damage: str) -> None:
    packed = reader.pack({"稳赚": (1.0, 1.0), "保本": (2.0, 2.0)})
    if damage == "stray":
        packed["idf"] = packed["idf"][:4] + "!" + packed["idf"][4:]
    elif damage == "zero key":
        packed["keys"] = base64.b64encode(zlib.compress(bytes(16))).decode()
    else:
        packed["weight"] = reader.pack({"稳赚": (1.0, 1.0)})["weight"]
    with pytest.raises(ValueError):
        reader.unpack(packed)


def test_a_packed_model_scores_as_the_same_model_written_out() -> None:
    """The shipped form (`pack`) and {n-gram: [idf, weight]} are one model: same terms, same table lookups."""
    terms = {"稳": (1.5, 0.25), "稳赚": (2.75, 1.125), "赚到手": (3.0, -0.5), "\U0010ffff": (1.0, 2.0)}
    written = reader.Model({"sizes": [1, 2, 3], "intercept": -1.0, "terms": terms})
    packed = reader.Model({"sizes": [1, 2, 3], "intercept": -1.0, "packed": reader.pack(terms)})
    assert packed.terms == written.terms == terms
    text = "稳赚到手，稳赚"
    assert packed.scores(text, [0], [len(text)]) == written.scores(text, [0], [len(text)])


def test_native_and_python_scores_agree(model: reader.Model, monkeypatch: pytest.MonkeyPatch) -> None:
    if reader._native_scorer() is None:
        pytest.skip("the C extension was not built (or MEDIACTL_NO_NATIVE is set): only the Python path runs")
    texts = [
        "稳赚到手，稳赚到手",
        "请警惕骗局",
        "",
        "   ",
        "\U0001f600稳赚" * 9,
        "本行 的\t我们\u3000稳赚 2026",
        "a" * 5000,
    ]
    joined = "\n\n".join(texts)
    starts = [sum(len(t) + 2 for t in texts[:i]) for i in range(len(texts))]
    ends = [start + len(text) for start, text in zip(starts, texts, strict=True)]
    native = model.scores(joined, starts, ends)
    monkeypatch.setattr(reader, "_native_scorer", lambda: None)
    python = model.scores(joined, starts, ends)
    assert native[1] == python[1] == [reader.han_count(text) for text in texts]
    assert native[0] == pytest.approx(python[0], abs=1e-12)
    assert native[0][0] > 0.95 and native[0][1] < 0.05


def test_native_and_python_evidence_agree(model: reader.Model, monkeypatch: pytest.MonkeyPatch) -> None:
    """Spans of the strongest n-grams, strongest first, in the fold as given (runs of spaces, digits as written)."""
    texts = ["  稳赚 \n 到手，稳赚稳赚 2026 到手", "我们的理财 稳 赚", "", "。。，", "稳赚" * 300 + "到手"]
    natively = [model.evidence(text, 10) for text in texts] if reader._native_scorer() else None
    monkeypatch.setattr(reader, "_native_scorer", lambda: None)
    in_python = [model.evidence(text, 10) for text in texts]
    assert [texts[0][a:b] for a, b in in_python[0]] == ["稳赚", "到手"]  # first occurrences, the stronger first
    assert in_python[0][0] == (2, 4)
    assert in_python[1] == [] and in_python[2] == [] and in_python[3] == []  # 稳 赚 apart is not the n-gram 稳赚
    if natively is not None:
        assert natively == in_python


def test_the_score_is_the_trained_formula(model: reader.Model) -> None:
    """sublinear tf (1 + ln 2 for 稳赚 twice), L2-normalised, through the logistic function."""
    import math

    score = model.read("稳赚稳赚")
    grams = reader.features("稳赚稳赚")
    known = {gram: count for gram, count in grams.items() if gram in model.terms}
    values = {gram: (1 + math.log(count)) * model.terms[gram][0] for gram, count in known.items()}
    norm = math.sqrt(sum(v * v for v in values.values()))
    logit = -1.0 + sum(values[g] * model.terms[g][1] for g in values) / norm
    assert score == pytest.approx(1 / (1 + math.exp(-logit)))


# --- the rule -------------------------------------------------------------------------------------------


def test_a_paragraph_that_reads_like_a_claim_is_reported_at_its_strongest_n_gram(model: reader.Model) -> None:
    text = "本行的通知。\n\n我们的產品很好。每月穩賺，到手就是。\n"
    [claim] = reviewed(text, [], [learned_rule()])
    assert (claim.rule, claim.severity, claim.line, claim.column) == ("reader.claims", "error", 3, 11)
    assert claim.matched == "穩賺"  # as written, in traditional characters: short, so an allowance carries over
    assert "句：「每月穩賺，到手就是」" in claim.message and "得分" in claim.message  # its sentence and the score


def test_a_claim_tacked_onto_a_warning_is_not_lowered(model: reader.Model) -> None:
    """The paragraph reads like a warning, but the sentence holding the error does not (review: padding)."""
    text = "提醒：请警惕骗局，请警惕骗局，请警惕骗局，请警惕骗局。稳赚到手。\n"
    findings = [finding("finance.promise.return", 1, column=28)]
    assert reviewed(text, findings, [learned_rule()]) == findings


def test_findings_of_two_files_on_the_same_line_are_told_apart(model: reader.Model) -> None:
    """One check may hold several files (an item's subtitles): a finding is placed in its own file's paragraph."""
    warning = extract_text("提醒：请警惕骗局，银行员工不会这样说。\n", "tips.srt")
    claim = extract_text("稳赚的理财，到手就是。\n", "ad.srt")
    segments = [*claim, *warning]  # the warning's paragraph last: where one key (field, line, column) would land
    joined = "\n\n".join(segment.text for segment in segments)
    starts = [0, len(claim[0].text) + 2]
    error = Finding("ad.srt", 1, 1, "finance.promise.return", "error", "m", "稳赚", "src", field="body")
    [kept, *_] = reader.review([learned_rule()], segments, FOLD(joined), starts, [error])
    assert kept.severity == "error"


def test_a_disclosure_rule_is_never_lowered(model: reader.Model) -> None:
    text = "提醒：请警惕骗局，银行员工不会这样说。\n"
    findings = [finding("finance.disclosure", 1)]
    segments = extract_text(text, "a.md")
    assert (
        reader.review(
            [learned_rule()], segments, FOLD(segments[0].text), [0], findings, never=frozenset({"finance.disclosure"})
        )
        == findings
    )


def test_a_claim_error_in_a_paragraph_that_reads_like_a_warning_becomes_a_warning(model: reader.Model) -> None:
    text = "提醒：请警惕稳赚不赔的骗局，银行员工不会这样说。\n\n稳赚的理财，到手就是。\n"
    findings = [finding("finance.promise.return", 1, column=6), finding("finance.promise.return", 3)]
    first, second = reviewed(text, findings, [learned_rule()])
    assert first.severity == "warning" and "（学习型复核 reader.claims：" in first.message
    assert second.severity == "error"  # the paragraph that offers it is not lowered
    assert reviewed(text, findings, [learned_rule(below=None, arbitrates=())]) == findings


def test_the_sentence_holding_the_error_may_read_over_the_paragraphs_threshold(model: reader.Model) -> None:
    """`sentence_below`: an explainer's example sentence reads like a product's facts (0.86 here) in a paragraph of
    warnings; without it the sentence must read under `below` too."""
    text = "警惕骗局，警惕骗子。有人说稳赚的理财很多。\n"
    findings = [finding("finance.promise.return", 1, column=14)]
    assert reviewed(text, list(findings), [learned_rule()]) == findings
    assert reviewed(text, list(findings), [learned_rule(sentence_below=0.9)])[0].severity == "warning"
    assert reviewed(text, list(findings), [learned_rule(sentence_below=0.8)]) == findings


def test_an_error_where_the_advertiser_speaks_is_never_lowered(model: reader.Model) -> None:
    """The warning words are what an ad rides on: 骗局频发，本行承诺稳赚 (contexts.own_voice)."""
    for text in (
        "请警惕骗局，本行承诺稳赚。\n",
        "请警惕骗局，认准稳赚的理财。\n",
        "请警惕骗局，其实稳赚的理财是有的。\n",
    ):
        findings = [finding("finance.promise.return", 1, column=8)]
        assert reviewed(text, findings, [learned_rule()]) == findings, text


def test_a_contrast_in_another_sentence_does_not_keep_the_error(model: reader.Model) -> None:
    """其实 and 但 set a belief aside only in the claim's own sentence: an explainer says 但 about other things."""
    text = "很多骗局都说稳赚，请警惕。但骗子会换说法，也要警惕。\n"
    findings = [finding("finance.promise.return", 1, column=7)]
    assert reviewed(text, list(findings), [learned_rule()])[0].severity == "warning"
    text, findings = "请警惕骗局，但稳赚的理财，骗子说的。\n", [finding("finance.promise.return", 1, column=8)]
    assert reviewed(text, list(findings), [learned_rule()]) == findings


def test_only_arbitrated_rules_at_error_are_lowered(model: reader.Model) -> None:
    text = "提醒：请警惕骗局，银行员工不会这样说。\n"
    findings = [
        finding("disclosures.wm.risk", 1),
        finding("diversion.contact", 1, column=3),
        finding("finance.promise.return", 1, severity="blocker", column=5),
    ]
    assert reviewed(text, findings, [learned_rule()]) == findings


def offers_rule(**changes: object) -> Rule:
    """A rule of reader.offers' kind (scope variant, disclosures arbitrated), at thresholds for the tiny model."""
    base = {"id": "reader.offers", "severity": "warning", "above": None, "below": 0.3, "min_han": 20,
            "scope": "variant", "arbitrates": ("disclosures.",), "defers_to": ()}  # fmt: skip
    base.update(changes)
    return learned_rule(**base)


STORY = "支行的志愿者走进社区，给老人讲怎样分辨冒充客服的电话。\n\n讲座之后，大家还一起包了饺子，聊了理财的常识。\n"


def test_a_missing_disclosure_in_a_variant_that_offers_nothing_becomes_a_warning(model: reader.Model) -> None:
    findings = [finding("disclosures.wm.risk", 3, column=18), finding("finance.promise.return", 1)]
    lowered, claim = reviewed(STORY, list(findings), [offers_rule()])
    assert lowered.severity == "warning" and "全文读来不像推介产品" in lowered.message
    assert claim == findings[1]  # it arbitrates only the rules it names


def test_one_paragraph_that_reads_like_an_offer_keeps_the_variants_disclosure_errors(model: reader.Model) -> None:
    text = STORY + "\n稳赚到手，稳赚到手。\n"  # a line of five Han: every paragraph holding Han is read
    findings = [finding("disclosures.wm.risk", 3, column=18)]
    assert reviewed(text, list(findings), [offers_rule()]) == findings


@pytest.mark.parametrize(
    "offer",
    [
        "本行的稳赚，欢迎咨询。",  # an offer anywhere in the variant: the variant, read whole, reads over `below`
        "Steady 180-day wealth product, target return 3.5% p.a., subscribe now via mobile banking!",  # no Han
    ],
)
def test_an_offer_or_a_paragraph_the_model_cannot_read_keeps_the_disclosure_error(
    model: reader.Model, offer: str
) -> None:
    text = STORY + "\n" + offer + "\n"
    findings = [finding("disclosures.wm.risk", 3, column=18)]
    assert reviewed(text, list(findings), [offers_rule()]) == findings
    assert reviewed(STORY, list(findings), [offers_rule()])[0].severity == "warning"


def test_the_variant_is_read_whole_so_words_that_warn_outweigh_one_line_that_sounds_like_an_offer(
    model: reader.Model,
) -> None:
    """The variant's model reads all of it (a report that says a product went on sale reads as a report); what
    its words weigh together decides, not one sentence. The lowered error stays in the report as a warning."""
    text = STORY + "\n请警惕骗局，警惕骗子，警惕骗术。稳赚到手，稳赚到手。\n"
    findings = [finding("disclosures.wm.risk", 3, column=18)]
    assert reviewed(text, list(findings), [offers_rule()])[0].severity == "warning"


def test_one_sentence_that_reads_as_a_pitch_alone_keeps_the_error_however_much_the_variant_reports(
    model: reader.Model,
) -> None:
    """`sentence_below`: a pitch set among reporting (a news story, then 点击购买…) would read low as part of the
    whole; a sentence that reads at least this on its own offers."""
    text = STORY + "\n请警惕骗局，警惕骗子，警惕骗术。稳赚到手，稳赚到手。\n"
    findings = [finding("disclosures.wm.risk", 3, column=18)]
    assert reviewed(text, list(findings), [offers_rule(sentence_below=0.9)]) == findings
    assert reviewed(STORY, list(findings), [offers_rule(sentence_below=0.9)])[0].severity == "warning"


def test_a_variants_model_reads_nothing_until_it_has_an_error_to_judge(model: reader.Model) -> None:
    segments = extract_text(STORY, "a.md")
    folded = FOLD("\n".join(segment.text for segment in segments))
    assert reader.read([offers_rule()], segments, folded, [0] * len(segments)) == {}
    assert reviewed(STORY, [], [offers_rule()]) == []


def test_a_variant_too_short_to_judge_keeps_its_disclosure_errors(model: reader.Model) -> None:
    findings = [finding("disclosures.wm.risk", 3, column=18)]
    han = reader.han_count(FOLD(STORY))  # on the fold, as the model counts: 一 reads as 1
    assert reviewed(STORY, list(findings), [offers_rule(min_han=han + 1)]) == findings
    assert reviewed(STORY, list(findings), [offers_rule(min_han=han)])[0].severity == "warning"


def test_a_paragraph_with_an_error_or_an_earlier_learned_report_is_not_reported_again(model: reader.Model) -> None:
    text = "我们的理财稳赚，到手就是。\n"
    assert [f.rule for f in reviewed(text, [finding("finance.promise.return", 1)], [learned_rule()])] == [
        "finance.promise.return"
    ]
    short = learned_rule(id="reader.claims-short", severity="warning", below=None, arbitrates=())
    assert [f.rule for f in reviewed(text, [], [learned_rule(), short])] == ["reader.claims"]
    assert [f.rule for f in reviewed(text, [finding("x.y", 1, severity="warning")], [learned_rule()])] == [
        "x.y",
        "reader.claims",
    ]


def test_a_paragraph_a_deferred_rule_read_is_not_reported(model: reader.Model) -> None:
    """A claim rule that matched and judged the words a quotation (info) read the paragraph: its verdict stands."""
    text = "有人常说稳赚，到手就是。\n"
    quoted = [finding("finance.promise.return", 1, severity="info")]
    assert reviewed(text, quoted, [learned_rule()]) == quoted
    assert [f.rule for f in reviewed(text, quoted, [learned_rule(defers_to=())])] == [
        "finance.promise.return",
        "reader.claims",
    ]


def test_a_quoted_warning_put_first_does_not_silence_the_reader(model: reader.Model) -> None:
    """The sentence the contexts read as a quotation is the rules'; the reader still reads the rest of the paragraph."""
    text = "有人常说稳赚，大家当心。稳赚到手，到手就是稳赚。\n"
    quoted = [finding("finance.promise.return", 1, severity="info", column=5)]
    reported = [f for f in reviewed(text, quoted, [learned_rule()]) if f.rule == "reader.claims"]
    assert len(reported) == 1 and reported[0].column > 12  # its evidence is taken from the claim, not the quotation


def test_too_few_han_characters_are_not_read(model: reader.Model) -> None:
    """A URL, a name in letters or a date is not copy: neither reported nor used to lower an error."""
    text = "稳赚到手 https://example.com/a wang.lei 2026-12-08\n"
    assert reviewed(text, [], [learned_rule(min_han=5)]) == []
    assert [f.rule for f in reviewed(text, [], [learned_rule(min_han=4)])] == ["reader.claims"]
    lowered = [finding("finance.promise.return", 1)]
    assert reviewed("警惕骗\n", lowered, [learned_rule(min_han=4)]) == lowered


def test_the_shipped_model_never_reads_a_url_or_a_name() -> None:
    from mediactl.check.runner import prepared

    _, engine = prepared(None, None)
    text = "https://www.example-bank.cn/news/wealth/?utm_source=wechat\n\nwang.lei li.na 2026-12-08 10:00\n"
    assert [f for f in engine.check(extract_text(text, "a.txt"), Profile()) if f.rule.startswith("reader.")] == []


def test_addresses_and_the_banks_own_names_are_left_out() -> None:
    folded = FOLD("详见 https://bank.example/ca?utm=x，稳享添利180天持有期，稳享添利首发。WWW.BANK.CN/a")
    left = reader.masked(folded, ["稳享添利180天", "稳享添利"])
    assert len(left) == len(folded)  # offsets stay: evidence is cut from the original text
    assert "http" not in left and "www" not in left and "稳享" not in left
    assert "持有期" in left and "首发" in left  # a Chinese sentence right after a link is still read


def test_compliance_names_reach_the_engine(tmp_path: Path) -> None:
    from mediactl.check.engine import Engine
    from mediactl.check.rules import builtin_pack_files

    files = builtin_pack_files()
    plain, named = load_rules(files), load_rules(files, names=("稳享添利",))
    assert plain.digest != named.digest  # a project's names are part of the rules it checks with
    assert Engine(named).names == ["稳享添利"]


# --- the rule pack --------------------------------------------------------------------------------------


def write_pack(tmp_path: Path, rule: str) -> Path:
    pack = tmp_path / "house.yaml"
    pack.write_text(
        "pack: house\nrules:\n  - id: house.r\n    severity: error\n    message: m\n    source: s\n"
        "    examples: {match: [稳赚], no_match: [你好]}\n" + rule,
        encoding="utf-8",
    )
    return pack


@pytest.mark.parametrize(
    ("rule", "says"),
    [
        ("    kind: learned\n    model: nope.json\n    above: 0.8\n", "unknown model 'nope.json'"),
        (
            "    kind: learned\n    model: claims.json\n    above: 0.5\n    below: 0.6\n    arbitrates: [x.]\n",
            "under 'above'",
        ),
        ("    kind: learned\n    model: claims.json\n", "needs 'above' (to report), 'below'"),
        ("    kind: learned\n    model: claims.json\n    below: 0.3\n", "'arbitrates' and 'below' go together"),
        ("    kind: learned\n    model: claims.json\n    above: 1.5\n", "expected a score from 0 to 1"),
        (
            "    kind: learned\n    model: claims.json\n    below: 0.3\n    sentence_below: 0.2\n    arbitrates: [x.]\n",
            "'sentence_below' reads parts of what 'below' reads: at least 'below'",
        ),
        (
            "    kind: learned\n    model: claims.json\n    above: 0.8\n    scope: variant\n",
            "reads a whole variant only to lower errors",
        ),
        ("    kind: learned\n    model: claims.json\n    above: 0.8\n    sentence_below: 0.9\n", "goes with 'below'"),
        (
            "    kind: learned\n    model: claims.json\n    below: 0.2\n    arbitrates: [x.]\n    scope: variant\n"
            "    defers_to: [x.]\n",
            "reports nothing to defer",
        ),
        ("    kind: learned\n    above: 0.8\n", "a learned rule needs 'model'"),
        ("    kind: term\n    terms: [稳赚]\n    model: claims.json\n", "only a learned rule has 'model'"),
        (
            "    kind: learned\n    model: claims.json\n    above: 0.8\n    terms: [稳赚]\n",
            "a learned rule has no 'terms'",
        ),
    ],
)
def test_a_broken_learned_rule_is_named(tmp_path: Path, rule: str, says: str) -> None:
    with pytest.raises(RulePackError) as raised:
        load_rules([write_pack(tmp_path, rule)], root=tmp_path)
    assert says in "\n".join(problem.message for problem in raised.value.problems)


def test_a_retrained_model_changes_the_rules_digest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pack = write_pack(tmp_path, "    kind: learned\n    model: claims.json\n    above: 0.8\n")
    before = load_rules([pack], root=tmp_path).digest
    monkeypatch.setattr("mediactl.check.reader.model_bytes", lambda name: b"retrained")
    assert load_rules([pack], root=tmp_path).digest != before


@pytest.mark.parametrize("name", ["claims.json", "offers.json"])
def test_each_shipped_model_says_what_it_was_trained_on(name: str) -> None:
    trained = json.loads(reader.model_bytes(name))["trained_on"]
    assert trained["target"] == name.removesuffix(".json") and trained["eval batches"]
    assert trained["labelled 1"] > 0 and trained["labelled 0"] > 0 and trained["corpus paragraphs"] > 0
    assert reader.models() == ("claims.json", "offers.json")


def test_evidence_names_each_wording_once() -> None:
    """An n-gram overlapping a stronger one, as a part or a whole, adds nothing a reader can use."""
    assert reader._distinct(["一分", "一分不", "稳赚", " ", "赚", "到手"]) == ["一分", "稳赚", "到手"]


def test_runs_of_clauses_hold_at_most_window_han_and_read_on_into_the_next_paragraph() -> None:
    folded = "甲乙丙，丁戊。己庚\n辛壬癸"
    spans = [(0, 9), (10, 13)]
    runs = [folded[begin:end] for begin, end in reader._windows(folded, spans)]
    assert runs[0] == "甲乙丙，丁戊。己庚\n辛壬癸"  # 11 Han: one run, across the paragraph's end
    assert runs[1:] == ["丁戊。己庚\n辛壬癸", "己庚\n辛壬癸", "辛壬癸"]
    long = "甲" * (reader.WINDOW_HAN + 5) + "，乙丙"
    assert [long[b:e] for b, e in reader._windows(long, [(0, len(long))])] == [
        "甲" * (reader.WINDOW_HAN + 5) + "，",
        "乙丙",
    ]
