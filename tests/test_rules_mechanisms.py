"""Issue 17 rule mechanisms: equivalent disclosures scoped by product, quoting contexts, homophone
spellings and severity by platform policy. In-process, on small packs of our own (not the eval set)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediactl.check.contexts import contexts, quoted_in
from mediactl.check.engine import Engine, self_test
from mediactl.check.extract import extract_text
from mediactl.check.normalize import Normalizer
from mediactl.check.rules import Profile, RulePackError, builtin_pack_files, load_rules

PACK = """\
pack: t17
title: 测试
rules:
  - id: t17.wm
    kind: disclosure
    severity: error
    message: 缺少理财风险提示
    source: 测试
    when: {products: [理财]}
    trigger: [理财]
    require: [理财非存款、产品有风险、投资须谨慎]
    unless_quoted_by: quoted-warning
    examples: {match: [这款理财很好, 理财周二起售], no_match: [这款理财很好。理财非存款、产品有风险、投资须谨慎。, 今天天气很好]}
  - id: t17.baoben
    kind: term
    severity: error
    message: 不得承诺保本
    source: 测试
    terms: [保本, 保本保息, 保收益]
    allow: [非保本]
    unless_quoted_by: quoted-warning
    examples: {match: [本产品保本, 我们承诺保本], no_match: [本产品非保本, 谨防“保本”骗局的说辞]}
  - id: t17.vx
    kind: term
    severity: warning
    message: 导流
    source: 测试
    terms: [加微信]
    severity_by_policy: {policy: diversion, forbidden: error, allowed: info}
    examples: {match: [详情加微信, 请加微信咨询], no_match: [详情请私信, 欢迎留言]}
"""

_NORMALIZER = Normalizer()


def _engine(tmp_path: Path, pack: str = PACK, **kwargs) -> Engine:
    path = tmp_path / "t17.yaml"
    path.write_text(pack, encoding="utf-8")
    return Engine(load_rules([path], **kwargs), normalizer=_NORMALIZER)


def _found(engine: Engine, text: str, profile: Profile | None = None) -> dict[str, str]:
    """rule id → severity of what `text` holds (an unknown profile by default: an ad hoc file)."""
    return {f.rule: f.severity for f in engine.check(extract_text(text, "t.txt"), profile or Profile())}


# ---- equivalent disclosures, scoped by product ----

WM = Profile(products=("理财",))


@pytest.mark.parametrize(
    "text",
    [
        "新发理财周二起售。理财非存款，产品有风险，投资需谨慎。",  # 须 → 需 (a wording of the data file)
        "新发理财周二起售。投资须谨慎，理财产品不等于存款，产品有风险。",  # clause order and a synonym clause
    ],
)
def test_equivalent_wordings_satisfy_a_required_disclosure(tmp_path: Path, text: str) -> None:
    assert "t17.wm" not in _found(_engine(tmp_path), text, WM)


def test_a_sentence_may_have_several_clause_sets_each_with_its_source() -> None:
    """The association's three clauses and the 风险揭示书's risk + 谨慎投资 both satisfy the WM notice."""
    from mediactl.check.equivalents import accepted

    _, clause_sets = accepted(("理财非存款、产品有风险、投资须谨慎",))
    assert len(clause_sets) >= 2
    assert any(any("谨慎投资" in clause for clause in clauses) for clauses in clause_sets)


def test_a_risk_disclosure_wording_satisfies_the_wm_notice(tmp_path: Path) -> None:
    text = "新一期固收理财周三起售。本理财产品有投资风险，请充分认识投资风险，谨慎投资。"
    assert "t17.wm" not in _found(_engine(tmp_path), text, WM)
    assert _found(_engine(tmp_path), "新一期固收理财周三起售，请谨慎投资。", WM)["t17.wm"] == "error"


def test_reordered_clauses_count_only_within_one_paragraph(tmp_path: Path) -> None:
    text = "新发理财周二起售。投资须谨慎，产品有风险。\n\n理财产品不等于存款。"
    assert _found(_engine(tmp_path), text, WM)["t17.wm"] == "error"


def test_the_wording_quoted_in_a_box_is_the_text_as_written(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    segments = extract_text("新发理财。投资须谨慎，理财产品不等于存款，产品有风险。", "t.txt")
    assert engine.wording(segments, "t17.wm") == "投资须谨慎，理财产品不等于存款，产品有风险"


def test_a_product_scoped_disclosure_is_owed_by_products(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    assert _found(engine, "这款理财很好", WM)["t17.wm"] == "error"
    assert "t17.wm" not in _found(engine, "这款理财很好", Profile(products=("基金",)))
    # Unknown products (an ad hoc file): anti-fraud copy naming 理财 need not carry it; a warning, not an error.
    assert _found(engine, "这款理财很好", Profile())["t17.wm"] == "warning"


def test_products_in_traditional_characters_or_full_width_name_the_same_product(tmp_path: Path) -> None:
    """Front matter written in traditional characters (理財, as a Hong Kong or Taiwan team writes it) puts the
    product's rules in force: products are compared as the checker folds text."""
    engine = _engine(tmp_path)
    assert _found(engine, "这款理财很好", Profile(products=("理財",)))["t17.wm"] == "error"
    assert _found(engine, "這款理財很好", Profile(products=(" 理财",)))["t17.wm"] == "error"
    assert "t17.wm" not in _found(engine, "这款理财很好", Profile(products=("基金",)))


