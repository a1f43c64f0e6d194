"""The shared part-upload and bounded-poll helpers every video adapter uses (publish/adapters/upload.py, poll.py)."""

from __future__ import annotations

from typing import Any

import pytest

from mediactl.publish.adapters.base import Rejected, Transient
from mediactl.publish.adapters.poll import PollPlan, poll
from mediactl.publish.adapters.upload import PartPlan, Uploader


class Recorder:
    """PartSteps that remember what was sent; `fail` maps a part number to the failures it raises first."""

    def __init__(self, fail: dict[int, list[Exception]] | None = None) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.fail = fail or {}

    def whole(self, data: bytes) -> str:
        self.calls.append(("whole", data))
        return "whole-id"

    def begin(self, size: int, count: int) -> str:
        self.calls.append(("begin", size, count))
        return "session"

    def part(self, session: str, number: int, chunk: bytes, count: int) -> None:
        pending = self.fail.get(number) or []
        self.calls.append(("part", session, number, chunk, count))
        if pending:
            raise pending.pop(0)

    def finish(self, session: str, count: int) -> str:
        self.calls.append(("finish", session, count))
        return "parts-id"


def test_a_file_up_to_the_threshold_goes_whole() -> None:
    steps = Recorder()
    assert Uploader(PartPlan(whole_max=10, part_bytes=4), steps).send(b"0123456789") == "whole-id"
    assert steps.calls == [("whole", b"0123456789")]


def test_a_file_above_the_threshold_goes_in_numbered_parts_in_order() -> None:
    steps = Recorder()
    data = b"0123456789A"
    assert Uploader(PartPlan(whole_max=10, part_bytes=4), steps).send(data) == "parts-id"
    assert steps.calls == [
        ("begin", 11, 3),
        ("part", "session", 1, b"0123", 3),
        ("part", "session", 2, b"4567", 3),
        ("part", "session", 3, b"89A", 3),
        ("finish", "session", 3),
    ]
    assert b"".join(call[3] for call in steps.calls if call[0] == "part") == data


def test_parts_can_count_from_zero() -> None:
    assert PartPlan(whole_max=0, part_bytes=2, first_number=0).parts(5) == [(0, 0, 2), (1, 2, 4), (2, 4, 5)]
    assert PartPlan(whole_max=5, part_bytes=2).parts(5) == []


def test_a_transient_part_failure_is_retried_in_place_not_the_whole_file() -> None:
    waits: list[float] = []
    steps = Recorder(fail={2: [Transient("HTTP 503", retry_after=30.0)]})
    assert Uploader(PartPlan(whole_max=3, part_bytes=4), steps, sleep=waits.append).send(b"x" * 9) == "parts-id"
    numbers = [call[2] for call in steps.calls if call[0] == "part"]
    assert numbers == [1, 2, 2, 3]
    assert waits == [5.0]  # Retry-After is honoured up to the plan's cap


def test_a_part_that_keeps_failing_ends_the_upload_transient() -> None:
    steps = Recorder(fail={1: [Transient("reset")] * 3})
    with pytest.raises(Transient, match="part 1 of 2 failed 3 times: reset"):
        Uploader(PartPlan(whole_max=0, part_bytes=4), steps, sleep=lambda _: None).send(b"x" * 5)
    assert not [call for call in steps.calls if call[0] == "finish"]


def test_a_refused_part_ends_the_upload_at_once() -> None:
    steps = Recorder(fail={1: [Rejected("invalid media")]})
    with pytest.raises(Rejected, match="invalid media"):
        Uploader(PartPlan(whole_max=0, part_bytes=4), steps, sleep=lambda _: None).send(b"x" * 5)
    assert [call[0] for call in steps.calls] == ["begin", "part"]


def test_a_plan_comes_from_a_facts_block() -> None:
    plan = PartPlan.from_facts({"whole_max_bytes": 134217728, "part_bytes": 20971520, "first_part_number": 1})
    assert len(plan.parts(134217729)) == 7 and plan.parts(134217728) == []
    with pytest.raises(ValueError, match="part_bytes ≥ 1"):
        PartPlan(whole_max=1, part_bytes=0)


def test_poll_returns_the_first_result_and_waits_between_checks() -> None:
    answers = iter([None, None, "done", "never asked"])
    waits: list[float] = []
    assert poll(lambda: next(answers), PollPlan(5, first_wait=0.5, max_wait=0.75), sleep=waits.append) == "done"
    assert waits == [0.5, 0.75]


def test_poll_is_bounded_and_says_none_when_still_pending() -> None:
    checks: list[int] = []
    assert poll(lambda: checks.append(1), PollPlan(4, first_wait=0.0), sleep=lambda _: None) is None
    assert len(checks) == 4
    assert PollPlan(4, first_wait=1.0, max_wait=2.0).bound() == 1.0 + 2.0 + 2.0


def test_poll_propagates_a_definite_failure_at_once() -> None:
    def refused() -> None:
        raise Rejected("unsuitable for public")

    with pytest.raises(Rejected, match="unsuitable"):
        poll(refused, PollPlan(3), sleep=lambda _: pytest.fail("no wait after a verdict"))
