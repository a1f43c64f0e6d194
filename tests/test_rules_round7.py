"""Rules round 7 (issue 17): each class of claim the round wrote a rule for, in wordings of our own.

A rule that only catches the case it was written from overfits; each class below is exercised by examples written
for these tests (never taken from eval/ or from the packs' own self-tests), with near misses that must pass: the
sentence a genuine warning, a disclosure or a service notice would write. The contexts part checks the warning forms
this round reads (不再, a quoted lure named as a 诈骗, a victim 被…骗走, a verdict that the wording 违反广告法) and that
an ad borrowing each form still fails.
"""

from __future__ import annotations

import pytest

from mediactl.check.rules import Profile
from rulecheck import failing_rules as _failing

INSURANCE = Profile(products=("保险",))
WEALTH = Profile(products=("理财",))


#: Scarcity by a withdrawal soon to come, a product about to become a 绝唱, or the chance lost if missed (炒停售).
SCARCITY = [
    "这款分红险很快就要下架，想买的抓紧",
    "3.0%的年金险很快停售了",
    "高利率增额寿马上就要成为绝版",
    "这样的储蓄险即将成为历史绝唱",
    "预定利率3%的产品也将成为绝唱，早买早安心",
    "本期名额不多，错过就买不到了",
    "错过这波就没有了，赶快投保",
    "错过今天再也没有这么高的利率",
]
SCARCITY_NEAR_MISSES = [
    "该款年金险已于上月停售，已投保客户权益不受影响",
    "资管新规过渡期结束，保本理财将成为历史",
    "错过缴费日的客户，可在宽限期内补缴保费",
    "本产品将于2027年1月1日起停售，详见公告",
]


#: A gain over a short span of days, weeks or months, as a figure or a multiple; a fixity word on a high return.
SPAN_GAINS = [
    "用这套量化软件，8天盈利21%",
    "老师带单，两周收益15%",
    "入群跟投，1个月就翻倍",
    "试用版5天赚了12%，正式版更强",
    "半个月翻番不是梦",
    "跟着信号买，三个月翻3倍",
    "这款产品提供固定高收益",
    "稳稳的高回报，养老钱放心投",
]
SPAN_NEAR_MISSES = [
    "该产品近6个月收益率2.1%（统计区间见定期报告）",
    "过去3个月涨了5%，过往业绩不代表未来表现",
    "请于7日内完成风险测评",
    "本产品为固定收益类产品，业绩比较基准2.8%",
    "30天收益率为年化折算值，仅供参考",
]


#: Certainty of gain by a universal quantifier over trades or directions, and 年年/月月 稳拿.
EVERY_TRADE = [
    "双向交易，涨跌都能赚",
    "用这个指标，每次都能盈利",
    "跟着我操作的学员个个都赚钱",
    "推荐的股票只只获利",
    "涨也能赚，跌也能赚，这就是期权的魅力",
    "老师的单子笔笔盈利",
    "分红型保险，月月稳拿",
]
EVERY_TRADE_NEAR_MISSES = [
    "没有人能每次都赚钱，请控制仓位",
    "不可能每笔交易都盈利，止损很重要",
    "机构资金已全部获利了结",
    "市场有涨有跌，谁也无法次次都赚",
]


#: A big rise foretold, a rise by a multiple, steady growth the ad makes happen to the reader's money.
FORETOLD = [
    "原油下个月会暴涨，现在进场正当时",
    "这个板块要大涨了，抓紧布局",
    "数字藏品明年将翻倍",
    "上次推荐的标的已经暴涨6倍",
    "我们的配置方案帮您的财富稳步增长",
    "专业团队让你的钱持续增值",
    "选对产品，使您的资金稳定地增长",
]
FORETOLD_NEAR_MISSES = [
    "没人能预知金价会不会大涨，请理性配置",
    "本基金力争实现资产的长期稳健增值",
    "任何产品都无法让您的资产在没有波动的情况下持续增值",
    "该地区经济保持稳定增长",
]


def _class(claims: list[str], near_misses: list[str], profile: Profile, claim: str = "", near: str = "") -> list:
    """Cases of one class: each claim fails through a rule whose id holds `claim`; each near miss has no failing
    finding of a rule whose id holds `near` ('' : no failing finding at all)."""
    return [pytest.param(text, profile, claim, True, id=f"claim-{text}") for text in claims] + [
        pytest.param(text, profile, near, False, id=f"near-miss-{text}") for text in near_misses
    ]


CLASSES = [
    *_class(SCARCITY, SCARCITY_NEAR_MISSES, INSURANCE, claim="scarcity"),
    *_class(SPAN_GAINS, SPAN_NEAR_MISSES, Profile(), near="period-figure"),
    *_class(EVERY_TRADE, EVERY_TRADE_NEAR_MISSES, Profile()),
    *_class(FORETOLD, FORETOLD_NEAR_MISSES, Profile()),
]


@pytest.mark.parametrize(("text", "profile", "rule", "fails"), CLASSES)
def test_a_class_fails_its_claims_and_passes_its_near_misses(
    text: str, profile: Profile, rule: str, fails: bool
) -> None:
    found = [finding for finding in _failing(text, profile) if rule in finding]
    assert bool(found) == fails, (text, found)


#: Pinyin for WeChat spelled apart or half in Han, before an account id.
PINYIN_WECHAT = [
    "加 wei xin：licai2026 领资料",
    "搜 wei信 jijin_888 进群",
    "私聊 v xin: abc12345",
    "WEI XIN：fuli_2026",
    "wei  xin abc123456",
]


@pytest.mark.parametrize("text", PINYIN_WECHAT)
def test_pinyin_wechat_with_an_id_fails(text: str) -> None:
    assert _failing(text, Profile(platform="douyin")), text


#: Genuine warnings in the forms this round reads.
WARNINGS = [
    "打破刚兑以后，银行理财不再保本保息",
    "资管新规实施后，理财产品不再承诺保本",
    "警惕“稳赚不赔”诈骗，已有多位老人报案",
    "社区民警拆解“零风险高回报”诈骗的全过程",
    "李大爷被“保本保息”的养老项目骗走了积蓄",
    "她被月月稳赚的说法骗了，十万元血本难回",
    "有的直播间喊“全网最低”“最安全”，这类用语本身就违反广告法",
]
#: Ads borrowing each form: the cue is elsewhere in the sentence or governs nothing of the claim.
ADS = [
    "有了我们，您再也不用担心，保本保息",
    "不再犹豫了，本产品稳赚不赔",
    "别被骗了，选择我们，稳赚不赔",
    "以前被骗走过钱？来我们这里保本保息",
    "别家说最安全违反广告法，我们才是真的最安全",
    "“秒批”诈骗很多？我们真秒批",
]


@pytest.mark.parametrize("text", WARNINGS)
def test_a_warning_in_this_rounds_forms_passes(text: str) -> None:
    assert _failing(text) == [], text


@pytest.mark.parametrize("text", ADS)
def test_an_ad_borrowing_this_rounds_forms_fails(text: str) -> None:
    assert _failing(text), text
