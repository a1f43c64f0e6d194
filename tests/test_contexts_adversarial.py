"""Warning contexts an ad can ride on (issue 17, round 5): our own adversarial set, with the built-in packs.

A warning cue (警方提醒, 受害人, 话术, 监管规定, 骗子 …) reaches across its sentence, so an ad can borrow one: put the cue
first and the claim after it, in the next clause, after a contrast, after naming itself, after a soft line break
(joined in a text file), or in the next list item. Each ad below must still fail at `error`; each genuine warning
beside it (a cue that governs the claim: the quoted words, the clause, a reported speaker) must keep passing.
Written for these tests, not taken from eval/ (never tune a rule to a case).
"""

from __future__ import annotations

import pytest

from mediactl.check.rules import Profile
from rulecheck import failing_rules as _failing

#: Ads in varied frames: next clause, next sentence, soft line break, list item, contrast, pronouns (我们, 咱们, 本店,
#: 小编, 我家), an invitation (认准我们, 选择…的我们, 欢迎选购, 要相信), an affirmation (…的保本是真的), the ad's call after the
#: claim (稳赚不赔，认准某理财), a negated cue (我们不自称).
ADS = [
    "骗子才说“保本保息”，我们说的是真的：100%保本",
    "受害人说对方承诺保本，我们则真正做到保本",
    "别人的话术是骗人的，我们的理财真的保本保息",
    "警方提醒：谨防诈骗。本产品稳赚不赔，欢迎咨询",
    "不法分子才承诺高收益，我们只承诺保本",
    "监管规定不得承诺保本？我们有大股东兜底，保本保息",
    "反诈中心提醒大家提高警惕\n本理财零风险，年年稳赚",
    "1. 谨防高息陷阱\n2. 选择我们：保本保息、稳赚不赔",
    "识破骗局的最好办法，就是选择保本保息的我们",
    "天上不会掉馅饼，咱们的产品却真的稳赚不赔",
    "别信那些野鸡平台，我们是正规机构，保本保息",
    "假冒银行的骗子很多，认准我们，零风险稳赚",
    "对方承诺保本你别信，来我们这里才是真保本",
    "反诈提醒：陌生链接不要点。本店理财稳赚不赔，详询客服。",
    "话术千千万，我们只说实话：本金零风险",
    "自称专家的人很多，我们不自称，只保证您稳赚不赔",
    "监管明确禁止刚兑，我司依然保本保息",
    "误以为理财都会亏？咱们的产品保本又稳赚",
    "有人承诺保本？只有我们能做到真正保本",
    "远离非法集资，选择我们的零风险理财",
    "受害人纷纷表示后悔没早点找到我们，我们保本保息零风险",
    "揭露行业内幕：我们的理财才是真正保本的",
    "诈骗分子最怕的就是我们，我们稳赚不赔",
    "警方提醒谨防诈骗\n\n本产品保本保息",
    "对方自称专家不可信，我家产品保本保息才可靠",
    "冒充客服的骗局频发，本机构郑重承诺：保本保息",
    "警惕高收益陷阱，我们的理财年化收益保本8%",
    "凡是承诺高收益的都要小心，我们承诺的是保本",
    "很多受害人上当，咱们这儿零风险，稳赚不赔",
    "不法分子花样多，小编推荐这款保本理财",
    "反诈小课堂到此结束。下面推荐本行新品：保本保息，年年稳赚",
    "警方提示大家防范电信诈骗，本店理财零风险欢迎选购",
    "冒充银行的骗局屡见不鲜，而本平台承诺：本金零风险",
    "话术都是骗人的，本产品的承诺是真的，保本保息",
    "不法分子的高息陷阱要远离，我行产品稳赚不赔",
    "监管规定不得承诺保本，我们的产品照样保本",
    "很多人误认为理财有风险，我们的理财零风险",
    "天上掉馅饼的事不存在，咱们这款产品就是稳赚不赔",
    "识破骗子很简单：认准我们，保本保息",
    "受害人都后悔没选我们：本金零风险，收益稳稳的",
    "不要相信天上掉馅饼，要相信稳赚不赔的好理财",
    "反诈宣传：谨防“保本保息”骗局！真正的保本保息，请认准某银行",
    "识别骗局三步走：一看资质二看合同，保本保息选我们",
    "骗子的保本是假的，某银行的保本是真的",
    "警惕非法集资，认准正规银行的保本理财",
    "谨防诈骗，选择零风险的国有大行理财",
    "监管规定不得承诺保本，欢迎选购保本保息新品",
    "警方提醒：投资需谨慎\n2. 稳赚不赔，认准某理财",
]

