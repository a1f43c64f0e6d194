"""`mediactl check`: every rule kind, normalisation, suppression, formats, exit codes, gate reports."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import write

EXAMPLE_CLIP = Path(__file__).resolve().parents[1] / "content/video/spring-festival-greeting/source.mp4"

HOUSE_PACK = """\
pack: house
title: 测试用规则
rules:
  - id: house.baoben
    kind: term
    severity: error
    message: 不得承诺保本
    source: 《广告法》第二十五条
    terms: [保本]
    allow: [非保本, 不保本]
    suggest: 非保本浮动收益
    examples: {match: [本产品保本, 保 本理财], no_match: [本产品非保本, 不保本也不保息]}
  - id: house.zero-risk
    kind: term
    severity: blocker
    message: 不得宣称零风险
    source: 《广告法》第二十五条
    terms: [零风险, 无风险]
    examples: {match: [零風險理财, 几乎无风险], no_match: [风险提示, 有风险]}
  - id: house.wm-disclosure
    kind: disclosure
    severity: error
    message: 理财产品宣传须提示风险
    source: 行业惯例
    trigger: [理财]
    require: [理财非存款、产品有风险、投资须谨慎]
    scope: variant
    when: {products: [理财]}
    examples: {match: [这款理财很好], no_match: [这款理财很好。理财非存款、产品有风险、投资须谨慎。, 今天天气很好]}
  - id: house.card
    kind: regex
    severity: error
    message: 不得展示银行卡号
    source: 《个人信息保护法》
    pattern: '(?<!\\d)\\d{16,19}(?!\\d)'
    validate: luhn
    examples: {match: [卡号4111111111111111], no_match: [卡号4111111111111112, 编号1234]}
  - id: house.first
    kind: occurrence
    severity: warning
    message: “领先”最多出现一次
    source: 内部规范
    terms: [领先]
    max: 1
    scope: paragraph
    examples: {match: [领先领先], no_match: [领先, 一路向前]}
  - id: house.diversion
    kind: term
    severity: error
    message: 抖音不得引导加微信
    source: 平台规范
    terms: [加微信]
    when: {platforms: [douyin]}
    examples: {match: [请加微信咨询], no_match: [请致电咨询, 微信支付]}
