"""Asking a platform, a bounded number of times, whether an asynchronous job has reached its final state.

Douyin's review, Kuaishou's processing, Bilibili's review queue and WeChat's freepublish all answer
"not yet" for a while. An adapter asks with a `check` that returns the final result, raises for a
definite failure (the platform's "rejected by review"), or returns None while the job is still
pending; `poll` calls it at most `attempts` times with a growing wait between calls and returns
None when the attempts run out. Polling is bounded on purpose: a publishing run must end, so a job
that outlasts the polls is left `unknown` with its remote id recorded, and the next run asks again
(`Adapter.find`). The plan is platform data (a `poll:` block in its facts file).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

Result = TypeVar("Result")


@dataclass(frozen=True)
class PollPlan:
    """At most `attempts` checks; the waits between them double from `first_wait` up to `max_wait` seconds."""

    attempts: int
    first_wait: float = 0.2
    max_wait: float = 3.0

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.first_wait < 0 or self.max_wait < 0:
            raise ValueError(f"a poll plan needs attempts ≥ 1 and waits ≥ 0: {self}")

    @classmethod
    def from_facts(cls, facts: Mapping[str, Any]) -> PollPlan:
        """The plan from a facts file's `poll:` block (`attempts`, `first_wait_seconds`, `max_wait_seconds`)."""
        return cls(int(facts["attempts"]), float(facts.get("first_wait_seconds", 0.2)),
                   float(facts.get("max_wait_seconds", 3.0)))  # fmt: skip

    def waits(self) -> Iterator[float]:
        """The wait before each check: none before the first."""
        for attempt in range(self.attempts):
            yield 0.0 if attempt == 0 else min(self.max_wait, self.first_wait * 2 ** (attempt - 1))

    def bound(self) -> float:
        """The longest the polls can wait in all (for messages: 'still pending after …')."""
        return sum(self.waits())


def poll(
    check: Callable[[], Result | None], plan: PollPlan, sleep: Callable[[float], None] = time.sleep
) -> Result | None:
    """`check()` until it returns a result, at most `plan.attempts` times; None when the job is still pending.

    What `check` raises propagates at once: a definite failure ends the polling, and so does a failure
    to ask (the adapter decides what that means for a job that was already submitted).
    """
    for wait in plan.waits():
        if wait:
            sleep(wait)
        result = check()
        if result is not None:
            return result
    return None
