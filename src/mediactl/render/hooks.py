"""Extension points of render that other capabilities plug into.

Required disclosures: compliance rule packs know that an item promoting 理财 must
carry 理财非存款、产品有风险、投资须谨慎; render asks every provider and hands the
sentences to templates (`disclosures`), which place them where the platform shows
them. Render itself holds no compliance knowledge. A provider is an object with
`__call__(item, channel, config) -> list[str]` and `digest(config) -> str` (what its
answers depend on, for the render cache). The built-in provider is named here as
a string, the way plug-ins are, so render does not import check.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import import_module
from typing import Any, Protocol

DEFAULT_PROVIDERS = ("mediactl.check.disclosures:provider",)


class DisclosureProvider(Protocol):
    def __call__(self, item: Any, channel: Any, config: Any) -> list[str]: ...

    def digest(self, config: Any) -> str: ...


_registered: list[DisclosureProvider] = []


def register_disclosure_provider(provider: DisclosureProvider) -> None:
    if provider not in _registered:
        _registered.append(provider)


@cache
def _defaults() -> tuple[DisclosureProvider, ...]:
    found = []
    for spec in DEFAULT_PROVIDERS:
        module, _, name = spec.partition(":")
        found.append(getattr(import_module(module), name))
    return tuple(found)


def providers() -> list[DisclosureProvider]:
    return [*_defaults(), *_registered]


def required_disclosures(item: Any, channel: Any, config: Any) -> list[str]:
    """Every sentence some provider requires for this item on this channel, in order, without repeats."""
    sentences: list[str] = []
    for provider in providers():
        for sentence in provider(item, channel, config):
            if sentence not in sentences:
                sentences.append(sentence)
    return sentences


def inputs_digest(config: Any) -> str:
    """What all providers' answers depend on besides the item and channel (e.g. the rule packs)."""
    return hashlib.sha256("\0".join(p.digest(config) for p in providers()).encode()).hexdigest()