# ---- quoting contexts ----


@pytest.mark.parametrize(
    "text",
    [
        "请警惕“保本高收益”的虚假承诺",
        "不轻信「保本」「稳赚」等说辞",
        "金融营销不得明示或者暗示保本或者保收益",
        "凡是声称保本的都是骗局",
        "高利保本是陷阱",
    ],
)
def test_a_quoted_claim_is_reported_as_info(tmp_path: Path, text: str) -> None:
    assert _found(_engine(tmp_path), text)["t17.baoben"] == "info"


@pytest.mark.parametrize(
    "text",
    [
        "不用担心，我们承诺保本",
        "这款“保本”理财，闲钱放心存",
        "不得不说，这款产品保本",
        "警惕通胀！这款理财保本",
    ],
)
def test_a_claim_with_a_cue_elsewhere_is_still_a_claim(tmp_path: Path, text: str) -> None:
    assert _found(_engine(tmp_path), text)["t17.baoben"] == "error"


@pytest.mark.parametrize(
    "text",
    [
        "所有吹嘘”保本”的私募项目，十有八九都是骗局",  # two closing marks typed as a pair
        '学会识破"保本保息”的推销',  # ASCII opening, full-width closing
        "讲师团揭露了「保本」养老投资的真相",
        "诈骗团伙以“保本”为诱饵，拉老人入群",
        "天天被推销“年化10%还保本”，这种话要警惕",
        "老话说得好：“保本又高息，十有九是坑，保本是陷阱”",
        "犯罪分子伪造合同，声明到期保本，骗取信任",
        "监管明确，金融营销不可暗示产品保本",
    ],
)
def test_a_claim_quoted_or_named_in_a_warning_sentence_is_info(tmp_path: Path, text: str) -> None:
    assert _found(_engine(tmp_path), text)["t17.baoben"] == "info"


@pytest.mark.parametrize(
    "text",
    [
        "不用担心，我们承诺保本",
        "凡是本行客户，购买本产品均保本",  # 凡是 without the 都是/就是 of a warning
        "警惕通胀，选这款保本理财",  # 警惕 alone, before the claim
        "这款产品保本保息，绝不是骗局",  # a denial is no warning
    ],
)
def test_an_ad_with_warning_words_beside_the_claim_is_still_a_claim(tmp_path: Path, text: str) -> None:
    assert _found(_engine(tmp_path), text)["t17.baoben"] == "error"


