"""Hand-off channels (小红书, 视频号, 头条号): the upload bundle, the operator's notification, `queue resolve`.

The notification goes to a receiver of the test's own on 127.0.0.1 (localhttp.py), standing in for the
operators' WeCom group robot `ops-robot` of the example config.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import socket
from pathlib import Path

import pytest

from localhttp import LocalServer
from mediactl.config.model import load_config
from mediactl.publish.adapters.base import Variant
from mediactl.publish.adapters.handoff import HandoffAdapter
from mediactl.publish.store import Store
from mediactl.text.textfit import count

SLUG = "anti-fraud-2026"
VIDEO = "spring-festival-greeting"
SECRET = "robot-signing-key-0123"
POSTED = "https://www.xiaohongshu.com/explore/65f0c0aa000000001203a1b2"


@pytest.fixture
def robot():
    """The operators' group robot: answers as `robot.status` says (200 unless a test breaks it)."""
    server = LocalServer(lambda request: (server.status, {"errcode": 0, "errmsg": "ok"}))
    server.status = 200
    with server:
        yield server


def configure(root: Path, old: str, new: str) -> None:
    config = root / "mediactl.yaml"
    text = config.read_text("utf-8")
    assert old in text, old
    config.write_text(text.replace(old, new, 1), "utf-8")


@pytest.fixture
def project(example: Path, robot: LocalServer, monkeypatch, cli) -> Path:
    """The example project, its ops-robot pointed at the test's receiver, anti-fraud-2026 checked and approved."""
    configure(example, "url: http://127.0.0.1:8765/webhook/ops-robot", f"url: {robot.url}/cgi-bin/webhook/send")
    monkeypatch.setenv("OPS_ROBOT_SECRET", SECRET)
    monkeypatch.setenv("MEDIACTL_USER", "li.na")
    assert cli(example, "check").exit_code == 0
    assert cli(example, "review", SLUG, VIDEO).exit_code == 0
    approved = cli(example, "approve", SLUG, VIDEO, "--as", "wang.min")
    assert approved.exit_code == 0, approved.output
    return example


def publish(cli, root: Path, slug: str, channel: str, *extra: str) -> tuple[int, list[dict]]:
    result = cli(root, "publish", slug, "--channel", channel, "--json", *extra)
    assert "Traceback" not in result.output, result.output
    return result.exit_code, json.loads(result.stdout)


def jobs(root: Path) -> list:
    store = Store(root / ".mediactl/queue.sqlite3")
    try:
        return store.jobs()
    finally:
        store.close()


def manifest(root: Path, channel: str, slug: str) -> dict:
    return json.loads((root / "build" / channel / slug / "manifest.json").read_text("utf-8"))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def steps(checklist: str) -> list[str]:
    """The numbered steps, checked to run 1, 2, 3 … without a gap."""
    found = re.findall(r"^(\d+)\. (.+)$", checklist, flags=re.MULTILINE)
    assert [int(n) for n, _ in found] == list(range(1, len(found) + 1))
    return [text for _, text in found]


