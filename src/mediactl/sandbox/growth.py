"""Plausible numbers for the sandbox's posts, so `mediactl stats` has something true-to-life to show.

A post's counts are a deterministic function of its id and the time since it was published on the
audience's clock (`Core.audience_time`, which tests move on instead of sleeping): each post has its
own audience (a few hundred to a few thousand, from a hash of its id), reached along a saturating
curve (about 63 % after a day, 95 % after three), and each counter is a share of that reach, the
shares in the order people act (reads > likes > shares). Two pulls at different times show growth;
the same time gives the same numbers, so tests can state them.
"""

from __future__ import annotations

import hashlib
import math

DAY = 86_400.0
SMALLEST_AUDIENCE = 500
AUDIENCE_SPREAD = 4_500


def audience(post_id: str) -> int:
    """Everyone the post will ever reach: from a hash of its id, so each post differs and never changes."""
    return SMALLEST_AUDIENCE + int(hashlib.sha256(post_id.encode("utf-8")).hexdigest()[:8], 16) % AUDIENCE_SPREAD


def reach(post_id: str, seconds: float) -> float:
    """How many it has reached `seconds` after publishing: a saturating curve towards its audience."""
    return audience(post_id) * (1.0 - math.exp(-max(0.0, seconds) / DAY))


def counts(post_id: str, seconds: float, shares: dict[str, float]) -> dict[str, int]:
    """The platform's own counters (`shares`: field → share of the reach) `seconds` after publishing."""
    reached = reach(post_id, seconds)
    return {name: int(reached * share) for name, share in shares.items()}
