"""Check normalisation (fold, removal, offset map, explain) and the term matcher."""

from __future__ import annotations

import array
import importlib.util
import random
import subprocess
import sys
import unicodedata
from importlib import resources
from pathlib import Path

import pytest

from mediactl.check import normalize as N
from mediactl.check.matcher import CLAUSE_MARKS, Match, Matcher
from mediactl.check.normalize import DEFAULT_SKIP, INVISIBLE, Normalized, Normalizer, explain

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module", params=["python", "native"])
def norm(request: pytest.FixtureRequest) -> Normalizer:
    """Every normalisation test runs on both paths: the C extension and the pure-Python fallback."""
    if request.param == "native" and N._native is None:
        pytest.skip("the native extension was not built (no C compiler)")
    return Normalizer(native=request.param == "native")


def found(matcher: Matcher, text: str) -> list[tuple[int, int, int, str, tuple[str, ...]]]:
    return [(m.term_index, m.start, m.end, m.text, m.normalisations) for m in matcher.find(text)]


# --------------------------------------------------------------------------- fold


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        # width: full-width letters, digits, punctuation and space; styled and circled letters
        ("ＶＸ１３８", "vx138"),
        ("保本，收益：１００％！", "保本,收益:100%!"),
        ("\u3000\u00a0", "  "),
        ("𝐯𝐱ⓥⓧ🅥🅧ℂ🄰", "vxvxvxca"),
        ("ＡＢＣｄｅｆ", "abcdef"),
        # case
        ("VX Vx vX QQ", "vx vx vx qq"),
        ("ΣΑ", "σα"),
        # traditional → simplified, character by character
        ("零風險穩賺", "0风险稳赚"),
        ("髮發後於", "发发后于"),
        ("薴", "苎"),  # a chain closed at generation: 薴→苧→苎
        # number styles
        ("①⑧⑴⒈❶➀➊⓵㈠㊀", "1811111111"),
        ("⓪⓿", "00"),
        ("〇零一二三四五六七八九", "00123456789"),
        ("壹贰叁肆伍陆柒捌玖", "123456789"),
        ("貳", "2"),  # traditional, then a number
        ("²𝟏", "21"),
        # no one-to-one fold: unchanged
        ("ß⑩㈱…℃™", "ß⑩㈱…℃™"),
        # invisible characters are never folded
        ("\u200b\ufeff\u00ad\ufe0f", "\u200b\ufeff\u00ad\ufe0f"),
    ],
)
def test_fold(norm: Normalizer, text: str, folded: str) -> None:
    assert norm.fold(text) == folded
    assert len(norm.fold(text)) == len(text)


def test_fold_table_is_the_per_character_chain_and_idempotent() -> None:
    """The fast block scan finds exactly the characters a per-character fold changes."""
    tables = N._fold_tables()
    t2s = dict(line.split("\t") for line in N._data_lines("t2s.tsv"))

    def reference(char: str) -> str:
        current = char
        for _ in range(8):
            before = current
            nfkc = unicodedata.normalize("NFKC", current)
            current = nfkc if len(nfkc) == 1 else current
            lower = current.casefold()
            current = lower if len(lower) == 1 else current
            current = t2s.get(current, current)
            current = N._EXTRA.get(current, current)
            if current == before:
                break
        return current

    wrong = []
    for cp in range(len(tables.table)):
        char = chr(cp)
        if 0xD800 <= cp <= 0xDFFF or char in INVISIBLE:
            continue
        folded = chr(tables.table[cp])
        if folded != reference(char) or N._fold_char(folded, tables.table) != folded:
            wrong.append(f"U+{cp:04X}")
    assert wrong == []
    assert len(tables.table) > 0x2F800  # compatibility ideographs supplement and t2s planes 2-3 covered


def test_t2s_table_format() -> None:
    text = resources.files("mediactl").joinpath("data", "check", "t2s.tsv").read_text(encoding="utf-8")
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert any("OpenCC 1." in line for line in header)
    assert any("Apache License 2.0" in line for line in header)
    pairs = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    assert len(pairs) > 4000
    assert all(len(a) == 1 and len(b) == 1 and a != b for a, b in pairs)
    keys = {a for a, _ in pairs}
    assert not [b for _, b in pairs if b in keys]  # chains closed
    assert ("風", "风") in [tuple(p) for p in pairs]
    notice = resources.files("mediactl").joinpath("data", "check", "NOTICE").read_text(encoding="utf-8")
    assert "OpenCC" in notice and "ToolGood" in notice


