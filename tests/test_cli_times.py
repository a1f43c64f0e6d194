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


def test_zoned_json_converts_moments_by_type_whatever_their_key() -> None:
    """A moment is known by its type (a Moment of epoch seconds, an aware datetime), not by its key's name: a
    moment under any key is shown in the zone, and a number or text under a key named like a time is left as it is
    (a sequence number, a video's second, a character position, a user's own front matter field)."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from mediactl.core.times import Moment, zoned_json

    data = {"due_at": Moment(1796578075.0), "since": None, "created": datetime.fromtimestamp(1796578075.0, UTC),
            "anchored_at": 12, "at": 3, "cover_at": 1.0, "due_at_epoch": 1796578075.0, "time": 2000000000.0,
            "title": "2026-12-06T17:27:55+00:00", "launch_at": "2026-12-06T17:27:55+00:00",
            "nested": [{"expires": Moment(1796578075)}, (Moment(1796578075),)], "naive": datetime(2026, 12, 7, 1, 27)}  # fmt: skip
    shown = zoned_json(data, ZoneInfo("Asia/Shanghai"))
    assert shown["due_at"] == "2026-12-07T01:27:55+08:00" == shown["created"] == shown["nested"][0]["expires"]
    assert shown["nested"][1] == [shown["due_at"]]
    assert shown["since"] is None and shown["anchored_at"] == 12 and shown["at"] == 3 and shown["cover_at"] == 1.0
    assert shown["due_at_epoch"] == 1796578075.0 and shown["time"] == 2000000000.0  # plain numbers: no moments
    assert shown["title"] == shown["launch_at"] == "2026-12-06T17:27:55+00:00"  # text is shown as written
    assert shown["naive"] == datetime(2026, 12, 7, 1, 27)  # no zone: nothing to convert from


def test_show_json_gives_schedule_times_in_the_zone_and_extra_fields_as_written(cli, example: Path) -> None:
    """`show --json`: a schedule time written in UTC is a moment under a channel's name (shown in the project's
    zone like every other time), and the item's own `extra` fields come out as the front matter has them, even
    under a key named like a time."""
    index = example / "content" / "article" / "wealth-steady-plus" / "index.md"
    text = index.read_text("utf-8").replace('bank-wechat: "2026-12-08 10:00"', 'bank-wechat: "2026-12-08T02:00:00Z"')
    index.write_text(
        text.replace("\nextra:\n", '\nextra:\n  review_at: "2026-12-01T01:00:00Z"\n  time: 2000000000\n', 1), "utf-8"
    )
    result = cli(example, "show", "wealth-steady-plus", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["schedule"]["bank-wechat"] == "2026-12-08T10:00:00+08:00", shown["schedule"]
    assert shown["extra"]["review_at"] == "2026-12-01T01:00:00Z" and shown["extra"]["time"] == 2000000000, shown[
        "extra"
    ]
    assert shown["updated"].endswith(ZONED)


def test_log_anchor_and_pause_json_times_are_zoned(cli, example: Path) -> None:
    """The anchor's record time (ISO UTC in the file) and a pause switch's time (epoch seconds in the store) are
    moments by their schemas: shown in the project's zone."""
    assert cli(example, "review", "credit-card-cashback").exit_code == 0
    anchor = json.loads(cli(example, "log", "anchor", "--json").stdout)
    assert anchor["time"].endswith(ZONED) and isinstance(anchor["seq"], int), anchor
    paused = json.loads(cli(example, "pause", "--reason", "节前复核", "--json").stdout)["paused"]
    assert paused["*"]["at"].endswith(ZONED) and paused["*"]["reason"] == "节前复核", paused


def test_queue_json_shows_a_wecom_tasks_confirmation_times_by_its_shape() -> None:
    """A WeCom task's numbers kept on the job (wecom_tally's shape): when it went out (`since`) and when staff were
    reminded (`reminders`, a list of times under no time's name) are both moments; the counts stay numbers."""
    import json as _json
    from zoneinfo import ZoneInfo

    from mediactl.cli.publish import _job_json
    from mediactl.core.times import zoned_json
    from mediactl.publish.store import Job

    detail = {"mode": "push", "msgid": "m1", "since": 1796578075.0, "reminders": [1796581675.0],
              "total": {"staff": 2, "confirmed": 1, "sent": 30}}  # fmt: skip
    job = Job(1, "k", "bank-wecom", "item", "h" * 64, "财富客群", 1796578075.0, "awaiting-confirmation", 1, None,
              None, "m1", None, None, None, 1796578075.0, 1796578075.0, confirmation=_json.dumps(detail))  # fmt: skip
    shown = zoned_json(_job_json(job), ZoneInfo("Asia/Shanghai"))["confirmation"]
    assert shown["since"] == "2026-12-07T01:27:55+08:00" and shown["reminders"] == ["2026-12-07T02:27:55+08:00"]
    assert shown["total"] == detail["total"] and shown["msgid"] == "m1"
