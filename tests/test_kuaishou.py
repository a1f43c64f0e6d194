"""The Kuaishou adapter against the sandbox over real HTTP: start_upload, raw or fragment upload, publish, processing, withdraw."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from mediactl.config.platforms import get_platform
from mediactl.sandbox import Sandbox, SandboxOptions
from mediactl.sandbox.platforms.kuaishou import Kuaishou
from videoflow import (
    authorise,
    copy_project,
    delivery_records,
    due,
    job_of,
    kill_while_polling,
    manifest_video,
    paths,
    publish,
)

CHANNEL = "bank-kuaishou"


@pytest.fixture
def sandbox():
    with Sandbox(SandboxOptions(seed=5, publish_polls=1)) as running:
        yield running


@pytest.fixture
def ready(approved_video: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox, cli) -> Path:
    monkeypatch.setenv("MEDIACTL_SANDBOX_URL", sandbox.url)
    monkeypatch.setenv("BANK_KUAISHOU_APP_ID", "ku-client-id")
    monkeypatch.setenv("BANK_KUAISHOU_APP_SECRET", "ks-secret")
    monkeypatch.setitem(get_platform("kuaishou").facts["poll"], "first_wait_seconds", 0.01)
    project = copy_project(approved_video, tmp_path)
    authorise(cli, project, sandbox, CHANNEL, "bank-kwai-user", monkeypatch)
    return project


def publishes(sandbox: Sandbox) -> list[dict]:
    return [p for p in sandbox.posts() if p["path"] == "/kuaishou/openapi/photo/publish"]


def cover_sha(root: Path) -> str:
    return hashlib.sha256(
        (root / "build" / CHANNEL / "spring-festival-greeting" / "cover.jpg").read_bytes()
    ).hexdigest()


def test_video_is_uploaded_raw_and_published_with_caption_and_cover(cli, ready: Path, sandbox: Sandbox) -> None:
    (outcome,) = publish(cli, ready, CHANNEL)
    assert outcome["state"] == "sent", outcome
    assert outcome["url"].startswith(f"{sandbox.url}/kuaishou/short-video/3x")
    assert paths(sandbox, "kuaishou")[2:] == ["/openapi/photo/start_upload", "/api/upload", "/openapi/photo/publish",
                                              "/openapi/photo/info", "/openapi/photo/info"]  # fmt: skip
    (post,) = publishes(sandbox)
    assert post["summary"]["caption"].endswith("#春节 #新春祝福 #品牌宣传")
    assert post["summary"]["video_sha256"] == manifest_video(ready, CHANNEL)["sha256"]  # exactly the sealed bytes
    assert post["summary"]["cover"]["sha256"] == cover_sha(ready)
    assert job_of(ready, CHANNEL).remote_id == post["summary"]["photo_id"]
    (record,) = delivery_records(ready)
    assert record["sandbox"] is True and record["url"] == outcome["url"]
    assert "remote_detail" not in record  # the audit record keeps the platform's ids, never the post's words


def test_a_video_of_10_mb_or_more_goes_in_fragments_counted_from_zero(
    cli, ready: Path, sandbox: Sandbox, monkeypatch
) -> None:
    size = manifest_video(ready, CHANNEL)["bytes"]
    part = -(-size // 3)  # Kuaishou's <10 MB, scaled to three fragments of the transcoded clip
    upload = get_platform("kuaishou").facts["upload"]
    monkeypatch.setitem(upload, "whole_max_bytes", part)
    monkeypatch.setitem(upload, "part_bytes", part)
    monkeypatch.setattr(Kuaishou, "FRAGMENT_MAX_BYTES", part)
    (outcome,) = publish(cli, ready, CHANNEL)
    assert outcome["state"] == "sent", outcome
    gateway = [c for c in sandbox.calls() if c["path"].startswith("/kuaishou/api/upload")]
    assert [c["path"] for c in gateway] == ["/kuaishou/api/upload/fragment"] * 3 + ["/kuaishou/api/upload/complete"]
    assert [c["uploaded"]["bytes"] for c in gateway[:3]] == [part, part, size - 2 * part]
    assert publishes(sandbox)[0]["summary"]["video_sha256"] == manifest_video(ready, CHANNEL)["sha256"]


def test_the_sandbox_refuses_fragments_over_its_limit(cli, ready: Path, monkeypatch) -> None:
    upload = get_platform("kuaishou").facts["upload"]
    monkeypatch.setitem(upload, "whole_max_bytes", 30_000)
    monkeypatch.setitem(upload, "part_bytes", 40_000)
    monkeypatch.setattr(Kuaishou, "FRAGMENT_MAX_BYTES", 30_000)  # 10 MB, scaled: our 40 KB fragments are too big
    (outcome,) = publish(cli, ready, CHANNEL)
    assert outcome["state"] == "failed"
    assert "result 10000200" in outcome["detail"] and "a fragment holds 1 to 30000 bytes" in outcome["detail"]


def test_expired_token_is_refreshed_once(cli, ready: Path, sandbox: Sandbox) -> None:
    sandbox.add_fault("expired-token")
    (outcome,) = publish(cli, ready, CHANNEL)
    assert outcome["state"] == "sent", outcome
    assert paths(sandbox, "kuaishou").count("/oauth2/refresh_token") == 1


def test_a_channel_never_authorised_fails_saying_what_to_do(cli, approved_video: Path, tmp_path: Path, sandbox: Sandbox,
                                                          monkeypatch) -> None:  # fmt: skip
    monkeypatch.setenv("MEDIACTL_SANDBOX_URL", sandbox.url)
    monkeypatch.setenv("BANK_KUAISHOU_APP_ID", "ku-client-id")
    monkeypatch.setenv("BANK_KUAISHOU_APP_SECRET", "ks-secret")
    (outcome,) = publish(cli, copy_project(approved_video, tmp_path), CHANNEL)
    assert outcome["state"] == "failed"
    assert "channel bank-kuaishou is not authorised yet: run `mediactl auth bank-kuaishou`" in outcome["detail"]
    assert paths(sandbox, "kuaishou") == []  # nothing was sent


def test_a_refused_publish_fails_with_kuaishous_words(cli, ready: Path, sandbox: Sandbox) -> None:
    sandbox.add_fault("reject")
    (outcome,) = publish(cli, ready, CHANNEL)
    assert outcome["state"] == "failed"
    assert "result 120003" in outcome["detail"] and "the platform refused the content" in outcome["detail"]


def test_processing_that_outlasts_the_polls_is_settled_by_a_later_run(
    cli, ready: Path, sandbox: Sandbox, monkeypatch
) -> None:
    monkeypatch.setitem(get_platform("kuaishou").facts["poll"], "attempts", 2)
    sandbox.options.publish_polls = 3
    (outcome,) = publish(cli, ready, CHANNEL)
    assert outcome["state"] == "unknown" and "the next run asks Kuaishou again" in outcome["detail"]
    assert due(cli, ready) == []
    (settled,) = due(cli, ready)
    assert settled["state"] == "sent" and settled["url"].startswith(f"{sandbox.url}/kuaishou/short-video/")
    assert len(publishes(sandbox)) == 1


def test_a_run_killed_while_polling_is_reconciled_through_the_recorded_photo_id(
    cli, ready: Path, sandbox: Sandbox
) -> None:
    sandbox.options.publish_polls = 0
    (outcome,) = publish(cli, ready, CHANNEL)
    assert outcome["state"] == "sent"
    kill_while_polling(ready, CHANNEL)
    (reconciled,) = due(cli, ready)
    assert reconciled["state"] == "sent" and reconciled["url"] == outcome["url"]
    assert len(publishes(sandbox)) == 1


def test_a_publish_whose_answer_is_lost_is_unknown_and_never_resent(cli, ready: Path, sandbox: Sandbox) -> None:
    sandbox.add_fault("drop")
    (outcome,) = publish(cli, ready, CHANNEL)
    assert outcome["state"] == "unknown"
    assert due(cli, ready) == []
    assert len(publishes(sandbox)) == 1 and job_of(ready, CHANNEL).state == "unknown"


def test_withdraw_deletes_the_work(cli, ready: Path, sandbox: Sandbox) -> None:
    from mediactl.config.model import load_config
    from mediactl.publish.adapters.kuaishou import KuaishouAdapter
    from mediactl.publish.store import open_store

    (outcome,) = publish(cli, ready, CHANNEL)
    assert outcome["state"] == "sent"
    config = load_config(ready / "mediactl.yaml")
    adapter = KuaishouAdapter(config.channel(CHANNEL), config)
    adapter.store = open_store(config)  # the channel's grant is there
    photo_id = job_of(ready, CHANNEL).remote_id
    try:
        adapter.withdraw(photo_id)
        assert adapter.status(photo_id) is None  # video_not_exist: no longer listed
        adapter.withdraw(photo_id)  # gone already (120001): withdrawn, as `mediactl recall` run again expects
    finally:
        adapter.store.close()
        adapter.close()
    assert [p["path"] for p in sandbox.posts()][-2:] == ["/kuaishou/openapi/photo/delete"] * 2
    assert "ks-secret" not in json.dumps(sandbox.posts())


def test_recall_deletes_the_work_and_audits_it(cli, ready: Path, sandbox: Sandbox) -> None:
    (outcome,) = publish(cli, ready, CHANNEL)
    assert outcome["state"] == "sent"
    result = cli(ready, "recall", "spring-festival-greeting", "--channel", CHANNEL, "--reason", "配图有误", "--json")
    (done,) = json.loads(result.stdout)
    assert done["taken"] == "withdrawn", done
    assert job_of(ready, CHANNEL).state == "recalled"
    assert sandbox.posts()[-1]["path"] == "/kuaishou/openapi/photo/delete"