def test_generated_tables_are_up_to_date() -> None:
    """tools/make_check_tables.py --check, with the C++ OpenCC binding (not the pure-Python one)."""
    if importlib.util.find_spec("opencc") is None:
        pytest.skip("OpenCC is a generation-time dependency only; not installed")
    source = ROOT.parent / "shared" / "data" / "wordlists" / "skip_chars__toolgood_IllegalWordsSearch.txt"
    if not source.exists():
        pytest.skip("the raw ToolGood list (shared/data/wordlists) is not beside the repository")
    import opencc

    assert hasattr(opencc, "clib"), f"{opencc.__file__} is not the C++ OpenCC binding"
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "make_check_tables.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


# --------------------------------------------------------------------------- skip and invisible sets


def test_invisible_set() -> None:
    for cp in (0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x202A, 0x202E, 0x2060, 0x2064, 0xFEFF, 0x00AD, 0x034F):
        assert chr(cp) in INVISIBLE
    for cp in (0x180E, 0xFE00, 0xFE0F, 0xE0001, 0xE0041, 0xE007F, 0xE0100):
        assert chr(cp) in INVISIBLE
    assert not set(INVISIBLE) & set(DEFAULT_SKIP)
    assert " " not in INVISIBLE and "\n" not in INVISIBLE


def test_default_skip_contents() -> None:
    skip = set(DEFAULT_SKIP)
    assert set(" \t\r\n\u3000\u00a0\u2028") <= skip
    assert set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") <= skip
    assert set("·・…—～「」『』【】《》（）〔〕〖〗“”‘’") <= skip
    assert set(CLAUSE_MARKS) <= skip  # kept in; the matcher's gap policy limits them
    assert set("🔥😀👍🎉✅❤☆★●■→") <= skip
    assert set("┌─│╋") <= skip and set("αβΩ") <= skip  # box drawing and Greek, as ToolGood
    # content is never a separator: letters, digits, Han, number styles
    assert not skip & set("abcXYZ0123456789０９保本一〇零①⑩⑴⒈❶Ⅰ²🄰🅥")
    toolgood = [
        chr(int(line[2:], 16)) if line.startswith("\\u") else line for line in N._data_lines("skip_toolgood.txt")
    ]
    assert len(toolgood) == 341
    left_out = {c for c in toolgood if c not in skip}
    assert left_out and all(c.isnumeric() or unicodedata.normalize("NFKC", c).isalnum() for c in left_out)


def test_custom_skip(norm: Normalizer) -> None:
    strict = Normalizer(skip="")
    assert strict.normalize("保 本\u200b").compact == "保 本"  # invisible characters always go
    assert Normalizer(skip="*").normalize("保*本 息").compact == "保本 息"
    with pytest.raises(ValueError, match="U\\+2460"):
        Normalizer(skip="①")  # folds to 1: content
    with pytest.raises(ValueError, match="folds to 'a'"):
        Normalizer(skip="Ａ")


# --------------------------------------------------------------------------- normalize and the offset map


def test_normalize_fields(norm: Normalizer) -> None:
    text = "保 本，ＶＸ\u200b號。穩·賺🔥！"
    result = norm.normalize(text)
    assert isinstance(result, Normalized)
    assert result.original == text
    assert result.base == "保 本,vx\u200b号。稳·赚🔥!"
    assert result.compact == "保本vx号稳赚"
    assert [result.to_original(i) for i in range(len(result.compact) + 1)] == [0, 2, 4, 5, 7, 9, 11, len(text)]
    assert result.removed_between(0, len(text)) == " ，\u200b。·🔥！"
    assert result.removed_between(1, 4) == " ，"
    assert result.removed_between(3, 3) == ""
    assert norm.term(" 保\u200b本 ") == "保本"
    assert norm.term("ＶＸ") == "vx"


def test_normalize_edges(norm: Normalizer) -> None:
    empty = norm.normalize("")
    assert (empty.base, empty.compact, empty.to_original(0)) == ("", "", 0)
    only_removed = norm.normalize(" ，\u200b🔥" * 3000)
    assert only_removed.compact == ""
    assert only_removed.to_original(0) == 12000
    with pytest.raises(IndexError):
        only_removed.to_original(1)
    plain = norm.normalize("保本" * 5000)  # whole chunks with nothing removed
    assert plain.to_original(9999) == 9999
    with pytest.raises(IndexError):
        plain.to_original(-1)
    with pytest.raises(IndexError):
        plain.removed_between(5, 4)
    with pytest.raises(TypeError):
        norm.normalize(b"bytes")  # type: ignore[arg-type]


