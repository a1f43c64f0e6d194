"""Rules round 8 (issue 17, session 13): the classes batches 10-12 showed, in wordings of our own.

Batches 10-12 became the development set of this round (batches 13 and 14, written meanwhile by engineers who never
read the rules, are the held-out measure). Each class is exercised by examples written for these tests (never taken
from eval/ or from the packs' self-tests), with the near misses that must pass: a deposit-insurance explainer, a
disclaimer naming 过往业绩, a card type, an anti-fraud quiz. And each warning form read here is borrowed by an ad that
must still fail.
"""

from __future__ import annotations

import pytest

from mediactl.check.rules import Profile
from rulecheck import failing_rules as _failing
from rulecheck import findings

DEPOSIT = Profile(products=("存款",))
WEALTH = Profile(products=("理财",))
CARD = Profile(products=("信用卡",))
LOAN = Profile(products=("贷款",))


def _found(text: str, profile: Profile | None = None) -> list[str]:
    """Every rule that found something, at any severity: whether a rule matches, whatever the learned reader's
    arbiter (which may lower a short neutral test line to a warning) makes of it."""
    return [finding.rule for finding in findings(text, profile)]


#: Interest or rewards beside the posted rate: the deposit is bought, not priced.
ABOVE_POSTED = [
    "续存两年的客户，除了挂牌利息，网点另外再送一份感谢金",
    "按挂牌利率计息以外，还可领取相当于0.5%的关怀红包",
    "奖励直接转到卡上，不体现在存单上",
    "同样五万块，在我们这里比别家多拿40元利息",
]
ABOVE_POSTED_NEAR_MISSES = [
    "存款利率执行本行挂牌利率，活动礼品与存款金额无关",
    "同业存款利率下行，各行纷纷调整挂牌利率",
    "温馨提示：除按挂牌利率计息外，本行不会额外给予任何返利，请勿轻信。",
    "除挂牌利率外，还可关注本行大额存单产品。",
]

#: Scarcity of an amount, a sell-out foretold, a withdrawal for ever, the last chance.
SCARCITY = [
    "本期额度只剩最后50万元，抓紧预约",
    "按目前速度，明天中午前将全部售罄",
    "这款年金险下月起永久停售",
    "这是今年最后一次锁定这个利率的机会",
]
SCARCITY_NEAR_MISSES = [
    "本期产品已全部售罄，感谢各位客户的支持",
    "最后提醒：请于到期日前完成续期",
]

#: Easy loans said without the listed words.
LOANS = [
    "不用收入证明，手机上就能申请",
    "征信花了也没关系，照样给你额度",
    "自由职业也不怕，基本都能批下来",
    "秒贷五万，随用随还",
]
LOAN_NEAR_MISSES = [
    "申请需提供收入证明等材料，审批结果以审核为准，年化利率（单利）3.6%起",
]

#: Returns promised in plain words.
RETURNS = [
    "每一分收益写进合同，到期一次拿走",
    "存够三年，固定拿回本息合计一万零九百",
]

#: Leading the industry without 领先.
LEADING = [
    "我们的普惠贷款规模稳居同业之首",
    "本行是区域养老金融的领跑者",
]

#: The stock-tip teacher, and LINE as the chat app of traditional-character copy (diversion fails where the platform
#: forbids it: WeChat Channels by default).
TIPS = ["跟着专业老师带你赚，一周见效"]

#: The superlative as a denial, principal said in cents, a rate for new money, a day's cost of a round sum.
MORE = [  # (text, profile, the rule this round wrote for it)
    ("问遍周边银行，也找不到比我们更低的房贷利率", None, "adlaw.absolute.none-better"),
    ("什么时候来取都不会比存入时少一分", None, "finance.promise.no-loss"),
    ("您存多少取多少，不会少一分", None, "finance.promise.principal"),
    ("新资金专享利率2.1%，本周截止", DEPOSIT, "finance.deposit.lure"),
    ("借1万每天只要3块钱，随用随取", LOAN, "disclosures.loan.apr"),
    ("这只基金随便买随便赚", None, "finance.promise.return"),
    ("三年定存到期返本，利息另算", None, "finance.promise.principal"),
    ("稳钻不陪，放心投", None, "finance.promise.return"),
    ("线上办理，无需审批，当天可用", LOAN, "finance.loan.easy-approval"),
    ("限时优惠，仅剩少量名额", WEALTH, "finance.pressure.scarcity"),
]
MORE_NEAR_MISSES = [
    ("春节没有比家人团聚更好的事", None),
    ("我们会不断改进，把服务做得更好", None),
    # found by review: a product called X宝, a greeting, a warning, a notice of a past withdrawal, a negated ranking
    ("余额宝本月收益到账提醒", None),
    ("祝您的事业永远向上，步步高升", None),
    ("不要以为买理财就是捡钱，投资有风险。", None),
    ("该款年金险已于2024年1月1日永久停售，已购客户权益不受影响。", None),
    ("同类中收益最高的未必最适合您，请根据风险承受能力选择。", None),
]
LINE = ["加LINE领本周选股名单", "想要完整资料，添加客服 line 询问"]
LINE_NEAR_MISSES = ["搜索online客服，查询账单", "搜索LINE Bank下载App，即可开户", "添加 LINE Pay 付款方式"]


