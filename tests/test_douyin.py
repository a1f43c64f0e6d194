"""The Douyin adapter against the sandbox over real HTTP: upload (whole and in parts), create, review, reconcile, withdraw."""

from __future__ import annotations

from pathlib import Path

import pytest

import mediactl
from mediactl.config.platforms import get_platform
from mediactl.sandbox import Sandbox
from mediactl.sandbox.platforms.douyin import Douyin
from videoflow import (
    DOUYIN,
    approve_video,
    copy_project,
    delivery_records,
    job_of,
    manifest_video,
    paths,
    publish,
    ready_channel,
    submits,
)

CHANNEL = DOUYIN.channel


pytestmark = pytest.mark.sandbox(seed=DOUYIN.seed, publish_polls=1)


@pytest.fixture
def ready(approved_video: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox, cli) -> Path:
    return ready_channel(DOUYIN, cli, copy_project(approved_video, tmp_path), sandbox, monkeypatch)


def creates(sandbox: Sandbox) -> list[dict]:
    return submits(sandbox, DOUYIN)


def lower_part_threshold(monkeypatch: pytest.MonkeyPatch, *, whole_max: int, part_bytes: int) -> None:
    """The part path on a 67 KB clip: the adapter's threshold and part size are data (douyin.yaml `upload:`)."""
    upload = get_platform("douyin").facts["upload"]
    monkeypatch.setitem(upload, "whole_max_bytes", whole_max)
    monkeypatch.setitem(upload, "part_bytes", part_bytes)


def test_video_is_uploaded_whole_created_with_its_topics_and_reviewed(cli, ready: Path, sandbox: Sandbox) -> None:
    (outcome,) = publish(cli, ready, CHANNEL)
    assert outcome["state"] == "sent", outcome
    assert outcome["url"].startswith(f"{sandbox.url}/douyin/video/")
    assert paths(sandbox, "douyin")[2:] == ["/video/upload/", "/video/create/", "/video/data/", "/video/data/"]
    (create,) = creates(sandbox)
    assert (
        create["summary"]["text"] == "新春快乐，万事如意！ #新年快乐 #春节"
    )  # the caption holds the variant's #topics
    assert create["summary"]["video_sha256"] == manifest_video(ready, CHANNEL)["sha256"]  # exactly the sealed bytes
    assert create["summary"]["cover_tsp"] == manifest_video(ready, CHANNEL)["cover_at"] == 1.0  # cover.at
    assert job_of(ready, CHANNEL).remote_id == create["summary"]["item_id"]
    assert sandbox.calls()[-1]["path"] == "/douyin/video/data/"  # as the grant's open_id (else 2190015)
    (record,) = delivery_records(ready)
    assert (
        record["action"] == "delivery.sent"
        and record["sandbox"] is True
        and record["remote_id"] == job_of(ready, CHANNEL).remote_id
    )


