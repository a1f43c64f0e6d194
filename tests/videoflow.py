"""What the video-platform tests share: an approved video item, OAuth grants from the sandbox, jobs and calls.

The example's `spring-festival-greeting` (a 4-second MP4 with a cover) is checked, reviewed and
approved once per session (`approved_video`), and each test publishes from its own copy, so a
test costs a publish, not an approval.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from mediactl.library.scaffold import init_project
from mediactl.sandbox import Sandbox

VIDEO = "spring-festival-greeting"


def approve_video(root: Path, prepare: Callable[[Path], None] | None = None) -> Path:
    """An example project with the video item checked, reviewed and approved (every channel); `prepare` may change
    the new project first (a template of its own)."""
    from typer.testing import CliRunner

    from mediactl.cli import app

    def cli(project: Path, *args: str) -> Any:
        return CliRunner().invoke(app, ["-C", str(project), *args])

    init_project(root)
    if prepare:
        prepare(root)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MEDIACTL_USER", "li.na")
        assert cli(root, "check", VIDEO).exit_code == 0
        assert cli(root, "review", VIDEO).exit_code == 0
        env.setenv("MEDIACTL_USER", "wang.min")
        result = cli(root, "approve", VIDEO)
        assert result.exit_code == 0, result.output
    return root


def copy_project(approved: Path, into: Path) -> Path:
    return Path(shutil.copytree(approved, into / "project"))


@dataclass(frozen=True)
class VideoChannel:
    """What a test needs to know of a polled video platform's channel: the sandbox's seed, the channel's credentials,
    the account that authorises it, where the post that makes the work public goes, and its remote id's name there.
    The behaviours every such adapter owes (tests/test_video_contract.py) are written once against this."""

    platform: str
    channel: str
    seed: int
    credentials: dict[str, str]
    user: str
    submit_path: str  # the platform path that creates the public work (the one call never sent twice)
    remote_id: str  # its id in that call's answer summary
    refresh_path: str
    delete_path: str
    url_prefix: str  # a published work's URL below the sandbox's
    name: str  # as the adapter names the platform in its words


DOUYIN = VideoChannel("douyin", "bank-douyin", 4, {"BANK_DOUYIN_CLIENT_KEY": "do-client-id",
                      "BANK_DOUYIN_CLIENT_SECRET": "dy-secret"}, "bank-open-id", "/video/create/", "item_id",
                      "/oauth/refresh_token/", "/video/delete/", "/video/", "Douyin")  # fmt: skip
KUAISHOU = VideoChannel("kuaishou", "bank-kuaishou", 5, {"BANK_KUAISHOU_APP_ID": "ku-client-id",
                        "BANK_KUAISHOU_APP_SECRET": "ks-secret"}, "bank-kwai-user", "/openapi/photo/publish", "photo_id",
                        "/oauth2/refresh_token", "/openapi/photo/delete", "/short-video/", "Kuaishou")  # fmt: skip


def channel_env(spec: VideoChannel, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """The channel's credentials and the sandbox's address in the environment, and its first poll at once."""
    from mediactl.config.platforms import get_platform

    monkeypatch.setenv("MEDIACTL_SANDBOX_URL", sandbox.url)
    for name, value in spec.credentials.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setitem(get_platform(spec.platform).facts["poll"], "first_wait_seconds", 0.01)


def ready_channel(
    spec: VideoChannel, cli: Any, project: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """`project` (an approved copy) with the channel's credentials set and the channel authorised in the sandbox."""
    channel_env(spec, sandbox, monkeypatch)
    authorise(cli, project, sandbox, spec.channel, spec.user, monkeypatch)
    return project


def submits(sandbox: Sandbox, spec: VideoChannel) -> list[dict[str, Any]]:
    """The posts that made (or tried to make) the work public: the call that must never be sent twice."""
    return [p for p in sandbox.posts() if p["path"] == f"/{spec.platform}{spec.submit_path}"]