@pytest.mark.parametrize("text", ABOVE_POSTED)
def test_pay_beside_the_posted_rate_fails(text: str) -> None:
    assert "finance.deposit.above-posted" in _found(text, DEPOSIT), text


@pytest.mark.parametrize("text", ABOVE_POSTED_NEAR_MISSES)
def test_the_posted_rate_named_passes(text: str) -> None:
    assert "finance.deposit.above-posted" not in _found(text, DEPOSIT), text


@pytest.mark.parametrize("text", SCARCITY)
def test_scarcity_said_otherwise_fails(text: str) -> None:
    assert "finance.pressure.scarcity" in _found(text, WEALTH), text


@pytest.mark.parametrize("text", SCARCITY_NEAR_MISSES)
def test_a_sold_out_notice_passes(text: str) -> None:
    assert "finance.pressure.scarcity" not in _found(text, WEALTH), text


@pytest.mark.parametrize("text", LOANS)
def test_easy_loans_said_otherwise_fail(text: str) -> None:
    assert _failing(text, LOAN), text


@pytest.mark.parametrize("text", LOAN_NEAR_MISSES)
def test_a_loan_page_with_its_conditions_passes(text: str) -> None:
    assert _failing(text, LOAN) == [], text


@pytest.mark.parametrize(("text", "profile", "rule"), MORE)
def test_claims_said_otherwise_are_found(text: str, profile: Profile | None, rule: str) -> None:
    assert rule in _found(text, profile), text


@pytest.mark.parametrize(("text", "profile"), MORE_NEAR_MISSES)
def test_their_near_misses_pass(text: str, profile: Profile | None) -> None:
    assert _failing(text, profile) == [], text


@pytest.mark.parametrize("text", LINE)
def test_adding_a_line_account_is_diversion(text: str) -> None:
    assert "diversion.contact.wechat-add" in _found(text), text


@pytest.mark.parametrize("text", LINE_NEAR_MISSES)
def test_online_is_not_line(text: str) -> None:
    assert "diversion.contact.wechat-add" not in _found(text), text


@pytest.mark.parametrize("text", RETURNS + LEADING + TIPS)
def test_promises_and_rank_said_otherwise_fail(text: str) -> None:
    assert _failing(text), text


#: Lawful copy that used to fail: deposit insurance's own words, a disclaimer naming 过往业绩, a card type, the LPR's
#: definition, a designation the state gave a customer, a consumer's wish told by a consumer council.
LAWFUL = [
    ("存款保险既保本也保息：同一存款人在同一家银行的存款本金和利息合并计算，50万元以内全额偿付。", DEPOSIT),
    (
        "业绩比较基准2.5%-3.1%（年化），不代表实际收益。过往业绩不代表未来表现。理财非存款，产品有风险，投资须谨慎。",
        WEALTH,
    ),
    ("本活动面向个人主卡，附属卡及专项分期卡除外。", CARD),
    ("LPR是报价行对最优质客户执行的贷款利率报价的算术平均。", None),
    ("截至年末，本行已服务国家级和省级专精特新企业3000余户。", None),
    ("不少市民为求保本增值，转向储蓄型保险，消委会提醒先看清条款。", None),
    ("本产品不构成保本承诺，到期时可能损失部分本金。理财非存款，产品有风险，投资须谨慎。", WEALTH),
    # a risk-disclosure document's own sentences are the disclosure (理财产品风险揭示书 template; a fund's 风险揭示书)
    ("购买本理财产品前，请确保完全理解该项投资的性质和所涉及的风险，审慎评估资金投向，慎重考虑后决定。", WEALTH),
    ("购买本产品，您可能面临如下风险：1、利率风险；2、流动性风险。本理财产品为固定收益类。", WEALTH),
    ("投资有风险，认购本基金时请谨慎作出投资决策。", Profile(products=("基金",))),
    # the fund prospectus's own prompt, and a fund seller's risk letter
    (
        "该基金近一年净值增长8%。基金的过往业绩及其净值高低并不预示其未来业绩表现。基金有风险，投资须谨慎。",
        Profile(products=("基金",)),
    ),
    ("请注意投资风险，认真阅读基金合同、招募说明书等基金法律文件后再申购。", Profile(products=("基金",))),
    # a wealth product's past record with 不构成收益承诺; the non-guaranteed type's required sentence
    (
        "成立以来年化2.9%（2024年1月1日至2025年12月31日）。过往业绩不代表未来表现，不构成收益承诺。理财非存款，产品有风险，投资须谨慎。",
        WEALTH,
    ),
    ("本产品起购金额1万元。本产品不保证本金和收益，您可能损失部分乃至全部本金。", WEALTH),
    # Taiwan's and Hong Kong's statutory fund warnings, in traditional characters (round 9, after batch 14 was measured)
    (
        "本基金經金管會核准生效，惟不表示絕無風險。基金經理公司以往之經理績效不保證基金之最低投資收益。",
        Profile(products=("基金",)),
    ),
    ("環球債券基金：投資涉及風險，基金價格可升可跌，過往表現並不代表將來表現。", Profile(products=("基金",))),
]


