"""What the learned reader may lower, with the shipped model and packs (issue 17, session 15).

`reader.offers` lowers a missing disclosure where nothing in the variant reads like an offer (a staff story, a
launch report, an explainer that names 理财 or 贷款); `reader.arbiter` lowers a claim rule's error where the copy reads
like a warning that quotes it. Both were tried against ads written to slip through: an offer set inside a paragraph of
risk boilerplate, an offer in a risk statement's or an explainer's register, an English offer beside a Chinese story,
a claim tacked onto anti-fraud boilerplate, a contrast in the sentence before the claim. Each is a must-fail case here,
in wordings written for these tests (never from eval/ or the packs' self-tests).
"""

from __future__ import annotations

import pytest

from mediactl.check.rules import Profile
from rulecheck import failing_rules, findings

WARNINGS = "提醒广大客户：请警惕冒充银行工作人员的诈骗电话，不要向任何人透露验证码和密码，不要点击陌生短信中的链接。"
LOAN_BOILERPLATE = (
    "借款有风险，借贷须理性。\n请根据自身还款能力合理申请贷款，按时还款，珍惜个人信用记录。\n"
    "警惕不法分子以“低息贷款”“无抵押秒批”为名实施诈骗，不要向任何个人或机构支付所谓保证金、解冻费。\n"
)
STORY = (
    "支行理财经理小李每周六走进社区，为老人讲解防范非法集资的知识，帮他们认清冒充银行客服的电话。"
    "一年下来，社区里的老人都认识了这个爱笑的年轻人，有事也愿意先来问问他，也常常聊起理财。\n"
)


def test_a_story_that_names_a_product_keeps_its_missing_disclosure_as_a_warning() -> None:
    found = findings(STORY, Profile(products=("理财",)))
    lowered = [f for f in found if f.rule.startswith("disclosures.")]
    assert lowered and all(f.severity == "warning" and "reader.offers" in f.message for f in lowered)
    assert failing_rules(STORY, Profile(products=("理财",))) == []


#: A story whose one sentence reads high (0.51: 她女儿前几年买过一款理财) but offers nothing: no way to get a product, no
#: price. Session 16: a sentence offers when it reads as a pitch on its own (0.9) or says how to get the product.
TOLD = (
    "支行组织员工走进老年大学，讲解如何识别电信诈骗。课后，一位阿姨拉着讲师说，她女儿前几年买过一款理财，当时只看了"
    "宣传页上的数字，后来才明白收益是会波动的。讲师告诉她，看产品先看风险等级，再看自己能承受多大的波动。"
)


def test_a_story_whose_sentence_reads_high_but_offers_nothing_keeps_a_warning() -> None:
    lowered = [f for f in findings(TOLD, Profile(products=("理财",))) if f.rule.startswith("disclosures.")]
    assert lowered and all(f.severity == "warning" and "reader.offers" in f.message for f in lowered)


#: Offers that name a product without its disclosure, dressed so that no whole paragraph reads like an offer.
OFFERS = [
    (LOAN_BOILERPLATE + "快e贷线上申请，日利率低至万分之二，最快当天到账。\n", "贷款"),
    (
        "借款有風險，借貸須理性。請根據自身還款能力合理申請貸款，按時還款，珍惜個人信用記錄，警惕不法分子以「低息貸款」"
        "「無抵押秒批」為名實施詐騙。快e貸線上申請，日利率低至萬分之二，最快當天到賬。\n",
        "貸款",
    ),
    (
        "警惕理财骗局：凡是承诺保本保收益的，都要多个心眼。正规理财产品不承诺保本，也不承诺收益，请通过正规渠道购买，"
        "谨防上当受骗。稳享180天理财本周一开始募集，业绩比较基准为2.8%-3.5%，1万元起购，可通过手机银行购买。\n",
        "理财",
    ),
    (
        "基金定投小课堂：基金投资有涨有跌，定投并不能保证盈利，投资者应根据自己的风险承受能力量力而行。"
        "本行代销的沪深300指数基金本周开放定投，每月100元起投，可在手机银行办理。请警惕非法荐股骗局。\n",
        "基金",
    ),
    (
        "用卡安全小贴士：不要把信用卡借给他人使用，不要轻信代办提额的广告。本行信用卡账单分期每期手续费率低至0.5%，"
        "最长24期，可在手机银行申请。如发现卡片异常，请立即致电客服冻结。\n",
        "信用卡",
    ),
    (
        "投资有风险，入市须谨慎，这是每位投资者都应牢记的道理。投资者应当充分了解产品的风险收益特征。"
        "稳健债券理财主要投资于高等级债券，净值波动很小，历史上几乎没有出现过亏损，本周开放申购。请认真阅读产品说明书。\n",
        "理财",
    ),
    # found by review (session 16): no offer word, in the advertiser's voice (0.89) or with one the list lacked
    (
        "用卡安全小贴士：不要把信用卡借给他人使用，不要轻信代办提额的广告。本行信用卡账单分期每期手续费率0.5%，"
        "最长24期，手机银行就能分。如发现卡片异常，请立即致电客服冻结。\n",
        "信用卡",
    ),
    (
        "投资有风险，入市须谨慎，这是每位投资者都应牢记的道理。投资者应当充分了解产品的风险收益特征。"
        "稳健债券理财主要投资于高等级债券，净值波动很小，本周上架，手机银行可买。请认真阅读产品说明书。\n",
        "理财",
    ),
    (STORY + "\nSteady 180-day wealth product: target return 3.5% p.a., from HKD 10,000. Subscribe now!\n", "理财"),
]