#: Genuine warnings, including the advertiser named as an object (冒充我行, 打着本行旗号, 让我们以为) and reported
#: speech (不法分子称，我们…; 骗子话术：我们…).
WARNINGS = [
    "骗子常说“保本保息”，这是诈骗",
    "受害人称，对方承诺保本保息，结果血本无归",
    "警方提醒：凡是承诺稳赚不赔的投资都是骗局",
    "不法分子声称保本保息，诱骗老人投资",
    "监管规定，任何机构不得承诺保本",
    "话术一：“保本保息，稳赚不赔”",
    "对方自称理财专家，承诺零风险高收益，随后失联",
    "受害人王某称，我以为这个产品保本，就投了钱",
    "骗子话术：我们的产品保本保息，稳赚不赔",
    "我行提醒您，凡是承诺保本的理财都是骗局",
    "我们要记住：正规机构不会承诺保本",
    "不法分子称，我们平台零风险，稳赚不赔，随后卷款跑路",
    "作为银行，我们不会承诺保本保息",
    "我们常听到“稳赚不赔”的说法，这些都是骗局",
    "不法分子以高收益为诱饵，让我们以为稳赚不赔",
    "骗子冒充我行客服，承诺保本保息，请勿相信",
    "不法分子打着本行旗号，宣称保本保息",
    "民警提醒，我们不要相信所谓保本理财",
    "对方自称某银行员工，声称该产品保本保息",
    "受害人表示，我们当时以为这个产品零风险",
    "请选择正规渠道，谨防“保本”陷阱",
    "警方提醒，不要选择承诺保本的产品",
    "受害人称，对方承诺保本保息，我们当时就信了，结果血本无归",
    "欢迎收看反诈课堂：凡是承诺稳赚不赔的都是骗局",
]


def test_the_sets_are_large_enough() -> None:
    assert len(ADS) >= 25 and len(WARNINGS) >= 15


@pytest.mark.parametrize("text", ADS)
def test_an_ad_riding_on_a_warning_cue_fails(text: str) -> None:
    assert _failing(text), text


@pytest.mark.parametrize("text", WARNINGS)
def test_a_genuine_warning_passes(text: str) -> None:
    assert _failing(text) == [], text