def test_a_disclosure_trigger_inside_a_warning_owes_no_disclosure(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    assert "t17.wm" not in _found(engine, "凡是拉你买高息理财的陌生人，都是骗子", WM)
    assert _found(engine, "这款理财，凡是新客都能买", WM)["t17.wm"] == "error"


def test_a_trigger_that_is_the_whole_of_a_quotation_is_named_not_offered(tmp_path: Path) -> None:
    """关注说明书里的“理财” names the word; 这款“稳享”理财 still offers one, and a quoted claim is still a claim."""
    engine = _engine(tmp_path)
    assert "t17.wm" not in _found(engine, "投教：说明书里的“理财”二字，指的是什么", WM)
    assert _found(engine, "这款“稳享”理财周二起售", WM)["t17.wm"] == "error"
    assert _found(engine, "这款“保本”产品周二起售")["t17.baoben"] == "error"


def test_a_quotation_introduced_by_a_colon_is_read_with_its_label(tmp_path: Path) -> None:
    """骗子话术：“…” warns: the colon ends the clause, but the label before it is what introduces the quotation."""
    engine = _engine(tmp_path)
    assert _found(engine, "谨防这种说法：“本产品保本，当天到账”")["t17.baoben"] == "info"
    assert _found(engine, "活动说明：“本产品保本，当天到账”")["t17.baoben"] == "error"


def test_a_quoted_script_of_several_sentences_is_one_quotation(tmp_path: Path) -> None:
    """The marks pair across the script's own ！ (谨防这种说法：“当天到账！本产品保本！”), within one line."""
    engine = _engine(tmp_path)
    assert _found(engine, "谨防这种说法：“当天到账！本产品保本！”")["t17.baoben"] == "info"
    assert _found(engine, "活动说明：“当天到账！本产品保本！”")["t17.baoben"] == "error"


def test_the_context_examples_of_the_data_file_hold() -> None:
    """Every `quoted` example of contexts.yaml is quoted at its claim, every `claims` example is not."""
    fold = _NORMALIZER.fold
    claims = ("保本", "稳赚", "无风险", "零风险", "保收益")
    for context in contexts().values():
        for text, expected in [
            *((t, True) for t in context.quoted_examples),
            *((t, False) for t in context.claim_examples),
        ]:
            folded = fold(text)
            spans = [(folded.find(fold(c)), folded.find(fold(c)) + len(c)) for c in claims if fold(c) in folded]
            assert spans, text
            assert all(quoted_in(folded, s, e, context) is expected for s, e in spans), text


def test_a_rule_naming_an_unknown_context_is_a_pack_error(tmp_path: Path) -> None:
    with pytest.raises(RulePackError) as caught:
        _engine(tmp_path, PACK.replace("unless_quoted_by: quoted-warning", "unless_quoted_by: nonsense"))
    assert "unless_quoted_by" in str(caught.value.problems) or "nonsense" in str(caught.value.problems)


def test_self_tests_do_not_count_a_quoted_example_as_a_match(tmp_path: Path) -> None:
    path = tmp_path / "t17.yaml"
    path.write_text(PACK, encoding="utf-8")
    assert self_test(load_rules([path])) == []


# ---- homophone and pinyin spellings ----


@pytest.mark.parametrize("text", ["本产品包本包息", "本产品保ben", "本产品保夲", "本产品饱本", "本产品堡本"])
def test_homophone_spellings_of_a_term_are_found_and_named(tmp_path: Path, text: str) -> None:
    findings = _engine(tmp_path).check(extract_text(text, "t.txt"), Profile())
    assert [(f.rule, "homophone" in f.normalisations) for f in findings] == [("t17.baoben", True)]


@pytest.mark.parametrize("text", ["抢红包收益多多", "红包本金翻倍", "本产品非保ben"])
def test_spellings_do_not_fold_ordinary_words(tmp_path: Path, text: str) -> None:
    assert "t17.baoben" not in _found(_engine(tmp_path), text)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("xyk代办，额度高", "finance.card.agent"),
        ("bao下卡，不成功不收费", "finance.card.agent"),
        ("这款产品稳转不赔", "finance.promise.return"),
        ("薇锌搜一下就能找到我", "diversion.contact.wechat-prompt"),
    ],
)
def test_the_built_in_packs_read_pinyin_and_near_homophone_spellings(text: str, rule: str) -> None:
    """Round 6's pairs (堡本/堡息, 薇锌, 转不赔 and the pinyin bao, xyk) reach the built-in terms they stand for."""
    from mediactl.check.runner import prepared

    _, engine = prepared(None, None)
    assert rule in {finding.rule for finding in engine.check(extract_text(text, "t.txt"), Profile())}