@pytest.mark.parametrize(("text", "product"), OFFERS)
def test_an_offer_that_no_whole_paragraph_reads_as_one_keeps_its_disclosure_error(text: str, product: str) -> None:
    assert [rule for rule in failing_rules(text, Profile(products=(product,))) if rule.startswith("disclosures.")]


#: Claims after anti-fraud boilerplate: the claim's own sentence, or a contrast just before it, keeps the error.
CLAIMS_AFTER_WARNINGS = [
    WARNINGS + "新客专享利率，远高于同业。如有疑问，请拨打官方客服热线咨询核实。",
    WARNINGS + "很多人以为投资都有风险。其实不然。项目到期百分百兑付，历史零逾期。",
    WARNINGS + "有人觉得小银行不靠谱。其实不然。中国驰名商标，百年老字号银行。",
]


@pytest.mark.parametrize("text", CLAIMS_AFTER_WARNINGS)
def test_a_claim_tacked_onto_warnings_keeps_its_error(text: str) -> None:
    assert failing_rules(text), text


#: Found by review (session 17), when the variant was first read only whole: a pitch after a market comment or a
#: story, comma-joined into a sentence of news, or in a table, was diluted by what surrounds it. Every run of clauses
#: (reader.WINDOW_HAN) is read alone now.
COMMENT = (
    "三季度以来，A股市场震荡调整，沪深300指数累计下跌约百分之五，成交量明显萎缩。从估值看，当前沪深300指数的市盈率处于"
    "近十年来的较低分位，股息率则处于较高水平。分析人士认为，宏观政策逐步发力，企业盈利有望企稳，市场中长期配置价值正在显现。\n\n"
)
PADDED_OFFERS = [
    (
        COMMENT
        + "如果您看好市场的长期机会，可以关注本行代销的沪深300指数增强基金，手机银行搜索“300增强”即可定投，每月100元起。\n",
        "基金",
    ),
    (
        COMMENT + "张明管理的新基金“均衡优选混合”正在本行发售，认购期至11月30日，手机银行搜索“均衡优选”即可认购。\n",
        "基金",
    ),
    (COMMENT + "我行新一期养老理财产品目前正在募集，投资者可通过手机银行认购。\n", "理财"),
    (COMMENT + "快e贷线上申请，日利率低至万分之二，当天到账。\n", "贷款"),
    (COMMENT + "本行代销的沪深300指数基金本周开放定投，每月100元起投，可在手机银行办理。\n", "基金"),
    (
        "今年以来，我行持续深耕养老金融，先后走进社区开展讲座六十余场，为老年客户提供适老化服务，网点配备了老花镜、爱心座椅和"
        "大字版宣传册，受到居民广泛好评，在此基础上，稳享180天理财本周开始募集，业绩比较基准2.8%-3.5%，1万元起购，可通过手机"
        "银行购买，未来我行还将继续完善养老金融服务体系，让老年客户享受更便捷、更贴心的金融服务。\n",
        "理财",
    ),
    (
        "今年春天，在城郊经营一家小超市的王大姐遇到了难题：进货旺季到了，手头的流动资金却周转不开。支行客户经理上门走访时了解到"
        "她的情况，帮她梳理了经营流水。\n\n如今，小超市的生意越来越红火，她还准备在隔壁小区开一家分店。像王大姐这样的个体工商户，"
        "可以通过手机银行申请小微快贷，最高额度50万元，日利率万分之二起。\n",
        "贷款",
    ),
]


@pytest.mark.parametrize(("text", "product"), PADDED_OFFERS)
def test_an_offer_padded_with_a_comment_or_a_story_keeps_its_disclosure_error(text: str, product: str) -> None:
    """As plain text and as Markdown (an article's table is cells, each a paragraph of its own)."""
    for fmt in ("text", "markdown"):
        failed = failing_rules(text, Profile(products=(product,)), fmt)
        assert [rule for rule in failed if rule.startswith("disclosures.")], fmt


def test_a_fund_offered_in_a_table_after_a_market_comment_keeps_its_disclosure_error() -> None:
    """In Markdown, each cell a paragraph of its own: a run of clauses reads on from one cell into the next."""
    text = (
        COMMENT
        + "| 产品 | 类型 | 认购期 | 渠道 |\n| --- | --- | --- | --- |\n| 均衡优选混合 | 混合型基金 | 11月1日至11月30日 | 手机银行、各网点 |\n"
    )
    failed = failing_rules(text, Profile(products=("基金",)), "markdown")
    assert [rule for rule in failed if rule.startswith("disclosures.")]