def _random_text(rng: random.Random, length: int, *, astral: bool) -> str:
    groups = [
        (6, list("保本稳赚零风險穩賺理财收益的是了在有")),
        (2, list("abcXYZ019ＶＸ１①一三八")),
        (3, list(" \n\r\t，。、；：！？,.;:!?·・…—～「」【】（）*#@\u3000\u00a0")),
        (2, list("\u200b\u200d\ufeff\u00ad\u2060\ufe0f")),
    ]
    if astral:
        groups.append((2, ["🔥", "😀", "👍", "\U00020000", "𝐯", "\U000e0041", "🅥"]))
    alphabet = [char for _, chars in groups for char in chars]
    weights = [weight for weight, chars in groups for _ in chars]
    return "".join(rng.choices(alphabet, weights=weights, k=length))


@pytest.mark.parametrize("astral", [False, True])
def test_to_original_agrees_with_a_slow_reference(norm: Normalizer, astral: bool) -> None:
    rng = random.Random(20240601 + astral)
    text = _random_text(rng, 3 * N._CHUNK + 777, astral=astral)
    result = norm.normalize(text)
    kept = [i for i, char in enumerate(text) if not norm.removes(char)]
    assert len(kept) < len(text) * 0.75  # many removed characters
    assert result.base == "".join(norm.fold(c) for c in text)
    assert result.compact == "".join(result.base[i] for i in kept)
    order = list(range(len(kept)))
    rng.shuffle(order)  # random order: the lazily built checkpoints must not depend on it
    assert [result.to_original(k) for k in order] == [kept[k] for k in order]
    assert result.to_original(len(result.compact)) == len(text)
    for _ in range(300):
        start = rng.randrange(len(text))
        end = rng.randrange(start, min(len(text), start + 300) + 1)
        expected = "".join(c for c in text[start:end] if norm.removes(c))
        assert result.removed_between(start, end) == expected


def test_to_original_with_plain_stretches_inside_chunks(norm: Normalizer) -> None:
    """Chunks with removals whose sub-chunks have none, and the reverse."""
    text = "，" + "保本" * 100 + " \u200b" + "稳赚" * N._CHUNK + "。" * 10 + "零风险"
    result = norm.normalize(text)
    kept = [i for i, char in enumerate(text) if not norm.removes(char)]
    assert [result.to_original(k) for k in range(len(kept))] == kept


def test_to_original_reused_normalized_is_consistent(norm: Normalizer) -> None:
    text = _random_text(random.Random(7), 9000, astral=True)
    first, second = norm.normalize(text), norm.normalize(text)
    ks = range(0, len(first.compact), 37)
    assert [first.to_original(k) for k in reversed(ks)][::-1] == [second.to_original(k) for k in ks]
    assert first == second


# --------------------------------------------------------------------------- explain


def test_explain_without_term(norm: Normalizer) -> None:
    assert explain("保本", norm) == ()
    assert explain("ＶＸ", norm) == ("width", "case")
    assert explain("零風險", norm) == ("traditional", "number")  # 零 folds to 0: the folded form is plain
    assert explain("保\u200b本", norm) == ("invisible",)
    assert explain("穩 ①\u200b賺", norm) == ("traditional", "number", "invisible", "separator")
    assert explain("", norm) == ()


def test_explain_with_term(norm: Normalizer) -> None:
    assert explain("零风险", norm, term="零风险") == ()
    assert explain("零風險", norm, term="零风险") == ("traditional",)
    assert explain("VX", norm, term="VX") == ()
    assert explain("vx", norm, term="VX") == ()
    assert explain("ＶＸ", norm, term="VX") == ("width",)
    assert explain("ＶＸ", norm, term="vx") == ("width", "case")
    assert explain("一三八", norm, term="138") == ("number",)
    assert explain("壹流", norm, term="一流") == ("number",)
    assert explain("保本", norm, term="保 本") == ()  # the span adds nothing
    assert explain("保 本", norm, term="保 本") == ()
    assert explain("保.本", norm, term="保 本") == ("separator",)
    assert explain("保\u200b本", norm, term="保本") == ("invisible",)