@pytest.mark.parametrize(("text", "profile"), LAWFUL)
def test_lawful_copy_passes(text: str, profile: Profile | None) -> None:
    assert _failing(text, profile) == [], text


#: Anti-fraud quizzes and lists: quoted items under a sentence only a warning writes, or a series of quotations with
#: one label (commas inside the quotations notwithstanding).
QUIZZES = [
    "下面哪条是骗子常用的话术？\nA.“保本保息，月月分红”\nB.“请通过官方渠道办理”",
    "以下说法中，哪些是诈骗话术？1.“内部渠道，稳赚不赔” 2.“理财非存款”",
    "警惕这些说法：“保本保息，随时可取”“不看征信，秒批到账”“加我微信，带你赚钱”。",
    "哪些是诈骗话术？A.“内部渠道，保本高息” B.“稳赚不赔，亏了包赔” C.“请到网点办理”",
    "听到这些话请提高警惕：①“保本保息” ②“年化30%，零风险” ③“今晚截止”。",
]
#: The same shapes made by an ad: the advertiser speaks in the item, or no warning frames it.
QUIZ_ADS = [
    "下面哪条是骗子常用的话术？\nA.我们“保本保息，月月分红”",
    "选理财看这三点：\nA.“保本保息，月月分红”\nB.“随时可取”",
    "客户都说：“保本保息，随时可取”“收益稳，服务好”。",
    "选理财就看这几条：①“稳赚不赔” ②“年化超20%”",
    # found by review: a myth or warning first, then the bank's claim in quotation marks (the bank named, not 我们)
    "很多人以为理财都有风险。\n“保本保息，年化4%”，XX银行做到了。",
    "天上不会掉馅饼。“保本保息，年化4%”，XX银行实实在在。",
    "担心被骗子忽悠？\nA.“保本保息，年化4%”——XX银行安心之选。",
    "不法分子常说的话，您别信。“稳赚不赔”只在XX银行。",
    "不要轻信陌生人。\n“保本保息，年化4%”XX银行等您。",
    "本行理财保本保息，不像诈骗团伙那样乱许诺。",
    "追求保本？XX理财年化4%，选我们准没错。",
    "XX理财，像存款保险保本保息一样安心。",
    "保本浮动收益型理财，年化4.5%，欢迎选购",
    "网传这款理财保本保息，年化8%，快去抢！",
]


#: Hearsay that warns: a verdict follows, or the call is to tell others, not to buy.
HEARSAY_WARNINGS = [
    "网传某银行推出保本保息理财，经核实为谣言，请勿相信。",
    "网传有理财稳赚不赔，骗子借机行骗，请赶紧转告家中老人。",
]


@pytest.mark.parametrize("text", HEARSAY_WARNINGS)
def test_hearsay_that_warns_passes(text: str) -> None:
    assert _failing(text, WEALTH) == [], text


@pytest.mark.parametrize("text", QUIZZES)
def test_quoted_lures_in_a_quiz_are_not_claims(text: str) -> None:
    assert _failing(text) == [], text


@pytest.mark.parametrize("text", QUIZ_ADS)
def test_an_ad_in_a_quiz_shape_fails(text: str) -> None:
    assert _failing(text), text