"""


@pytest.fixture
def house(minimal: Path) -> Path:
    """The minimal project with only the house pack in force."""
    config = minimal / "mediactl.yaml"
    config.write_text(config.read_text("utf-8") + "compliance:\n  packs: []\n", "utf-8")
    write(minimal / "compliance/house.yaml", HOUSE_PACK)
    return minimal


def item(root: Path, slug: str, body: str, *, front: str = "") -> Path:
    return write(
        root / f"content/article/{slug}/index.md",
        f"---\ntitle: 测试文章\nchannels: [outbox]\nproducts: [理财]\n{front}---\n\n{body}\n",
    )


def run_json(cli, root: Path, *args: str) -> tuple[int, dict]:
    result = cli(root, "check", "--format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def test_clean_item_passes_and_writes_a_gate_report(cli, house: Path) -> None:
    item(house, "ok", "这款理财产品为非保本浮动收益型。\n\n理财非存款、产品有风险、投资须谨慎。")
    code, data = run_json(cli, house)
    assert code == 0, data
    assert data["summary"]["failing"] == 0
    report = json.loads((house / ".mediactl/reports/outbox/ok.json").read_text("utf-8"))
    manifest = json.loads((house / "build/outbox/ok/manifest.json").read_text("utf-8"))
    assert report["passed"] is True
    assert report["content_hash"] == manifest["content_hash"]


def test_term_with_allowed_context_position_and_suggestion(cli, house: Path) -> None:
    item(house, "a", "第一段。\n\n本产品非保本，\n但我们承诺保**本**。\n\n理财非存款、产品有风险、投资须谨慎。")
    code, data = run_json(cli, house)
    assert code == 1
    source = [f for f in data["findings"] if f["rule"] == "house.baoben" and not f["channel"]]
    assert [(f["file"], f["line"], f["column"], f["matched"], f["suggestion"]) for f in source] == [
        ("content/article/a/index.md", 10, 6, "保本", "非保本浮动收益")  # the visible text, at 保
    ]


@pytest.mark.parametrize(
    ("text", "normalisations"),
    [
        ("保 本", ["separator"]),
        ("保\u200b本", ["invisible"]),
        ("零風險", ["traditional"]),
    ],
)
def test_evasions_are_found_and_named(cli, house: Path, text: str, normalisations: list[str]) -> None:
    item(house, "e", f"我们{text}。\n\n理财非存款、产品有风险、投资须谨慎。")
    _, data = run_json(cli, house, "--no-render")
    found = [f for f in data["findings"] if not f["channel"] and f["rule"].startswith("house.")]
    assert [f["matched"] for f in found] == [text]
    assert found[0]["normalisations"] == normalisations


def test_disclosure_required_only_for_its_products(cli, house: Path) -> None:
    item(house, "wm", "这款理财产品期限180天。")
    _, data = run_json(cli, house, "--no-render")
    assert "house.wm-disclosure" in {f["rule"] for f in data["findings"]}
    write(house / "content/article/wm/index.md", "---\ntitle: 反诈\nchannels: [outbox]\n---\n\n警惕虚假理财骗局。\n")
    _, data = run_json(cli, house, "--no-render")
    assert "house.wm-disclosure" not in {f["rule"] for f in data["findings"]}


def test_render_adds_a_missing_disclosure_to_the_variant(cli, house: Path) -> None:
    item(house, "wm", "这款理财产品期限180天。")
    assert cli(house, "render").exit_code == 0
    body = (house / "build/outbox/wm/body.md").read_text("utf-8")
    assert body.endswith("理财非存款、产品有风险、投资须谨慎")
    _, data = run_json(cli, house)
    variant = [f for f in data["findings"] if f["channel"] == "outbox"]
    assert "house.wm-disclosure" not in {f["rule"] for f in variant}


def test_regex_with_luhn_and_occurrence_per_paragraph(cli, house: Path) -> None:
    item(
        house,
        "r",
        "卡号4111111111111111，另一个4111111111111112。\n\n领先领先。\n\n领先。\n\n理财非存款、产品有风险、投资须谨慎。",
    )
    _, data = run_json(cli, house, "--no-render")
    rules = sorted(f["rule"] for f in data["findings"] if not f["channel"])
    assert rules == ["house.card", "house.first"]


def test_platform_profile_applies_to_variants_only(cli, house: Path) -> None:
    config = house / "mediactl.yaml"
    config.write_text(
        config.read_text("utf-8").replace("compliance:", "  dy:\n    platform: douyin\ncompliance:"), "utf-8"
    )
    write(
        house / "content/video/v/index.md",
        "---\ntitle: 新春视频\nkind: video\nchannels: [outbox, dy]\nsummary: 请加微信咨询\nassets: [a.mp4]\n---\n",
    )
    (house / "content/video/v/a.mp4").write_bytes(
        EXAMPLE_CLIP.read_bytes()
    )  # a real clip: douyin's variant transcodes it
    _, data = run_json(cli, house)
    where = {(f["channel"], f["rule"]) for f in data["findings"]}
    assert ("dy", "house.diversion") in where
    assert ("outbox", "house.diversion") not in where and ("", "house.diversion") not in where


def test_inline_and_front_matter_allowances(cli, house: Path) -> None:
    body = (
        '<!-- mediactl: allow house.baoben reason="合同约定保本，法务已审" -->\n本结构性存款保本。\n\n'
        '<!-- mediactl: allow house.zero-risk reason="试图豁免" -->\n零风险。\n\n'
        "<!-- mediactl: allow house.first -->\n领先领先。\n\n理财非存款、产品有风险、投资须谨慎。"
    )
    item(house, "s", body)
    code, data = run_json(cli, house)
    assert code == 1
    allowed = [(f["rule"], f["suppressed"]) for f in data["suppressed"] if not f["channel"]]
    assert allowed == [("house.baoben", "合同约定保本，法务已审 (content/article/s/index.md:7)")]
    assert {f["channel"] for f in data["suppressed"] if f["rule"] == "house.baoben"} == {"", "outbox"}
    active = {(f["rule"], f["channel"]) for f in data["findings"]}
    assert ("house.zero-risk", "") in active  # a blocker cannot be allowed
    assert ("mediactl.suppression", "") in active  # an allowance without a reason is itself a finding
    write(
        house / "content/article/s/index.md",
        "---\ntitle: t\nchannels: [outbox]\nallow:\n  - {rule: house.first, reason: 品牌口号}\n---\n\n领先领先。\n",
    )
    code, data = run_json(cli, house)
    assert code == 0 and [f["rule"] for f in data["suppressed"]] == ["house.first", "house.first"]


def test_output_formats(cli, house: Path) -> None:
    item(house, "f", "本产品保本。\n\n理财非存款、产品有风险、投资须谨慎。")
    line = cli(house, "check", "--format", "line", "--no-render")
    assert line.exit_code == 1
    assert (
        "content/article/f/index.md:7:4: error house.baoben: 不得承诺保本 「保本」 (建议: 非保本浮动收益)"
        in line.stdout
    )
    github = cli(house, "check", "--format", "github", "--no-render")
    assert (
        "::error file=content/article/f/index.md,line=7,col=4,title=house.baoben::不得承诺保本 「保本」 建议: 非保本浮动收益"
        in github.stdout
    )
    sarif = json.loads(cli(house, "check", "--format", "sarif").stdout)
    run = sarif["runs"][0]
    assert sarif["version"] == "2.1.0" and run["tool"]["driver"]["name"] == "mediactl"
    result = run["results"][0]
    assert result["ruleId"] == "house.baoben" and result["level"] == "error"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] in (1, 7)
    table = cli(house, "check", "--no-render")
    assert "house.baoben" in table.stdout and table.exit_code == 1


SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"  # the official schema (tests/data/README.md)


def test_sarif_output_validates_against_the_official_schema(cli, house: Path) -> None:
    import jsonschema

    item(house, "f", "本产品保本。\n\n零风险理财。\n\n领先领先。\n\n理财非存款、产品有风险、投资须谨慎。")
    item(house, "g", '<!-- mediactl: allow house.baoben reason="引用监管原文" -->\n本产品保本。')
    result = cli(house, "check", "--format", "sarif")
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    schema = json.loads(SARIF_SCHEMA.read_text("utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]
    assert problems == []
    run = document["runs"][0]
    results = run["results"]
    assert {r["ruleId"] for r in results} >= {"house.baoben", "house.zero-risk", "house.first"}
    assert any(r.get("suppressions") for r in results)
    assert run["columnKind"] == "unicodeCodePoints"  # our columns count code points, not UTF-16 units
    for found in results:  # a suggestion that is advice, not a replacement, is said, never offered as an edit
        assert all(fix.get("artifactChanges") for fix in found.get("fixes", []))
    baoben = next(r for r in results if r["ruleId"] == "house.baoben" and not r.get("suppressions"))
    assert "非保本浮动收益" in baoben["message"]["text"]


def test_fail_on_and_exit_codes(cli, house: Path) -> None:
    item(house, "w", "领先领先。\n\n理财非存款、产品有风险、投资须谨慎。")
    assert cli(house, "check").exit_code == 0  # a warning does not fail by default
    assert cli(house, "check", "--fail-on", "warning").exit_code == 1
    bad = cli(house, "check", "--fail-on", "fatal")
    assert bad.exit_code == 2 and "unknown severity 'fatal'" in bad.stderr


def test_broken_pack_is_a_usage_error_with_file_and_line(cli, house: Path) -> None:
    write(
        house / "compliance/broken.yaml",
        "pack: broken\nrules:\n  - id: broken.x\n    kind: regex\n    severity: error\n    message: m\n    source: s\n    pattern: '(unclosed'\n    examples: {match: [a, b], no_match: [c, d]}\n",
    )
    result = cli(house, "check")
    assert result.exit_code == 2
    assert "compliance/broken.yaml:8:5: rules[0].pattern: the pattern does not compile" in result.stderr


def test_failing_self_test_blocks_checking(cli, house: Path) -> None:
    write(
        house / "compliance/house.yaml",
        HOUSE_PACK.replace("no_match: [本产品非保本, 不保本也不保息]", "no_match: [本产品保本]"),
    )
    result = cli(house, "check")
    assert result.exit_code == 2
    assert "rule house.baoben: example '本产品保本' must not match but does" in result.stderr
    assert cli(house, "rules", "test").exit_code == 1


def test_rules_ls_and_test(cli, house: Path) -> None:
    listed = json.loads(cli(house, "rules", "ls", "--json").stdout)
    assert [r["id"] for r in listed] == [  # sorted by id (issue 16), not in the order of the pack
        "house.baoben",
        "house.card",
        "house.diversion",
        "house.first",
        "house.wm-disclosure",
        "house.zero-risk",
    ]
    tested = cli(house, "rules", "test")
    assert tested.exit_code == 0 and "examples of 6 rules pass" in tested.stdout


def test_ad_hoc_files_in_any_repository(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(
        tmp_path / "subs.srt",
        "1\n00:00:00,000 --> 00:00:02,000\n稳赚不赔的理财\n\n2\n00:00:02,000 --> 00:00:04,000\n新春快乐\n",
    )
    write(tmp_path / "page.html", "<p>本产品<b>保</b>本保息</p>")
    result = cli(None, "check", "subs.srt", "page.html", "--format", "line", "--platform", "douyin")
    assert result.exit_code == 1, result.output
    assert any(line.startswith("subs.srt:3:") for line in result.stdout.splitlines())
    assert any(line.startswith("page.html:1:") for line in result.stdout.splitlines())


def test_changed_checks_only_items_changed_against_a_ref(cli, house: Path) -> None:
    item(house, "old", "本产品保本。")
    git = ["git", "-C", str(house)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "x"], check=True)
    item(house, "new", "理财非存款、产品有风险、投资须谨慎。")
    _, data = run_json(cli, house, "--changed", "HEAD")
    assert {f["item"] for f in data["findings"]} <= {"new"}


def test_changed_outside_a_git_repository_is_one_clear_error(cli, house: Path, monkeypatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(house.parent))  # never find a repository above tmp_path
    item(house, "old", "本产品保本。")
    result = cli(house, "check", "--changed", "origin/main")
    assert result.exit_code == 2, result.output
    assert "is not in a git repository" in result.stderr and "origin/main" in result.stderr
    assert "usage:" not in result.stderr and "--no-index" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.startswith("Error")]) == 1


@pytest.mark.parametrize("ref", ["no-such-branch", "HEAD"])  # HEAD: a repository with no commit yet
def test_changed_with_an_unknown_ref_is_one_clear_error(cli, house: Path, monkeypatch, ref: str) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(house.parent))
    subprocess.run(["git", "-C", str(house), "init", "-q"], check=True)
    result = cli(house, "check", "--changed", ref)
    assert result.exit_code == 2, result.output
    assert f"--changed {ref}: git knows no commit '{ref}'" in result.stderr
    assert "usage:" not in result.stderr and "fatal:" not in result.stderr


def test_the_example_library_passes(cli, example: Path) -> None:
    result = cli(example, "check", "--format", "line")
    assert result.exit_code == 0, result.output


def test_ordinals_and_chinese_numerals_are_not_evasions(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "a.txt", "我的第一篇：防范电信诈骗\n\n手机银行满意度第一\n\n满意度第①\n")
    result = cli(None, "check", "a.txt", "--format", "json")
    found = json.loads(result.stdout)["findings"]
    first = [(f["line"], f["normalisations"]) for f in found if f["rule"] == "adlaw.rank.bare-first"]
    assert first == [(3, []), (5, ["number"])]


def test_regex_prefilter_requires(cli, house: Path) -> None:
    """`requires` lets a regex run only where one of its literals is; an example without one is a broken pack."""
    rule = (
        "pack: pre\nrules:\n  - id: pre.rate\n    kind: regex\n    severity: error\n    message: m\n    source: s\n"
        "    pattern: '稳赚\\d+%'\n    requires: ['{literal}']\n"
        "    examples: {{match: [稳赚8%], no_match: [稳健]}}\n"
    )
    write(house / "compliance/pre.yaml", rule.format(literal="%"))
    item(house, "ok", "理财非存款、产品有风险、投资须谨慎。稳赚８％！")  # full-width: the literal is matched folded
    code, data = run_json(cli, house)
    assert code == 1 and {f["matched"] for f in data["findings"] if f["rule"] == "pre.rate"} == {"稳赚８％"}
    write(house / "compliance/pre.yaml", rule.format(literal="年化"))
    result = cli(house, "check")
    assert result.exit_code == 2
    assert "rule pre.rate: example '稳赚8%' holds none of 'requires'" in result.stderr
    digits = rule.format(literal="%").replace("    requires: ['%']\n", "    requires_digits: 3\n")
    write(house / "compliance/pre.yaml", digits)
    result = cli(house, "check")
    assert result.exit_code == 2
    assert "rule pre.rate: example '稳赚8%' has no run of 3 digits ('requires_digits')" in result.stderr
    write(house / "compliance/pre.yaml", rule.format(literal="%").replace("kind: regex", "kind: term\n    terms: [x]"))
    result = cli(house, "check")
    assert result.exit_code == 2 and "only a regex rule has 'requires'" in result.stderr


def test_json_lines_are_exactly_what_json_dumps_writes() -> None:
    from mediactl.check.findings import Finding
    from mediactl.check.report import json_lines

    tricky = 'a"b\\c\n\t\x00\u2028 保本 🔥 \ud800'  # quotes, escapes, controls, a line separator, a lone surrogate
    findings = [
        Finding("x.md", 1, 2, "r.id", "error", tricky, "保本", "s"),
        Finding(
            tricky,
            3,
            4,
            "r.id",
            "warning",
            "m",
            tricky,
            tricky,
            tricky,
            "body",
            "slug",
            "weibo",
            ("width", "separator"),
            tricky,
        ),
    ]
    assert json_lines(findings) == [json.dumps(f.to_dict(), ensure_ascii=False) for f in findings]


@pytest.mark.parametrize("secrets", [[], ["保本-sEcret-1"], ["lone-\udcff-secret", "保本-sEcret-1"]])
def test_json_batches_made_as_bytes_are_the_text_encoded_and_redacted(monkeypatch, secrets: list[str]) -> None:
    """A worker's JSON batch for a UTF-8 stream is made as bytes (each distinct string encoded once): byte for byte
    the lines made as text, redacted and encoded whole. A secret with no UTF-8 form takes the text path."""
    from mediactl.check import output as out
    from mediactl.check.findings import Finding
    from mediactl.core import redaction
    from mediactl.core.redaction import redact_known

    monkeypatch.setattr(redaction, "_longest_first", secrets)
    tricky = 'a"b\\c\n\t\x00\u2028 保本 🔥 \ud800 保本-sEcret-1 lone-\udcff-secret'
    findings = [
        Finding("x.md", 1, 2, "r.id", "error", tricky, "保本", "s"),
        Finding(
            tricky, 3, 4, "r.id", "warning", "m", tricky, tricky, tricky, "body", "slug", "weibo", ("width",), "ok"
        ),
        Finding("p.png", 1, 1, "r.id", "info", "m", "保本", "s", region=(1, 2, 30, 40), time=12.5),
    ]
    made_as_text = []
    formatted = out._formatted
    monkeypatch.setattr(out, "_formatted", lambda *a: made_as_text.append(a) or formatted(*a))
    for target in (out.Target("utf-8", out.JSON_ESCAPE, True), out.Target()):  # a binary stdout; the text path
        with out.Output("json") as output:
            output.target = target
            part = output.part(findings)
        active, allowed = formatted("json", findings)
        expected = target.encode(redact_known(active)), target.encode(redact_known(allowed))
        assert (part.active, part.suppressed) == expected
        assert (b"sEcret" in part.active + part.suppressed) is not bool(secrets)
    assert len(made_as_text) == (2 if any("\udcff" in s for s in secrets) else 0)


def test_many_files_in_worker_processes_give_the_same_findings(tmp_path: Path, monkeypatch) -> None:
    """Forked workers check batches of files; their findings equal a one-process run, in the same order."""
    from mediactl.check import runner
    from mediactl.check.findings import SORT_KEY
    from mediactl.check.output import Output

    monkeypatch.setattr(runner, "FILES_PER_BATCH", 16)
    files = []
    for n in range(2 * runner.PER_WORKER + 3):
        files.append(write(tmp_path / f"f{n:03d}.txt", f"第{n}篇：本产品保本保息，稳赚不赔。\n\n联系 13800138000"))
    one, many = Output(), Output()
    runner.check_files(files, platform=None, products=None, config=None, output=one, jobs=1)
    runner.check_files(files, platform=None, products=None, config=None, output=many, jobs=2)
    assert len(one.findings) > 2 * len(files) and many.findings == one.findings
    assert one.findings == sorted(one.findings, key=SORT_KEY) and many.tally == one.tally


@pytest.mark.parametrize("fmt", ["json", "line", "github"])
def test_streamed_formats_are_the_same_from_worker_processes(tmp_path: Path, monkeypatch, fmt: str) -> None:
    """JSON, line and GitHub output is formatted in the workers, batch by batch: the bytes equal a one-process run."""
    import io

    from mediactl.check import runner
    from mediactl.check.output import Output

    monkeypatch.setattr(runner, "FILES_PER_BATCH", 16)
    files = [
        write(
            tmp_path / f"f{n:03d}.txt",
            f'第{n}篇：本产品保本保息。<!-- mediactl: allow finance.promise.principal reason="测试" -->\n\n保本',
        )
        for n in range(2 * runner.PER_WORKER + 3)
    ]
    written = []
    for jobs in (1, 2):
        with Output(fmt) as output:
            runner.check_files(
                list(reversed(files)), platform=None, products=None, config=None, output=output, jobs=jobs
            )
            output.write(out := io.StringIO(), {"variants": 0})
        written.append(out.getvalue())
    assert written[0] == written[1]
    if fmt == "json":
        data = json.loads(written[0])
        assert data["summary"]["findings"] == len(data["findings"]) == len(files)  # 保息
        assert data["summary"]["suppressed"] == len(data["suppressed"]) == 2 * len(files)  # 保本, twice
        assert [f["file"] for f in data["findings"]] == sorted(f["file"] for f in data["findings"])


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("联系电话13٩١٢٣٤٥٦٧٨", "pii.mobile"),  # Arabic-Indic digits mixed in: still a phone number to \\d
        ("请致电021-٦١٢٣٤٥٦٧", "pii.landline"),
        ("卡号62٢٢٠٢١٢٣٤٥٦٧٨٩٠١٢٨", "pii.bank-card"),
    ],
)
def test_number_rules_see_digits_of_any_script(cli, tmp_path: Path, monkeypatch, text: str, rule: str) -> None:
    """The digit-run prefilter counts what the patterns' \\d matches, so mixing digit scripts does not hide a number."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "note.txt", text)
    data = json.loads(cli(None, "check", "note.txt", "--format", "json").stdout)
    assert rule in {f["rule"] for f in data["findings"]}


