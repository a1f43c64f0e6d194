"""Extension points of render that other capabilities plug into.

Required disclosures: compliance rule packs know that an item promoting 理财 must
carry 理财非存款、产品有风险、投资须谨慎; render asks every provider and hands the
sentences to templates (`disclosures`), which place them where the platform shows
them. Render itself holds no compliance knowledge and imports nothing of check: a
provider is a plug-in in the `mediactl.disclosures` entry-point group (mediactl's own
rule-pack provider is registered there in pyproject.toml, as a third party's would be),
or is registered at run time with `register_disclosure_provider`. A provider is an
object with `__call__(item, channel, config) -> list[str]` and `digest(config) -> str`
(what its answers depend on, for the render cache). Entry points are found the same way
in spawned render workers, so every process asks the same providers.

A provider may also have `in_force(item, channel, config) -> list[str]`: every
disclosure in force for the item on the channel, whether or not its text carries it,
in the item's own wording where it has one (templates see `disclosures_in_force`;
WeChat boxes them all, 醒目, where others append only what is missing). The method is
optional, so a provider written before it keeps working: without it, its missing
sentences (`__call__`) stand for what is in force.

Render needs both answers for every variant (the missing ones go into the manifest, the ones
in force to the template), and a provider usually finds them by the same work (mediactl's own
reads the item and runs the rules). So a provider may answer both at once with
`answers(item, channel, config) -> (missing, in_force)`, and `disclosures` asks each provider
one question: `answers` where it has it, else `__call__` and `in_force`.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, NamedTuple, Protocol

if TYPE_CHECKING:  # annotations only
    from mediactl.config.model import Channel, Config
    from mediactl.library.content import Item

GROUP = "mediactl.disclosures"


class DisclosureProvider(Protocol):
    def __call__(self, item: Item, channel: Channel, config: Config) -> list[str]: ...

    def digest(self, config: Config) -> str: ...


_registered: list[DisclosureProvider] = []


def register_disclosure_provider(provider: DisclosureProvider) -> None:
    if provider not in _registered:
        _registered.append(provider)


@cache
def _defaults() -> tuple[DisclosureProvider, ...]:
    """The installed providers (entry points), in name order so every process asks them alike."""
    return tuple(entry.load() for entry in sorted(entry_points(group=GROUP), key=lambda e: e.name))


def providers() -> list[DisclosureProvider]:
    return [*_defaults(), *_registered]


class Disclosures(NamedTuple):
    """Every provider's answers for one item on one channel, each in order and without repeats."""

    required: list[str]  # missing from the item's text: render adds them
    in_force: list[str]  # due on the channel, in the item's own wording where it has one: WeChat boxes them


def disclosures(item: Item, channel: Channel, config: Config) -> Disclosures:
    """Both answers, each provider asked once (by `answers` where it has it: one pass over the item, not two)."""
    found = Disclosures([], [])
    for provider in providers():
        for kept, sentences in zip(found, _answers(provider, item, channel, config), strict=True):
            for sentence in sentences:
                if sentence not in kept:
                    kept.append(sentence)
    return found


def _answers(provider: DisclosureProvider, item: Item, channel: Channel, config: Config) -> tuple[list[str], list[str]]:
    """(missing, in force) from one provider, by whichever of its optional methods it has."""
    both = getattr(provider, "answers", None)
    if callable(both):
        required, in_force = both(item, channel, config)
        return list(required), list(in_force)
    required = provider(item, channel, config)
    in_force = getattr(provider, "in_force", None)
    return required, (in_force(item, channel, config) if callable(in_force) else required)


def required_disclosures(item: Item, channel: Channel, config: Config) -> list[str]:
    """Every sentence some provider requires for this item on this channel, in order, without repeats."""
    return disclosures(item, channel, config).required


def disclosures_in_force(item: Item, channel: Channel, config: Config) -> list[str]:
    """Every sentence in force for this item on this channel by any provider, in order, without repeats.

    A provider without `in_force` (older than it) answers with its missing sentences instead.
    """
    return disclosures(item, channel, config).in_force


def inputs_digest(config: Config) -> str:
    """What all providers' answers depend on besides the item and channel (e.g. the rule packs)."""
    return hashlib.sha256("\0".join(p.digest(config) for p in providers()).encode()).hexdigest()
