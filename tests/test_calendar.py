"""The month plan: marked dates from chinesecalendar and lunar-python, config dates, scheduled posts, caps,
and the `calendar` command's grid, JSON and iCalendar output."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from icalendar import Calendar

from mediactl.config.model import CalendarDate, load_config
from mediactl.core.errors import ConfigError
from mediactl.library.scan import load_library
from mediactl.plan import dates
from mediactl.plan.calendar import month_plan
from mediactl.plan.dates import HolidaysUnknownError, MarkKind, month_marks


def _marks(year: int, month: int, kind: MarkKind) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for mark in month_marks(year, month)[0]:
        if mark.kind == kind:
            found.setdefault(mark.day.isoformat(), []).append(mark.name)
    return found


def test_february_2027_spring_festival_and_solar_terms() -> None:
    """春节 2027 is Saturday 2027-02-06 and 除夕 the day before (腊月 has 29 days that year)."""
    assert date(2027, 2, 6).weekday() == 5
    assert _marks(2027, 2, MarkKind.FESTIVAL) == {
        "2027-02-05": ["除夕"],
        "2027-02-06": ["春节"],
        "2027-02-20": ["元宵节"],
    }
    assert _marks(2027, 2, MarkKind.SOLAR_TERM) == {"2027-02-04": ["立春"], "2027-02-19": ["雨水"]}


def test_a_year_has_the_24_solar_terms_and_the_festivals() -> None:
    marks = [mark for month in range(1, 13) for mark in month_marks(2026, month)[0]]
    terms = [mark.name for mark in marks if mark.kind == MarkKind.SOLAR_TERM]
    assert len(terms) == len(set(terms)) == 24
    assert {"冬至", "清明", "夏至"} <= set(terms)
    festivals = {mark.name: mark.day.isoformat() for mark in marks if mark.kind == MarkKind.FESTIVAL}
    assert festivals["端午节"] == "2026-06-19" and festivals["中秋节"] == "2026-09-25"
    assert festivals["小年"] == "2026-02-11" and festivals["腊八节"] == "2026-01-26"
    assert {"七夕节", "重阳节", "除夕", "春节", "元宵节"} <= set(festivals)


def test_holidays_and_adjusted_working_days_of_a_covered_year() -> None:
    holidays = _marks(2026, 2, MarkKind.HOLIDAY)
    assert sorted(holidays) == [f"2026-02-{day}" for day in range(15, 24)]
    assert {name for names in holidays.values() for name in names} == {"春节"}
    assert _marks(2026, 2, MarkKind.WORKDAY) == {"2026-02-14": ["春节调休上班"], "2026-02-28": ["春节调休上班"]}
    assert month_marks(2026, 2)[1] == []


def test_a_year_the_holiday_source_lacks_is_named_never_an_empty_list() -> None:
    with pytest.raises(HolidaysUnknownError) as caught:
        dates.statutory_marks(dates.month_days(2099, 1))
    assert "2099" in caught.value.message and "pip install -U chinesecalendar" in (caught.value.hint or "")
    marks, notices = month_marks(2099, 1)
    assert len(notices) == 1 and "2099" in notices[0]
    assert not [mark for mark in marks if mark.kind in (MarkKind.HOLIDAY, MarkKind.WORKDAY)]
    assert [mark.name for mark in marks if mark.kind == MarkKind.SOLAR_TERM]  # the rest is still computed


def test_config_dates_recur_or_happen_once(example: Path) -> None:
    config_file = example / "mediactl.yaml"
    config_file.write_text(
        config_file.read_text("utf-8")
        + '\ncalendar:\n  dates:\n    - {date: "03-15", name: 3·15消费者权益日}\n    - {date: 2027-05-20, name: 产品发布}\n',
        "utf-8",
    )
    config = load_config(config_file)
    assert config.calendar == (CalendarDate("3·15消费者权益日", 3, 15), CalendarDate("产品发布", 5, 20, 2027))
    for year in (2026, 2027):
        assert _config_marks(year, 3, config.calendar) == {f"{year}-03-15": ["3·15消费者权益日"]}
    assert _config_marks(2027, 5, config.calendar) == {"2027-05-20": ["产品发布"]}
    assert _config_marks(2026, 5, config.calendar) == {}


def _config_marks(year: int, month: int, configured: tuple[CalendarDate, ...]) -> dict[str, list[str]]:
    return {m.day.isoformat(): [m.name] for m in month_marks(year, month, configured)[0] if m.kind == MarkKind.CONFIG}


@pytest.mark.parametrize(
    ("entry", "key", "message"),
    [
        ('{date: "02-30", name: x}', "calendar.dates[1].date", "'02-30' is not a day"),
        ('{date: "3/15", name: x}', "calendar.dates[1].date", "expected MM-DD"),
        ('{date: "2027-13-01", name: x}', "calendar.dates[1].date", "not a day"),
        ('{date: "03-15"}', "calendar.dates[1]", "'name' is required"),
    ],
)
def test_config_date_errors_name_file_line_and_key(example: Path, entry: str, key: str, message: str) -> None:
    config_file = example / "mediactl.yaml"
    text = config_file.read_text("utf-8")
    line = text.count("\n") + 5  # the second entry's line (after a blank one, calendar:, dates:, the first)
    config_file.write_text(text + f'\ncalendar:\n  dates:\n    - {{date: "03-15", name: ok}}\n    - {entry}\n', "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(config_file)
    shown = "\n".join(caught.value.lines())
    assert f"mediactl.yaml:{line}:" in shown and key in shown and message in shown, shown


def test_the_month_plan_holds_schedules_marks_and_cap_headroom(example: Path) -> None:
    library = load_library(load_config(example / "mediactl.yaml"))
    plan = month_plan(library, 2027, 2)  # no state store yet: the schedule alone, and no store file is made
    assert not (example / ".mediactl" / "queue.sqlite3").exists()
    eve = plan.days[4]
    assert eve.day == date(2027, 2, 5) and [m.name for m in eve.marks] == ["除夕"]
    assert {(p.channel, p.item, p.at.strftime("%H:%M")) for p in eve.posts} >= {
        ("bank-douyin", "spring-festival-greeting", "20:00")
    }
    assert [p.channel for p in plan.days[5].posts] == ["bank-moments"]
    moments = [room for room in plan.headroom if room.channel == "bank-moments"]
    assert [(room.week.isoformat(), room.used, room.limit) for room in moments][:2] == [
        ("2027-02-01", 1, 2),
        ("2027-02-08", 0, 2),
    ]
    wechat = {(room.limit, room.own) for room in plan.headroom if room.channel == "bank-wechat"}
    assert wechat == {(7, False)}  # no cap of its own: the platform's one mass send a day, as delivery admits it
    assert plan.notices and "2027" in plan.notices[0]


def test_calendar_json_shape(cli, example: Path) -> None:
    result = cli(example, "calendar", "--month", "2027-02", "--channel", "bank-moments", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"month", "timezone", "notices", "days", "headroom"}
    assert data["month"] == "2027-02" and data["timezone"] == "Asia/Shanghai" and len(data["days"]) == 28
    day = data["days"][5]
    caps = day.pop("caps")  # the platform's 3 moments a day per customer, per segment (test below)
    assert {(cap["per"], cap["used"], cap["limit"]) for cap in caps} == {("day", 1, 3), ("day", 0, 3)}
    assert day == {
        "date": "2027-02-06",
        "weekday": 6,
        "marks": [{"date": "2027-02-06", "kind": "festival", "name": "春节"}],
        "posts": [
            {
                "channel": "bank-moments",
                "item": "spring-festival-greeting",
                "title": day["posts"][0]["title"],
                "at": "2027-02-06T08:00+08:00",
                "state": "scheduled",
            }
        ],
    }
    assert data["headroom"][0] == {
        "channel": "bank-moments",
        "audience": None,
        "window": "week",
        "week": "2027-02-01",
        "used": 1,
        "limit": 2,
        "own_cap": True,
    }


def test_calendar_grid_is_monday_first_in_chinese(cli, example: Path) -> None:
    result = cli(example, "calendar", "--month", "2027-02")
    assert result.exit_code == 0, result.output
    header = next(line for line in result.stdout.splitlines() if "周一" in line)
    assert header.index("周一") < header.index("周日")
    assert "春节" in result.stdout and "本周已用 1/2" in result.stdout


def test_calendar_ics_parses_back_with_stable_uids(cli, example: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a.ics", tmp_path / "b.ics"
    for out in (first, second):
        result = cli(example, "calendar", "--month", "2027-02", "--ics", str(out))
        assert result.exit_code == 0, result.output
    parsed = Calendar.from_ical(first.read_bytes())
    events = list(parsed.walk("VEVENT"))
    summaries = {str(event["SUMMARY"]) for event in events}
    assert {"春节", "除夕", "立春"} <= summaries
    assert any(s.startswith("[bank-douyin] ") for s in summaries)
    spring = next(event for event in events if str(event["SUMMARY"]) == "春节")
    assert spring.decoded("DTSTART") == date(2027, 2, 6)
    uids = [str(event["UID"]) for event in events]
    assert len(uids) == len(set(uids))
    again = [str(event["UID"]) for event in Calendar.from_ical(second.read_bytes()).walk("VEVENT")]
    assert again == uids


def test_calendar_rejects_a_bad_month_and_an_unknown_channel(cli, example: Path) -> None:
    bad = cli(example, "calendar", "--month", "2027-2x")
    assert bad.exit_code == 2 and "YYYY-MM" in bad.output
    both = cli(example, "calendar", "--json", "--ics", "-")
    assert both.exit_code == 2 and "choose one" in both.output
    unknown = cli(example, "calendar", "--channel", "bank-nope")
    assert unknown.exit_code == 2 and "bank-nope" in unknown.output


def test_plan_suggest_lists_empty_occasions_and_unused_caps(cli, example: Path) -> None:
    result = cli(example, "plan", "suggest", "--month", "2027-02")
    assert result.exit_code == 0, result.output
    assert "02-20 元宵节: nothing planned" in result.stdout
    assert "02-06 春节" not in result.stdout  # the greeting is planned then
    assert "bank-wecom · 年轻客群: week of 02-01 uses 0/1 of its cap" in result.stdout
    assert "bank-weibo" not in result.stdout  # only the platform's rate limit: no cadence to fill


def test_queued_jobs_stand_for_their_schedule_and_count_against_the_cap(example: Path) -> None:
    """A job's due time (a cap may have moved it) and state replace the item's schedule entry for its channel;
    a cancelled job leaves the plan; the store is read, not required."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from mediactl.publish.store import open_store

    config = load_config(example / "mediactl.yaml")
    moved = datetime(2027, 2, 9, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
    store = open_store(config)
    try:
        store.enqueue("bank-moments", "spring-festival-greeting", "hash-1", moved)
        cancelled, _ = store.enqueue("bank-douyin", "spring-festival-greeting", "hash-2", moved)
        store.set_state(cancelled.id, "cancelled", allowed_from=("pending",))
    finally:
        store.close()
    plan = month_plan(load_library(config), 2027, 2)
    moments = [
        (p.at.strftime("%m-%d %H:%M"), p.state) for d in plan.days for p in d.posts if p.channel == "bank-moments"
    ]
    assert moments == [("02-09 09:30", "pending")]
    douyin = [p.at.strftime("%m-%d %H:%M") for d in plan.days for p in d.posts if p.channel == "bank-douyin"]
    assert douyin == ["02-05 20:00"]  # its job was cancelled: the schedule entry shows again
    weeks = {room.week.isoformat(): room.used for room in plan.headroom if room.channel == "bank-moments"}
    assert weeks["2027-02-01"] == 0 and weeks["2027-02-08"] == 1


def _add_caps(example: Path, channel: str, caps: str) -> None:
    """Give an example channel caps of its own (the example's channels section, `caps:` under the channel)."""
    config_file = example / "mediactl.yaml"
    text = config_file.read_text("utf-8")
    head = f"  {channel}:\n"
    assert head in text
    config_file.write_text(text.replace(head, f"{head}    caps: {caps}\n", 1), "utf-8")


def _enqueue(example: Path, channel: str, item: str, when: str, audience: str) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from mediactl.publish.store import open_store

    at = datetime.strptime(when, "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
    store = open_store(load_config(example / "mediactl.yaml"))
    try:
        store.enqueue(channel, item, f"hash-{item}", at, audience=audience)
    finally:
        store.close()


def test_a_by_audience_cap_has_headroom_per_segment_as_the_gate_counts_it(cli, example: Path) -> None:
    """bank-wecom's own cap is one push per segment a week: wealth-steady-plus (财富客群, 代发客群) uses it for
    both its segments, a queued job to 年轻客群 for 年轻客群; 老年客群 is free. Not one channel total of 2/1."""
    _enqueue(example, "bank-wecom", "anti-fraud-2026", "2026-12-09 09:00", "年轻客群")
    plan = month_plan(load_library(load_config(example / "mediactl.yaml")), 2026, 12, channel="bank-wecom")
    week = {room.audience: (room.used, room.limit) for room in plan.headroom if room.week == date(2026, 12, 7)}
    assert week == {"财富客群": (1, 1), "代发客群": (1, 1), "年轻客群": (1, 1), "老年客群": (0, 1)}
    shown = cli(example, "calendar", "--month", "2026-12", "--channel", "bank-wecom")
    assert shown.exit_code == 0, shown.output
    assert "bank-wecom · 老年客群: 12-07–12-13 本周已用 0/1" in shown.stdout
    assert "bank-wecom · 财富客群: 12-07–12-13 本周已用 1/1" in shown.stdout
    data = json.loads(cli(example, "calendar", "--month", "2026-12", "--channel", "bank-wecom", "--json").stdout)
    assert {"channel": "bank-wecom", "audience": "老年客群", "window": "week", "week": "2026-12-07", "used": 0,
            "limit": 1, "own_cap": True} in data["headroom"]  # fmt: skip


def test_a_channel_cap_that_is_stricter_hides_the_per_segment_one(example: Path) -> None:
    """bank-moments: 2 a week for the channel is stricter than 3 a day per customer: only the channel's counts."""
    plan = month_plan(load_library(load_config(example / "mediactl.yaml")), 2027, 2, channel="bank-moments")
    assert {room.audience for room in plan.headroom} == {None}
    assert {room.limit for room in plan.headroom} == {2}


def test_a_day_over_its_day_cap_is_marked_and_json_has_per_day_headroom(cli, example: Path) -> None:
    """bank-wechat sends one mass message a day (the platform's limit); two items are scheduled on 12-01.
    bank-weibo has two posts at 12:00 the same day: its 30-an-hour limit shows that hour."""
    shown = cli(example, "calendar", "--month", "2026-12", "--channel", "bank-wechat")
    assert shown.exit_code == 0, shown.output
    assert "⚠ 2/1" in shown.stdout
    data = json.loads(cli(example, "calendar", "--month", "2026-12", "--json").stdout)
    first, second = data["days"][0], data["days"][1]
    wechat = [cap for cap in first["caps"] if cap["channel"] == "bank-wechat"]
    assert wechat == [{"channel": "bank-wechat", "audience": None, "per": "day", "hour": None, "used": 2, "limit": 1}]
    assert {"channel": "bank-wechat", "audience": None, "per": "day", "hour": None, "used": 0, "limit": 1} in second[
        "caps"
    ]
    assert {"channel": "bank-weibo", "audience": None, "per": "hour", "hour": "12:00", "used": 2, "limit": 30} in first[
        "caps"
    ]
    assert not [cap for cap in second["caps"] if cap["per"] == "hour"]  # an hour with one post cannot exceed a cap
    assert "⚠ 2/1" not in cli(example, "calendar", "--month", "2026-12", "--channel", "bank-weibo").stdout


def test_a_month_cap_is_a_rolling_30_day_window_as_the_gate_counts_it(cli, example: Path) -> None:
    """The gate counts `per: month` as 30 days either side of each post (CAP_WINDOWS, gate.cap_window), not a
    calendar month: the posts of 12-01 still count against any post in the week of 12-21 and no longer against one
    late in that of 12-28 (from 12-31 12:00); 12-08 counts against any post until 01-07 10:00."""
    _add_caps(example, "bank-weibo", "[{max: 3, per: month}]")
    plan = month_plan(load_library(load_config(example / "mediactl.yaml")), 2026, 12, channel="bank-weibo")
    rolling = {room.week.isoformat(): room.used for room in plan.headroom if room.window == "30 days"}
    assert rolling == {"2026-11-30": 2, "2026-12-07": 2, "2026-12-14": 2, "2026-12-21": 2, "2026-12-28": 0}
    assert {room.limit for room in plan.headroom if room.window == "30 days"} == {3}
    _add_caps(example, "website", "[{max: 1, per: month}]")
    plan = month_plan(load_library(load_config(example / "mediactl.yaml")), 2027, 1, channel="website")
    assert [(room.week.isoformat(), room.used) for room in plan.headroom if room.window == "30 days"][:2] == [
        ("2026-12-28", 1),  # 12-08 10:00 is within 30 days of every moment of that week
        ("2027-01-04", 0),  # and not of 01-07 10:00 on
    ]
    shown = cli(example, "calendar", "--month", "2026-12", "--channel", "bank-weibo")
    assert "bank-weibo: 11-30–12-06 30 天内已用 2/3" in shown.stdout
    assert "the posts within 7 or 30 days either side of each post" in shown.stdout


def test_calendar_ics_times_carry_the_project_zone_with_a_vtimezone(cli, example: Path, tmp_path: Path) -> None:
    """Outlook and others need DTSTART;TZID=… and a VTIMEZONE of that id (X-WR-TIMEZONE alone is not read)."""
    from datetime import timedelta

    out = tmp_path / "plan.ics"
    assert cli(example, "calendar", "--month", "2027-02", "--ics", str(out)).exit_code == 0
    raw = out.read_bytes()
    assert b"DTSTART;TZID=Asia/Shanghai:20270206T080000" in raw
    parsed = Calendar.from_ical(raw)
    zones = list(parsed.walk("VTIMEZONE"))
    assert [str(zone["TZID"]) for zone in zones] == ["Asia/Shanghai"]
    assert {part.decoded("TZOFFSETTO") for part in zones[0].subcomponents} == {timedelta(hours=8)}
    moments = next(e for e in parsed.walk("VEVENT") if str(e["SUMMARY"]).startswith("[bank-moments] "))
    assert moments["DTSTART"].params["TZID"] == "Asia/Shanghai"
    start = moments.decoded("DTSTART")
    assert (start.hour, start.minute, start.utcoffset()) == (8, 0, timedelta(hours=8))
    assert moments.decoded("DTEND") - start == timedelta(minutes=30)
    assert not [e for e in parsed.walk("VEVENT") if e["DTSTART"].to_ical().endswith(b"Z")]


def test_plan_suggest_uses_per_segment_and_per_day_headroom(cli, example: Path) -> None:
    """Unused weeks per segment where the cap counts by audience; for a channel with a day cap of its own, the
    days with room, and a day over it."""
    _add_caps(example, "bank-xhs", "[{max: 1, per: day}]")
    result = cli(example, "plan", "suggest", "--month", "2026-12")
    assert result.exit_code == 0, result.output
    assert "bank-wecom · 老年客群: week of 12-07 uses 0/1 of its cap" in result.stdout
    assert "bank-wecom · 财富客群: week of 12-07" not in result.stdout
    assert "bank-xhs: 12-01 is over its day cap (2/1)" in result.stdout
    assert "bank-xhs: week of 11-30 uses 2/7 of its cap; days with room: 12-02 12-03 12-04 12-05 12-06" in result.stdout
    data = json.loads(cli(example, "plan", "suggest", "--month", "2026-12", "--json").stdout)
    assert data["month"] == "2026-12"
    texts = {entry["text"]: entry for entry in data["suggestions"]}
    over = texts["bank-xhs: 12-01 is over its day cap (2/1)"]
    assert (over["kind"], over["date"], over["channel"], over["audience"]) == ("over", "2026-12-01", "bank-xhs", "")
    room = next(e for e in data["suggestions"] if e["kind"] == "room" and e["audience"] == "老年客群")
    assert room["channel"] == "bank-wecom" and "老年客群" in json.dumps(data, ensure_ascii=False)


def test_the_readme_calendar_picture_is_remade_by_the_tool(tmp_path: Path) -> None:
    """tools/make_calendar_svg.py draws the example's December with the command's own grid; the Chinese stays
    text in the SVG (a browser falls back to a CJK font), and the month is not empty."""
    import subprocess
    import sys

    out = tmp_path / "calendar.svg"
    tool = Path(__file__).resolve().parent.parent / "tools" / "make_calendar_svg.py"
    done = subprocess.run([sys.executable, str(tool), "--out", str(out)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    svg = out.read_text("utf-8")
    assert svg.startswith("<svg") and "2026年12月" in svg and "冬至" in svg and "财富客群" in svg
    assert "bank-wechat" in svg and "⚠" in svg


def _svg_text(svg: str) -> str:
    """The characters an SVG of rich's shows, in order (its markup, styles and ids left out)."""
    import html
    import re

    return html.unescape("".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg))).replace("\xa0", " ")


def test_the_readme_calendar_picture_is_what_the_tool_makes_now(tmp_path: Path) -> None:
    """docs/calendar.svg is not stale: it shows what tools/make_calendar_svg.py draws from the current code and
    example (remake it with that command when this fails), including the command's own note that caps are
    counted in rolling windows as the gate counts them."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    out = tmp_path / "calendar.svg"
    done = subprocess.run([sys.executable, str(root / "tools" / "make_calendar_svg.py"), "--out", str(out)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    made = _svg_text(out.read_text("utf-8"))
    assert "count rolling windows, as the gate does" in made
    assert _svg_text((root / "docs" / "calendar.svg").read_text("utf-8")) == made, (
        "docs/calendar.svg is stale: python tools/make_calendar_svg.py"
    )


def _gate_refuses(example: Path, channel: str, slug: str, when: str) -> bool:
    """Whether the publish gate's cap check refuses `slug` on `channel` at `when`, against the queue as it is."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from mediactl.publish import gate
    from mediactl.publish.store import open_store

    config = load_config(example / "mediactl.yaml")
    library = load_library(config)
    at = datetime.strptime(when, "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
    verdict = gate.Verdict()
    store = open_store(config)
    try:
        gate._caps(config, store, library.items[slug], config.channel(channel), at, verdict)
    finally:
        store.close()
    return any(refusal.kind is gate.RefusalKind.CAP for refusal in verdict.refusals)


@pytest.mark.parametrize(("sunday", "over"), [("2026-12-06 10:00", True), ("2026-11-29 10:00", False)])
def test_a_week_cap_is_a_rolling_7_days_as_the_gate_counts_it(cli, example: Path, sunday: str, over: bool) -> None:
    """bank-wecom allows one push per segment a week. wealth-steady-plus pushes to 财富客群 on Tuesday 12-08; a push
    to the same segment the Sunday before lies in another calendar week, but 2 days earlier: the gate refuses one
    of the two, so the calendar shows both weeks over (a Sunday 9 days earlier: both fine, for both)."""
    _enqueue(example, "bank-wecom", "anti-fraud-2026", sunday, "财富客群")
    assert _gate_refuses(example, "bank-wecom", "wealth-steady-plus", "2026-12-08 10:30") is over
    library = load_library(load_config(example / "mediactl.yaml"))
    plan = month_plan(library, 2026, 12, channel="bank-wecom")
    weeks = {
        room.week.isoformat(): (room.used, room.limit)
        for room in plan.headroom
        if room.audience == "财富客群" and room.window == "week"
    }
    if over:  # calendar weeks would say 1/1 and 1/1
        assert weeks["2026-11-30"] == (2, 1) and weeks["2026-12-07"] == (2, 1), weeks
    else:  # the week between is full though empty: a push in it falls within 7 days of one of the two
        assert weeks["2026-11-30"] == (1, 1) and weeks["2026-12-07"] == (1, 1), weeks
    shown = cli(example, "calendar", "--month", "2026-12", "--channel", "bank-wecom")
    assert shown.exit_code == 0, shown.output
    assert ("bank-wecom · 财富客群: 12-07–12-13 本周已用 2/1 (超出)" in shown.stdout) is over, shown.stdout


def test_a_day_cap_is_a_rolling_24_hours_as_the_gate_counts_it(example: Path) -> None:
    """bank-wechat sends one mass message a day (the platform's limit). A job at 23:00 on 12-07 and the schedule's
    10:00 on 12-08 are on two calendar days, 11 hours apart: the gate refuses one, so both days are over."""
    _enqueue(example, "bank-wechat", "credit-card-cashback", "2026-12-07 23:00", "")
    assert _gate_refuses(example, "bank-wechat", "wealth-steady-plus", "2026-12-08 10:00")
    plan = month_plan(load_library(load_config(example / "mediactl.yaml")), 2026, 12, channel="bank-wechat")
    used = {day.day.isoformat(): (cap.used, cap.limit) for day in plan.days for cap in day.caps if cap.per == "day"}
    assert used["2026-12-07"] == (2, 1) and used["2026-12-08"] == (2, 1), used
    assert used["2026-12-01"] == (1, 1) and used["2026-12-09"] == (0, 1), used
