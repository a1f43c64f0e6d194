"""Quoting contexts: a banned claim quoted to warn against it is not the claim (data/check/contexts.yaml).

Anti-fraud and investor-education copy has to name what it warns about (警惕“保本高收益”等虚假承诺);
flagging it as a guarantee made the gate refuse the bank's own warnings. A rule opts in with
`unless_quoted_by: NAME`; the engine then asks `quoted_in` for each match and reports a quoted one at
`info`. The cues are data, with their sources, and are looked for only in the match's own clause (text
between ，。！？；：), so an ad that puts a cue word in another clause (不用担心，我们承诺保本) stays caught.
Everything works on the folded text (the same length as the original), so 打著 is 打着 and ＂ is ".
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any, NamedTuple

CONTEXTS_FILE = ("data", "check", "contexts.yaml")
_SENTENCE_MARKS = frozenset("。！？；!?;\n\r")
_CLAUSE_MARKS = _SENTENCE_MARKS | frozenset("，,：:")
_LIST_GLUE = frozenset("、和与及或跟 \t\u3000")


@dataclass(frozen=True)
class Context:
    name: str
    quotes: tuple[tuple[str, str], ...]  # (opening, closing) marks
    before: tuple[str, ...]
    after: tuple[str, ...]
    unquoted_before: tuple[str, ...]
    unquoted_after: tuple[str, ...]
    ignore: tuple[str, ...]
    sentence_before: tuple[str, ...] = ()
    sentence_after: tuple[str, ...] = ()
    sentence_around: tuple[tuple[str, str], ...] = ()
    marks: dict[int, str] | None = None  # str.translate table: interchangeable quotation marks → one mark
    quoted_examples: tuple[str, ...] = ()
    claim_examples: tuple[str, ...] = ()


def contexts_bytes() -> bytes:
    """The data file as stored (part of the rule set's digest)."""
    return resources.files("mediactl").joinpath(*CONTEXTS_FILE).read_bytes()


@functools.cache
def contexts() -> dict[str, Context]:
    # lazy: start-up, read when packs are parsed or a match is asked about. libyaml's loader (load_data), not
    # yaml.safe_load's pure-Python one: that took ~20 ms in every worker of a large check, and in a one-file check
    from mediactl.config.yamlpos import load_data

    data = load_data(contexts_bytes().decode("utf-8"), "/".join(CONTEXTS_FILE)) or {}
    return {name: _context(name, spec) for name, spec in (data.get("contexts") or {}).items()}


def prepare_contexts(names: Iterable[str]) -> None:
    """Load the contexts and compile their cue alternations now, before a large check forks its workers:
    each worker would otherwise read contexts.yaml and compile the same patterns into its own pages."""
    known = contexts()
    for name in names:
        context = known[name]
        for cues in (context.unquoted_before, context.unquoted_after, context.sentence_before, context.sentence_after):
            _cue_pattern(cues)
        _cue_pattern(context.sentence_before, True)
        for cues in (context.before, context.after, context.ignore):
            _literal_pattern(cues)
        if context.quotes:
            _without_marks(context.quotes)


def _context(name: str, spec: dict[str, Any]) -> Context:
    def words(key: str) -> tuple[str, ...]:
        return tuple(str(word) for word in spec.get(key) or [])

    examples = spec.get("examples") or {}
    marks = {ord(mark): str(group)[0] for group in spec.get("interchangeable_quotes") or [] for mark in str(group)}
    pairs = ((str(pair)[0], str(pair)[-1]) for pair in spec.get("quotes") or [])
    return Context(
        name=name,
        quotes=tuple(dict.fromkeys((o.translate(marks), c.translate(marks)) for o, c in pairs)),
        before=words("before"),
        after=words("after"),
        unquoted_before=words("unquoted_before"),
        unquoted_after=words("unquoted_after"),
        ignore=words("ignore"),
        sentence_before=words("sentence_before"),
        sentence_after=words("sentence_after"),
        sentence_around=tuple((str(pair[0]), str(pair[1])) for pair in spec.get("sentence_around") or []),
        marks=marks or None,
        quoted_examples=tuple(examples.get("quoted") or []),
        claim_examples=tuple(examples.get("claims") or []),
    )


def quoted_in(folded: str, start: int, end: int, context: Context) -> bool:
    """Whether folded[start:end] is quoted to warn against it (or named as prohibited), in `context`.

    Three reaches, narrowest first: a quotation with a cue just outside it (警惕“保本”, “保本”等说辞); a cue
    in the match's own clause, inside a quotation or not (“高利保本是陷阱”, 不得明示或者暗示保本); and the
    few cues that only a warning uses, anywhere in the match's sentence (不法分子编造骗局，承诺无风险; …，
    均为高风险骗局; 凡是…都是). Quotation marks are dropped where the sentence is read (是“陷阱” is 是陷阱).
    """
    if context.marks:
        folded = _translated(folded, context.marks)  # ”稳赚” typed with two closing marks still quotes
    quotation = _enclosing(folded, start, end, context)
    if quotation is not None:
        opening, closing = quotation
        first = _series_start(folded, opening, context)  # “保本保息”“内部额度”“不看征信”: one label for the series
        before = _blank(folded[_label_start(folded, first) : first], context)
        after = _skip_quoted(folded, closing + 1, context)
        # “秒批”，往往指的是…: a comma may stand between the quotation and its cue
        after += folded.startswith(",", after)
        if (
            _has_any(before, context.before)
            or _starts_any(folded, after, context.after)
            or _labelled(folded, after, context)
            or _words_label(folded, after)
        ):
            return True
        if _in_warning_clause(folded, start, end, context):  # the quotation warns itself
            return True
        if _listed_after_warning(folded, first, context):
            return True
        start, end = opening, closing + 1
    return (
        _in_warning_clause(folded, start, end, context)
        or _in_warning_sentence(folded, start, end, context)
        or _judged(folded, end)
        or _named(folded, start, end)
        or _quiz_option(folded, start)
    )


#: A quiz that asks which sentence is a cheat's or breaks the rules (以下哪些是骗子的话术？A.“…”B.“…”): its
#: options quote the lures to be recognised. The question must say so (骗, 违规, 话术 …; not 正规, and not negated:
#: 哪款理财最正规？ and 以下哪个不是骗子的话术？ ask for the answer an ad endorses), the match must be inside the option's
#: quotation marks, and the advertiser must not speak outside them (A.我们“保本保息”): review, session 16.
_OPTION = re.compile(r"(?:^|(?<=[\n?!;。]))[ \t]*[(]?[A-Da-d][.、:)][ \t]*")
_QUOTATIONS = re.compile('“[^”\n]*”|"[^"\n]*"|「[^」\n]*」|『[^』\n]*』')
_QUIZ_CUES = "(?:骗|诈|违规|违法|话术|陷阱|套路|虚假|误导|错误)"
_QUIZ_QUESTION = re.compile(f"哪[^?\\n]{{0,40}}{_QUIZ_CUES}|{_QUIZ_CUES}[^?\\n]{{0,40}}哪")
_QUIZ_NEGATED = re.compile("不是|并非|非")


def _quiz_option(text: str, start: int) -> bool:
    """Whether text[start] is in a lettered option of such a quiz: an option mark on its line before it, and a
    question ending in ? before the first option (the answer may be a paragraph of its own: not asked for)."""
    line = _line_start(text, start)
    options = list(_OPTION.finditer(text, line, start))
    option_line = text[options[-1].start() : _line_end(text, start)] if options else ""
    if not options or own_voice(_QUOTATIONS.sub("", option_line)):
        return False  # the advertiser speaks in the option (A.我们“保本保息”), not a speaker it quotes: an ad as a quiz
    if not any(
        found.start() <= start - options[-1].start() < found.end() for found in _QUOTATIONS.finditer(option_line)
    ):
        return False  # the option quotes the lure (A.“保本保息”); unquoted, it may be the answer the quiz endorses
    first = options[-1].start()
    earliest = next(_OPTION.finditer(text, max(0, first - REACH), first), None)  # the quiz's first option
    first = earliest.start() if earliest else first
    question = text.rfind("?", max(0, first - REACH), first + 1)
    if question < 0:
        return False
    asked = text[_line_start(text, question) : question]
    return _QUIZ_QUESTION.search(asked) is not None and _QUIZ_NEGATED.search(asked) is None


#: A quoted list closed by 等 and a word for words (“业绩优良”、“唯一”等关键词; “套现”等字样): the quotations are
#: named as wordings, whatever the noun (关键词, 词汇, 字眼, 用语, 提法, 口号 …), not offered.
_WORDS_LABEL = re.compile("等[^,。!?;:\n]{0,3}?(?:词|字眼|字样|用语|说法|表述|提法|措辞|话术|噱头|口号|标签)")


def _words_label(text: str, index: int) -> bool:
    """Whether the quotations end at text[index] on 等 and a word for words (see _WORDS_LABEL), in a sentence without the
    advertiser's voice (“保本”“保息”等关键词，本行全都有 claims them)."""
    label = _WORDS_LABEL.match(text, index)
    return label is not None and _VOICE.search(text, _sentence_start(text, index), _sentence_end(text, index)) is None


#: A verdict on what precedes it, later in its clause: a copula (是, 都是, 均为, 纯属 …) and within eight characters a
#: word that only a warning pronounces (骗局, 骗人的, 障眼法, 幌子, 假的 …: …的字眼都是非法集资的“障眼法”; “包下卡”都是骗人
#: 的), or the claim called unlawful right after it (无风险承诺违法). Not negated (不是骗局, 绝非骗人, 不算违规, 从未违规:
#: an ad's denial), not what the offer keeps you from (是远离陷阱的最佳选择, 为您避开投资陷阱), not 为 before 您/你.
_VERDICT = re.compile(
    "[^,。!?;:\n]*?(?:(?<![不非没])(?:都|均|全都|全|就|纯|无非|统统)?(?:是|为(?![您你])|属于?)"
    "(?:(?!远离|避开|避免|识破|防范|防止|告别|摆脱|规避|躲开|绕开|对抗|抵御)[^,。!?;:\n不没]){0,8}?"
    "(?<![不非没])(?:骗|诈骗|陷阱|障眼法|幌子|噱头|套路|谎言|假的|虚假|忽悠|圈套|伎俩|把戏)|必[为是]假|纯属虚构)"
    "|[^,。!?;:\n]{0,4}?(?<![不非没未无算])(?:违法|违规|不合法|被禁止)"
)


def _judged(text: str, end: int) -> bool:
    """Whether the rest of the clause after text[:end] (a match, or the quotation holding it, with any further quoted
    items) pronounces a verdict on it (see _VERDICT). The advertiser naming itself in that rest makes it a claim about
    others (保本，别家都是骗人的), so a clause with the ad's own voice is no verdict."""
    finish = _clause_end(text, end)
    return _VERDICT.match(text, end, finish) is not None and _VOICE.search(text, end, finish) is None


def _named(folded: str, start: int, end: int) -> bool:
    """The match is named, not offered: an item of an inventory, a term being defined, a trick under a warning's
    numbered heading, or conduct described as a category (see each)."""
    return (
        _in_inventory(folded, start, end)
        or _defined(folded, start, end)
        or _under_warning_heading(folded, start)
        or _describes_conduct(folded, start, end)
        or _kind_spoken_of(folded, start, end)
        or _example_of_violation(folded, start, end)
    )


#: 的 and a kind of offer or of seller after the match (…的产品, …的投资, …的网络平台, …的理财博主), and before it in the
#: clause either a denial of the kind's existence (a general truth: 金融市场上没有保本、无风险、保证收益的产品; 市场没有
#: “稳赚不赔”的买卖) or a determiner of a class and a claim verb (a category of sellers: 别信那些承诺保本的网络平台; 所有
#: 承诺“高收益、零风险”的投资都是骗局).
_OF_KIND = re.compile(
    "[^,。!?;:\n]{0,20}?的[^,。!?;:\n]{0,4}?(?:产品|投资|理财|买卖|生意|好事|项目|事|平台|机构|东西|馅饼|午餐|人|公司|广告"
    "|宣传|app|网站|群|账号|主播|博主|老师)"
)
_KIND_HEAD = re.compile(
    "(?:(?:没有|不存在|不会有|哪有|哪里有|并无|绝无)[^,。!?;:\n]{0,20}"
    "|(?:那些|这些|所有|凡是|任何|一些|某些|有的|部分|各类|各种|各路)[^,。!?;:\n]{0,6}?(?:承诺|宣称|号称|声称|鼓吹|标榜|许诺|打着)"
    "[^,。!?;:\n]{0,12})$"
)


def _kind_spoken_of(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is an attribute of a kind that its clause denies exists or describes as a category of
    sellers (see _KIND_HEAD). An ad says so of others to sell its own (别家没有保本的产品，我们有; 所有承诺保本的产品，
    本行都有; 选择那些承诺保本的平台), or asks it to answer (没有保本的产品？我们有): a sentence with the advertiser's own
    voice or an invitation, or a question, is no such talk."""
    if _OF_KIND.match(text, end, _clause_end(text, end)) is None:
        return False
    if _KIND_HEAD.search(text, _clause_start(text, start), start) is None:
        return False
    begin, finish = _sentence_start(text, start), _sentence_end(text, end)
    if finish < len(text) and text[finish] == "?":  # 没有保本的产品？本行就有！ asks to be answered by the ad
        return False
    return _VOICE.search(text, begin, finish) is None and _CALL.search(text, begin, finish) is None


#: An example marker at the head of a clause (如, 例如, 比如, 譬如, 诸如, 包括), then a list of items closed by 等.
_EXAMPLE_HEAD = re.compile(r"\s*(?:例如|比如|譬如|诸如|包括|如)")
_ITEMS_BEFORE = re.compile("(?:[^、,。!?;:\n]{0,12}、)*[^、,。!?;:\n]{0,12}")  # the items before the match's own
#: The match's own item and those after it, each after a 、 (an item holds no 、, so a list splits one way only: with 、
#: inside the items, a long list without 等 was split every way before failing, 24 s on a line of 40 、). Closed by 等
#: and, where it names its items, a word for content or conduct (not 承诺 or 宣传, which an ad says of its own offer).
_EXAMPLE_TAIL = re.compile(
    "[^,。!?;:\n等、]{0,12}(?:、[^,。!?;:\n等、]{1,12})*等(?![你您着待候])(内容|字眼|字样|说法|表述|用语|话术|词|行为|方式)?"
)
#: What the sentence of an example list calls its items when it lists violations (违规的保证，如…、…等).
_VIOLATION = re.compile("违规|违法|禁止|不得|严禁|误导|虚假|夸大|非法|诈骗|欺诈")


def _example_of_violation(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is an item of a list of examples (比如…、…等) that names violations: the list closes on a
    word for content or wording (等内容, 等字眼), or its sentence speaks of violations (违规, 禁止, 虚假 …). An ad's list
    of features (优势多多，如保本、保息等) names no violation; the advertiser's own voice in the sentence makes it a claim."""
    head = _EXAMPLE_HEAD.match(text, _clause_start(text, start))
    if head is None or _ITEMS_BEFORE.fullmatch(text, head.end(), start) is None:
        return False
    tail = _EXAMPLE_TAIL.match(text, end, _clause_end(text, end))
    if tail is None or "、" not in text[head.end() : tail.end()]:
        return False
    begin, finish = _sentence_start(text, start), _sentence_end(text, end)
    if _VOICE.search(text, begin, finish) is not None:
        return False
    return tail.group(1) is not None or _VIOLATION.search(text, begin, finish) is not None


#: The act an inventory lists things for: posting or carrying them (a claim listed as an ad's features, 本行理财：保本、
#: 保息、零风险、稳赚等多重保障, has no such verb before it).
_POSTING = re.compile("发布|发送|留下?|放置|出现|含有|包含|展示|使用|植入|添加|附带|张贴|上传|分享|私信")
#: An inventory's tail: the items after the match's own, then 等 (not 等你/等您: "wait for", an ad's call to act).
_INVENTORY_TAIL = re.compile("[^、等]{0,6}((?:、[^、等]{1,8})*)等(?![你您着待候])")


def _in_inventory(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is one item of an inventory of four or more closed by 等, within its clause: a
    platform's rule listing what may not be posted (…的链接、口令、截图、水印、二维码、小程序等) names a 二维码, it
    shows none. An ad's call to act (扫码、加微信、领红包、抽大奖等你来) is no inventory."""
    before = text[_clause_start(text, start) : start].split("、")
    tail = _INVENTORY_TAIL.match(text[end : _clause_end(text, end)])
    if tail is None or len(before[-1]) > 6 or _POSTING.search(before[0]) is None:
        return False
    items_before = len(before) - 1  # the first may be long (发布其他平台的链接): it opens the inventory
    return 1 + items_before + tail.group(1).count("、") >= 4


#: A definition: the term at the head of its sentence, then 是 and what kind of thing it is (预期收益率是银行…预估的
#: 收益率; 业绩比较基准是银行设定的一个目标). An ad's 保本保息是我们的承诺 names no kind of thing; a figure (是4.5%) is a
#: claim, not a definition.
_DEFINITION = re.compile(
    r"是(?!否)[^,。!?;:\n\d%]{0,30}的(?:1个|1种|1类)?[^,。!?;:\n\d%]{0,2}?(?:收益率|目标|指标|概念|术语|比率|估算值|测算值)"
)


def _defined(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is the term a sentence defines (see _DEFINITION); the advertiser naming itself in it
    (…是本行的目标) makes it a claim."""
    head = text[_sentence_start(text, start) : start].strip()
    if head not in ("", "而", "但") and not head.endswith((":", "：")):
        return False
    found = _DEFINITION.match(text, _skip_word(text, end))
    return found is not None and _VOICE.search(found.group(0)) is None


def _skip_word(text: str, index: int) -> int:
    """Past the rest of the term a match sits in (预期收益 → 预期收益率), up to 是."""
    stop = text.find("是", index, index + 3)
    return stop if stop >= 0 else index


#: A warning's numbered heading at the head of a paragraph (套路三：…, 误区1：…, 陷阱二、…): what follows it in the
#: paragraph describes the trick it numbers (digits are folded: 三 is 3).
_WARNING_HEADING = re.compile(r"(?:套路|陷阱|误区|骗局|骗术|手法|伎俩|话术|案例|警示)\s*\d{1,2}\s*[:：、.]")


def _under_warning_heading(text: str, start: int) -> bool:
    heading = _WARNING_HEADING.match(text, len(text) - len(text.lstrip()))
    return heading is not None and start >= heading.end()


#: Conduct described as a category: a sentence that starts with a claim verb and ends with 的 (承诺无需征信、只要身份证
#: 即可放款的；: "those who promise …", the 凡是 of a list of warning signs left out). An ad does not end its offer on 的.
_CONDUCT = re.compile("(?:承诺|声称|宣称|号称|自称|谎称|打着)")


def _describes_conduct(text: str, start: int, end: int) -> bool:
    begin, finish = _sentence_start(text, start), _sentence_end(text, end)
    sentence = text[begin:finish].strip()
    return sentence.endswith("的") and _CONDUCT.match(sentence) is not None and _VOICE.search(sentence) is None


def _labelled(text: str, index: int, context: Context) -> bool:
    """Whether a quotation is followed by 的, a few words and a label that names it a lure (…“秒到账”的诱人话术,
    “保本”的虚假承诺): the `after` cues that begin with 的, with up to four words between."""
    if not text.startswith("的", index):
        return False
    labels = tuple(cue[1:] for cue in context.after if cue.startswith("的") and len(cue) > 2 and cue != "的广告")
    for gap in range(1, 6):
        if text[index + gap : index + gap + 1] in _CLAUSE_MARKS:
            return False
        if _starts_any(text, index + gap, labels):
            return True
    return False


def mentioned(folded: str, start: int, end: int, context: Context) -> bool:
    """Whether folded[start:end] is the whole of a quotation: the word named as a word (关注说明书中的“业绩比较基准”),
    not a product offered. Disclosure triggers ask this; a claim in quotation marks (这款“保本”理财) is still a claim."""
    if context.marks:
        folded = _translated(folded, context.marks)  # as quoted_in read it, for the same match: not translated again
    quotation = _enclosing(folded, start, end, context)
    return quotation is not None and folded[quotation[0] + 1 : quotation[1]].strip() == folded[start:end]


def _in_warning_clause(folded: str, start: int, end: int, context: Context) -> bool:
    """An unquoted cue in the clause of folded[start:end]: before it (不得明示或暗示…) or after it (…是陷阱)."""
    before = _blank(folded[_after_contrast(folded, _clause_start(folded, start), start) : start], context)
    after = _blank(folded[end : _clause_end(folded, end)], context)
    return _any_cue(before, context.unquoted_before) or _any_cue(after, context.unquoted_after)


def _in_warning_sentence(folded: str, start: int, end: int, context: Context) -> bool:
    """A cue that only warnings use, anywhere before or after the match in its sentence (marks dropped)."""
    quote_marks = _without_marks(context.quotes)
    begin = _after_contrast(folded, _sentence_start(folded, start), start)
    before = _blank(folded[begin:start].translate(quote_marks), context)
    after = _blank(folded[end : _answer_end(folded, end)].translate(quote_marks), context)
    return (
        (_any_cue(before, context.sentence_before, negatable=True) and not _hearsay_selling(before, after, context))
        or _any_cue(after, context.sentence_after)
        or any(first in before and second in after for first, second in context.sentence_around)
    )


#: Cues that report a claim of unknown origin (网传, 据说) rather than name its speaker as a cheat (骗子常说): they
#: frame a rumour as easily as they warn of one.
_HEARSAY = re.compile("网传|传言|据说|听说")
#: The writer's own call to buy, after the claim: what a rumour told to warn does not end on.
_SALES_CALL = re.compile(
    "速来|快来(?:抢|买)|快去(?:抢|买)|抢购|速抢|手慢无|欲购从速|名额(?:不多|有限)|欢迎(?:购买|选购|抢购)"
    "|(?:赶紧|赶快|抓紧|马上|立即|立刻)来?(?:购买|买|抢|入手|下单|上车|投|认购|申购|预约)"
)


def _hearsay_selling(before: str, after: str, context: Context) -> bool:
    """A claim whose only warning cue is hearsay, followed by a call to buy (网传这款理财保本保息，名额不多，速来抢购):
    the rumour is the pitch. A hearsay cue beside a named cheat (网传骗子称…) or a verdict after it still warns."""
    if _HEARSAY.search(before) is None or _SALES_CALL.search(after) is None:
        return False
    blanked = _HEARSAY.sub(lambda found: "\0" * len(found.group()), before)
    return not _any_cue(blanked, context.sentence_before, negatable=True)


#: Words that turn a sentence from what it contrasts with to what it asserts (但凡 is "whenever", 不过度 "not too").
_CONTRAST = re.compile("其实|事实上|然而|可是|不过(?![度分])|但(?![凡愿])")

#: The advertiser naming itself (本行, 我们, 本产品, 小编 …): the speaker of an ad. As the subject of a clause it starts
#: its own assertion, which a warning cue before that clause does not govern (受害人说对方承诺保本，我们则真正做到保本;
#: 假冒银行的骗子很多，认准我们，零风险稳赚). Not as the object of what the warning is about: 冒充本行, 以本行名义, 让我们,
#: 提醒我们 (the word before it says so); 我 alone is left out (我以为…保本 is a victim's account). The product named as the
#: offer (这款, 此款, 本款) is that voice too: 很多人认为理财不能保本，这款理财保本保息 is the seller answering the belief.
_SELF = "我们|咱们|我行|我司|我家|本行|本产品|本公司|本平台|本店|本机构|本理财|本基金|本计划|本项目|小编|这款|此款|本款"
_OBJECT_OF = ("让", "使", "给", "对", "向", "骗", "诱导", "告诉", "冒充", "假冒", "仿冒", "假扮", "提醒", "要求", "叫", "帮",
              "和", "跟", "与", "同", "被", "以", "打着", "称", "替", "为", "于")  # fmt: skip
_VOICE = re.compile(_SELF)  # the words before a name are checked only where a name is found (rare): one plain search
#: The ad's own call or word at the head of a clause: an invitation (要相信, 欢迎选购, 认准, 快来) or an affirmation of
#: the claim (…的保本是真的, 货真价实). Not after a negation (不要选择承诺保本的产品 warns).
_CALL = re.compile("要相信|请相信|欢迎|快来|赶紧|认准|选择|选购|马上|立即|才是真的|是真的|货真价实|实实在在")
_NEGATION = re.compile("[不别勿莫]")
_WARNING_ENDS = re.compile("(?:警惕|提醒|诈骗|骗局|陷阱|上当|谨慎|当心|小心|防范|受骗)$")
#: A clause that reports what someone said: the one before it ends with a speech verb (不法分子称，我们平台零风险), or a
#: colon after a label of speech (骗子话术：我们的产品保本保息; 例如：…). The "我们" inside is the reported speaker's.
_REPORTED_BY_VERB = re.compile("(?:说|称|说道|表示|声称|宣称|自称|承诺|许诺|保证|介绍|忽悠|宣传)$")
_SPEECH_LABEL = re.compile("说|称|话术|说辞|台词|口号|宣传|广告|示例|例如|比如|譬如|常见|套路|骗术|噱头|诱饵")


def own_voice(text: str) -> bool:
    """Whether a text (folded) holds the advertiser's own voice: it names itself (本行, 我们, 这款) or calls (认准, 欢迎).
    The learned reader never lowers an error in such a paragraph: the warning words around it are what an ad rides on
    (冒充客服的骗局频发，本机构郑重承诺：保本保息), and the rule's context already read it."""
    return bool(_VOICE.search(text) or _CALL.search(text))


def sets_aside(text: str) -> bool:
    """Whether a text (folded: the sentence up to a claim) sets a belief aside (其实, 但): 很多人以为理财会亏，其实稳赚
    不赔 answers the warning with the claim. Read in the claim's own sentence, not its paragraph: an explainer says
    但 a dozen times (但实际上其最低收益率可能仅为1%) about other things."""
    return bool(_CONTRAST.search(text))


def _after_contrast(text: str, begin: int, index: int) -> int:
    """Where the assertion holding text[index] begins, within text[begin:index]: after the last contrast word, and
    at the clause in which the advertiser names itself as a subject (up to the end of the match's own clause). A cue
    before it governs what the contrast sets aside or what others say, not the claim after it: 很多人误以为理财会亏，
    其实我们的产品稳赚不赔, 监管规定不得承诺保本，但我们可以保证本金安全, 骗子才说“保本保息”，我们说的是真的：100%保本
    and 识破骗局的最好办法，就是选择保本保息的我们 are claims (很多人认为理财都保本，其实并非如此 still warns, and a cue in
    the claim's own clause after the reset still counts: 我们要警惕“保本”承诺)."""
    ends = [found.end() for found in _CONTRAST.finditer(text, begin, index)]
    reset = ends[-1] if ends else begin
    claim_clause = _clause_start(text, index)
    end = _sentence_end(text, index)
    for voice in _VOICE.finditer(text, begin, end):
        if text.endswith(_OBJECT_OF, 0, voice.start()):
            continue
        clause = _clause_start(text, voice.start())
        head = text[clause : voice.start()]
        # After the claim (…保本保息，我们承诺; 稳赚不赔，认准我们): the claim's clause is the ad's, its own cues still
        # count. At the head of its clause (after at most an invitation: 认准我们, 只有我们): the clause is its assertion.
        # Further in: from the name on when the claim is in a later clause (受害人都后悔没选我们：本金零风险) or the
        # name follows a warning's last word (提高警惕本理财零风险: two lines of a text file joined without a mark);
        # otherwise it is an object in the claim's own clause (不表明投资于本产品无风险), whose cue still governs.
        if voice.start() >= index:
            at = claim_clause
        elif len(head.strip()) <= 2:
            at = clause
        elif _WARNING_ENDS.search(head) or _clause_end(text, voice.start()) < index:
            at = voice.start()
        else:
            continue
        if at > reset and not _reported(text, clause):
            reset = min(at, index)
    for call in _CALL.finditer(text, begin, end):  # at the head of a clause, or anywhere in the claim's own clause
        clause = _clause_start(text, call.start())
        head = text[clause : call.start()]
        if _NEGATION.search(head) or (len(head.strip()) > 2 and clause != claim_clause) or _reported(text, clause):
            continue
        at = claim_clause if call.start() >= index else clause
        if at > reset:
            reset = min(at, index)
    return reset


def _reported(text: str, clause: int) -> bool:
    """Whether the clause starting at `clause` reports someone's words (不法分子称，…; 骗子话术：…)."""
    if clause == 0 or text[clause - 1] not in _CLAUSE_MARKS or text[clause - 1] in _SENTENCE_MARKS:
        return False
    label = text[_clause_start(text, clause - 1) : clause - 1].rstrip()
    if text[clause - 1] in "：:":
        return _SPEECH_LABEL.search(label) is not None
    return _REPORTED_BY_VERB.search(label) is not None


def _any_cue(text: str, cues: tuple[str, ...], negatable: bool = False) -> bool:
    """Whether any cue is in text; a cue "A…B" is A followed later by B (均为…骗局: 均为高风险骗局). With `negatable`,
    a cue right after a negation is none: 我们不自称专家 names no one who claims (a sentence-wide cue reaches far, so
    its own negation must not make an ad's claim look reported)."""
    return _cue_pattern(cues, negatable).search(text)


class _Cues(NamedTuple):
    """A context's cue list, searched in time linear in the text: the plain cues and the first halves of the
    "A…B" cues as one alternation, then each pair's B looked for after its first A. (A regex A[\\s\\S]*?B
    scanned to the window's end from every A: 32k characters of 这是保本 took 16 s, now 3.4.)"""

    any_start: re.Pattern[str]  # every plain cue and every pair's A: no match, no cue
    plain: re.Pattern[str]  # the plain cues alone
    pairs: tuple[tuple[re.Pattern[str], str], ...]  # each "A…B" cue: A (with the negation lookbehind), B

    def search(self, text: str) -> bool:
        if self.any_start.search(text) is None:  # nearly always: one native search, as before
            return False
        if self.plain.search(text) is not None:
            return True
        for first, second in self.pairs:
            found = first.search(text)  # B after the first A exactly when after any A
            if found is not None and text.find(second, found.end()) >= 0:
                return True
        return False


@functools.cache
def _cue_pattern(cues: tuple[str, ...], negatable: bool = False) -> _Cues:
    """A context's cue list compiled once (`_Cues`): one native search of a clause instead of a find (and a
    partition) per cue, as there were per match (460k finds for 200 Markdown bench files). A list without cues
    matches nothing."""
    guard = _NOT_NEGATED if negatable else ""
    plain = [re.escape(cue) for cue in cues if "…" not in cue]
    pairs = [cue.split("…", 1) for cue in cues if "…" in cue]
    firsts = [re.escape(first) for first, _ in pairs]

    def alternation(branches: list[str]) -> re.Pattern[str]:
        return re.compile(f"{guard}(?:{'|'.join(branches)})" if branches else r"(?!)")

    return _Cues(
        alternation(plain + firsts),
        alternation(plain),
        tuple((alternation([re.escape(first)]), second) for first, second in pairs),
    )


#: A negation right before a sentence-wide cue (不自称, 没有冒充, 从不假冒, 绝非骗子 …).
_NOT_NEGATED = "(?<![不没未非无别勿])"


@functools.cache
def _literal_pattern(cues: tuple[str, ...]) -> re.Pattern[str]:
    """The cues as plain strings (no "…" reading), as one alternation: a quotation's own before/after cues."""
    return re.compile("|".join(map(re.escape, cues)) if cues else r"(?!)")


def _has_any(text: str, cues: tuple[str, ...]) -> bool:
    """`any(cue in text for cue in cues)`, in one search."""
    return _literal_pattern(cues).search(text) is not None


def _starts_any(text: str, index: int, cues: tuple[str, ...]) -> bool:
    """`any(text.startswith(cue, index) for cue in cues)`, in one match."""
    return _literal_pattern(cues).match(text, index) is not None


def _label_start(text: str, opening: int) -> int:
    """Where the clause before a quotation begins; a quotation introduced by a colon (骗子话术：“…”) is read with
    the clause that labels it, as the colon ends a clause everywhere else."""
    start = _clause_start(text, opening)
    before = text[start:opening]
    if start > 0 and text[start - 1] in "：:" and (not before.strip() or _ITEM_LABEL.fullmatch(before)):  # ：①“…”
        return _clause_start(text, start - 1)
    return start


def _blank(text: str, context: Context) -> str:
    if _literal_pattern(context.ignore).search(text) is None:  # nearly always: no replace per phrase
        return text
    for phrase in context.ignore:
        text = text.replace(phrase, "\0" * len(phrase))
    return text


@functools.cache
def _without_marks(quotes: tuple[tuple[str, str], ...]) -> dict[int, None]:
    """A str.translate table that drops every quotation mark of a context (built once, not per match)."""
    return {ord(mark): None for pair in quotes for mark in pair}


# The last text asked about, by identity, and what was worked out from it: the engine asks about every match
# of a segment in turn with the same folded text, so a pass per match becomes a pass per segment. Each is
# one tuple, replaced whole (a thread reading it sees one consistent entry).
_last_translated: tuple[str, dict[int, str], str] | None = None
_last_marks: tuple[str, list[int], list[int]] | None = None
_last_positions: tuple[str, dict[str, list[int]]] | None = None


def _translated(text: str, marks: dict[int, str]) -> str:
    """text.translate(marks), once per text and table (the same result object for every match in it)."""
    global _last_translated
    last = _last_translated
    if last is None or last[0] is not text or last[1] is not marks:
        last = _last_translated = (text, marks, text.translate(marks))
    return last[2]


_CLAUSE_PATTERN = re.compile("[" + re.escape("".join(sorted(_CLAUSE_MARKS))) + "]")


def _marks_in(text: str) -> tuple[list[int], list[int]]:
    """Where the clause marks and the sentence marks of `text` are (sorted), found once per text."""
    global _last_marks
    last = _last_marks
    if last is None or last[0] is not text:
        clause = [found.start() for found in _CLAUSE_PATTERN.finditer(text)]
        last = _last_marks = (text, clause, [i for i in clause if text[i] in _SENTENCE_MARKS])
    return last[1], last[2]


#: The most characters a clause, sentence or line is read on either side of a place. Real sentences are shorter
#: (the longest of the evaluation set's 2,537 cases has 243 characters, its longest line 365); a hostile line of
#: thousands of quoted items separated by 、 is one "sentence", and reading all of it for each of its matches took
#: minutes (quadratic).
REACH = 600


def _positions(text: str, char: str) -> list[int]:
    """Where `char` stands in `text` (sorted), found once per text and character."""
    global _last_positions
    last = _last_positions
    if last is None or last[0] is not text:
        last = _last_positions = (text, {})
    found = last[1].get(char)
    if found is None:
        found = last[1][char] = [match.start() for match in re.finditer(re.escape(char), text)]
    return found


def _start(positions: list[int], index: int) -> int:
    """Where the clause or sentence (ended by the marks at `positions`) holding text[index] begins (within REACH)."""
    before = bisect_left(positions, index)  # the marks at positions < index
    return max(positions[before - 1] + 1 if before else 0, index - REACH)


def _end(positions: list[int], index: int, size: int) -> int:
    """Where the clause or sentence (ended by the marks at `positions`) holding text[index] ends (within REACH)."""
    after = bisect_left(positions, index)  # the first mark at or after index
    return min(positions[after] if after < len(positions) else size, index + REACH)


def _clause_start(text: str, index: int) -> int:
    return _start(_marks_in(text)[0], index)


def _clause_end(text: str, index: int) -> int:
    return _end(_marks_in(text)[0], index, len(text))


def _sentence_start(text: str, index: int) -> int:
    return _start(_marks_in(text)[1], index)


def _sentence_end(text: str, index: int) -> int:
    return _end(_marks_in(text)[1], index, len(text))


def sentence_bounds(text: str, index: int) -> tuple[int, int]:
    """Where the sentence holding text[index] begins and ends (the marks of _SENTENCE_MARKS end one), its leading
    spaces left out: the sentence the learned reader scores or quotes around a place."""
    begin, end = _sentence_start(text, index), _sentence_end(text, index)
    while begin < end and text[begin].isspace():
        begin += 1
    return begin, end


def _line_start(text: str, index: int) -> int:
    begin = max(0, index - REACH)
    return text.rfind("\n", begin, index) + 1 or begin


def _line_end(text: str, index: int) -> int:
    found = text.find("\n", index, index + REACH)
    return min(len(text), index + REACH) if found < 0 else found


def _answer_end(text: str, index: int) -> int:
    """Where the sentence holding text[index] ends; a question (…就能“躺着赚钱”？) is read with the answer that
    follows it, up to the next full stop or line break (？注意了！这是个陷阱。): a rhetorical question is answered
    by the warning, an ad's question (想稳赚？快来加入！) by an offer, which holds no cue."""
    end = _sentence_end(text, index)
    if end < len(text) and text[end] == "?":
        limit = min(len(text), end + REACH)
        stops = [found for found in (text.find("。", end, limit), text.find("\n", end, limit)) if found >= 0]
        return min(stops) if stops else limit
    return end


def _enclosing(text: str, start: int, end: int, context: Context) -> tuple[int, int] | None:
    """(opening, closing) of the quotation marks around [start, end) within one line, if any: a quoted script may
    hold several sentences (骗子话术：“仅需身份证就能贷！无抵押秒放款！”), and a pair of marks is matched across them."""
    left, right = _line_start(text, start), _line_end(text, end)
    for opening_mark, closing_mark in context.quotes:
        if opening_mark == closing_mark:  # "…": inside when an odd number of marks precede the match on its line
            marks, newlines = _positions(text, opening_mark), _positions(text, "\n")
            line = bisect_left(newlines, start)
            first, last = bisect_left(marks, newlines[line - 1] + 1 if line else 0), bisect_left(marks, start)
            closing = text.find(closing_mark, end, right)
            # counted from the line's true start (REACH would cut a quotation in two and flip the count), by bisection
            if (last - first) % 2 and closing >= 0:
                return marks[last - 1], closing
            continue
        opening = text.rfind(opening_mark, left, start)
        closing = text.find(closing_mark, end, right)
        if (
            opening >= 0
            and closing >= 0
            and text.find(closing_mark, opening + 1, start) < 0
            and text.find(opening_mark, end, closing) < 0
        ):
            return opening, closing
    return None


#: A list label (A. 1、 (1), ① folded to 1) with the spaces around it, never a line break: a list item is one line.
_LABEL = r"[ \t\u3000]*(?:[A-Za-z0-9]{1,2}[ \t\u3000]*[.、:)]|[(][A-Za-z0-9]{1,2}[)]|[0-9]{1,2})[ \t\u3000]*"
_ITEM_LABEL = re.compile(_LABEL)
_ITEM_LABEL_BEFORE = re.compile(_LABEL + "$")
#: How many quotations a series is walked back over: a list sharing one label is short, and a bound keeps a line of
#: thousands of quotations from being walked once per match.
_SERIES_LIMIT = 20


def _series_start(text: str, opening: int, context: Context) -> int:
    """Where a series of quotations ending with the one opened at `opening` begins (“保本保息”“内部额度”, “保本”、
    “保息”): a label before the first names them all, commas inside the quotations notwithstanding."""
    opening_for = {closing: opening_mark for opening_mark, closing in context.quotes}
    index = opening
    for _ in range(_SERIES_LIMIT):
        before = index
        while before > 0 and text[before - 1] in _LIST_GLUE:
            before -= 1
        label = _ITEM_LABEL_BEFORE.search(text, max(0, before - 4), before)  # A.“…” B.“…”: the items' labels
        if label is not None:  # a label is never empty
            before = label.start()
        if before == 0 or text[before - 1] not in opening_for:
            return index
        previous = text.rfind(opening_for[text[before - 1]], _line_start(text, before - 1), before - 1)
        if previous < 0:
            return index
        index = previous
    return index


#: The answer of a quiz (答案：A, 答案:A、C), the only words that may follow its list of quoted items: item labels and
#: nothing else (答案：本行悦享理财 is the advertiser speaking).
_ANSWER = re.compile(
    r"(?:正确答案|参考答案|答案|答)\s*[:：]\s*[A-Za-z0-9]{1,2}(?:\s*[、,和及与]\s*[A-Za-z0-9]{1,2})*\s*[.!]?"
)


def _listed_after_warning(text: str, opening: int, context: Context) -> bool:
    """A labelled quoted item opening its sentence (A.“保本保息，年化12%”), listed under a sentence that only a
    warning writes (下面哪句话最可能出自骗子之口？ / 以下哪些说法是诈骗话术?): the quiz and list shape of anti-fraud copy.
    The sentence must be the list and nothing else, labelled quotations to its end: a quotation followed by the
    advertiser's words (A.“保本保息”——XX银行安心之选) is a claim, and so is one without a label (天上不会掉馅饼。
    “保本保息”，XX银行做到了)."""
    begin = _sentence_start(text, opening)
    if begin == 0 or _ITEM_LABEL.fullmatch(text, begin, opening) is None:
        return False
    listed = _skip_listed(text, opening, _line_end(text, opening), context)  # an item may hold its own full stop
    # a quiz's answer may follow, on the line a paragraph's lines were joined to
    after = text[listed : _sentence_end(text, listed)].strip()
    if after and not _ANSWER.fullmatch(after):
        return False
    previous = _blank(_previous_sentence(text, begin), context)
    if _VOICE.search(previous) or _VOICE.search(text, opening, listed):  # 骗子做不到的，我们做到了 / A.“本行理财，保本”
        return False
    return _any_cue(previous, context.sentence_before, negatable=True) or _any_cue(previous, context.sentence_after)


def _previous_sentence(text: str, begin: int) -> str:
    """The last sentence with words before `begin` (a sentence's start): a question mark and a line break between
    them (…出自骗子之口？⏎A.“…”) end no sentence of their own."""
    end = begin
    while end > 0 and (text[end - 1] in _SENTENCE_MARKS or text[end - 1].isspace()):
        end -= 1
    return text[_sentence_start(text, end - 1) : end] if end else ""


def _skip_listed(text: str, index: int, end: int, context: Context) -> int:
    """Past the labelled quotations from `index` (an opening mark) up to `end`: where the list stops."""
    while True:
        index = _skip_quoted(text, index, context, end)
        label = _ITEM_LABEL.match(text, index, end)  # a label is never empty: each turn moves on
        if label is None:
            return index
        index = label.end()


def _skip_quoted(text: str, index: int, context: Context, end: int | None = None) -> int:
    """Past any further quoted items and list glue after a quotation (“保本”、“保息”等 → 等), up to `end`."""
    closing_for = dict(context.quotes)
    end = min(len(text), index + REACH) if end is None else end
    while index < end:
        if text[index] in _LIST_GLUE:
            index += 1
        elif text[index] in closing_for:
            closing = text.find(closing_for[text[index]], index + 1, end)
            if closing < 0:
                break
            index = closing + 1
        else:
            break
    return index
