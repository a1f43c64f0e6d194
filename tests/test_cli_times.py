"""Issue 16: every time a person reads in JSON output is ISO 8601 with the project's UTC offset; an epoch stays
only where a script needs one, named `*_epoch`."""

from __future__ import annotations

import json
from pathlib import Path

ZONED = "+08:00"  # the example project is Asia/Shanghai


def test_queue_json_times_are_zoned_with_the_due_epoch_kept(cli, ready: Path) -> None:
    assert cli(ready, "publish", "anti-fraud-2026", "--channel", "outbox").exit_code == 0
    job = json.loads(cli(ready, "queue", "show", "1").stdout)
    for name in ("due_at", "created_at", "updated_at", "claimed_at"):
        assert job[name].endswith(ZONED), (name, job[name])
    assert isinstance(job["due_at_epoch"], float)  # scripts compare and sort due times
    assert json.loads(cli(ready, "queue", "ls", "--json").stdout)[0] == job


def test_publish_json_due_time_is_zoned(cli, ready: Path) -> None:
    result = cli(ready, "publish", "anti-fraud-2026", "--channel", "outbox", "--at", "2100-01-01T12:00", "--json")
    outcome = json.loads(result.stdout)[0]
    assert outcome["due_at"].endswith(ZONED) and isinstance(outcome["due_at_epoch"], float), outcome


def test_log_json_times_are_zoned(cli, example: Path) -> None:
    assert cli(example, "review", "credit-card-cashback").exit_code == 0
    record = json.loads(cli(example, "log", "--json").stdout)[-1]
    assert record["time"].endswith(ZONED), record


def test_zoned_json_converts_times_and_leaves_the_rest() -> None:
    from zoneinfo import ZoneInfo

    from mediactl.core.times import zoned_json

    data = {"due_at": 1796578075.0, "since": None, "time": "2026-12-06T17:27:55.123+00:00", "anchored_at": 12,
            "at": 3, "cover_at": 1.0, "due_at_epoch": 1796578075.0, "title": "2026-12-06T17:27:55+00:00",
            "nested": [{"expires_at": 1796578075}], "naive_at": "2026-12-07T01:27"}  # fmt: skip
    shown = zoned_json(data, ZoneInfo("Asia/Shanghai"))
    assert shown["due_at"] == "2026-12-07T01:27:55+08:00" and shown["nested"][0]["expires_at"] == shown["due_at"]
    assert shown["time"] == "2026-12-07T01:27:55+08:00"
    assert shown["since"] is None and shown["anchored_at"] == 12 and shown["at"] == 3 and shown["cover_at"] == 1.0
    assert shown["due_at_epoch"] == 1796578075.0 and shown["title"] == data["title"]  # not a time's key
    assert shown["naive_at"] == "2026-12-07T01:27"  # no zone: nothing to convert from
    assert zoned_json({"at": "2026-12-07T01:27+08:00"}, ZoneInfo("Asia/Shanghai")) == {"at": "2026-12-07T01:27+08:00"}
