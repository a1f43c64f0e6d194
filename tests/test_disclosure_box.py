"""Issue 16: the WeChat article boxes every disclosure in force (醒目), in the item's own wording where its text
has one; other templates append only what is missing. Asked through the provider plug-in contract's optional
`in_force`, with the missing sentences standing in for a provider that lacks it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mediactl.render import hooks

RISK = "理财非存款、产品有风险、投资须谨慎"
WEALTH = Path("content") / "article" / "wealth-steady-plus" / "index.md"


def _box(example: Path, slug: str) -> str | None:
    """The text of the bordered disclosure box in a rendered WeChat article, None where there is none."""
    body = (example / "build" / "bank-wechat" / slug / "content.html").read_text("utf-8")
    box = re.search(r'<section style="[^"]*border:2px solid[^"]*">(.*?)</section>', body)
    return None if box is None else re.sub(r"<[^>]+>", "\n", box.group(1))


def _manifest(example: Path, channel: str, slug: str) -> dict:
    return json.loads((example / "build" / channel / slug / "manifest.json").read_text("utf-8"))


def test_the_wealth_item_that_words_its_disclosure_still_gets_the_box(cli, example: Path) -> None:
    """The example words the risk sentence in its body: WeChat boxes it anyway, nothing is appended elsewhere."""
    for channel in ("bank-wechat", "website"):
        result = cli(example, "render", "--channel", channel)
        assert result.exit_code == 0, result.output
    box = _box(example, "wealth-steady-plus")
    assert box is not None and "风险提示" in box and RISK in box
    assert _manifest(example, "bank-wechat", "wealth-steady-plus")["disclosures"] == []  # nothing was missing
    website = _manifest(example, "website", "wealth-steady-plus")
    assert website["disclosures"] == []


def test_the_box_quotes_the_items_own_wording(cli, example: Path) -> None:
    """Worded with commas (accepted: check ignores the punctuation), the box shows the commas, not the rule's 、."""
    item = example / WEALTH
    own = "理财非存款，产品有风险，投资须谨慎"
    item.write_text(item.read_text("utf-8").replace(RISK, own), "utf-8")
    result = cli(example, "render", "--channel", "bank-wechat")
    assert result.exit_code == 0, result.output
    box = _box(example, "wealth-steady-plus")
    assert box is not None and own in box and RISK not in box


def test_a_missing_disclosure_is_boxed_in_the_rules_wording(cli, example: Path) -> None:
    item = example / WEALTH
    item.write_text(item.read_text("utf-8").replace(RISK, "请您理性投资"), "utf-8")
    result = cli(example, "render", "--channel", "bank-wechat")
    assert result.exit_code == 0, result.output
    box = _box(example, "wealth-steady-plus")
    assert box is not None and box.count(RISK) == 1
    assert _manifest(example, "bank-wechat", "wealth-steady-plus")["disclosures"] == [RISK]


def test_an_item_without_products_gets_no_box(cli, example: Path) -> None:
    result = cli(example, "render", "--channel", "bank-wechat")
    assert result.exit_code == 0, result.output
    assert _box(example, "anti-fraud-2026") is None


class _Provider:
    """A third party's provider: always missing one sentence; `in_force` optional."""

    def __init__(self, missing: list[str], in_force: list[str] | None = None) -> None:
        self.missing = missing
        if in_force is not None:
            self.in_force = lambda item, channel, config: in_force

    def __call__(self, item: object, channel: object, config: object) -> list[str]:
        return self.missing

    def digest(self, config: object) -> str:
        return "test"


@pytest.fixture
def only(monkeypatch):
    """Ask only the given providers (none of the installed ones)."""

    def use(*providers: object) -> None:
        monkeypatch.setattr(hooks, "providers", lambda: list(providers))

    return use


def test_a_provider_without_in_force_answers_with_its_missing_sentences(only) -> None:
    only(_Provider(["甲"]), _Provider(["乙"], in_force=["乙", "丙"]), _Provider(["丙"]))
    item = channel = config = None
    assert hooks.disclosures_in_force(item, channel, config) == ["甲", "乙", "丙"]  # type: ignore[arg-type]
    assert hooks.required_disclosures(item, channel, config) == ["甲", "乙", "丙"]  # type: ignore[arg-type]


def test_render_asks_the_rule_packs_once_per_channel(cli, example: Path, monkeypatch) -> None:
    """The built-in provider extracts the item and runs the rules to answer both questions (what is missing, what is
    in force): one pass per channel, not one per question; the box and the manifest as before."""
    from mediactl.check import disclosures as rule_packs

    passes: list[str] = []
    extract = rule_packs._segments
    monkeypatch.setattr(rule_packs, "_segments", lambda item: passes.append(item.slug) or extract(item))
    item = example / WEALTH
    item.write_text(item.read_text("utf-8").replace(RISK, "请您理性投资"), "utf-8")
    result = cli(example, "render", "wealth-steady-plus", "--channel", "bank-wechat")
    assert result.exit_code == 0, result.output
    assert passes == ["wealth-steady-plus"]
    box = _box(example, "wealth-steady-plus")
    assert box is not None and box.count(RISK) == 1
    assert _manifest(example, "bank-wechat", "wealth-steady-plus")["disclosures"] == [RISK]


def test_a_provider_answering_both_questions_at_once_is_asked_once(only) -> None:
    """`answers` (optional): the missing and the in-force sentences from one pass; neither question asked again."""
    asked: list[str] = []

    class Both(_Provider):
        def __call__(self, item: object, channel: object, config: object) -> list[str]:
            asked.append("missing")
            return ["甲"]

        def answers(self, item: object, channel: object, config: object) -> tuple[list[str], list[str]]:
            asked.append("answers")
            return ["甲"], ["甲", "乙"]

    only(Both([]), _Provider(["丙"]))
    found = hooks.disclosures(None, None, None)  # type: ignore[arg-type]
    assert (found.required, found.in_force) == (["甲", "丙"], ["甲", "乙", "丙"]) and asked == ["answers"]
