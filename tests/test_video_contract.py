"""What every polled video adapter owes, whatever the platform: Douyin and Kuaishou against the sandbox over real HTTP.

A refused token is renewed once; a review that outlasts the polls is settled by a later run, never sent again; a run
killed while polling is reconciled through the recorded id; a submit whose answer is lost stays unknown (a person
resolves it) and is never resent; a recall deletes the work and audits it. Each platform's own paths and words are in
its spec (videoflow.VideoChannel); what differs between the platforms stays in tests/test_douyin.py and
tests/test_kuaishou.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from mediactl.config.platforms import get_platform
from mediactl.sandbox import Sandbox, SandboxOptions
from videoflow import (
    DOUYIN,
    KUAISHOU,
    VideoChannel,
    copy_project,
    due,
    job_of,
    kill_while_polling,
    paths,
    publish,
    ready_channel,
    submits,
)


@pytest.fixture(params=[DOUYIN, KUAISHOU], ids=lambda spec: spec.platform)
def spec(request: pytest.FixtureRequest) -> VideoChannel:
    return request.param


@pytest.fixture
def sandbox(spec: VideoChannel) -> Iterator[Sandbox]:
    with Sandbox(SandboxOptions(seed=spec.seed, publish_polls=1)) as running:
        yield running


@pytest.fixture
def ready(spec: VideoChannel, approved_video: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox,
          cli) -> Path:  # fmt: skip
    return ready_channel(spec, cli, copy_project(approved_video, tmp_path), sandbox, monkeypatch)


def test_an_expired_token_is_refreshed_once(cli, spec: VideoChannel, ready: Path, sandbox: Sandbox) -> None:
    sandbox.add_fault("expired-token")
    (outcome,) = publish(cli, ready, spec.channel)
    assert outcome["state"] == "sent", outcome
    assert paths(sandbox, spec.platform).count(spec.refresh_path) == 1


def test_a_review_that_outlasts_the_polls_is_settled_by_a_later_run(
    cli, spec: VideoChannel, ready: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(get_platform(spec.platform).facts["poll"], "attempts", 2)
    sandbox.options.publish_polls = 3  # the platform reviews for longer than our two polls
    (outcome,) = publish(cli, ready, spec.channel)
    assert outcome["state"] == "unknown" and f"the next run asks {spec.name} again" in outcome["detail"]
    assert job_of(ready, spec.channel).remote_id == submits(sandbox, spec)[0]["summary"][spec.remote_id]
    assert due(cli, ready) == []  # still under review: stays unknown, nothing sent again
    (settled,) = due(cli, ready)
    assert settled["state"] == "sent" and settled["url"].startswith(f"{sandbox.url}/{spec.platform}{spec.url_prefix}")
    assert len(submits(sandbox, spec)) == 1


def test_a_run_killed_while_polling_is_reconciled_through_the_recorded_id(
    cli, spec: VideoChannel, ready: Path, sandbox: Sandbox
) -> None:
    sandbox.options.publish_polls = 0
    (outcome,) = publish(cli, ready, spec.channel)
    assert outcome["state"] == "sent"
    kill_while_polling(ready, spec.channel)
    (reconciled,) = due(cli, ready)
    assert reconciled["state"] == "sent" and reconciled["url"] == outcome["url"]
    assert len(submits(sandbox, spec)) == 1


def test_a_submit_whose_answer_is_lost_is_unknown_and_never_resent(
    cli, spec: VideoChannel, ready: Path, sandbox: Sandbox
) -> None:
    sandbox.add_fault("drop")
    (outcome,) = publish(cli, ready, spec.channel)
    assert outcome["state"] == "unknown"
    assert due(cli, ready) == []  # no id came back: the platform cannot be asked; a person resolves it
    assert len(submits(sandbox, spec)) == 1 and job_of(ready, spec.channel).state == "unknown"


def test_recall_deletes_the_work_and_audits_it(cli, spec: VideoChannel, ready: Path, sandbox: Sandbox) -> None:
    (outcome,) = publish(cli, ready, spec.channel)
    assert outcome["state"] == "sent"
    result = cli(
        ready, "recall", "spring-festival-greeting", "--channel", spec.channel, "--reason", "监管通报", "--json"
    )
    (done,) = json.loads(result.stdout)
    assert done["taken"] == "withdrawn", done
    assert job_of(ready, spec.channel).state == "recalled"
    assert sandbox.posts()[-1]["path"] == f"/{spec.platform}{spec.delete_path}"
    records = [json.loads(line) for line in (ready / ".mediactl/audit.jsonl").read_text("utf-8").splitlines()]
    assert any(r["action"].startswith("recall") and r.get("channel") == spec.channel for r in records), records[-3:]
