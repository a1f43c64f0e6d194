"""`mediactl stats` and `stats chart` over kept snapshots: groups on SQLite and PostgreSQL, growth in a window, JSON and
CSV with Chinese unescaped, `--since` errors, and charts whose Chinese labels render (no missing glyph)."""

from __future__ import annotations

import csv
import io
import json
import warnings
from pathlib import Path
from types import SimpleNamespace
from xml.etree import ElementTree

import pytest
from PIL import Image

from mediactl.publish import metricstore, stats
from mediactl.publish.store import Store

HOUR = 3600.0
T0 = 1_800_000_000.0  # 2027-01-15, a fixed time: the numbers below are stated, not measured
POSTS = [  # channel, item, audience, [(hours after T0, counters)]
    ("bank-weibo", "anti-fraud-2026", "老年客群", [(1, {"likes": 10, "comments": 2}), (30, {"likes": 40, "comments": 5})]),
    ("bank-douyin", "spring-festival-greeting", "年轻客群,代发客群", [(2, {"plays": 100, "likes": 7}),
                                                                  (26, {"plays": 900, "likes": 60})]),
    ("bank-wechat", "anti-fraud-2026", "老年客群", [(25, {"reads": 300, "shares": 12})]),
]  # fmt: skip
LIBRARY = SimpleNamespace(items={
    "anti-fraud-2026": SimpleNamespace(campaign="防诈宣传月", audience=("老年客群",), title="防范电信网络诈骗"),
    "spring-festival-greeting": SimpleNamespace(campaign="2027春节-新春祝福", audience=("年轻客群", "代发客群"),
                                                title="示例银行给您拜年啦"),
})  # fmt: skip


def fill(store: Store) -> None:
    """Sent jobs with snapshots at stated times."""
    for number, (channel, item, audience, series) in enumerate(POSTS):
        job, _ = store.enqueue(channel, item, f"hash{number}", T0, audience=audience)
        with store.transaction() as db:
            db.execute("UPDATE jobs SET state = 'sent', remote_id = ? WHERE id = ?", (f"post-{number}", job.id))
        job = store.get(job.id)
        assert job is not None
        for hours, counters in series:
            metricstore.keep(store, job, T0 + hours * HOUR, counters)


@pytest.fixture
def store(store_target: str | Path):
    opened = Store(store_target)
    try:
        fill(opened)
        yield opened
    finally:
        opened.close()


def rows(report: stats.Report) -> dict[str, dict[str, int]]:
    return {row.group: {"posts": row.posts, **row.counters} for row in report.rows}


def test_the_latest_snapshot_of_each_post_is_summed_per_group(store: Store) -> None:
    assert rows(stats.report(store, LIBRARY, by="channel", since=None)) == {  # type: ignore[arg-type]
        "bank-douyin": {"posts": 1, "plays": 900, "likes": 60},
        "bank-wechat": {"posts": 1, "reads": 300, "shares": 12},
        "bank-weibo": {"posts": 1, "likes": 40, "comments": 5},
    }
    assert rows(stats.report(store, LIBRARY, by="item", since=None))["anti-fraud-2026"] == {  # type: ignore[arg-type]
        "posts": 2,
        "likes": 40,
        "comments": 5,
        "reads": 300,
        "shares": 12,
    }
    campaigns = rows(stats.report(store, LIBRARY, by="campaign", since=None))  # type: ignore[arg-type]
    assert campaigns["2027春节-新春祝福"] == {"posts": 1, "plays": 900, "likes": 60}
    audiences = rows(stats.report(store, LIBRARY, by="audience", since=None))  # type: ignore[arg-type]
    assert audiences["年轻客群"]["plays"] == audiences["代发客群"]["plays"] == 900  # a post for two segments: in each
    assert audiences["老年客群"] == {"posts": 2, "likes": 40, "comments": 5, "reads": 300, "shares": 12}


