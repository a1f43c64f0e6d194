"""Issue 10: what is sent is exactly what was checked and approved; nothing outside the project is read.

Each test replays an auditor's attack on a copy of the example project: edit `build/` or `content/`
after approval, link a file of the machine into content or templates, put words in subtitles.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image

from mediactl.publish.store import Store

SLUG = "anti-fraud-2026"
VIDEO = "spring-festival-greeting"


def outcomes(result) -> list[dict]:
    return json.loads(result.stdout)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def png(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "PNG")
    return out.getvalue()


def approve(cli, project: Path, slug: str, monkeypatch) -> None:
    """Check, review as the author, approve as a second person (the README's maker-checker path).

    Approving writes `status: approved` into index.md; the render after it brings the render index
    up to date, so a later `publish` finds the variant fresh and does not overwrite what a test edits.
    """
    monkeypatch.setenv("MEDIACTL_USER", "li.na")
    assert cli(project, "check", slug).exit_code == 0
    assert cli(project, "review", slug).exit_code == 0
    monkeypatch.setenv("MEDIACTL_USER", "wang.min")
    result = cli(project, "approve", slug)
    assert result.exit_code == 0, result.output
    assert cli(project, "render", slug).exit_code == 0


def queue_for_later(cli, project: Path, slug: str) -> int:
    (queued,) = outcomes(cli(project, "publish", slug, "--channel", "outbox", "--at", "2099-01-01T09:00", "--json"))
    assert queued["state"] == "queued", queued
    return int(queued["job"])


def make_due(project: Path) -> None:
    store = Store(project / ".mediactl/queue.sqlite3")
    store.db.execute("UPDATE jobs SET due_at = 0 WHERE state = 'pending'")
    store.close()


def delivered(project: Path, slug: str) -> Path:
    (folder,) = (project / "outbox/outbox" / slug).iterdir()
    return folder


def channel_state(cli, project: Path, slug: str, channel: str) -> str:
    (item,) = [i for i in json.loads(cli(project, "ls", "--json").stdout) if i["slug"] == slug]
    return next(c["state"] for c in item["approval"]["channels"] if c["channel"] == channel)


# --- 1. the gate trusts bytes, not manifest.json --------------------------------------------------------


def test_edits_to_build_after_queueing_are_never_delivered(cli, example: Path, monkeypatch) -> None:
    approve(cli, example, SLUG, monkeypatch)
    build = example / "build/outbox" / SLUG
    approved_body, approved_cover = (build / "body.md").read_bytes(), (build / "cover.jpg").read_bytes()
    queue_for_later(cli, example, SLUG)
    with (build / "body.md").open("a", encoding="utf-8") as body:
        body.write("\n本行承诺保本保收益\n")
    (build / "cover.jpg").write_bytes(png("red"))
    assert channel_state(cli, example, SLUG, "outbox") == "modified"  # ls no longer calls it approved

    make_due(example)
    (sent,) = outcomes(cli(example, "publish", "--due", "--json"))
    assert sent["state"] == "sent"
    folder = delivered(example, SLUG)
    assert (folder / "body.md").read_bytes() == approved_body
    assert "保本保收益" not in (folder / "body.md").read_text("utf-8")
    assert (folder / "cover.jpg").read_bytes() == approved_cover


def test_a_changed_build_is_refused_at_enqueue_naming_the_file(cli, example: Path, monkeypatch) -> None:
    approve(cli, example, SLUG, monkeypatch)
    with (example / "build/outbox" / SLUG / "body.md").open("a", encoding="utf-8") as body:
        body.write("\n本行承诺保本保收益\n")
    result = cli(example, "publish", SLUG, "--channel", "outbox", "--json")
    assert result.exit_code == 1
    (refused,) = outcomes(result)
    assert refused["state"] == "refused"
    assert f"build/outbox/{SLUG}/body.md was edited after render" in refused["detail"]
    assert not (example / "outbox").exists()


def test_a_hand_edited_manifest_with_a_new_hash_is_not_approved(cli, example: Path, monkeypatch) -> None:
    """Rewriting the text, manifest texts and content_hash consistently makes a new variant: unchecked, unapproved."""
    from mediactl.render.manifest import content_hash

    approve(cli, example, SLUG, monkeypatch)
    build = example / "build/outbox" / SLUG
    manifest = json.loads((build / "manifest.json").read_text("utf-8"))
    manifest["texts"]["body"] += "\n本行承诺保本保收益"
    manifest["content_hash"] = content_hash(manifest)
    (build / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    (build / "body.md").write_text(manifest["texts"]["body"], "utf-8")
    (refused,) = outcomes(cli(example, "publish", SLUG, "--channel", "outbox", "--json"))
    assert refused["state"] == "refused"
    assert (
        "approved an earlier version" in refused["detail"]
        and "the last check was of other content" in refused["detail"]
    )


def test_a_content_image_replaced_after_queueing_is_not_uploaded(cli, example: Path, monkeypatch) -> None:
    from mediactl.sandbox import Sandbox, SandboxOptions

    item = example / "content/article" / SLUG
    (item / "chart.png").write_bytes(png("navy"))
    with (item / "index.md").open("a", encoding="utf-8") as body:
        body.write("\n![近期案例统计](chart.png)\n")
    approved = sha((item / "chart.png").read_bytes())
    monkeypatch.setenv("BANK_WECHAT_APPID", "wx0123456789abcdef")
    monkeypatch.setenv("BANK_WECHAT_SECRET", "wechat-app-secret-value")
    approve(cli, example, SLUG, monkeypatch)
    (queued,) = outcomes(
        cli(example, "publish", SLUG, "--channel", "bank-wechat", "--at", "2099-01-01T09:00", "--json")
    )
    assert queued["state"] == "queued", queued
    (item / "chart.png").write_bytes(png("red"))  # overwritten in content/ after the approval

    make_due(example)
    with Sandbox(SandboxOptions(seed=3, publish_polls=1)) as sandbox:
        monkeypatch.setenv("MEDIACTL_SANDBOX_URL", sandbox.url)
        (sent,) = outcomes(cli(example, "publish", "--due", "--json"))
        uploads = [
            c["uploaded"]["sha256"] for c in sandbox.calls() if c["path"] == "/wechat_oa/cgi-bin/media/uploadimg"
        ]
    assert sent["state"] == "sent", sent
    assert uploads == [approved]


def test_the_sealed_copy_is_sent_even_when_build_is_deleted(cli, example: Path, monkeypatch) -> None:
    approve(cli, example, SLUG, monkeypatch)
    approved_body = (example / "build/outbox" / SLUG / "body.md").read_bytes()
    queue_for_later(cli, example, SLUG)
    shutil.rmtree(example / "build")
    make_due(example)
    assert [o["state"] for o in outcomes(cli(example, "publish", "--due", "--json"))] == ["sent"]
    assert (delivered(example, SLUG) / "body.md").read_bytes() == approved_body


def test_an_altered_sealed_blob_is_refused_and_the_job_can_be_retried(cli, example: Path, monkeypatch) -> None:
    approve(cli, example, SLUG, monkeypatch)
    cover = (example / "build/outbox" / SLUG / "cover.jpg").read_bytes()
    job = queue_for_later(cli, example, SLUG)
    blob = example / ".mediactl/vault" / sha(cover)[:2] / sha(cover)
    blob.write_bytes(png("red"))
    make_due(example)
    result = cli(example, "publish", "--due", "--json")
    assert result.exit_code == 1
    (failed,) = outcomes(result)
    assert failed["state"] == "failed"
    assert "no longer matches its sha256" in failed["detail"] and "nothing was sent" in failed["detail"]
    assert not (example / "outbox/outbox" / SLUG).exists()

    blob.write_bytes(cover)  # restored from a backup: a person retries
    assert cli(example, "queue", "retry", str(job)).exit_code == 0
    assert [o["state"] for o in outcomes(cli(example, "publish", "--due", "--json"))] == ["sent"]


def test_check_refuses_a_variant_edited_after_render(cli, example: Path) -> None:
    assert cli(example, "render", SLUG).exit_code == 0
    (example / "build/outbox" / SLUG / "title.txt").write_text("稳赚不赔", "utf-8")
    result = cli(example, "check", SLUG, "--no-render")
    assert result.exit_code == 1
    assert f"build/outbox/{SLUG}/title.txt was edited after render" in result.stderr
    assert "could not be checked" in result.stderr


# --- 2. no file outside the project is read through a link ------------------------------------------------


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    secret = tmp_path / "outside" / "passwd"
    secret.parent.mkdir()
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n", "utf-8")
    return secret


def test_a_body_image_linked_outside_the_project_is_refused(cli, example: Path, outside: Path, monkeypatch) -> None:
    item = example / "content/article" / SLUG
    os.symlink(outside, item / "body.png")
    with (item / "index.md").open("a", encoding="utf-8") as body:
        body.write("\n![图](body.png)\n")
    result = cli(example, "render", SLUG)
    assert result.exit_code == 1
    assert "body.png: body image leads outside the project through a symbolic link" in result.stderr
    monkeypatch.setenv("MEDIACTL_USER", "wang.min")
    assert cli(example, "approve", SLUG).exit_code != 0
    leaked = [p for p in example.rglob("*") if p.is_file() and not p.is_symlink() and b"root:x:0" in p.read_bytes()]
    assert leaked == []


def test_an_asset_linked_outside_the_project_is_a_content_problem(cli, example: Path, outside: Path) -> None:
    item = example / "content/graphic/credit-card-cashback"
    (item / "poster.png").unlink()
    os.symlink(outside, item / "poster.png")
    result = cli(example, "render", "credit-card-cashback")
    assert result.exit_code != 0
    assert "poster.png" in result.output + result.stderr
    assert "outside the project" in result.output + result.stderr
    assert not any(b"root:x:0" in p.read_bytes() for p in (example / "build").rglob("*") if p.is_file())


def test_a_template_included_through_a_link_is_refused(cli, example: Path, outside: Path) -> None:
    templates = example / "templates/outbox"
    templates.mkdir(parents=True, exist_ok=True)
    os.symlink(outside, templates / "footer.j2")
    (templates / "article.j2").write_text(
        '{% extends "builtin/outbox/default.j2" %}\n{% block summary %}{% include "outbox/footer.j2" %}{% endblock %}\n',
        "utf-8",
    )
    result = cli(example, "render", SLUG, "--channel", "outbox")
    assert result.exit_code == 1
    assert "templates/outbox/footer.j2" in result.stderr and "outside the project" in result.stderr
    assert not (example / "build/outbox" / SLUG).exists()


def test_an_index_md_linked_outside_the_project_is_refused(cli, example: Path, tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.md"
    foreign.write_text((example / "content/article" / SLUG / "index.md").read_text("utf-8"), "utf-8")
    item = example / "content/article/linked"
    item.mkdir()
    os.symlink(foreign, item / "index.md")
    result = cli(example, "ls")
    assert result.exit_code == 2
    assert "content/article/linked/index.md" in result.stderr and "outside the project" in result.stderr


# --- 5. subtitles are checked with the item and part of the content hash -------------------------------------


def test_words_in_subtitles_fail_the_check_and_void_the_approval(cli, example: Path, monkeypatch) -> None:
    approve(cli, example, VIDEO, monkeypatch)
    assert channel_state(cli, example, VIDEO, "outbox") == "valid"
    srt = example / "content/video" / VIDEO / "subtitles.srt"
    srt.write_text(srt.read_text("utf-8") + "\n99\n00:00:03,000 --> 00:00:04,000\n保本保收益，稳赚不赔\n", "utf-8")

    result = cli(example, "check", VIDEO, "--format", "json")
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    hits = [f for f in findings if f["file"].endswith("subtitles.srt")]
    assert hits and {f["severity"] for f in hits} & {"error", "blocker"}
    assert channel_state(cli, example, VIDEO, "outbox") == "void"  # the content hash moved with the subtitles
