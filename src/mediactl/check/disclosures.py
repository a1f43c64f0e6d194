"""The render hook for required disclosures, answered by the rule packs' disclosure rules.

When an item triggers a disclosure rule for a channel (理财 on a 理财 product) and
its text lacks every accepted sentence, render is told to add the first one, so a
variant carries the disclosure even where the editor forgot it. Check still
verifies the result: this is a help, not the gate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mediactl.check.rules import Profile
from mediactl.check.runner import engine_for, ruleset_for

if TYPE_CHECKING:  # annotations only
    from mediactl.config.model import Channel, Config
    from mediactl.library.content import Item


class RulePackDisclosures:
    def digest(self, config: Config) -> str:
        return ruleset_for(config).digest

    def __call__(self, item: Item, channel: Channel, config: Config) -> list[str]:
        from mediactl.check.extract import extract_file  # lazy: start-up, only a disclosure rule in force extracts

        ruleset = ruleset_for(config)
        if not any(rule.kind == "disclosure" for rule in ruleset.rules):
            return []
        engine = engine_for(config)  # the project's cache, beside its compiled rules
        profile = Profile(platform=channel.platform, channel=channel.name, products=item.products, kind=item.kind)
        rules = ruleset.by_id()
        segments = extract_file(item.folder / "index.md", item.file, "markdown")
        missing = [f.rule for f in engine.check(segments, profile) if rules[f.rule].kind == "disclosure"]
        return [rules[rule_id].require[0] for rule_id in dict.fromkeys(missing)]


provider = RulePackDisclosures()
