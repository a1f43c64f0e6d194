"""Extension points of render that other capabilities plug into.

Required disclosures: compliance rule packs know that an item promoting 理财 must
carry 理财非存款、产品有风险、投资须谨慎; render asks every registered provider and
hands the sentences to templates (`disclosures`), which place them where the
platform shows them. Render itself holds no compliance knowledge.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

DisclosureProvider = Callable[[Any, Any, Any], list[str]]
_providers: list[DisclosureProvider] = []


def register_disclosure_provider(provider: DisclosureProvider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def required_disclosures(item: Any, channel: Any, config: Any) -> list[str]:
    """Every sentence some provider requires for this item on this channel, in order, without repeats."""
    sentences: list[str] = []
    for provider in _providers:
        for sentence in provider(item, channel, config):
            if sentence not in sentences:
                sentences.append(sentence)
    return sentences
