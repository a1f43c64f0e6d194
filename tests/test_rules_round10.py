"""Rules round 10 (issue 17, session 14): the classes batches 13-14 showed, in wordings of our own.

Batches 13 and 14 were the held-out measure of session 13 and are this round's development set (batches 15 and 16,
written meanwhile by engineers who never read the rules, measure it). Each class is exercised by examples written
for these tests (never taken from eval/ or from the packs' self-tests), with the near misses that must still fail.
"""

from __future__ import annotations

import pytest

from mediactl.check.rules import Profile
from rulecheck import failing_rules as _failing

FUND = Profile(products=("基金",))
LOAN_TRADITIONAL = Profile(products=("貸款",))

#: A fund page's own risk statements (Taiwan's and the prospectus's), each in a piece of copy that names a fund.
FUND_STATEMENTS = [
    "環球債券基金月配息，年配息率以公告為準。投資人可能損失部分本金，申購前請詳閱公開說明書。",
    "本基金配息可能由本金支付，任何涉及由本金支出的部分，可能导致原始投资金额减损。",
    "亚洲高股息基金定期定额每月三千元起。过去绩效不代表未来绩效之保证。",
    "境外基金由本行信托部受托投资，不受存款保险、保险安定基金或其他相关保障机制之保障。",
]
#: Not a risk statement: risks named as low, denied or borne by the bank; a half of the statutory warning followed by
#: a guarantee; a past figure. (Found by review: named risks and 投资人须承担…汇率风险 were accepted once.)
FUND_NOT_STATEMENTS = [
    "稳健债券基金开放申购，主要投资高等级信用债，信用风险低，年化波动小。",
    "稳健债券基金开放申购，信用风险低、利率风险小，年化波动小。",
    "本基金几乎没有信用风险和利率风险，闭眼买。",
    "美元基金开放申购，投资者应承担的汇率风险由本行全额补偿。",
    "本基金不受存款保险保障，但本行兜底，放心买。",
    "指数基金定投每月500元起，过去三年涨了40%。",
]


@pytest.mark.parametrize("text", FUND_STATEMENTS)
def test_a_fund_pages_own_risk_statement_is_the_disclosure(text: str) -> None:
    assert not [f for f in _failing(text, FUND) if f.startswith("disclosures.fund.risk")], text


@pytest.mark.parametrize("text", FUND_NOT_STATEMENTS)
def test_a_risk_named_in_passing_is_no_disclosure(text: str) -> None:
    assert [f for f in _failing(text, FUND) if f.startswith("disclosures.fund.risk")], text


#: Loan claims in Taiwan's and Hong Kong's words, products named in traditional characters: one new term a line.
TAIWAN_LOANS = [
    "信貸專案：當日撥款，資金不等待！",
    "信貸專案：當天撥款，急用免煩惱",
    "小額信貸免照會，線上申請",
    "二胎房貸保證核准，額度高",
    "小額借款保證過件，手續簡單",
    "代辦信貸包過件",
    "低利零壓力，輕鬆周轉",
    "三分鐘核准，線上申請",
    "5分鐘撥款到手",
]
#: A lender's lawful statements in the same words: a disclaimer, a fact of an unsecured loan, Taiwan's ban on a
#: joint guarantor, a qualified best case.
TAIWAN_LOANS_LAWFUL = [
    "信貸申請經本行審核核准後，約三至五個工作日撥款，實際額度與利率依審核結果而定。",
    "最快當日撥款，實際以審核結果為準，總費用年百分率請見官網。",
    "本行並不保證核准，實際額度依審核結果而定。",
    "信貸申請恕不保證核准。",
    "信用貸款免保人、免擔保品，實際額度依審核結果而定。",
    "依銀行法規定，自用住宅貸款免徵連保人。",
]


@pytest.mark.parametrize("text", TAIWAN_LOANS)
def test_taiwans_loan_claims_fail(text: str) -> None:
    assert [f for f in _failing(text, LOAN_TRADITIONAL) if f.startswith("finance.loan")], text


@pytest.mark.parametrize("text", TAIWAN_LOANS_LAWFUL)
def test_taiwans_lawful_loan_copy_makes_no_loan_claim(text: str) -> None:
    assert not [f for f in _failing(text, LOAN_TRADITIONAL) if f.startswith("finance.loan")], text


#: Anti-fraud quizzes whose items end in a full stop inside the quotation, with the answer after them.
QUIZZES = [
    "考考你：以下哪句最像骗子的话？\nA.“本金有保障，每月返息1%，名额只剩两个。”\nB.“请以合同条款为准。”\n答案：A。",
    "考考你：以下哪些是骗子的话？\nA.“本金有保障。”\nB.“稳赚不赔。”\nC.“请以合同条款为准。”\n答案：A、B。",
]
#: The same shapes borrowed by an ad (several found by review): the advertiser's words after the items or as the
#: answer, the advertiser speaking in the items or in the question, no warning above them; a lure's after-words that
#: only looked like a warning (如果有人这样…).
QUIZ_ADS = [
    "考考你：以下哪句最像骗子的话？\nA.“本金有保障，每月返息1%。”——本行理财，说到做到。",
    "选理财就看这一条：\nA.“本金有保障，每月返息1%。”\n答案：A。",
    "下面哪句话最可能出自骗子之口？A.“本金有保障，每月返息1%”答案：本行悦享理财做到了。",
    "下面哪句话最可能出自骗子之口？\nA.“本金有保障，每月返息1%”\n答案：本行悦享理财。",
    "以下哪句是骗子的话？\nA.“保本保息，年化12%。”答案：都不是！这是本行悦享理财的真实承诺。",
    "还在担心遇到骗子？\nA.“本行悦享理财，保本保息。”",
    "骗子做不到的，我们做到了。A.“悦享理财，保本保息，年化5%”",
    "本行悦享理财保本保息，如果有人这样还不心动，那就真的错过了。",
    "“稳赚不赔，一个月回本”——本行新品，欢迎咨询。",
]


@pytest.mark.parametrize("text", QUIZZES)
def test_a_quiz_or_a_quoted_lure_with_its_warning_passes(text: str) -> None:
    assert _failing(text) == [], text


@pytest.mark.parametrize("text", QUIZ_ADS)
def test_the_quiz_shape_borrowed_by_an_ad_fails(text: str) -> None:
    assert [f for f in _failing(text) if f.startswith("finance.promise")], text


def test_a_claim_past_the_reach_of_an_earlier_quotation_on_its_line_is_not_read_as_quoted() -> None:
    """Quotation marks fold to one symmetric mark, counted from the line's start: counted from REACH characters back
    (found by review), a quotation cut in two flipped the count and an ad's claim 646 characters into a line read as
    quoted."""
    head = "本行开展“守护钱袋子”宣传月活动，提醒广大客户警惕各类“养老诈骗”。"
    body = "本行深耕财富管理多年，服务网点遍布全国，客户经理一对一服务，线上线下随时办理，手续简便，操作便捷。" * 12
    text = head + body + "本行悦享理财保本保息，收益“稳稳的”，欢迎选购。"
    assert "finance.promise.principal 「保本保息」" in _failing(text, Profile(products=("理财",)))
