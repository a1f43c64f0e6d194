"""A file sent to a platform whole, or in numbered parts above a size: one mechanism for every video platform.

Douyin, Kuaishou and Bilibili all take a small file in one request and a large one in parts (an init
call opens an upload, each part is sent with its number, a completing call closes it). What differs
is data (where the whole path ends, the part size, whether parts count from 0 or 1) and the
requests themselves; the adapter describes its requests as `PartSteps` and this module decides the
path, cuts the parts and retries a part whose failure was transient, so a blip on part 180 of a
4 GB upload costs one part, not the whole file. Every request still goes through
`HttpAdapter.send`, which classifies each failure (a part is never a publishing step: nothing is
published until the platform's create or publish call, so an upload step that fails is safe to
repeat). A part refused by the platform (`Rejected`) ends the upload at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from mediactl.publish.adapters.base import Transient

Result = TypeVar("Result")
Session = TypeVar("Session")
Result_co = TypeVar("Result_co", covariant=True)


@dataclass(frozen=True)
class PartPlan:
    """How a platform takes a file: whole up to `whole_max` bytes, else in parts of `part_bytes` bytes.

    The values are platform facts (the `upload:` block of its facts file), so a test lowers them to
    run the part path on a small file exactly as production runs it on a large one.
    """

    whole_max: int  # the largest file sent in one request (inclusive)
    part_bytes: int  # the size of every part but the last
    first_number: int = 1  # the number of the first part (Douyin and Bilibili count from 1, Kuaishou from 0)
    attempts: int = 3  # tries per part: a transient failure is retried in place, this many times in all
    retry_wait_max: float = 5.0  # the longest wait between two tries of a part (a Retry-After is capped to it)

    def __post_init__(self) -> None:
        if self.whole_max < 0 or self.part_bytes < 1 or self.attempts < 1:
            raise ValueError(f"an upload plan needs whole_max ≥ 0, part_bytes ≥ 1 and attempts ≥ 1: {self}")

    @classmethod
    def from_facts(cls, facts: Mapping[str, Any]) -> PartPlan:
        """The plan from a facts file's `upload:` block (`whole_max_bytes`, `part_bytes`, `first_part_number`)."""
        return cls(
            whole_max=int(facts["whole_max_bytes"]),
            part_bytes=int(facts["part_bytes"]),
            first_number=int(facts.get("first_part_number", 1)),
        )

    def parts(self, size: int) -> list[tuple[int, int, int]]:
        """(number, start, end) of each part of a file of `size` bytes; empty when it goes whole."""
        if size <= self.whole_max:
            return []
        starts = range(0, size, self.part_bytes)
        return [(self.first_number + i, start, min(start + self.part_bytes, size)) for i, start in enumerate(starts)]


class PartSteps(Protocol[Session, Result_co]):
    """The requests of one platform's upload; each raises `Rejected`/`Transient` as `HttpAdapter.send` classifies."""

    def whole(self, data: bytes) -> Result_co:
        """Send the file in one request; the platform's handle to it (a video id …)."""
        ...

    def begin(self, size: int, count: int) -> Session:
        """Open a part upload of `count` parts; what the parts and the completion need (an upload id …)."""
        ...

    def part(self, session: Session, number: int, chunk: bytes, count: int) -> None:
        """Send part `number` (of `count`)."""
        ...

    def finish(self, session: Session, count: int) -> Result_co:
        """Close the part upload; the platform's handle to the file."""
        ...


@dataclass
class Uploader(Generic[Session, Result]):
    """Sends one file by a plan through a platform's steps (`send`), retrying transient part failures in place."""

    plan: PartPlan
    steps: PartSteps[Session, Result]
    sleep: Callable[[float], None] = time.sleep

    def send(self, data: bytes) -> Result:
        parts = self.plan.parts(len(data))
        if not parts:
            return self.steps.whole(data)
        session = self.steps.begin(len(data), len(parts))
        view = memoryview(data)  # parts are cut without copying the file; each part is copied once, as it goes
        for number, start, end in parts:
            self._part(session, number, bytes(view[start:end]), len(parts))
        return self.steps.finish(session, len(parts))

    def _part(self, session: Session, number: int, chunk: bytes, count: int) -> None:
        for wait in self._waits():
            try:
                self.steps.part(session, number, chunk, count)
                return
            except Transient as exc:
                if wait is None:
                    raise Transient(f"part {number} of {count} failed {self.plan.attempts} times: {exc.message}",
                                    retry_after=exc.retry_after) from None  # fmt: skip
                self.sleep(min(self.plan.retry_wait_max, exc.retry_after if exc.retry_after is not None else wait))

    def _waits(self) -> Iterator[float | None]:
        """The wait after each failed try of a part (doubling from 0.5 s); None after the last try."""
        for attempt in range(1, self.plan.attempts):
            yield 0.5 * 2 ** (attempt - 1)
        yield None


def send_file(data: bytes, plan: PartPlan, steps: PartSteps[Session, Result]) -> Result:
    """`data` to the platform, whole or in parts as `plan` says; the platform's handle to it."""
    return Uploader(plan, steps).send(data)