# --------------------------------------------------------------------------- matcher


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(["保本", "保本保息", "vx", "零风险", "稳赚", "138", "qq", "1", "VX"])


@pytest.mark.parametrize(
    ("text", "index", "span", "normalisations"),
    [
        ("加ＶＸ领取", 2, "ＶＸ", ("width", "case")),
        ("加VX领取", 2, "VX", ("case",)),
        ("加Vx领取", 2, "Vx", ("case",)),
        ("加vx领取", 2, "vx", ()),
        ("本产品零風險", 3, "零風險", ("traditional",)),
        ("穩賺不赔", 4, "穩賺", ("traditional",)),
        ("保　本", 0, "保　本", ("separator",)),  # ideographic space
        ("电话①③⑧", 5, "①③⑧", ("number",)),
        ("电话一三八", 5, "一三八", ("number",)),
        ("电话１３８", 5, "１３８", ("width",)),
        ("保 本", 0, "保 本", ("separator",)),
        ("保.本", 0, "保.本", ("separator",)),
        ("保*本", 0, "保*本", ("separator",)),
        ("保\n本", 0, "保\n本", ("separator",)),  # a soft line break
        ("保\r\n本", 0, "保\r\n本", ("separator",)),
        ("保🔥本", 0, "保🔥本", ("separator",)),
        ("保\u200b本", 0, "保\u200b本", ("invisible",)),
        ("保\u200b\u200b\u200b\u200b\u200b\u200b本", 0, "保" + "\u200b" * 6 + "本", ("invisible",)),
        ("稳·赚", 4, "稳·赚", ("separator",)),
        ("稳 · 赚", 4, "稳 · 赚", ("separator",)),
        ("保「本」", 0, "保「本", ("separator",)),
        ("保\u200b 本", 0, "保\u200b 本", ("invisible", "separator")),
        ("零 風\u200b险", 3, "零 風\u200b险", ("traditional", "invisible", "separator")),
    ],
)
def test_evasions_are_found(
    matcher: Matcher, text: str, index: int, span: str, normalisations: tuple[str, ...]
) -> None:
    hits = [m for m in matcher.find(text) if m.term_index == index]
    assert len(hits) == 1
    hit = hits[0]
    assert (hit.text, hit.normalisations) == (span, normalisations)
    assert text[hit.start : hit.end] == span


@pytest.mark.parametrize(("text", "index"), [("保本", 0), ("零风险", 3), ("稳赚", 4), ("vx", 2), ("138", 5), ("VX", 8)])
def test_plain_term_is_no_evasion(matcher: Matcher, text: str, index: int) -> None:
    [hit] = [m for m in matcher.find(f"本产品{text}。") if m.term_index == index]
    assert hit.normalisations == ()


@pytest.mark.parametrize(
    "text",
    [
        "确保。本周",
        "确保，本周",
        "确保,本周",
        "确保， 本周",
        "确保、本周",
        "确保！\n本周",
        "确保？ 本周",
        "确保；本周",
        "确保：本周",
        "保\n\n本",  # paragraph break
        "保\r\n\r\n本",
        "保\u2029本",
        "保    本",  # four separators > max_gap
        "保*.*.本",
        "保\n \n本",
    ],
)
def test_gap_policy_rejects(matcher: Matcher, text: str) -> None:
    assert [m for m in matcher.find(text) if m.term_index == 0] == []


def test_gap_policy_limits(matcher: Matcher) -> None:
    assert [m.text for m in matcher.find("保 . 本") if m.term_index == 0] == ["保 . 本"]  # exactly max_gap
    assert [m.text for m in matcher.find("保。*本") if m.term_index == 0] == ["保。*本"]  # not only clause marks
    strict = Matcher(["保本"], max_gap=0)
    assert found(strict, "保 本") == []
    assert found(strict, "保\u200b本") == [(0, 0, 3, "保\u200b本", ("invisible",))]  # invisible never counts
    wide = Matcher(["保本"], max_gap=5)
    assert [m.text for m in wide.find("保  ·  本")] == ["保  ·  本"]
    assert found(wide, "保。本") == []  # clause marks stay out whatever the width
    with pytest.raises(ValueError):
        Matcher(["保本"], max_gap=-1)