def grant(sandbox: Sandbox, platform: str, user: str = "sandbox-user-1") -> dict[str, str]:
    """Access and refresh tokens from the sandbox's OAuth flow (consent → code → tokens), as `mediactl auth` would get them."""
    with httpx.Client(base_url=sandbox.base(platform), timeout=5, trust_env=False) as client:
        if platform == "douyin":
            consent = client.get("/platform/oauth/connect/", params={"client_key": "dy-client-key", "response_type": "code",
                                 "scope": "video.create,video.data,video.delete", "redirect_uri": "https://example-bank.cn/cb",
                                 "sandbox_open_id": user})  # fmt: skip
            answer = client.post("/oauth/access_token/", data={"client_key": "dy-client-key", "client_secret": "dy-secret",
                                 "code": consent.json()["code"], "grant_type": "authorization_code"}).json()["data"]  # fmt: skip
        else:
            consent = client.get("/oauth2/authorize", params={"app_id": "ks-app-id", "response_type": "code",
                                 "scope": "user_video_publish,user_video_info", "redirect_uri": "https://example-bank.cn/cb",
                                 "sandbox_open_id": user})  # fmt: skip
            answer = client.post("/oauth2/access_token", params={"app_id": "ks-app-id", "app_secret": "ks-secret",
                                 "code": consent.json()["code"], "grant_type": "authorization_code"}).json()  # fmt: skip
    assert consent.status_code == 302 and "code=" in consent.headers["Location"]
    return {
        "access_token": answer["access_token"],
        "refresh_token": answer["refresh_token"],
        "open_id": answer["open_id"],
    }


def authorise(cli: Any, root: Path, sandbox: Sandbox, channel: str, user: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`mediactl auth CHANNEL` against the sandbox as `user` (oauthflow.authorise: its consent page redirects at once)."""
    from oauthflow import authorise as run_auth

    run_auth(cli, root, channel, user, monkeypatch)


def publish(cli: Any, root: Path, channel: str) -> list[dict[str, Any]]:
    """Publish the video to `channel` now (the item's schedule is in the future)."""
    result = cli(root, "publish", VIDEO, "--channel", channel, "--at", "2020-01-01T00:00", "--json")
    return json.loads(result.stdout)


def due(cli: Any, root: Path) -> list[dict[str, Any]]:
    return json.loads(cli(root, "publish", "--due", "--json").stdout)


def job_of(root: Path, channel: str) -> Any:
    from mediactl.publish.store import Store

    store = Store(root / ".mediactl/queue.sqlite3")
    try:
        (job,) = store.jobs(channel=channel)
        return job
    finally:
        store.close()


def kill_while_polling(root: Path, channel: str) -> None:
    """What kill -9 between submit and the final state leaves: the job `sending`, its owner dead, no URL yet."""
    from mediactl.publish.store import Store

    store = Store(root / ".mediactl/queue.sqlite3")
    try:
        job = job_of(root, channel)
        store.db.execute("UPDATE jobs SET state = 'sending', remote_url = NULL, claimed_by = 'elsewhere:1:1', "
                         "claimed_at = 0 WHERE id = ?", (job.id,))  # fmt: skip
    finally:
        store.close()


def paths(sandbox: Sandbox, platform: str) -> list[str]:
    """The platform paths the sandbox was called at, in order (OAuth included)."""
    prefix = f"/{platform}"
    return [c["path"].removeprefix(prefix) for c in sandbox.calls() if c["path"].startswith(prefix + "/")]


def manifest_video(root: Path, channel: str) -> dict[str, Any]:
    manifest = json.loads((root / "build" / channel / VIDEO / "manifest.json").read_text("utf-8"))
    return manifest["video"]


def delivery_records(root: Path) -> list[dict[str, Any]]:
    """The audit log's delivery records (a sandbox delivery is marked `sandbox: true`)."""
    lines = (root / ".mediactl/audit.jsonl").read_text("utf-8").splitlines()
    return [r for r in map(json.loads, lines) if r["action"].startswith("delivery.")]


def make_clip(folder: Path, name: str = "clip.mp4", *, size: str = "320x180", seconds: float = 2.0,
              audio: bool = True) -> Path:  # fmt: skip
    """A tiny H.264 + AAC test clip from ffmpeg's own test sources (testsrc2 picture, a sine tone)."""
    import subprocess

    from mediactl.video.ffmpeg import ffmpeg_exe

    path = folder / name
    sound = ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"] if audio else []
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25:duration={seconds}",
                    *sound, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    *(["-c:a", "aac"] if audio else []), "-shortest", str(path)], check=True)  # fmt: skip
    return path
