"""Rules round 11 (issue 17, session 16): facts that read like claims, disclaimers, quizzes, a bank's own history.

Batches 17-18 became the development set of this round (batches 19 and 20, written meanwhile by engineers who never
read the rules, are the held-out measure). Every text here is written for these tests, never taken from eval/ or
the packs' self-tests; each lawful form has an ad that borrows it and must still fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mediactl.check.engine import Engine
from mediactl.check.extract import extract_text
from mediactl.check.normalize import Normalizer
from mediactl.check.rules import Profile, RulePackError, builtin_pack_files, load_rules
from mediactl.check.statements import stated_lawfully, statements
from rulecheck import failing_rules

DEPOSIT = Profile(products=("存款",))
WEALTH = Profile(products=("理财",))
GIFT = Profile(products=("存款", "理财"))
LOAN = Profile(products=("贷款",))


def _rules(text: str, profile: Profile | None = None) -> set[str]:
    return {failed.split(" ")[0] for failed in failing_rules(text, profile)}


#: Deposit insurance explained: principal and interest together, up to 50万元 (存款保险条例 第五条).
DEPOSIT_INSURANCE = [
    "存款保险怎么赔？同一家银行的存款本息合并计算，最高偿付限额50万元，在这个数以内，保本也保息。",
    "## 存款保险是什么：保本也保息，限额50万元",
    "小知识：50万元以内的存款，保本也保息，超出部分从银行清算财产中受偿。",
]
#: The fact borrowed by an ad: a simile, or pinned on an investment.
DEPOSIT_INSURANCE_ADS = [
    "这款理财和存款保险一样，保本也保息，年化4.2%。",
    "50万元以内保本保息，年化收益率4%的理财，闲钱首选。",
    "比存款保险还安心：本产品保本保息。",
    "本产品保本保息，放心买。",
    # found by review (session 16): the insurance as a backer, a product or one's own voice in the sentence
    "有存款保险兜底，稳赚不赔，只涨不跌，放心存！",
    "存款保险同款安心：本产品保本保息，放心买。",
    "结构性存款纳入存款保险，保本保息，稳赚不赔。",
    "这款增额终身寿险，50万元以内保本也保息，锁定终身。",
    "媲美存款保险，增额寿保本保息，写进合同。",
]


@pytest.mark.parametrize("text", DEPOSIT_INSURANCE)
def test_deposit_insurance_explained_passes(text: str) -> None:
    assert not _rules(text, DEPOSIT) & {"finance.promise.principal", "finance.promise.return"}, text


@pytest.mark.parametrize("text", DEPOSIT_INSURANCE_ADS)
def test_deposit_insurance_borrowed_by_an_ad_fails(text: str) -> None:
    assert _rules(text, WEALTH) & {"finance.promise.principal", "finance.promise.return"}, text


#: A gift limited to a stated count, in an activity's rules.
COUNTED = [
    "活动礼品：全行共3000份，名额有限，先到先得，送完即止。",
    "每位客户限领1次，每个网点每日限量80份，名额有限，领完即止。",
    "每週三限800人次參加，名額有限，先到先得。",
]
#: The same words as pressure: no count, or a countdown beside it.
PRESSURE = [
    "存款礼品数量有限，先到先得，快来网点！",
    "名额有限，仅剩最后5份，先到先得，速来。",
    "限量100份，手慢无，名额有限先到先得！",
    # found by review (session 16): a time read as a count, a deadline beside a count
    "限时1个月，名额有限，先到先得！",
    "限时秒杀，共100份，名额有限，先到先得，今晚12点截止。",
    "仅此1天，共200份，名额有限，先到先得，过时不候！",
]


@pytest.mark.parametrize("text", COUNTED)
def test_a_counted_limit_passes(text: str) -> None:
    assert "finance.pressure.urgency-pair" not in _rules(text, GIFT), text


@pytest.mark.parametrize("text", PRESSURE)
def test_a_limit_as_pressure_fails(text: str) -> None:
    assert _rules(text, GIFT) & {"finance.pressure.urgency-pair", "finance.pressure.scarcity"}, text


#: A disclaimer's negated guarantee reaches the end of its clause; a quiz that asks which line is a cheat's.
LAWFUL = [
    ("某机构不以任何方式承诺收益或保本，过往业绩不代表未来表现。", WEALTH),
    ("金价并非只涨不跌，请理性配置。", None),
    ("【小测验】以下哪句是违规宣传？\nA. “本金保障，年化8%”\nB. “理财非存款，产品有风险”", WEALTH),
    ("考考你：下面哪句话是骗子的话术？\nA.“这个基金稳赚不赔”\nB.“基金有风险，投资需谨慎”", None),
    ("1988年，我们的第一家营业网点在老街开张。", None),
    ("保单的保证现金价值，是合同约定的最低价值。", None),
    ("本周同业拆借利率最高上行5个基点，资金面总体平稳。", None),
    ("他说周末一定会回来看看。", None),
    ("装修贷线上申请，最快30分钟放款，审批结果以银行审核为准，年化利率（单利）4.2%起。", LOAN),
    ("境外汇款最快当天到账，手续费以柜台公示为准。", None),
    ("本产品年化最高不超过18%，具体以审批结果为准。", LOAN),
    ("本基金在同类产品中风险等级较低，请根据自身情况选择。基金有风险，投资须谨慎。", None),
]
#: The same shapes made by an ad.
ADS = [
    ("我们不保证别的，只保证一定盈利！", WEALTH),
    ("不以任何方式收费，本产品保本保息。", WEALTH),
    ("你适合哪款理财？\nA. 保本稳赚型\nB. 进取型", WEALTH),
    ("以下哪些是骗子的话术？\nA. 我们的理财保本保息，放心买", WEALTH),
    ("本行是全省第一家推出养老理财的银行。", None),
    ("全网最低价，手慢无！", None),
    # the recall half of the round: claims in wordings the rules did not read
    ("本期结构性存款，年化最高4.1%，限时认购。", DEPOSIT),
    ("这款信用贷全网费率最低，线上就能办。", None),
    ("我行代发工资客户数稳居全省同业第一。", None),
    ("同类排名第1的纯债基金，闲钱的好去处。", None),
    ("这只基金领跑行业，值得长期拥有。", None),
    ("跌了也不怕，本金一定会回来的。", WEALTH),
    ("这个组合拿一年，肯定比存定期赚得多。", WEALTH),
    ("装修贷线上办，最快30分钟放款。", LOAN),
    # found by review (session 16): a bare negation before an ad's claim, a quiz that endorses its option, history
    # borrowed for a rank, a rate named without its figure, numerals in words
    ("绝非夸张的全国第一高息，快来存。", DEPOSIT),
    ("并非人人都能拥有的保本保息好产品，年化5%。", WEALTH),
    ("额度有限，不保证人人都能抢到稳赚不赔的理财名额。", WEALTH),
    ("不作任何审核秒批到账，年化利率7.2%起。", LOAN),
    ("【理财小测验】哪款理财最正规？\nA. 鑫盈1号：保本保息，年化5%，稳赚不赔\nB. 来路不明的高息平台", WEALTH),
    ("我们是第一家网点开进每个行政村的银行，服务更贴心。", None),
    ("这款存单手续费最低价值得拥有。", None),
    ("跌了也不怕，本金绝对能回来。", WEALTH),
    ("不用看年化利率，最快5分钟到账！", LOAN),
    ("备用金最快十分钟下款，手机就能借。", LOAN),
]


@pytest.mark.parametrize(("text", "profile"), LAWFUL)
def test_lawful_copy_passes(text: str, profile: Profile | None) -> None:
    assert failing_rules(text, profile) == [], text


@pytest.mark.parametrize(("text", "profile"), ADS)
def test_the_ad_shapes_fail(text: str, profile: Profile | None) -> None:
    assert failing_rules(text, profile) != [], text


def test_the_statement_examples_of_the_data_file_hold() -> None:
    """Every `lawful` example of statements.yaml holds its statement, every `claims` example does not."""
    fold = Normalizer().fold
    for statement in statements().values():
        assert statement.lawful_examples and statement.claim_examples, statement.name
        for text in statement.lawful_examples:
            assert stated_lawfully(fold(text), 0, statement), text
        for text in statement.claim_examples:
            assert not stated_lawfully(fold(text), 0, statement), text


PACK = """\
pack: t11
title: 测试
rules:
  - id: t11.baoben
    kind: term
    severity: error
    message: 不得承诺保本
    source: 测试
    terms: [保本]
    lawful_in: [deposit-insurance]
    examples: {match: [本产品保本], no_match: [存款保险：50万元以内，保本也保息]}
