"""The sandbox's knobs: transient failure rate, latency, scripted faults, token life, publish polls."""

from __future__ import annotations

from dataclasses import dataclass

FAULT_KINDS = ("500", "429", "expired-token", "drop", "timeout", "reject", "publish-fail", "drift", "garbled")
MAX_LATENCY_MS = 60_000


@dataclass
class SandboxOptions:
    fail_rate: float = 0.0  # probability (0–1) of a transient failure: HTTP 500, 429 (Retry-After: 1) or errcode 45009
    latency_ms: int = 0  # added to every platform response (not to /_sandbox/ introspection)
    faults: tuple[str, ...] = ()  # scripted faults, a queue: the first waits for a request it matches (FAULT_KINDS)
    token_ttl: int = 7200  # seconds an access token lives
    publish_polls: int = 2  # freepublish/get answers publish_status 1 this many times, then 0
    seed: int = 0  # seeds the RNG that decides transient failures and their kind
    verbose: bool = False  # one line per request on stderr

    def __post_init__(self) -> None:
        self.faults = tuple(self.faults)
        for kind in self.faults:
            check_fault(kind)
        if not (isinstance(self.fail_rate, int | float) and 0.0 <= self.fail_rate <= 1.0):
            raise ValueError(f"fail_rate must be between 0 and 1, not {self.fail_rate!r}")
        if not (isinstance(self.latency_ms, int) and 0 <= self.latency_ms <= MAX_LATENCY_MS):
            raise ValueError(f"latency_ms must be an integer from 0 to {MAX_LATENCY_MS}, not {self.latency_ms!r}")
        if not (isinstance(self.token_ttl, int) and self.token_ttl >= 1):
            raise ValueError(f"token_ttl must be a whole number of seconds ≥ 1, not {self.token_ttl!r}")
        if not (isinstance(self.publish_polls, int) and 0 <= self.publish_polls <= 1000):
            raise ValueError(f"publish_polls must be an integer from 0 to 1000, not {self.publish_polls!r}")


def check_fault(kind: str) -> str:
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown sandbox fault {kind!r}; known: {', '.join(FAULT_KINDS)}")
    return kind