def test_number_rules_see_digits_only_the_regex_module_knows(cli, tmp_path: Path, monkeypatch) -> None:
    """The digit-run prefilter counts with the patterns' own \\d (regex's Unicode tables, newer than Python's)."""
    import regex

    newer = next(
        (chr(c) for c in range(0x10000, 0x20000) if regex.match(r"\d", chr(c)) and not chr(c).isdecimal()), None
    )
    if newer is None:
        pytest.skip("the regex module knows no digit that this Python does not")
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "note.txt", f"电话138 1234 {newer * 4}")
    result = cli(None, "check", "note.txt", "--format", "json")
    assert "pii.mobile" in {f["rule"] for f in json.loads(result.stdout)["findings"]} and result.exit_code == 1


def test_sort_keys_follow_the_field_names() -> None:
    """SORT_KEY and PLACE_KEY pick fields by position (fast); a reordered Finding must not reorder reports."""
    from mediactl.check.findings import SORT_KEY, Finding

    f = Finding("a.md", 3, 4, "r.id", "error", "m", "x", "s", "", "body", "slug", "weibo")
    assert SORT_KEY(f) == (f.item, f.channel, f.file, f.line, f.column, f.rule)
    assert f[:4] == (f.file, f.line, f.column, f.rule)  # a file's findings sort as plain tuples


