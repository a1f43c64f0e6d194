"""Numbers back from the channels: `mediactl stats pull` against the sandbox over real HTTP, per platform (read and
mapped, growth between two pulls as the audience's clock moves, 429/500 classified with nothing kept, an expired token,
a deleted post), then `mediactl stats` (groups, --since, --json, --csv) on SQLite and PostgreSQL, and the chart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import approve_example, audit_records, metric_snapshots
from mediactl.config.platforms import get_platform
from mediactl.sandbox import Sandbox, SandboxOptions
from oauthflow import authorise
from videoflow import VIDEO, copy_project, job_of

DAY = 86_400
VIDEO_CHANNELS = {
    "bank-weibo": "weibo",
    "bank-douyin": "douyin",
    "bank-bilibili": "bilibili",
    "bank-kuaishou": "kuaishou",
}
CREDENTIALS = {"BANK_WEIBO_APP_KEY": "3141592653", "BANK_WEIBO_APP_SECRET": "weibo-secret-0123456789abcdef",
               "BANK_DOUYIN_CLIENT_KEY": "dy-client", "BANK_DOUYIN_CLIENT_SECRET": "dy-secret",
               "BANK_KUAISHOU_APP_ID": "ks-app", "BANK_KUAISHOU_APP_SECRET": "ks-secret",
               "BANK_BILIBILI_CLIENT_ID": "34c0f583f0414123", "BANK_BILIBILI_APP_SECRET": "sandbox-app-secret"}  # fmt: skip


@pytest.fixture(scope="module")
def sandbox():
    """One sandbox for the module (its grants are in the prepared project); each test's faults are its own, and its
    clock only moves on, so tests compare numbers before and after their own moves."""
    with Sandbox(SandboxOptions(seed=5, publish_polls=0)) as running:
        yield running


def _environment(env: pytest.MonkeyPatch, sandbox: Sandbox) -> None:
    env.setenv("MEDIACTL_SANDBOX_URL", sandbox.url)
    for name, value in CREDENTIALS.items():
        env.setenv(name, value)
    for platform in ("douyin", "kuaishou", "bilibili"):
        env.setitem(get_platform(platform).facts["poll"], "first_wait_seconds", 0.01)


@pytest.fixture(scope="module")
def prepared(approved_video: Path, tmp_path_factory: pytest.TempPathFactory, sandbox: Sandbox) -> Path:
    """The approved video item and article, the OAuth channels authorised against the sandbox (nothing published)."""
    from typer.testing import CliRunner

    from mediactl.cli import app

    def cli(project: Path, *args: str, input: str | None = None) -> Any:  # click names it `input`
        return CliRunner().invoke(app, ["-C", str(project), *args], input=input)

    with pytest.MonkeyPatch.context() as env:
        _environment(env, sandbox)
        root = copy_project(approved_video, tmp_path_factory.mktemp("stats"))
        for channel in VIDEO_CHANNELS:
            authorise(cli, root, channel, f"account-of-{channel}", env)
        return approve_example(cli, root, env)  # and the article anti-fraud-2026 (Weibo, WeChat)


@pytest.fixture
def project(prepared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox) -> Path:
    """A copy of the prepared project for one test."""
    _environment(monkeypatch, sandbox)
    sandbox.platform("weibo")._accounts.clear()  # a new test is a new day: Weibo's "repeat content" rule starts over
    return copy_project(prepared, tmp_path)


ARTICLE = {"bank-weibo": "anti-fraud-2026", "bank-wechat": "anti-fraud-2026"}  # the video goes to the others


def publish(cli, root: Path, channel: str) -> list[dict[str, Any]]:
    slug = ARTICLE.get(channel, VIDEO)
    result = cli(root, "publish", slug, "--channel", channel, "--at", "2020-01-01T00:00", "--json")
    return json.loads(result.stdout)


def sent(cli, root: Path, channel: str) -> Any:
    (outcome,) = publish(cli, root, channel)
    assert outcome["state"] == "sent", outcome
    return job_of(root, channel)


def pull(cli, root: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
    result = cli(root, "stats", "pull", *args, "--json")
    assert result.stdout.startswith("["), result.output
    return result.exit_code, json.loads(result.stdout)


# ---- per platform: read, mapped, growing ---------------------------------------------------------------------

MAPPED = {
    "bank-weibo": {"comments", "reposts", "likes"},
    "bank-douyin": {"plays", "likes", "comments", "shares", "reposts"},
    "bank-bilibili": {"views", "likes", "coins", "favorites", "shares", "comments", "danmaku"},
    "bank-kuaishou": {"views", "likes", "comments"},
}
LEADING = {"bank-weibo": "likes", "bank-douyin": "plays", "bank-bilibili": "views", "bank-kuaishou": "views"}


@pytest.mark.parametrize("channel", sorted(MAPPED))
def test_a_post_s_numbers_are_read_mapped_and_grow_between_pulls(cli, project: Path, sandbox: Sandbox,
                                                                  channel: str) -> None:  # fmt: skip
    job = sent(cli, project, channel)
    sandbox.advance_clock(6 * 3600)
    code, (first,) = pull(cli, project, "--channel", channel)
    assert code == 0 and first["found"] == "kept", first
    assert set(first["counters"]) == MAPPED[channel]  # the platform's fields under our names
    sandbox.advance_clock(2 * DAY)
    code, (second,) = pull(cli, project, "--channel", channel)
    assert code == 0 and second["found"] == "kept"
    lead = LEADING[channel]
    assert second["counters"][lead] > first["counters"][lead] > 0  # the audience's clock moved: more people
    assert all(second["counters"][name] >= first["counters"][name] for name in first["counters"])
    snapshots = metric_snapshots(project)
    assert [s.job_id for s in snapshots] == [job.id, job.id] and snapshots[0].remote_id == job.remote_id
    assert snapshots[1].counters == second["counters"]
    (record, _) = audit_records(project, "stats.pulled")
    assert record["posts"] == 1 and record["kept"] == 1 and "counters" not in record  # counts, not the numbers


@pytest.mark.parametrize("fault", ["429", "500"])
@pytest.mark.parametrize("channel", ["bank-weibo", "bank-bilibili"])
def test_a_rate_limit_or_server_error_fails_the_pull_and_keeps_nothing(cli, project: Path, sandbox: Sandbox,
                                                                       channel: str, fault: str) -> None:  # fmt: skip
    sent(cli, project, channel)
    sandbox.add_fault(fault)
    code, (entry,) = pull(cli, project, "--channel", channel)
    assert code == 1 and entry["found"] == "failed"
    assert ("429" in entry["detail"] or "rate" in entry["detail"]) if fault == "429" else "500" in entry["detail"]
    assert "stats pull" in entry["detail"] and metric_snapshots(project) == []  # try again; nothing half kept
    assert audit_records(project, "stats.pulled")[0]["failed"] == 1


@pytest.mark.parametrize("channel", ["bank-weibo", "bank-douyin", "bank-bilibili", "bank-kuaishou"])
def test_a_post_deleted_on_the_platform_is_gone_not_a_failure(cli, project: Path, sandbox: Sandbox,
                                                              channel: str) -> None:  # fmt: skip
    job = sent(cli, project, channel)
    delete_in_the_app(sandbox, VIDEO_CHANNELS[channel], str(job.remote_id))
    code, (entry,) = pull(cli, project, "--channel", channel)
    assert code == 0 and entry["found"] == "gone", entry
    assert metric_snapshots(project) == []


def delete_in_the_app(sandbox: Sandbox, platform: str, remote_id: str) -> None:
    """A colleague deletes the post in the platform's own app: mediactl's queue still says sent."""
    emulated: Any = sandbox.platform(platform)
    if platform == "weibo":
        del emulated._statuses[remote_id]
    else:
        store = {"douyin": "_items", "bilibili": "_archives", "kuaishou": "_works"}[platform]
        getattr(emulated, store)[remote_id].deleted = True


def test_an_expired_weibo_token_says_to_authorise_again(cli, project: Path, sandbox: Sandbox) -> None:
    """Weibo gives no refresh token: an expired one fails the pull, saying what a person does."""
    sent(cli, project, "bank-weibo")
    sandbox.add_fault("expired-token")
    code, (entry,) = pull(cli, project, "--channel", "bank-weibo")
    assert code == 1 and entry["found"] == "failed"
    assert "mediactl auth" in entry["detail"], entry["detail"]
    assert metric_snapshots(project) == []


def test_an_expired_douyin_token_is_refreshed_and_the_numbers_read(cli, project: Path, sandbox: Sandbox) -> None:
    sent(cli, project, "bank-douyin")
    sandbox.advance_clock(DAY)
    sandbox.add_fault("expired-token")
    code, (entry,) = pull(cli, project, "--channel", "bank-douyin")
    assert code == 0 and entry["found"] == "kept" and entry["counters"]["plays"] > 0


def test_channels_that_cannot_be_asked_say_so(cli, project: Path) -> None:
    (outcome,) = publish(cli, project, "outbox")
    assert outcome["state"] == "sent"
    code, (entry,) = pull(cli, project)
    assert code == 0 and entry["found"] == "cannot be asked" and "outbox" in entry["detail"]


def test_nothing_sent_is_a_usage_error(cli, project: Path) -> None:
    result = cli(project, "stats", "pull")
    assert result.exit_code == 2 and "nothing to ask about" in result.stderr


def test_the_preview_index_shows_the_latest_numbers_pulled(cli, project: Path, sandbox: Sandbox) -> None:
    channel = "bank-bilibili"  # refreshes its own token: an earlier test's expired Weibo grant cannot reach it
    sent(cli, project, channel)
    assert cli(project, "preview").exit_code == 0
    assert 'class="numbers"' not in (project / "build/preview/index.html").read_text("utf-8")  # nothing pulled yet
    sandbox.advance_clock(DAY)
    code, (pulled,) = pull(cli, project, "--channel", channel)
    assert code == 0 and pulled["found"] == "kept"
    assert cli(project, "preview").exit_code == 0
    index = (project / "build/preview/index.html").read_text("utf-8")
    row = index[index.index(f'data-item="{VIDEO}" data-channel="{channel}"') :]
    row = row[: row.index("</tr>")]
    for name, value in pulled["counters"].items():
        assert f'data-counter="{name}">{name} {value:,}<' in row