#: Named, not offered (round 5): an inventory of what may not be posted, a term being defined, a trick under a
#: warning's numbered heading, conduct described as a category (承诺…的；), a quotation labelled a lure after 的, and a
#: fund page that says it is not a deposit. With the profile it is read under.
NAMED = [
    ("禁止在笔记中发布外部网址、口令、截图、二维码、小程序等内容", Profile(platform="xiaohongshu")),
    ("预期收益率是销售机构按历史数据测算的收益率，不代表实际收益", Profile(products=("理财",))),
    ("业绩比较基准是管理人为产品设定的1个投资目标", Profile(products=("理财",))),
    ("陷阱2：夸大收益。有的机构宣称稳赚不赔、保本保息", Profile()),
    ("声称无需任何抵押、只凭身份证就能当天放款的；", Profile(products=("贷款",))),
    ("他们用“零门槛、秒到账”的诱人说辞吸引学生", Profile()),
    ("讲座提醒：不要混淆“保本”与“低风险”", Profile()),
    ("本基金净值随市场波动，不等同于银行存款。基金有风险，投资须谨慎。", Profile(products=("基金",))),
    # round 6: a verdict later in the clause, a kind whose existence is denied, a list of examples of violations,
    # quotations named as wordings (等…词/字眼), a claim called unlawful
    ("“保本保息”“年年分红”这些说法统统是骗人的把戏", Profile()),
    ("世上不存在稳赚不赔的投资", Profile()),
    ("理财市场根本没有零风险、高收益的好事", Profile()),
    ("违规宣传的常见形式，例如明示保本保息、承诺收益等", Profile()),
    ("比如直播中出现稳赚不赔、刚性兑付等内容", Profile()),
    ("对“收益冠军”“业绩领先”等字眼要理性看待", Profile()),
    ("零风险承诺违法", Profile()),
    ("那些标榜稳赚不赔的理财博主，自己往往也在亏钱", Profile()),
    ("所有许诺保本高息的投资项目最后都难以兑付", Profile()),
    ("谣言：银行理财都保本保息。", Profile()),
    ("不少人认为大额存单之外的产品也零风险。", Profile()),
]

#: The same mechanisms must not open a door for an ad: a list of claims as an ad's features, a definition in the
#: advertiser's own voice, an offer that does not end on 的, a quotation that is the product's name.
NOT_NAMED = [
    ("本行理财：保本、保息、零风险、稳赚等多重保障", Profile()),
    ("保本保息是本行的目标", Profile()),
    ("承诺保本保息的，只有本行", Profile()),
    ("“稳赚不赔”的真实收益，等你来拿", Profile()),
    ("扫码、加微信、领红包、看二维码等你来", Profile(platform="xiaohongshu")),
    ("理财产品等同于定期存款，到期还本", Profile(products=("理财",))),
    # round 6: the same forms in an ad's mouth: a verdict denied, a kind denied of others to sell one's own, a list
    # of features (no violation named), a list in the advertiser's voice
    ("保本保息是真的不是骗局", Profile()),
    ("别家没有保本的产品，我们有", Profile()),
    ("优势多多，如保本、保息等，欢迎选购", Profile()),
    ("本产品特色：如保本、零风险等，绝无虚假", Profile()),
    ("所有承诺保本的产品，本行都有", Profile()),
    ("欢迎选择那些承诺保本的理财产品", Profile()),
    ("谣言说理财会亏，其实这款产品稳赚不赔", Profile()),
    ("金融市场上没有保本的产品？本行就有！", Profile()),
    ("“保本”“保息”等关键词，本行全都有", Profile()),
]


@pytest.mark.parametrize(("text", "profile"), NAMED)
def test_a_named_claim_passes(text: str, profile: Profile) -> None:
    assert _failing(text, profile) == [], text


@pytest.mark.parametrize(("text", "profile"), NOT_NAMED)
def test_an_ad_borrowing_a_naming_form_fails(text: str, profile: Profile) -> None:
    assert _failing(text, profile), text


#: Found by review (session 11): ads that escaped through round 6's forms. A belief or hearsay frame in one clause and
#: the product named in the next (这款 is the seller presenting its offer); a verdict word that is what the offer keeps
#: you from (远离陷阱, 为您避开) or denied (不算违规, 从未违规); a list closed by 等承诺 that the ad claims as its own.
REVIEWED_ADS = [
    "很多人认为理财不能保本，这款理财保本保息，年化6%。",
    "有人认为买理财会亏，这款理财稳赚不赔。",
    "网传这款理财保本保息，年化8%，名额不多，速来抢购。",  # hearsay as the pitch: a call to buy follows the claim
    "据说这只基金稳赚不赔，赶紧入手。",
    "保本理财是远离各种理财陷阱的最佳选择，年化收益5%。",
    "保本保息为您避开投资陷阱，年化8%。",
    "保本保息也不算违规，放心入手。",
    "这款理财保本保息从未违规",
    "比如保本、保息、稳赚不赔等承诺，这款理财一个不少。",
]