@pytest.mark.parametrize("text", ["转账不收手续费", "请到营业厅办理信用卡，额度以审批为准"])
def test_the_new_spellings_leave_ordinary_words_alone(text: str) -> None:
    from mediactl.check.runner import prepared

    _, engine = prepared(None, None)
    assert engine.check(extract_text(text, "t.txt"), Profile()) == []


# ---- severity by platform policy ----


@pytest.mark.parametrize(
    ("platform", "severity"),
    [("douyin", "error"), ("xiaohongshu", "error"), ("weibo", "error"), ("website", "info"), (None, "warning")],
)
def test_platform_policy_sets_the_severity(tmp_path: Path, platform: str | None, severity: str) -> None:
    assert _found(_engine(tmp_path), "详情加微信", Profile(platform=platform))["t17.vx"] == severity


@pytest.mark.parametrize(
    ("platform", "severity"), [("douyin", "error"), ("xiaohongshu", "error"), ("wechat_oa", "info"), ("weibo", "info")]
)
def test_a_link_out_is_an_error_where_forbidden_and_a_note_where_allowed(platform: str, severity: str) -> None:
    """The built-in pack: a link to the bank's own page is what 公众号's 阅读原文 and Weibo's statuses carry, so
    there it is noted (info), not a warning on every variant; where links out are forbidden it fails."""
    from mediactl.check.runner import prepared

    _, engine = prepared(None, None)
    found = engine.check(extract_text("详情见 https://www.example-bank.com/promo", "t.txt"), Profile(platform=platform))
    assert {f.rule: f.severity for f in found}.get("diversion.link") == severity


def test_the_repository_severity_beats_the_platform_policy(tmp_path: Path) -> None:
    engine = _engine(tmp_path, severity={"t17.vx": "warning"})
    assert _found(engine, "详情加微信", Profile(platform="douyin"))["t17.vx"] == "warning"


def test_an_unknown_policy_is_a_pack_error(tmp_path: Path) -> None:
    with pytest.raises(RulePackError):
        _engine(tmp_path, PACK.replace("policy: diversion", "policy: diversions"))


def test_content_platforms_state_their_link_and_diversion_policy() -> None:
    from mediactl.config.platforms import all_platforms

    for name in ("douyin", "kuaishou", "xiaohongshu", "bilibili", "channels"):
        policy = all_platforms()[name].facts["policy"]
        assert policy["links_out"] == policy["diversion"] == "forbidden" and policy["source"], name
    assert all_platforms()["website"].facts["policy"]["links_out"] == "allowed"


def test_the_engine_data_files_are_part_of_the_rule_set_digest(tmp_path: Path, monkeypatch) -> None:
    from mediactl.check import rules

    before = load_rules(builtin_pack_files()).digest
    monkeypatch.setattr(rules, "engine_data", lambda: b"changed")
    assert load_rules(builtin_pack_files()).digest != before


# ---- separators the fold did not know ----