def test_latin_boundaries(matcher: Matcher) -> None:
    def spans(text: str, index: int) -> list[str]:
        return [m.text for m in matcher.find(text) if m.term_index == index]

    assert spans("vxworks", 2) == []
    assert spans("avx", 2) == []
    assert spans("vx123", 2) == []  # a Latin term is a word: a following digit extends it
    assert spans("加vx：abc", 2) == ["vx"]
    assert spans("加 V X 号", 2) == ["V X"]
    assert spans("tv x", 2) == []  # the v belongs to "tv"
    assert spans("qqq", 6) == []  # decided: a run of the same letter is another word
    assert spans("qq群", 6) == ["qq"]
    assert spans("2021年", 7) == []
    assert spans("二〇二一年", 7) == []  # folds to 2021
    assert spans("第1名", 7) == ["1"]
    assert spans("第一名", 7) == ["一"]
    assert spans("１３８８", 5) == []
    assert spans("call 138!", 5) == ["138"]
    assert spans("138\u200b8", 5) == ["138"]  # an invisible neighbour counts as a boundary
    han_then_latin = Matcher(["微信vx"])
    assert found(han_then_latin, "微信vxworks") == []
    assert found(han_then_latin, "微信vx号") == [(0, 0, 4, "微信vx", ())]
    assert found(Matcher(["保本"]), "abc保本xyz") == [(0, 3, 5, "保本", ())]  # Han needs no boundary


def test_overlapping_and_sorted(matcher: Matcher) -> None:
    assert found(matcher, "保本保息") == [(1, 0, 4, "保本保息", ()), (0, 0, 2, "保本", ())]
    overlapping = Matcher(["理财", "财产", "理财产", "财"])
    assert [(m.term_index, m.start, m.end) for m in overlapping.find("的理财产品")] == [
        (2, 1, 4),
        (0, 1, 3),
        (1, 2, 4),
        (3, 2, 3),
    ]
    assert [(m.start, m.end) for m in Matcher(["保本"]).find("保本保本")] == [(0, 2), (2, 4)]


def test_probes_report_presence_in_the_same_pass_without_matching() -> None:
    """Probes (the regex rules' prefilter literals) share the automaton: present or not, never a match."""
    m = Matcher(["保本", "vx"], probes=["第1", "保本", "www.", "vx"])
    matches, probes = m.search("荣获第 1 名，保本，www.example.com")
    assert [x.text for x in matches] == ["保本"] and probes == {0, 1, 2}
    # Presence ignores the terms' rules: boundaries (vx in vxworks) and gaps do not apply to a probe.
    assert m.search("vxworks")[0] == [] and m.search("vxworks")[1] == {3}
    assert m.search("今天天气很好") == ([], set())
    assert m.find("第1名保本") == m.search("第1名保本")[0]
    with pytest.raises(ValueError, match="probe 0"):
        Matcher(["保本"], probes=["://"])  # only removed characters: nothing to find in the compact text


def test_utf16_scan_drops_hits_between_characters_and_astral_texts_use_characters() -> None:
    """The automaton reads UTF-16 units: 愀开 is bytes 00 61 00 5f, holding 'a' (61 00) across two characters."""
    m = Matcher(["a", "保本"])
    m.for_volume()
    assert any(
        start % 2 for _, start, _ in m._units.find_matches_as_indexes("愀开".encode("utf-16-le"), overlapping=True)
    )
    assert m.find("愀开") == []
    # Beyond the BMP a character is two units: such texts are scanned as characters, offsets stay right.
    assert [(x.start, x.end, x.text) for x in m.find("𠀀保本 a 𝒂")] == [(1, 3, "保本"), (4, 5, "a"), (6, 7, "𝒂")]
    assert [(x.start, x.end) for x in m.find("保本 a")] == [(0, 2), (3, 4)]
    text = "本产品保本，a 保 本 A 愀开" * 3
    assert m.find(text) == Matcher(["a", "保本"]).find(text)  # UTF-16 units (for volume) and str agree


