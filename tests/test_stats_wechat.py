"""WeChat Official Account numbers through the data cube, against the sandbox over real HTTP.

The data cube finds an article by msgid = "<msg_data_id>_<index>", where msg_data_id is what freepublish/submit
returned, not the publish_id mediactl polls with (the sandbox makes the two differ, as WeChat does). So the job keeps
the platform's own ids of a sent post (`jobs.remote_detail`, schema 7), in its audit record too, and a store rebuilt
from the log or moved by export/import still has them. Numbers come per day and from the next day only: a pull on the
day of publishing has none yet; days later the numbers are there, and grow.

Each test has its own sandbox, whose audience clock starts at the real time, and asks as of a later time by passing
`now` to the pull (pipeline.pull_stats) while the sandbox's clock is moved on by as much: both sides then agree on
"yesterday" in Beijing."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import audit_records, metric_snapshots
from mediactl import pipeline
from mediactl.config.model import CONFIG_NAME, load_config
from mediactl.publish import schema
from mediactl.publish.store import Job, Store
from mediactl.sandbox import Sandbox

SLUG = "anti-fraud-2026"
CHANNEL = "bank-wechat"
DAY = 86_400
COUNTERS = {"reads", "likes", "recommends", "shares", "favorites", "comments"}


pytestmark = pytest.mark.sandbox(seed=3, publish_polls=0)


@pytest.fixture
def ready(wechat_ready: Callable[[str], Path], sandbox: Sandbox) -> Path:
    return wechat_ready(sandbox.url)


def published(cli, root: Path) -> Job:
    result = cli(root, "publish", SLUG, "--channel", CHANNEL, "--at", "2020-01-01T00:00", "--json")
    (outcome,) = json.loads(result.stdout)
    assert outcome["state"] == "sent", outcome
    return the_job(root)


def the_job(root: Path) -> Job:
    store = Store(root / ".mediactl/queue.sqlite3")
    try:
        (job,) = store.jobs()
        return job
    finally:
        store.close()


def pull(root: Path, sandbox: Sandbox, days_later: float) -> Any:
    """`mediactl stats pull --channel bank-wechat` as of `days_later` days from now, the sandbox's clock moved to it."""
    sandbox.advance_clock(max(0.0, time.time() + days_later * DAY - sandbox.advance_clock(0)))  # 0: read the clock
    (pulled,) = pipeline.pull_stats(load_config(root / CONFIG_NAME), [], CHANNEL, now=time.time() + days_later * DAY)
    return pulled


def test_the_job_keeps_the_msg_data_id_which_differs_from_the_publish_id(cli, ready: Path, sandbox: Sandbox) -> None:
    job = published(cli, ready)
    (submit,) = [c for c in sandbox.calls() if c["path"].endswith("/freepublish/submit")]
    remote = job.remote()
    assert remote["msg_data_id"] and remote["msg_data_id"] != job.remote_id  # the data cube's key, not the poll's
    assert remote["published_on"] == time.strftime("%Y-%m-%d", time.gmtime(time.time() + 8 * 3600))  # Beijing's day
    (record,) = audit_records(ready, "delivery.sent")
    assert record["remote_detail"] == remote  # in the log too: a store rebuilt from it keeps what metrics need
    assert submit["status"] == 200


def test_numbers_come_from_the_next_day_and_grow(cli, ready: Path, sandbox: Sandbox) -> None:
    published(cli, ready)
    today = pull(ready, sandbox, 0)
    assert today.found == "no numbers yet" and "day after it was published" in today.detail
    assert metric_snapshots(ready) == []
    second = pull(ready, sandbox, 2)
    assert second.found == "kept", second.detail
    assert set(second.counters) == COUNTERS  # the data cube's fields under our names
    fourth = pull(ready, sandbox, 4)
    assert fourth.counters["reads"] > second.counters["reads"] > fourth.counters["likes"] > 0
    assert all(fourth.counters[name] >= second.counters[name] for name in COUNTERS)
    asked = [c for c in sandbox.calls() if c["path"].endswith("/datacube/getarticletotaldetail")]
    assert len(asked) == 2  # the day of publishing is not asked: the data cube ends yesterday
    snapshots = metric_snapshots(ready)
    assert [s.counters for s in snapshots] == [second.counters, fourth.counters]


def test_a_server_error_or_rate_limit_fails_the_pull_and_keeps_nothing(cli, ready: Path, sandbox: Sandbox) -> None:
    published(cli, ready)
    sandbox.add_fault("500")
    failed = pull(ready, sandbox, 2)
    assert failed.found == "failed" and "500" in failed.detail and "stats pull" in failed.detail
    sandbox.add_fault("429")
    limited = pull(ready, sandbox, 2)
    assert limited.found == "failed" and ("429" in limited.detail or "rate" in limited.detail), limited.detail
    assert metric_snapshots(ready) == []


def test_an_expired_token_is_fetched_again_and_the_numbers_read(cli, ready: Path, sandbox: Sandbox) -> None:
    published(cli, ready)
    sandbox.add_fault("expired-token")
    assert pull(ready, sandbox, 1).found == "kept"


def test_a_job_without_a_msg_data_id_says_why_it_has_no_numbers(cli, ready: Path, sandbox: Sandbox) -> None:
    """A post sent before mediactl kept the data cube's key: no question that could only be answered wrongly."""
    job = published(cli, ready)
    store = Store(ready / ".mediactl/queue.sqlite3")
    try:
        store.db.execute("UPDATE jobs SET remote_detail = NULL WHERE id = ?", (job.id,))
    finally:
        store.close()
    entry = pull(ready, sandbox, 3)
    assert entry.found == "no numbers yet" and "msg_data_id" in entry.detail


def test_the_ids_survive_a_rebuild_from_the_audit_log(cli, ready: Path, sandbox: Sandbox) -> None:
    remote = published(cli, ready).remote()
    for end in ("", "-wal", "-shm"):
        Path(ready / f".mediactl/queue.sqlite3{end}").unlink(missing_ok=True)
    result = cli(ready, "state", "rebuild")
    assert result.exit_code == 0, result.output
    assert the_job(ready).remote() == remote
    assert pull(ready, sandbox, 2).found == "kept"


def test_the_ids_travel_with_state_export_and_import(cli, ready: Path, sandbox: Sandbox, tmp_path: Path) -> None:
    remote = published(cli, ready).remote()
    exported = tmp_path / "state.jsonl"
    assert cli(ready, "state", "export", str(exported)).exit_code == 0
    (row,) = [json.loads(line)["row"] for line in exported.read_text("utf-8").splitlines() if '"table": "jobs"' in line]
    assert json.loads(row["remote_detail"]) == remote
    header = json.loads(exported.read_text("utf-8").splitlines()[0])
    assert header["schema"] == schema.latest() == 7