def test_a_xiaohongshu_bundle_holds_the_approved_bytes_in_upload_order(cli, project: Path, robot) -> None:
    code, (outcome,) = publish(cli, project, SLUG, "bank-xhs")
    assert code == 0 and outcome["state"] == "awaiting-confirmation" and not outcome["attention"], outcome
    (job,) = jobs(project)
    assert job.state == "awaiting-confirmation" and job.remote_id == f"handoff/bank-xhs/{SLUG}/"
    assert f"written to handoff/bank-xhs/{SLUG}/" in outcome["detail"] and "ops-robot notified" in outcome["detail"]
    folder = project / "handoff/bank-xhs" / SLUG
    expected = {"01-cover.jpg", "title.txt", "body.txt", "topics.txt", "checklist.md", "bundle.json"}
    assert {p.name for p in folder.iterdir()} == expected
    assert [p.name for p in folder.parent.iterdir()] == [SLUG]  # no staging folder left behind
    approved = manifest(project, "bank-xhs", SLUG)
    (cover,) = approved["media"]
    assert sha256((folder / "01-cover.jpg").read_bytes()) == cover["sha256"]  # exactly the sealed image
    texts = approved["texts"]
    assert (folder / "title.txt").read_text("utf-8") == texts["title"]
    assert (folder / "body.txt").read_text("utf-8") == texts["body"]
    assert count(texts["title"], "half_ascii") <= 20 and count(texts["body"], "chars") <= 1000  # 小红书's limits
    assert (folder / "topics.txt").read_text("utf-8") == "#反诈\n#防范电信网络诈骗\n#金融知识普及\n"
    bundle = json.loads((folder / "bundle.json").read_text("utf-8"))
    assert (bundle["job"], bundle["item"], bundle["channel"]) == (job.id, SLUG, "bank-xhs")
    assert (bundle["idempotency_key"], bundle["content_hash"]) == (job.idempotency_key, job.content_hash)
    assert bundle["upload_order"] == ["01-cover.jpg"]
    for entry in bundle["files"]:
        assert sha256((folder / entry["name"]).read_bytes()) == entry["sha256"]
    checklist = (folder / "checklist.md").read_text("utf-8")
    assert checklist.startswith("# 小红书发布清单：anti-fraud-2026")
    listed = steps(checklist)
    assert listed[0].startswith("打开小红书 App")
    assert "按编号顺序选择图片：01-cover.jpg（第一张为封面，比例 3:4）" in listed[1]
    assert "复制 title.txt 的全部内容到标题栏（14 字，上限 20）" in listed[2]
    assert "复制 body.txt" in listed[3]
    assert "#反诈 #防范电信网络诈骗 #金融知识普及" in listed[4] and "从弹出的列表中选择" in listed[4]
    assert listed[-1].endswith(f"复制链接」，运行：mediactl queue resolve {job.id} --sent <链接>")
    assert not any("视频" in step or "{" in step for step in listed)  # an image note: no video step, all filled in


def test_the_operator_is_notified_with_item_channel_bundle_and_resolve(cli, project: Path, robot) -> None:
    publish(cli, project, SLUG, "bank-xhs")
    (job,) = jobs(project)
    (request,) = robot.requests
    assert (request.method, request.path) == ("POST", "/cgi-bin/webhook/send")
    message = request.json()
    assert message["msgtype"] == "text"  # the shape a WeCom group robot takes
    content = message["text"]["content"]
    for part in (SLUG, "bank-xhs", "小红书", f"handoff/bank-xhs/{SLUG}/", f"mediactl queue resolve {job.id} --sent"):
        assert part in content, part
    assert message["mediactl"]["job"] == job.id and message["mediactl"]["bundle"] == f"handoff/bank-xhs/{SLUG}/"
    signature = hmac.new(SECRET.encode(), request.headers["x-mediactl-timestamp"].encode() + b"." + request.body,
                         hashlib.sha256).hexdigest()  # fmt: skip
    assert request.headers["x-mediactl-signature"] == f"sha256={signature}"


def test_queue_resolve_records_the_post_of_a_hand_off_and_audits_it(cli, project: Path) -> None:
    publish(cli, project, SLUG, "bank-xhs")
    (job,) = jobs(project)
    bad = cli(project, "queue", "resolve", str(job.id), "--sent", "已发布")
    assert bad.exit_code == 2 and "expected the post's URL" in bad.stderr
    assert jobs(project)[0].state == "awaiting-confirmation"
    done = cli(project, "queue", "resolve", str(job.id), "--sent", POSTED)
    assert done.exit_code == 0, done.output
    (resolved,) = jobs(project)
    assert (resolved.state, resolved.remote_url) == ("sent", POSTED)
    log = json.loads(cli(project, "log", "--json").stdout)
    (record,) = [r for r in log if r["action"] == "queue.resolve"]
    assert (record["job"], record["url"], record["channel"], record["actor"]) == (job.id, POSTED, "bank-xhs", "li.na")
    again = cli(project, "queue", "resolve", str(job.id), "--sent", POSTED)
    assert again.exit_code == 2 and "only unknown, awaiting-confirmation jobs can become sent" in again.stderr
    assert cli(project, "log", "verify").exit_code == 0