def test_joined_segments_text_and_starts() -> None:
    """The engine joins a file's paragraphs with breaks and knows where each starts in the joined text."""
    from mediactl.check import engine
    from mediactl.check.extract import extract_text

    joined = engine._Joined(extract_text("一\n\n二三\n\n\n四五六🔥", "x.txt"))
    assert (joined.text, joined.starts) == ("一\n\n二三\n\n四五六🔥", [0, 3, 7])
    assert (engine._Joined([]).text, engine._Joined([]).starts) == ("", [])


def _written(fmt: str, findings: list, encoding: str, errors: str = "strict", newline: str = "\n") -> bytes:
    """What Output writes for `findings` to a stdout-like text stream with these settings."""
    import io

    from mediactl.check.output import Output

    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding=encoding, errors=errors, newline=newline, write_through=True)
    with Output(fmt, stream=stream) as output:
        output.add(findings)
        output.write(stream, {"variants": 0})
    stream.flush()
    return raw.getvalue()


@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "utf-8-sig", "utf-16", "ascii"])
def test_streamed_json_is_valid_in_any_stdout_encoding(encoding: str) -> None:
    """Workers encode for stdout: what its encoding cannot hold (🔥 in GBK) becomes a JSON escape, and a
    byte-order mark appears once, at the start, as the text layer writes it."""
    from mediactl.check.findings import Finding

    findings = [Finding("稿件.md", n, 2, "r.id", "error", "不得承诺保本🔥", "保本", "《广告法》") for n in range(1, 4)]
    data = _written("json", findings, encoding)
    text = data.decode(encoding)  # one BOM at most, consumed here (utf-8-sig, utf-16)
    assert "\ufeff" not in text
    document = json.loads(text)
    assert [f["message"] for f in document["findings"]] == ["不得承诺保本🔥"] * 3
    assert document["summary"]["findings"] == 3