@pytest.mark.parametrize("volume", [False, True])
def test_texts_scanned_together_give_what_each_gives_alone(norm: Normalizer, volume: bool) -> None:
    """search_many scans the texts joined in one pass (UTF-16 units, for volume): the same matches and probe spans
    as each text searched alone; no match across two texts (保 | 本, vx | works), a hit between two characters at
    a join dropped (愀 | 开 holds 'a' across them), a text beyond the BMP among them scanned on its own."""
    terms = ["保本", "vx", "a", "稳赚", "本稳", "1", "理财"]
    m = Matcher(terms, norm, probes=["保本", "收益", "1"])
    if volume:
        m.for_volume()
    rng = random.Random(7)
    texts = ["这款理财保", "本稳赚，vx", "works 愀", "开 a 保 本", "", "第1名收益", "a"]
    texts += [_random_text(rng, 3_000, astral=False) for _ in range(4)]
    for astral in ([], ["𠀀保本 a 𝒂"]):  # all in the BMP: one scan; a text beyond it: each text on its own
        normalized = [norm.normalize(text) for text in texts + astral]
        together = m.search_many(normalized)
        assert together == [m.search_spans(text) for text in normalized]
        assert [[x.text for x in matches] for matches, _ in together[:7]] == [
            ["理财"],
            ["本稳", "稳赚", "vx"],
            [],
            ["a", "保 本"],
            [],
            ["1"],
            ["a"],
        ]
        assert all(matches and probes for matches, probes in together[7:11])  # the random texts exercise both
    assert [x.text for x in together[-1][0]] == ["保本", "a", "𝒂"]


def test_duplicate_normalised_terms() -> None:
    m = Matcher(["保本", "保 本", "保\u200b本", "稳赚"])
    assert found(m, "本产品保本") == [
        (0, 3, 5, "保本", ()),
        (1, 3, 5, "保本", ()),
        (2, 3, 5, "保本", ()),
    ]
    assert [(h.term_index, h.normalisations) for h in m.find("保.本")] == [
        (0, ("separator",)),
        (1, ("separator",)),
        (2, ("separator",)),
    ]


def test_empty_normalised_term_is_an_error() -> None:
    with pytest.raises(ValueError, match="' · '"):
        Matcher(["保本", " · "])
    with pytest.raises(ValueError, match="''"):
        Matcher([""])
    with pytest.raises(TypeError):
        Matcher("保本")
    assert Matcher([]).find("保本") == []


def test_offsets_are_original_and_text_is_as_written(matcher: Matcher) -> None:
    text = "前言\u200b\u200b，稳\u200b赚，保\u200b本。"
    hits = matcher.find(text)
    assert [(m.term_index, m.start, m.end, m.text) for m in hits] == [(4, 5, 8, "稳\u200b赚"), (0, 9, 12, "保\u200b本")]
    assert all(isinstance(m, Match) and text[m.start : m.end] == m.text for m in hits)


def test_find_accepts_normalized_and_spans_chunk_boundaries() -> None:
    norm = Normalizer()
    m = Matcher(["保本", "稳赚"], norm)
    for boundary in (100, N._CHUNK, 2 * N._CHUNK):
        for shift in range(-3, 2):
            prefix = ("的，" * N._CHUNK)[: boundary + shift]
            text = prefix + "保 \u200b本" + "的" * 10 + "稳🔥赚"
            result = norm.normalize(text)
            assert [(h.start, h.text) for h in m.find(result)] == [
                (len(prefix), "保 \u200b本"),
                (len(prefix) + 14, "稳🔥赚"),
            ]


def test_long_text_matches_agree_with_brute_force() -> None:
    """Every accepted match is a real occurrence with acceptable gaps, and none is missed."""
    norm = Normalizer()
    terms = ["保本", "稳赚", "零风险", "vx", "1"]
    m = Matcher(terms, norm)
    rng = random.Random(99)
    text = _random_text(rng, 2 * N._CHUNK, astral=True)
    hits = {(h.term_index, h.start, h.end) for h in m.find(text)}
    assert len(hits) > 20
    expected = set()
    for start in range(len(text)):
        if norm.removes(text[start]):
            continue
        for index, term in enumerate(terms):
            key = norm.term(term)
            pos, got, gaps = start, 0, []
            while pos < len(text) and got < len(key):
                gap = ""
                while pos < len(text) and norm.removes(text[pos]):
                    gap += text[pos]
                    pos += 1
                if pos == len(text) or norm.fold(text[pos]) != key[got]:
                    break
                if got:
                    gaps.append(gap)
                got += 1
                pos += 1
            if got != len(key):
                continue
            base = norm.fold(text)
            if key[0].isascii() and start and base[start - 1].isascii() and base[start - 1].isalnum():
                continue
            if key[-1].isascii() and pos < len(text) and base[pos].isascii() and base[pos].isalnum():
                continue
            if all(_gap_ok(norm.fold(g)) for g in gaps):
                expected.add((index, start, pos))
    assert hits == expected