def test_a_window_counts_growth_since_each_post_s_first_snapshot_in_it(store: Store) -> None:
    report = stats.report(store, LIBRARY, by="channel", since=T0 + 1.5 * HOUR)  # type: ignore[arg-type]
    assert rows(report) == {
        "bank-douyin": {"posts": 1, "plays": 800, "likes": 53},  # 900 - 100, 60 - 7
        "bank-wechat": {"posts": 1, "reads": 0, "shares": 0},  # one snapshot in the window: no growth seen
        "bank-weibo": {"posts": 1, "likes": 0, "comments": 0},  # its first snapshot (1 h) is outside: 30 h only
    }
    assert metricstore.latest_numbers(store)[("anti-fraud-2026", "bank-wechat")] == {"reads": 300, "shares": 12}


def test_since_parses_dates_and_spans_and_refuses_anything_else() -> None:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Asia/Shanghai")
    assert stats.parse_since("7d", T0, zone) == T0 - 7 * 24 * HOUR
    assert stats.parse_since("12h", T0, zone) == T0 - 12 * HOUR
    assert stats.parse_since("2027-01-01", T0, zone) == 1_798_732_800.0  # midnight in Shanghai
    with pytest.raises(stats.UsageError, match="give a date"):
        stats.parse_since("last week", T0, zone)


# ---- through the CLI --------------------------------------------------------------------------------------


@pytest.fixture
def project(example: Path) -> Path:
    store = Store(example / ".mediactl/queue.sqlite3")
    try:
        fill(store)
    finally:
        store.close()
    return example


def test_json_and_csv_keep_chinese_unescaped(cli, project: Path) -> None:
    as_json = cli(project, "stats", "--by", "campaign", "--json")
    assert as_json.exit_code == 0 and "2027春节-新春祝福" in as_json.stdout and "\\u" not in as_json.stdout
    table = json.loads(as_json.stdout)
    assert table["by"] == "campaign" and table["rows"][0] == {"campaign": "2027春节-新春祝福", "posts": 1, "plays": 900,
                                                              "likes": 60}  # fmt: skip
    as_csv = cli(project, "stats", "--by", "audience", "--csv")
    assert as_csv.exit_code == 0
    parsed = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert {row["audience"] for row in parsed} == {"老年客群", "年轻客群", "代发客群"}
    terminal = cli(project, "stats", "--by", "item")
    assert terminal.exit_code == 0 and "spring-festival-greeting" in terminal.stdout


@pytest.mark.parametrize("args", [("--since", "yesterday"), ("--since", "2027-13-01"), ("--by", "platform"),
                                  ("--json", "--csv")])  # fmt: skip
def test_usage_errors_exit_2_with_a_clear_message(cli, project: Path, args: tuple[str, ...]) -> None:
    result = cli(project, "stats", *args)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert any(word in result.stderr for word in ("--since", "--by", "--json"))


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_the_chart_draws_chinese_labels_with_no_missing_glyph(cli, project: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"chart{suffix}"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = cli(project, "stats", "chart", "--out", str(out), "--metric", "likes", "--width", "1200",
                     "--height", "600")  # fmt: skip
    assert result.exit_code == 0, result.output
    missing = [
        str(w.message) for w in caught if "missing" in str(w.message).lower() and "glyph" in str(w.message).lower()
    ]
    assert missing == []
    if suffix == ".png":
        with Image.open(out) as image:
            assert image.size == (1200, 600)
    else:
        root = ElementTree.parse(out).getroot()
        assert root.tag.endswith("svg") and len(root.findall(".//{http://www.w3.org/2000/svg}path")) > 50  # glyph paths


def test_a_chart_of_a_counter_nobody_kept_says_which_exist(cli, project: Path, tmp_path: Path) -> None:
    result = cli(project, "stats", "chart", "--out", str(tmp_path / "c.png"), "--metric", "coins")
    assert result.exit_code == 2 and "likes" in result.stderr
