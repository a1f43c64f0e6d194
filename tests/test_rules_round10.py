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
    "美元计价基金开放申购。投资人须承担申购与赎回时换汇产生的汇率风险。",
    "高收益债基金说明：本基金面临信用风险、利率风险与流动性风险，债券价格可能下跌。",
    "境外基金由本行信托部受托投资，信托资金不受存款保险之保障。",
]
#: Not a risk statement: one risk named as low, a single risk word, a past figure, an exchange rate quoted.
FUND_NOT_STATEMENTS = [
    "稳健债券基金开放申购，主要投资高等级信用债，信用风险低，年化波动小。",
    "美元货币基金开放申购，汇率风险由我们帮您对冲，收益更稳。",
    "指数基金定投每月500元起，过去三年涨了40%。",
]


@pytest.mark.parametrize("text", FUND_STATEMENTS)
def test_a_fund_pages_own_risk_statement_is_the_disclosure(text: str) -> None:
    assert not [f for f in _failing(text, FUND) if f.startswith("disclosures.fund.risk")], text


@pytest.mark.parametrize("text", FUND_NOT_STATEMENTS)
def test_a_risk_named_in_passing_is_no_disclosure(text: str) -> None:
    assert [f for f in _failing(text, FUND) if f.startswith("disclosures.fund.risk")], text


#: Loan claims in Taiwan's and Hong Kong's words, products named in traditional characters.
TAIWAN_LOANS = [
    "信貸專案：免照會、免保人，當日撥款！",
    "二胎房貸保證核准，三分鐘核准，免徵連保",
    "小額借款保證過件，5分鐘撥款到手",
]
#: A lender's lawful statements in the same words.
TAIWAN_LOANS_LAWFUL = [
    "信貸申請經本行審核核准後，約三至五個工作日撥款，實際額度與利率依審核結果而定。",
    "最快當日撥款，實際以審核結果為準，總費用年百分率請見官網。",
]


@pytest.mark.parametrize("text", TAIWAN_LOANS)
def test_taiwans_loan_claims_fail(text: str) -> None:
    assert [f for f in _failing(text, LOAN_TRADITIONAL) if f.startswith("finance.loan")], text


@pytest.mark.parametrize("text", TAIWAN_LOANS_LAWFUL)
def test_taiwans_lawful_loan_copy_makes_no_loan_claim(text: str) -> None:
    assert not [f for f in _failing(text, LOAN_TRADITIONAL) if f.startswith("finance.loan")], text


#: Anti-fraud quizzes whose items end in a full stop inside the quotation, with the answer on the next line, and a
#: quoted lure followed by 如果有人这样….
QUIZZES = [
    "考考你：以下哪句最像骗子的话？\nA.“本金有保障，每月返息1%，名额只剩两个。”\nB.“请以合同条款为准。”\n答案：A。",
    "“稳赚不赔，一个月回本”——如果有人这样跟您推荐投资，请立即警惕并拨打反诈专线。",
]
#: The same shapes borrowed by an ad: words of the advertiser after the items, or no warning above them.
QUIZ_ADS = [
    "考考你：以下哪句最像骗子的话？\nA.“本金有保障，每月返息1%。”——本行理财，说到做到。",
    "选理财就看这一条：\nA.“本金有保障，每月返息1%。”\n答案：本行的悦享理财。",
    "“稳赚不赔，一个月回本”——本行新品，欢迎咨询。",
]


@pytest.mark.parametrize("text", QUIZZES)
def test_a_quiz_or_a_quoted_lure_with_its_warning_passes(text: str) -> None:
    assert _failing(text) == [], text


@pytest.mark.parametrize("text", QUIZ_ADS)
def test_the_quiz_shape_borrowed_by_an_ad_fails(text: str) -> None:
    assert _failing(text), text