def _gap_ok(gap: str) -> bool:
    visible = [c for c in gap if c not in INVISIBLE]
    breaks = sum(c in "\n\r\u2028\u2029" for c in "".join(visible).replace("\r\n", "\n"))
    only_clause = visible and all(c in CLAUSE_MARKS or c.isspace() for c in visible)
    return len(visible) <= 3 and breaks < 2 and not (only_clause and any(c in CLAUSE_MARKS for c in visible))


def test_runtime_does_not_import_opencc() -> None:
    code = (
        "import sys\n"
        "from mediactl.check.matcher import Matcher\n"
        "from mediactl.check.normalize import Normalizer, explain\n"
        "n = Normalizer()\n"
        "hits = Matcher(['零风险'], n).find('本产品零風險')\n"
        "assert [h.text for h in hits] == ['零風險'], hits\n"
        "assert n.fold('髮') == '发'\n"
        "print('opencc' in sys.modules, 'ahocorasick_rs' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "True"]


# --------------------------------------------------------------------------- native path


@pytest.mark.skipif(N._native is None, reason="the native extension was not built (no C compiler)")
@pytest.mark.parametrize("seed", range(4))
def test_native_and_python_paths_agree(seed: int) -> None:
    """Same base, compact and offsets on text drawn from the whole code space, Latin-1-only and BMP-only text too."""
    rng = random.Random(seed)
    native, python = Normalizer(native=True), Normalizer(native=False)
    samples = [
        _random_text(rng, 20_000, astral=True),
        "".join(chr(rng.randrange(0x110000)) for _ in range(20_000))
        .encode("utf-8", "replace")
        .decode("utf-8", "replace"),
        "".join(chr(rng.randrange(0x100)) for _ in range(5_000)),  # one byte per character in CPython
        "".join(chr(rng.randrange(0x10000)) for _ in range(5_000))
        .encode("utf-16", "surrogatepass")
        .decode("utf-16", "replace"),
        "".join(rng.choice("0123456789 -a٣\uff10\u3000") for _ in range(20_000)),  # digit runs and their separators
        "",
        "\U0010ffff\ufeff",
    ]
    for text in samples:
        fast, slow = native.normalize(text), python.normalize(text)
        assert (fast.base, fast.compact, fast.digit_run) == (slow.base, slow.compact, slow.digit_run)
        ks = range(len(fast.compact) + 1)
        assert [fast.to_original(k) for k in ks] == [slow.to_original(k) for k in ks]


@pytest.mark.skipif(N._native is None, reason="the native extension was not built (no C compiler)")
@pytest.mark.parametrize("volume", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_matcher_hits_agree_on_both_paths(seed: int, volume: bool) -> None:
    """search_spans's loop over the automaton's hits (Latin ends, gaps, probes) gives the same matches and probe
    spans in C (_native.match_spans) as in Python, over str (astral text) and UTF-16 units (for_volume)."""
    rng = random.Random(seed)
    terms = ["保本", "保本保息", "vx", "VX", "零风险", "稳赚", "138", "qq", "1", "a", "理财", "收益", "的是", "本稳"]
    probes = ["保本", "收益", "1", "稳赚零", "xyz9"]
    native = Matcher(terms, Normalizer(native=True), probes=probes)
    python = Matcher(terms, Normalizer(native=False), probes=probes)
    if volume:
        native.for_volume()
        python.for_volume()
    for astral in (False, True):
        text = _random_text(rng, 20_000, astral=astral)
        fast = native.search_spans(text)
        assert fast == python.search_spans(text)
        assert fast[0] and fast[1]  # the sample exercises both
        normalized = native.normalizer.normalize(text)
        hits, shift = native._scan(normalized.compact)
        kept, gapped, found = N._native.match_spans(
            hits, shift, normalized._offsets, normalized.base, native._flags, native._term_keys
        )
        slow_kept, slow_found = native._kept(normalized, hits, shift)
        assert found == slow_found and gapped  # the sample has gaps for the caller to judge
        judged = [hit for hit in gapped if native._gaps_ok(normalized, hit[0], -hit[1])]
        assert sorted(kept + judged) == sorted(slow_kept)


@pytest.mark.skipif(N._native is None, reason="the native extension was not built (no C compiler)")
def test_native_match_spans_refuses_what_is_not_a_hit() -> None:
    """A malformed hit or a span beyond the text is a Python exception, never a read outside the arrays."""
    offsets = memoryview(bytes(array.array("I", [0, 1, 2]))).cast("I")  # compact "ab" -> original 0, 1; then 2
    match_spans = N._native.match_spans
    assert match_spans([(0, 0, 2)], 0, offsets, "ab", b"\x00", 1) == ([(0, -2, 0)], [], {})
    for hits in ([(0, 0, 3)], [(1, 0, 1)], [(0, 1, 1)], [(0, -1, 1)]):
        with pytest.raises(ValueError, match="outside"):
            match_spans(hits, 0, offsets, "ab", b"\x00", 1)
    with pytest.raises(TypeError):
        match_spans([("0", 0, 1)], 0, offsets, "ab", b"\x00", 1)
    with pytest.raises(TypeError):
        match_spans([(0, 0)], 0, offsets, "ab", b"\x00", 1)
    with pytest.raises(ValueError, match="shift"):
        match_spans([], 2, offsets, "ab", b"\x00", 1)


def test_native_can_be_refused_and_required() -> None:
    assert Normalizer(native=False)._native is None
    if N._native is None:
        with pytest.raises(RuntimeError, match="not built"):
            Normalizer(native=True)
    else:
        assert Normalizer()._native is not None  # used by default where it was built


@pytest.mark.skipif(N._native is None, reason="the native extension was not built (no C compiler)")
def test_pickled_native_normalizer_rebuilds_its_table() -> None:
    """The compiled-rules cache pickles a Normalizer without the list table; the Python path rebuilds it."""
    import pickle

    fresh = Normalizer(native=True)
    loaded = pickle.loads(pickle.dumps(fresh))
    assert loaded._table_list is None
    assert loaded._table == N._fold_tables().table
    text = "穩賺ＶＸ 保\u200b本①"
    assert loaded.normalize(text).compact == fresh.normalize(text).compact == "稳赚vx保本1"
    assert loaded.removes("\u200b") and not loaded.removes("保")


def test_digit_runs_count_what_the_regex_rules_match(norm: Normalizer) -> None:
    """The patterns run on the `regex` module, whose Unicode tables may be newer than Python's: a digit
    only it knows (Kawi U+11F50 for regex 2026 on Python 3.11) must count, or a phone number goes unseen."""
    import regex

    newer = next(
        (chr(c) for c in range(0x10000, 0x20000) if regex.match(r"\d", chr(c)) and not chr(c).isdecimal()), None
    )
    if newer is None:
        pytest.skip("the regex module knows no digit that this Python does not")
    assert norm.normalize("138 1234 " + newer * 4).digit_run == 11
    assert norm.normalize(newer * 17).digit_run == 17


def test_digit_run_is_measured_on_the_folded_text(norm: Normalizer) -> None:
    """The longest run of ASCII digits after folding: the prefilter of the number-shaped regex rules."""
    assert norm.normalize("").digit_run == 0
    assert norm.normalize("电话 138 0013 8000").digit_run == 11  # digits one space or hyphen apart: one run
    assert norm.normalize("卡号6228-4800-1234-5671。").digit_run == 16
    assert norm.normalize("1998年1月1日").digit_run == 4
    assert norm.normalize("12  34，56 - 78，9-").digit_run == 2  # two separators, or a space and a hyphen, break it
    assert norm.normalize("-1 2-3 ").digit_run == 3
    assert norm.normalize("１３８００１３８０００").digit_run == 11  # full-width digits fold to ASCII
    assert norm.normalize("壹叁捌零零壹叁捌零零零").digit_run == 11  # so do Chinese numerals
    assert norm.normalize("a1b22c333").digit_run == 3
    # digits of other scripts do not fold to ASCII but are \d to the regex rules: they count too
    assert norm.normalize("13٩١٢٣٤٥٦٧٨").digit_run == 11  # Arabic-Indic
    assert norm.normalize("电话१२३४").digit_run == 4  # Devanagari


def test_lone_surrogates_fold_to_a_separator(norm: Normalizer) -> None:
    """A JSON string may carry a lone surrogate; the automaton cannot encode one, so it folds to U+FFFD."""
    result = norm.normalize("保\udcff本 vx\ud800")
    assert result.base == "保\ufffd本 vx\ufffd" and result.compact == "保本vx"
    matcher = Matcher(["保本", "vx"], norm)
    assert [m.text for m in matcher.find("保\udcff本 vx\ud800")] == ["保\udcff本", "vx"]