"""


def _engine(tmp_path: Path, pack: str = PACK) -> Engine:
    path = tmp_path / "t11.yaml"
    path.write_text(pack, encoding="utf-8")
    return Engine(load_rules([path]), normalizer=Normalizer())


def test_a_lawful_statement_reports_at_info_with_its_reason(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    (found,) = engine.check(extract_text("存款保险：50万元以内，保本也保息", "t.txt"), Profile())
    assert found.severity == "info" and "deposit-insurance" in found.message
    (claim,) = engine.check(extract_text("本理财保本。存款保险保障50万元以内的存款。", "t.txt"), Profile())
    assert claim.severity == "error"  # the fact is in another sentence: the claim's own sentence decides


@pytest.mark.parametrize(
    ("replace", "word"),
    [
        ("lawful_in: [deposit-insurance]", "nonsense"),
        ("kind: term", "lawful_in"),
    ],
)
def test_a_bad_lawful_in_is_a_pack_error(tmp_path: Path, replace: str, word: str) -> None:
    pack = PACK.replace(replace, "lawful_in: [nonsense]" if word == "nonsense" else "kind: occurrence\n    max: 1")
    with pytest.raises(RulePackError) as caught:
        _engine(tmp_path, pack)
    assert word in str(caught.value.problems)


def test_the_built_in_packs_name_only_known_statements() -> None:
    named = {name for rule in load_rules(builtin_pack_files()).rules for name in rule.lawful_in}
    assert named and named <= set(statements())


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("本行存款规模稳居全省第一。", "adlaw.rank.claim"),  # listed: reported by the list, not again by the pattern
        ("手机银行月活稳居第一。", "adlaw.rank.claim"),
        ("个人存款增量稳居全市城商行第一。", "adlaw.rank.placed-first"),  # a field between: the pattern's
        ("理财规模稳居榜首。", "adlaw.rank.placed-first"),
        ("手机银行满意度蝉联第一。", "adlaw.rank.placed-first"),  # found by review: no listed term says it
        ("荣登第一名，实力见证。", "adlaw.rank.placed-first"),
    ],
)
def test_a_rank_placed_first_is_reported_once(text: str, rule: str) -> None:
    found = [failed.split(" ")[0] for failed in failing_rules(text)]
    assert rule in found and not {"adlaw.rank.claim", "adlaw.rank.placed-first"} - {rule} & set(found), found