@pytest.mark.parametrize(
    "separator", ["\u0336", "\u0332", "\u0301", "\ua78f", "\u060c", "\u0f0b", "·", "•", "‧", "～", "🔥", "\u200b"]
)
def test_inserted_separators_are_skipped(tmp_path: Path, separator: str) -> None:
    findings = _engine(tmp_path).check(extract_text(f"本产品保{separator}本", "t.txt"), Profile())
    assert [f.rule for f in findings] == ["t17.baoben"]
    assert findings[0].normalisations  # the inserted character is itself a sign of evasion


def test_a_paragraph_is_folded_once_for_its_quoting_contexts(tmp_path: Path) -> None:
    """Many matches in one long paragraph: the context reads one folded copy, not one per match."""
    engine = _engine(tmp_path)
    calls = []
    fold = engine.normalizer.fold

    def counting(text: str) -> str:
        calls.append(len(text))
        return fold(text)

    engine.normalizer.fold = counting  # type: ignore[method-assign]
    try:
        findings = engine.check(extract_text("本产品保本，" * 50, "t.txt"), Profile())
    finally:
        del engine.normalizer.fold
    assert len(findings) == 50
    assert len(calls) <= 1  # none now: the paragraph is cut from the fold of the whole text (engine._FoldedSegments)


@pytest.mark.parametrize(("platform", "severity"), [("douyin", "error"), ("wechat_oa", "info"), ("website", "info")])
def test_a_qr_code_follows_the_platforms_qr_policy(platform: str, severity: str) -> None:
    """公众号 forbids luring to a personal WeChat, not QR codes to the account's own services."""
    rules = load_rules(builtin_pack_files())
    findings = Engine(rules, normalizer=_NORMALIZER).check(
        extract_text("长按识别二维码，预约开户", "t.txt"), Profile(platform=platform)
    )
    assert {f.severity for f in findings if f.rule == "diversion.qr"} == {severity}


@pytest.mark.parametrize("text", ["陌生二维码不扫，陌生链接不点", "别扫来历不明的二维码，谨防诈骗"])
def test_the_anti_fraud_slogan_about_qr_codes_is_no_lure_on_any_platform(text: str) -> None:
    """反诈口诀 names the QR code to warn against scanning it; a lure to scan one stays an error on 抖音."""
    engine = Engine(load_rules(builtin_pack_files()), normalizer=_NORMALIZER)
    douyin = Profile(platform="douyin")
    warning = engine.check(extract_text(text, "t.txt"), douyin)
    assert {f.severity for f in warning if f.rule == "diversion.qr"} == {"info"}
    lure = engine.check(extract_text("扫描下方二维码，添加专属客户经理", "t.txt"), douyin)
    assert {f.severity for f in lure if f.rule == "diversion.qr"} == {"error"}


def test_a_blocker_disclosure_stays_a_blocker_on_copy_of_unknown_products(tmp_path: Path) -> None:
    engine = _engine(
        tmp_path,
        PACK.replace(
            "    severity: error\n    message: 缺少理财风险提示", "    severity: blocker\n    message: 缺少理财风险提示"
        ),
    )
    assert _found(engine, "这款理财很好")["t17.wm"] == "blocker"


def test_a_long_run_of_digits_is_searched_in_linear_time(tmp_path) -> None:
    """A regex rule whose digits may start anywhere in a run (\\d+ at the head of a branch, no (?<!\\d)) tried every
    start of it: quadratic, 16-19 s for one rule on 20,000 digits once the paragraph held its required words. The
    branches start where a run starts. A paragraph of 60,000 digits among the rules' words must be checked at all (in
    a child process, so a hang fails the test instead of stalling the suite)."""
    import subprocess
    import sys

    digits = "1" * 60_000
    (tmp_path / "digits.md").write_text(
        f"# 产品\n\n每年保证年息投资认购，{digits}%月息，{digits}分钟审批，{digits}年期收益{digits}倍回本。\n", "utf-8"
    )
    code = "import sys; from mediactl.cli.app import script; sys.argv = ['mediactl', 'check', sys.argv[1]]; script()"
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "digits.md")], capture_output=True, timeout=120)
    assert done.returncode in (0, 1), done.stderr[-500:]