def test_a_failed_notification_leaves_the_bundle_and_says_so(cli, project: Path, robot) -> None:
    """The bundle is the delivery: the job waits for its confirmation as ever, records that the operator was not
    told, and the run exits 1 so that cron reports it (module docstring of publish/adapters/handoff.py)."""
    robot.status = 500
    code, (outcome,) = publish(cli, project, SLUG, "bank-xhs")
    assert code == 1 and outcome["state"] == "awaiting-confirmation" and outcome["attention"], outcome
    assert "notifying ops-robot failed (notify POST: HTTP 500" in outcome["detail"]
    assert "tell the operator yourself" in outcome["detail"]
    folder = project / "handoff/bank-xhs" / SLUG
    assert {"01-cover.jpg", "title.txt", "body.txt", "checklist.md", "bundle.json"} <= {
        p.name for p in folder.iterdir()
    }
    (job,) = jobs(project)
    assert job.state == "awaiting-confirmation" and "notifying ops-robot failed" in job.error
    log = json.loads(cli(project, "log", "--json").stdout)
    (record,) = [r for r in log if r["action"] == "delivery.awaiting-confirmation"]
    assert "notifying ops-robot failed" in record["error"]
    assert cli(project, "queue", "resolve", str(job.id), "--sent", POSTED).exit_code == 0


def test_a_channels_video_bundle_uploads_the_video_then_its_cover(cli, project: Path) -> None:
    code, (outcome,) = publish(cli, project, VIDEO, "bank-channels", "--at", "2020-01-01T09:00")
    assert code == 0 and outcome["state"] == "awaiting-confirmation", outcome
    folder = project / "handoff/bank-channels" / VIDEO
    bundle = json.loads((folder / "bundle.json").read_text("utf-8"))
    assert bundle["upload_order"] == ["01-video.mp4", "02-cover.jpg"]
    clip = (project / "build/bank-channels" / VIDEO / "video.mp4").read_bytes()  # the vertical variant, not the source
    assert (folder / "01-video.mp4").read_bytes() == clip
    assert (folder / "subtitles.srt").is_file() and (folder / "short_title.txt").read_text(
        "utf-8"
    ) == "示例银行给您拜年啦"
    listed = steps((folder / "checklist.md").read_text("utf-8"))
    assert listed[1] == "上传视频：01-video.mp4。" and listed[2] == "设置封面：选择 02-cover.jpg（比例 3:4）。"
    assert any("复制 short_title.txt 的内容（9 字，须 6–16 字" in step for step in listed)
    assert not any("选择图片" in step for step in listed)


def test_toutiao_bundle_pastes_the_html_and_uses_its_topic_syntax(cli, project: Path) -> None:
    code, (outcome,) = publish(cli, project, SLUG, "bank-toutiao")
    assert code == 0 and outcome["state"] == "awaiting-confirmation", outcome
    folder = project / "handoff/bank-toutiao" / SLUG
    assert (folder / "content.html").read_text("utf-8") == manifest(project, "bank-toutiao", SLUG)["texts"]["content"]
    listed = steps((folder / "checklist.md").read_text("utf-8"))
    assert any("用浏览器打开 content.html" in step for step in listed)
    assert any("上传 01-cover.jpg（比例 16:9）" in step for step in listed)
    assert (folder / "topics.txt").read_text("utf-8").splitlines()[0] == "#反诈#"


def test_a_text_over_the_channels_limit_is_never_handed_off(cli, project: Path) -> None:
    """Queued within the limits, then the channel's limit is narrowed: delivery refuses the bundle, writes nothing."""
    _, (queued,) = publish(cli, project, SLUG, "bank-xhs", "--at", "2099-01-01T09:00")
    assert queued["state"] == "queued", queued
    configure(project, "    notify: ops-robot                 #", "    limits: {title: 10}\n    notify: ops-robot  #")
    store = Store(project / ".mediactl/queue.sqlite3")
    with store.transaction() as db:
        db.execute("UPDATE jobs SET due_at = 0")
    store.close()
    assert cli(project, "publish", "--due").exit_code == 1
    (job,) = jobs(project)
    assert job.state == "failed"
    assert (
        "title (title.txt) is 14 long (half_ascii), over bank-xhs's limit of 10; no hand-off bundle was written"
        in job.error
    )
    assert not (project / "handoff").exists()