@pytest.mark.parametrize("text", REVIEWED_ADS)
def test_an_ad_found_by_review_fails(text: str) -> None:
    assert _failing(text, Profile(products=("理财",))), text


def test_a_long_list_without_its_closing_word_is_read_in_linear_time(tmp_path) -> None:
    """A list of examples is read item by item: with 、 allowed inside an item, a list that never closes on 等 was split
    every way before the search gave up (24 s on a line of 40 、, exponential). A line of 3,000 items and one of
    60 bare marks must be checked at all (a child process, so a hang fails the test instead of stalling the suite)."""
    import subprocess
    import sys

    (tmp_path / "list.md").write_text("# 产品\n\n如保本" + "、" * 60 + "收益\n\n如" + "保本、" * 3000 + "\n", "utf-8")
    code = "import sys; from mediactl.cli.app import script; sys.argv = ['mediactl', 'check', sys.argv[1]]; script()"
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "list.md")], capture_output=True, timeout=120)
    assert done.returncode == 1 and b"finance.promise.principal" in done.stdout, done.stdout[-500:]


def test_a_long_line_of_quoted_items_is_read_in_linear_time(tmp_path) -> None:
    """A line of quoted items joined by 、 is one sentence: each match's sentence, line and following quotations were
    read whole, so 36,000 characters took about a minute and each doubling four times that. Every read now stops
    REACH characters from its match; 12,000 items (~100,000 characters) must be checked at all (a child process, so
    a hang fails the test instead of stalling the suite)."""
    import subprocess
    import sys

    line = "警惕以下话术：" + "、".join(["“保本保息”", "“稳赚不赔”", "“零风险”"] * 4000) + "等。\n"
    (tmp_path / "quotes.md").write_text("# 提示\n\n" + line, "utf-8")
    code = "import sys; from mediactl.cli.app import script; sys.argv = ['mediactl', 'check', sys.argv[1]]; script()"
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "quotes.md")], capture_output=True, timeout=120)
    assert done.returncode in (0, 1) and b"Traceback" not in done.stderr, done.stderr[-500:]


def test_a_sentence_is_read_within_reach_of_the_match() -> None:
    """A warning cue further than REACH characters from a claim in one unbroken sentence no longer governs it."""
    from mediactl.check.contexts import REACH, contexts, quoted_in

    context = contexts()["quoted-warning"]
    near = "警惕骗子承诺" + "啊" * 10 + "保本保息"
    far = "警惕骗子承诺" + "啊" * (REACH + 10) + "保本保息"
    assert quoted_in(near, len(near) - 4, len(near), context)
    assert not quoted_in(far, len(far) - 4, len(far), context)


@pytest.mark.parametrize("negatable", [False, True])
def test_a_cue_list_with_pairs_reads_as_its_regex_did(negatable: bool) -> None:
    """`_Cues` (find-based, linear) answers as A[\\s\\S]*?B did (quadratic: 32k characters of 这是保本 took 16 s)."""
    import itertools
    import re

    from mediactl.check.contexts import _NOT_NEGATED, _cue_pattern

    cues = ("是…骗局", "均为…骗局", "陷阱", "让…误以为")
    guard = _NOT_NEGATED if negatable else ""
    branches = [
        re.escape(a) + (r"[\s\S]*?" + re.escape(b) if b else "") for a, _, b in (c.partition("…") for c in cues)
    ]
    old = re.compile(f"{guard}(?:{'|'.join(branches)})")
    pieces = ["是", "不是", "骗局", "均为", "陷阱", "让", "误以为", "不让", "啊", "，"]
    texts = ["".join(combo) for size in range(1, 5) for combo in itertools.product(pieces, repeat=size)]
    assert len(texts) > 10_000
    assert [t for t in texts if _cue_pattern(cues, negatable).search(t) != bool(old.search(t))] == []
    assert not _cue_pattern((), negatable).search("是骗局")
