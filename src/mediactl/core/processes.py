"""How worker processes start: fork where the platform has it, spawn elsewhere, or as forced.

Render and check spread work over processes. fork (Linux, macOS) lets workers inherit what the
parent built (the compiled rules, the loaded library); Windows has only spawn, where each
worker starts afresh and is given what it needs. Both paths must give the same results, so
MEDIACTL_START_METHOD=spawn forces spawn where fork exists: the test suite runs the parallel
paths that way too.
"""

from __future__ import annotations

import os

START_METHOD_ENV = "MEDIACTL_START_METHOD"


def start_method() -> str:
    """'fork' or 'spawn': MEDIACTL_START_METHOD when set to one of them, else fork where it exists."""
    forced = os.environ.get(START_METHOD_ENV, "")
    if forced in ("fork", "spawn") and (forced != "fork" or hasattr(os, "fork")):
        return forced
    return "fork" if hasattr(os, "fork") else "spawn"