def test_streamed_output_follows_the_platform_newline_and_error_policy(monkeypatch) -> None:
    """CRLF on Windows for every line (the findings' bytes too); surrogate-escaped file names (a C locale)
    come out as the bytes they were read from, as the text layer writes them."""
    import os

    from mediactl.check.findings import Finding

    monkeypatch.setattr(os, "linesep", "\r\n")
    findings = [Finding("a.md", n, 1, "r.id", "error", "m", "保本", "s") for n in (1, 2)]
    data = _written("json", findings, "utf-8", newline="\r\n")
    assert data.count(b"\n") == data.count(b"\r\n") > 4
    assert len(json.loads(data.decode())["findings"]) == 2
    monkeypatch.setattr(os, "linesep", "\n")
    name = b"\xff\xfe.md".decode("utf-8", "surrogateescape")
    data = _written("line", [Finding(name, 1, 1, "r.id", "error", "m", "保本", "s")], "utf-8", "surrogateescape")
    assert data.startswith(b"\xff\xfe.md:1:1: error r.id")


@pytest.mark.parametrize(
    ("encoding", "errors", "newline", "linesep"),
    [
        ("ascii", "surrogateescape", "\n", "\n"),  # a C locale without UTF-8 mode
        ("gbk", "strict", "\n", "\n"),
        ("utf-8-sig", "strict", "\n", "\n"),
        ("utf-16", "strict", "\n", "\n"),
        ("utf-8", "strict", "\r\n", "\r\n"),  # Windows
        ("utf-8", "strict", "", "\r\n"),  # Windows, a stream that does not translate (pytest's capture)
    ],
)
def test_streamed_lines_are_what_the_stream_itself_would_write(monkeypatch, encoding, errors, newline, linesep) -> None:
    """Line output equals the stream's own text layer writing each line, except that what its encoding
    cannot hold is backslash-escaped instead of failing the check."""
    import io
    import os

    from mediactl.check import report
    from mediactl.check.findings import Finding

    monkeypatch.setattr(os, "linesep", linesep)
    findings = [Finding("稿件.md", n, 1, "r.id", "error", "不得承诺保本🔥", "保本", "s") for n in (1, 2)]
    raw = io.BytesIO()
    expected = io.TextIOWrapper(raw, encoding=encoding, errors="backslashreplace", newline=newline, write_through=True)
    for finding in findings:
        expected.write(report.line_format(finding) + "\n")
    assert _written("line", findings, encoding, errors, newline) == raw.getvalue()


