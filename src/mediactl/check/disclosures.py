"""The render hook for required disclosures, answered by the rule packs' disclosure rules.

When an item triggers a disclosure rule for a channel (理财 on a 理财 product) and
its text lacks every accepted sentence, render is told to add the first one, so a
variant carries the disclosure even where the editor forgot it. Check still
verifies the result: this is a help, not the gate.

`in_force` answers the wider question a 醒目 box asks (render/hooks.py): every
disclosure the item must carry on the channel, in the item's own wording where it
has one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mediactl.check.rules import Profile
from mediactl.check.runner import engine_for, ruleset_for

if TYPE_CHECKING:  # annotations only
    from mediactl.check.extract import Segment
    from mediactl.config.model import Channel, Config
    from mediactl.library.content import Item


class RulePackDisclosures:
    def digest(self, config: Config) -> str:
        return ruleset_for(config).digest

    def __call__(self, item: Item, channel: Channel, config: Config) -> list[str]:
        """The first accepted sentence of each disclosure rule the item triggers but whose text it lacks."""
        return self.answers(item, channel, config)[0]

    def in_force(self, item: Item, channel: Channel, config: Config) -> list[str]:
        """Every disclosure in force: the missing ones (first wording) and those the text already carries
        (its own wording, as written), in the packs' order.

        A rule is in force when its `when` matches the item's profile (platform, channel, products, kind)
        and the item either triggers it or words it: a past-performance notice is not due on an item that
        shows no performance, but an item that carries one anyway gets it boxed as written.
        """
        return self.answers(item, channel, config)[1]

    def answers(self, item: Item, channel: Channel, config: Config) -> tuple[list[str], list[str]]:
        """(missing, in force) from one reading of the item and one run of the rules: render asks both for every
        variant (render/hooks.py), and the reading and the run are what cost."""
        profile = _profile(item, channel)
        engine = engine_for(config)
        rules = [
            r
            for r in ruleset_for(config).rules
            if r.kind == "disclosure" and r.applies(profile, engine.normalizer.fold)
        ]
        if not rules:  # none in force: none can be missing either
            return [], []
        segments = _segments(item)
        missing = _missing(item, channel, config, segments)
        by_id = ruleset_for(config).by_id()
        sentences = [rule.require[0] if rule.id in missing else engine.wording(segments, rule.id) for rule in rules]
        return [by_id[rule_id].require[0] for rule_id in missing], list(dict.fromkeys(s for s in sentences if s))


def _missing(item: Item, channel: Channel, config: Config, segments: list[Segment]) -> list[str]:
    """The ids of the disclosure rules the item triggers on the channel without any accepted sentence."""
    rules = ruleset_for(config).by_id()
    found = engine_for(config).check(segments, _profile(item, channel))  # the project's cache, beside its rules
    return list(dict.fromkeys(f.rule for f in found if rules[f.rule].kind == "disclosure"))


def _profile(item: Item, channel: Channel) -> Profile:
    return Profile(platform=channel.platform, channel=channel.name, products=item.products, kind=item.kind)


def _segments(item: Item) -> list[Segment]:
    from mediactl.check.extract import extract_file  # lazy: start-up, only a disclosure rule in force extracts

    return extract_file(item.folder / "index.md", item.file, "markdown")


provider = RulePackDisclosures()