def test_a_video_above_the_threshold_goes_in_ordered_parts(cli, ready: Path, sandbox: Sandbox, monkeypatch) -> None:
    size = manifest_video(ready, CHANNEL)["bytes"]
    part = -(-size // 5)  # five parts of the transcoded video, whatever its size
    lower_part_threshold(monkeypatch, whole_max=part + 1, part_bytes=part)
    monkeypatch.setattr(Douyin, "MIN_PART_BYTES", part)  # the platform's 5 MB minimum, scaled like the adapter's
    (outcome,) = publish(cli, ready, CHANNEL)
    assert outcome["state"] == "sent", outcome
    upload_calls = [c for c in sandbox.calls() if c["path"].startswith("/douyin/video/part/")]
    assert [c["path"] for c in upload_calls] == ["/douyin/video/part/init/"] + ["/douyin/video/part/upload/"] * 5 + [
        "/douyin/video/part/complete/"
    ]
    assert [c["uploaded"]["bytes"] for c in upload_calls[1:-1]] == [part] * 4 + [size - 4 * part]
    assert creates(sandbox)[0]["summary"]["video_sha256"] == manifest_video(ready, CHANNEL)["sha256"]


def test_the_sandbox_refuses_parts_under_the_platforms_minimum(cli, ready: Path, monkeypatch) -> None:
    """Douyin's parts are ≥5 MB but the last: an adapter cutting smaller ones is refused, not silently accepted."""
    lower_part_threshold(monkeypatch, whole_max=20_000, part_bytes=16_000)
    (outcome,) = publish(cli, ready, CHANNEL)
    assert outcome["state"] == "failed"
    assert "error_code 2100005" in outcome["detail"] and "under 5242880 bytes" in outcome["detail"]


def test_the_sandbox_refuses_a_whole_upload_over_the_direct_limit(cli, ready: Path, monkeypatch) -> None:
    monkeypatch.setattr(Douyin, "DIRECT_MAX_BYTES", 10_000)  # Douyin's 128 MB, scaled to the clip
    (outcome,) = publish(cli, ready, CHANNEL)
    assert outcome["state"] == "failed"
    assert "error_code 2190005" in outcome["detail"] and "the platform refused the media" in outcome["detail"]


def test_the_templates_cover_second_is_approved_with_the_video_and_goes_to_create(
    cli, tmp_path: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The project's vertical template puts the cover at 9 s: past the 4-second video, so the render records the
    last frame's second (3.9) in the variant's video entry, inside the content hash, and create sends it."""

    def cover_at_nine(root: Path) -> None:
        packaged = Path(mediactl.__file__).parent / "data" / "templates" / "media" / "video-vertical.yaml"
        (root / "templates" / "media").mkdir(parents=True, exist_ok=True)
        text = packaged.read_text("utf-8").replace("cover: {at: 1.0}", "cover: {at: 9}")
        (root / "templates" / "media" / "video-vertical.yaml").write_text(text, "utf-8")

    project = ready_channel(DOUYIN, cli, approve_video(tmp_path / "example", cover_at_nine), sandbox, monkeypatch)
    assert manifest_video(project, CHANNEL)["cover_at"] == 3.9
    (outcome,) = publish(cli, project, CHANNEL)
    assert outcome["state"] == "sent", outcome
    assert creates(sandbox)[0]["summary"]["cover_tsp"] == 3.9


def test_the_old_channel_option_cover_tsp_is_refused_saying_where_it_moved(cli, ready: Path) -> None:
    config = ready / "mediactl.yaml"
    text = config.read_text("utf-8")
    config.write_text(text.replace("    platform: douyin\n", "    platform: douyin\n    cover_tsp: 1.5\n"), "utf-8")
    line = config.read_text("utf-8").splitlines().index("    cover_tsp: 1.5") + 1
    result = cli(ready, "publish", "--due")
    assert result.exit_code == 2
    assert f"mediactl.yaml:{line}:5: channels.{CHANNEL}.cover_tsp: this option moved:" in result.output
    assert "`cover.at`" in result.output and "video.cover_at" in result.output


def test_a_refused_refresh_token_says_to_authorise_again(cli, ready: Path, sandbox: Sandbox) -> None:
    sandbox._state.platforms["douyin"]._refresh.clear()  # Douyin no longer knows the grant's refresh token (10010)
    sandbox.add_fault("expired-token")
    (outcome,) = publish(cli, ready, CHANNEL)
    assert outcome["state"] == "failed"
    assert '"error_code": 10010' in outcome["detail"] and "refused to renew the grant" in outcome["detail"]
    assert "run `mediactl auth bank-douyin` again" in outcome["detail"]


def test_content_refused_at_create_fails_with_douyins_words(cli, ready: Path, sandbox: Sandbox) -> None:
    sandbox.add_fault("reject")
    (outcome,) = publish(cli, ready, CHANNEL)
    assert outcome["state"] == "failed"
    assert "error_code 2111001" in outcome["detail"] and "the platform refused the content" in outcome["detail"]


def test_review_rejection_after_create_fails_with_the_status(cli, ready: Path, sandbox: Sandbox) -> None:
    sandbox.add_fault("publish-fail")
    (outcome,) = publish(cli, ready, CHANNEL)
    assert outcome["state"] == "failed"
    assert "unsuitable for public (不适宜公开) (video_status 2)" in outcome["detail"]
    assert job_of(ready, CHANNEL).remote_id == creates(sandbox)[0]["summary"]["item_id"]


def test_withdraw_deletes_the_video(cli, ready: Path, sandbox: Sandbox) -> None:
    from mediactl.config.model import load_config
    from mediactl.publish.adapters.douyin import DouyinAdapter
    from mediactl.publish.store import open_store

    (outcome,) = publish(cli, ready, CHANNEL)
    assert outcome["state"] == "sent"
    config = load_config(ready / "mediactl.yaml")
    adapter = DouyinAdapter(config.channel(CHANNEL), config)
    adapter.store = open_store(config)  # the channel's grant is there
    item_id = job_of(ready, CHANNEL).remote_id
    try:
        assert adapter.status(item_id) is not None
        adapter.withdraw(item_id)
        assert adapter.status(item_id) is None  # gone from /video/data/
        from mediactl.publish.adapters.base import Rejected

        with pytest.raises(Rejected, match="item_id does not exist"):
            adapter.withdraw(item_id)
    finally:
        adapter.store.close()
        adapter.close()
    assert [p["path"] for p in sandbox.posts()][-2:] == ["/douyin/video/delete/"] * 2