def test_files_are_checked_once_however_they_are_named(cli, tmp_path: Path, monkeypatch) -> None:
    """a/b.md, ./a/b.md, a/../a/b.md and the absolute path are one file: one finding; `..md` is Markdown."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "a/b.md", "本产品保本。")
    write(tmp_path / "..md", "本产品保本。")
    names = ["a/b.md", "./a/b.md", "a/../a/b.md", str(tmp_path / "a/b.md"), "..md"]
    data = json.loads(cli(None, "check", *names, "--format", "json").stdout)
    assert sorted((f["file"], f["rule"]) for f in data["findings"]) == [
        ("..md", "finance.promise.principal"),
        ("a/b.md", "finance.promise.principal"),
    ]


def test_ad_hoc_checks_in_a_project_follow_its_config_as_it_changes(cli, house: Path, monkeypatch) -> None:
    """An ad hoc check reads the project's check settings from a cache keyed by mediactl.yaml: a change
    to the file takes effect at once, its warnings show on every run, and a broken file is an error."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(house / "cache"))
    monkeypatch.chdir(house)
    write(house / "note.txt", "本产品保本。")
    config = house / "mediactl.yaml"
    original = config.read_text("utf-8")

    def rules() -> set[str]:
        result = cli(None, "check", "note.txt", "--format", "json")
        assert result.exit_code in (0, 1), result.output
        return {f["rule"] for f in json.loads(result.stdout)["findings"]}

    assert rules() == {"house.baoben"}
    assert rules() == {"house.baoben"}  # from the cache
    config.write_text(original + "rendr: {}\n", "utf-8")  # an unknown key: a warning
    config.write_text(
        config.read_text("utf-8").replace("  packs: []\n", "  packs: []\n  disable: [house.baoben]\n"), "utf-8"
    )
    for _ in range(2):  # read, then cached: the warning is shown both times
        result = cli(None, "check", "note.txt", "--format", "json")
        assert result.exit_code == 0 and json.loads(result.stdout)["findings"] == []
        assert "unknown key 'rendr'" in result.stderr
    config.write_text(original + "compliance: [\n", "utf-8")
    broken = cli(None, "check", "note.txt", "--format", "json")
    assert broken.exit_code == 2 and "mediactl.yaml" in broken.stderr
