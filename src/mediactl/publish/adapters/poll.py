"""Bounded polling of a platform's asynchronous job, shared by every adapter that waits for one.

A platform that queues the work (WeCom's add_moment_task, WeChat's freepublish, a video's review)
answers "not yet" for a while. Waiting must end: a delivery thread holds a claim, and a run must
finish for cron. So an adapter asks at most `polls` times, backing off from `first` to `longest`
seconds between asks (about a minute with the defaults), and on running out records what it
knows (the job id) for the next run to ask about, instead of waiting longer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

FIRST_SECONDS = 0.2
LONGEST_SECONDS = 3.0


def poll(ask: Callable[[], T | None], *, polls: int, first: float = FIRST_SECONDS,
         longest: float = LONGEST_SECONDS) -> T | None:  # fmt: skip
    """The first answer of `ask()` that is not None, asking at most `polls` times; None when it never came.

    Between asks it sleeps `first`, then twice that, and so on up to `longest`. `ask` raises to stop at once
    (a definite failure, or an error the caller classifies)."""
    for attempt in range(polls):
        if attempt:
            time.sleep(min(longest, first * 2 ** (attempt - 1)))
        answer = ask()
        if answer is not None:
            return answer
    return None
