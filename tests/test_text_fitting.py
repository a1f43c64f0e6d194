"""Text fitting in render: whole sentences, a read-more line where links are allowed, and a warning naming the
field when only a clause fits; the example library never ends a field mid-clause."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import regex

from mediactl.text import textfit

SENTENCE_END = regex.compile(r"[。！？!?.][」』”’）》】\"')\]]*\Z")
CLAUSE_MARKS = "，、；：,;:\n"


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, textfit.Fitted, str]]:
    """Every text the `fit` filter shortened: (source, result, ellipsis); in process (render --jobs 1)."""
    calls: list[tuple[str, textfit.Fitted, str]] = []
    real = textfit.fit_text

    def spy(text: str, limit: int, mode: str = "chars", ellipsis: str = "…") -> textfit.Fitted:
        fitted = real(text, limit, mode, ellipsis)
        if fitted.cut:
            calls.append((text, fitted, ellipsis))
        return fitted

    monkeypatch.setattr(textfit, "fit_text", spy)
    return calls


def test_no_fitted_field_of_the_example_library_ends_mid_clause(cli, example: Path, recorded) -> None:
    result = cli(example, "render", "--jobs", "1", "--json")
    assert result.exit_code == 0, result.output
    assert recorded, "the example library has no text long enough to be shortened: the test would prove nothing"
    for source, fitted, ellipsis in recorded:
        assert fitted.cut in ("sentence", "clause"), (source[:40], fitted)
        kept = fitted.text.removesuffix(ellipsis) if fitted.cut == "clause" else fitted.text
        assert source.startswith(kept)
        if fitted.cut == "sentence":
            assert SENTENCE_END.search(kept), fitted.text[-20:]
        else:  # the source goes on with a pause mark right there: the clause is whole
            assert source[len(kept) :].lstrip(" ")[:1] in CLAUSE_MARKS, fitted.text[-20:]
    body = (example / "build/bank-xhs/anti-fraud-2026/body.txt").read_text("utf-8")
    text, _, tags = body.rpartition("\n\n")
    assert tags.startswith("#") and text.endswith("。") and "不要…" not in body
    assert not any(v["warnings"] for v in json.loads(result.stdout)["variants"])


def _narrow(example: Path, channel: str, limits: str) -> None:
    config = example / "mediactl.yaml"
    text = config.read_text("utf-8")
    anchor = f"  {channel}:\n"
    assert anchor in text
    config.write_text(text.replace(anchor, f"{anchor}    limits: {limits}\n", 1), "utf-8")


def test_a_clause_fallback_is_a_render_warning_naming_the_field(cli, example: Path) -> None:
    _narrow(example, "bank-xhs", "{title: 8}")  # 守好钱袋子，谨防电信网络诈骗: one sentence of 14
    result = cli(example, "render", "anti-fraud-2026", "--channel", "bank-xhs", "--json")
    assert result.exit_code == 0, result.output
    (variant,) = json.loads(result.stdout)["variants"]
    assert (example / "build/bank-xhs/anti-fraud-2026/title.txt").read_text("utf-8") == "守好钱袋子…"
    (warning,) = variant["warnings"]
    assert "field 'title'" in warning and "at a clause" in warning
    manifest = json.loads((example / "build/bank-xhs/anti-fraud-2026/manifest.json").read_text("utf-8"))
    assert manifest["warnings"] == [warning]
    shown = cli(example, "render", "anti-fraud-2026", "--channel", "bank-xhs", "--force")
    assert "bank-xhs/anti-fraud-2026: field 'title'" in shown.stderr


def test_a_shortened_text_points_to_the_full_article_where_links_are_allowed(cli, example: Path) -> None:
    index = example / "content/article/wealth-steady-plus/index.md"
    longer = (
        "本产品为固收类理财产品，持有期180天，到期后自动赎回至活期账户。过往业绩不代表未来表现，请谨慎选择。"
        "具体以产品说明书为准，详情请咨询客户经理或拨打客服热线。我们将持续为您提供稳健的财富管理服务。"
    )
    index.write_text(index.read_text("utf-8").replace("投资须谨慎。\n", f"投资须谨慎。{longer}\n", 1), "utf-8")
    _narrow(example, "bank-wecom", "{text: 140}")  # 159 in all: the title, a sentence, the read-more line
    result = cli(example, "render", "wealth-steady-plus", "--channel", "bank-wecom", "--json")
    assert result.exit_code == 0, result.output
    manifest = json.loads((example / "build/bank-wecom/wealth-steady-plus/manifest.json").read_text("utf-8"))
    text = manifest["texts"]["text"]
    kept, _, more = text.rpartition("\n")
    assert more == f"阅读全文：{manifest['link']}" and manifest["link"].startswith("https://")
    assert SENTENCE_END.search(kept) and longer not in kept and len(text) <= 140
    assert manifest["warnings"] == []


def test_no_read_more_line_where_the_platform_allows_no_links(cli, example: Path) -> None:
    _narrow(example, "bank-xhs", "{body: 120}")
    result = cli(example, "render", "anti-fraud-2026", "--channel", "bank-xhs")
    assert result.exit_code == 0, result.output
    body = (example / "build/bank-xhs/anti-fraud-2026/body.txt").read_text("utf-8")
    assert "阅读全文" not in body and "http" not in body
    assert body.rpartition("\n\n")[0].endswith("。")
