"""The Kuaishou adapter against the sandbox over real HTTP: start_upload, raw or fragment upload, publish, processing, withdraw."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from mediactl.config.platforms import get_platform
from mediactl.sandbox import Sandbox
from mediactl.sandbox.platforms.kuaishou import Kuaishou
from videoflow import (
    KUAISHOU,
    channel_env,
    copy_project,
    delivery_records,
    job_of,
    manifest_video,
    paths,
    publish,
    ready_channel,
    submits,
)

CHANNEL = KUAISHOU.channel


pytestmark = pytest.mark.sandbox(seed=KUAISHOU.seed, publish_polls=1)


@pytest.fixture
def ready(approved_video: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox, cli) -> Path:
    return ready_channel(KUAISHOU, cli, copy_project(approved_video, tmp_path), sandbox, monkeypatch)


def publishes(sandbox: Sandbox) -> list[dict]:
    return submits(sandbox, KUAISHOU)


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


def test_a_channel_never_authorised_fails_saying_what_to_do(cli, approved_video: Path, tmp_path: Path, sandbox: Sandbox,
                                                          monkeypatch) -> None:  # fmt: skip
    channel_env(KUAISHOU, sandbox, monkeypatch)
    (outcome,) = publish(cli, copy_project(approved_video, tmp_path), CHANNEL)
    assert outcome["state"] == "failed"
    assert "channel bank-kuaishou is not authorised yet: run `mediactl auth bank-kuaishou`" in outcome["detail"]
    assert paths(sandbox, "kuaishou") == []  # nothing was sent


def test_a_refused_publish_fails_with_kuaishous_words(cli, ready: Path, sandbox: Sandbox) -> None:
    sandbox.add_fault("reject")
    (outcome,) = publish(cli, ready, CHANNEL)
    assert outcome["state"] == "failed"
    assert "result 120003" in outcome["detail"] and "the platform refused the content" in outcome["detail"]


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