def test_image_count_and_ratio_come_from_the_facts(example: Path) -> None:
    config = load_config(example / "mediactl.yaml")
    adapter = HandoffAdapter(config.channel("bank-xhs"), config)
    square = {"name": "cover", "file": "cover.jpg", "width": 1080, "height": 1080, "sha256": "0" * 64}
    images = [{"src": f"p{n}.png", "file": f"p{n}.png", "sha256": "0" * 64} for n in range(18)]
    document = {"texts": {"title": "标题", "body": "正文"}, "files": {"title": "title.txt", "body": "body.txt"},
                "media": [square], "body_images": images, "video": None, "subtitles": [], "hashtags": []}  # fmt: skip
    variant = Variant(config.channel("bank-xhs"), "x", "0" * 64, document, lambda digest, what: b"")
    problems = adapter.validate(variant)
    assert "19 images; 小红书 takes at most 18; no hand-off bundle was written" in problems
    assert "cover.jpg is 1080×1080, not 3:4 as 小红书 needs; no hand-off bundle was written" in problems


@pytest.mark.parametrize(
    ("option", "reason"),
    [
        (
            "notify: nobody",
            "channels.bank-xhs.notify: 'nobody' is not a channel of mediactl.yaml (webhook channels: ops-robot)",
        ),
        (
            "notify: bank-wechat",
            "channels.bank-xhs.notify: channel 'bank-wechat' (wechat_oa) cannot send a notification",
        ),
    ],
)
def test_a_hand_off_channel_configured_wrong_is_refused_while_planning(
    cli, project: Path, option: str, reason: str
) -> None:
    key = option.split(":")[0]
    configure(project, {"notify": "    notify: ops-robot   ", "path": "    path: handoff   "}[key], f"    {option}   ")
    code, (outcome,) = publish(cli, project, SLUG, "bank-xhs")
    assert code == 1 and outcome["state"] == "refused" and reason in outcome["detail"], outcome
    assert jobs(project) == [] and not (project / "handoff").exists()


@pytest.mark.parametrize("folder", ["/tmp/elsewhere", "../elsewhere"])
def test_a_hand_off_folder_outside_the_project_is_a_config_error(cli, project: Path, folder: str) -> None:
    configure(project, "    path: handoff   ", f"    path: {folder}   ")
    result = cli(project, "publish", SLUG, "--channel", "bank-xhs", "--json")
    assert result.exit_code == 2 and "channels.bank-xhs.path" in result.stderr, result.output
    assert jobs(project) == [] and not (project / "handoff").exists()


def test_a_hand_off_folder_linked_out_of_the_project_is_refused(cli, project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (project / "handoff").symlink_to(outside, target_is_directory=True)
    code, (outcome,) = publish(cli, project, SLUG, "bank-xhs")
    assert code == 1 and outcome["state"] == "failed" and "leads outside the project" in outcome["detail"], outcome
    assert list(outside.iterdir()) == []


def test_a_run_that_stopped_after_writing_the_bundle_is_reconciled(cli, project: Path) -> None:
    """The bundle was written, then the run died before recording anything: the next run finds the bundle by its
    key and lets the job wait for its confirmation, saying the operator may not have been told."""
    from mediactl.publish.runner import Publisher
    from mediactl.publish.vault import sealed_variant

    publish(cli, project, SLUG, "bank-xhs", "--at", "2099-01-01T09:00")
    (job,) = jobs(project)
    config = load_config(project / "mediactl.yaml")
    publisher = Publisher(config)
    try:
        channel = config.channel("bank-xhs")
        variant = sealed_variant(publisher.vault, channel, SLUG, job.content_hash)
        publisher.adapter(channel).publish(variant, job.idempotency_key)  # the delivery, with no outcome recorded
        with publisher.store.transaction() as db:  # the job as a run that died while sending leaves it
            db.execute("UPDATE jobs SET state = 'sending', due_at = 0, claimed_by = ?",
                       (f"{socket.gethostname()}:999999999:1",))  # fmt: skip
    finally:
        publisher.close()
    result = cli(project, "publish", "--due", "--json")
    (outcome,) = json.loads(result.stdout)
    assert outcome["state"] == "awaiting-confirmation" and outcome["attention"], outcome
    assert "written by a run that stopped before recording it" in outcome["detail"]
    assert jobs(project)[0].state == "awaiting-confirmation"
