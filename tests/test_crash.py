"""Crash and concurrency: kill -9 mid-delivery loses nothing and sends nothing twice; two runs share nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from conftest import declare_people, write
from mediactl.publish.store import Store
from mediactl.sandbox import Sandbox, SandboxOptions

CONFIG = """\
project:
  name: 压力测试
channels:
  robot:
    platform: webhook
    url: http://127.0.0.1:9/unused
  dead:
    platform: webhook
    url: http://127.0.0.1:9/nothing-listens
"""


def project(tmp_path: Path, items: int) -> Path:
    root = tmp_path / "crash"
    write(root / "mediactl.yaml", CONFIG)
    for n in range(items):
        write(
            root / f"content/article/n{n:03d}/index.md",
            f"---\ntitle: 第{n}号通知\nauthor: writer\nstatus: review\nchannels: [robot]\n---\n\n正文{n}。\n",
        )
    declare_people(root, {"ops": ["checker"]}, tmp_path / "keys")
    return root


def mediactl(root: Path, *args: str, sandbox: Sandbox) -> subprocess.Popen:
    env = {**os.environ, "MEDIACTL_SANDBOX_URL": sandbox.url, "MEDIACTL_USER": "ops"}
    return subprocess.Popen([sys.executable, "-m", "mediactl", "-C", str(root), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)  # fmt: skip


def queue_all_due(root: Path, sandbox: Sandbox) -> None:
    """Check and approve every variant, queue them all for the future, then make them due (this tests delivery)."""
    checked = mediactl(root, "check", sandbox=sandbox)
    checked.communicate(timeout=120)
    slugs = sorted(p.name for p in (root / "content/article").iterdir())
    key = str(root.parent / "keys/ops")
    approved = mediactl(root, "approve", *slugs, "--as", "ops", "--key", key, sandbox=sandbox)
    out, err = approved.communicate(timeout=120)
    assert approved.returncode == 0 and out.count("approved by ops") == len(slugs), err
    done = mediactl(root, "publish", "--at", "2099-01-01T00:00", sandbox=sandbox)
    _, err = done.communicate(timeout=120)
    assert done.returncode == 0, err
    store = Store(root / ".mediactl/queue.sqlite3")
    store.db.execute("UPDATE jobs SET due_at = 0")
    store.close()


def received_keys(sandbox: Sandbox) -> Counter:
    return Counter(post["idempotency_key"] for post in sandbox.posts() if post["path"] == "/webhook/robot")


def test_kill_9_midway_then_rerun_loses_nothing_and_sends_nothing_twice(tmp_path: Path) -> None:
    root = project(tmp_path, 200)
    with Sandbox(SandboxOptions(latency_ms=50)) as sandbox:
        queue_all_due(root, sandbox)
        first = mediactl(root, "publish", "--due", "--json", "--concurrency", "2", sandbox=sandbox)
        deadline = time.monotonic() + 60
        while len(sandbox.posts()) < 40 and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.05)
        os.kill(first.pid, signal.SIGKILL)
        first.communicate(timeout=10)  # reap it and close its pipes
        assert 0 < len(sandbox.posts()) < 200, "the kill should land midway"
        second = mediactl(root, "publish", "--due", "--json", sandbox=sandbox)
        second.communicate(timeout=120)
        store = Store(root / ".mediactl/queue.sqlite3")
        jobs = store.jobs()
        store.close()
        states = Counter(job.state for job in jobs)
        assert len(jobs) == 200
        assert set(states) <= {"sent", "unknown"}, states
        assert states["unknown"] <= 2  # at most the jobs in flight (2 threads) when the process died
        keys = received_keys(sandbox)
        assert all(count == 1 for count in keys.values()), "a post arrived twice"
        sent = {job.idempotency_key for job in jobs if job.state == "sent"}
        assert sent <= set(keys)  # every job marked sent really arrived
        assert len(keys) >= len(sent) and len(keys) <= 200


def test_two_concurrent_due_runs_deliver_each_job_once_over_http(tmp_path: Path) -> None:
    root = project(tmp_path, 60)
    with Sandbox(SandboxOptions(latency_ms=10)) as sandbox:
        queue_all_due(root, sandbox)
        runs = [mediactl(root, "publish", "--due", "--json", "--concurrency", "1", sandbox=sandbox) for _ in range(2)]
        outputs = [json.loads(run.communicate(timeout=120)[0] or "[]") for run in runs]
        assert [o["state"] for out in outputs for o in out].count("sent") == 60
        assert all(len(out) > 0 for out in outputs), "both runs should have taken part"
        keys = received_keys(sandbox)
        assert len(keys) == 60 and set(keys.values()) == {1}


def test_a_dead_channel_does_not_hold_up_a_live_one(tmp_path: Path) -> None:
    root = project(tmp_path, 30)
    for n in range(30):  # every item also goes to a channel whose endpoint refuses connections
        index = root / f"content/article/n{n:03d}/index.md"
        index.write_text(index.read_text("utf-8").replace("[robot]", "[robot, dead]"), "utf-8")
    with Sandbox(SandboxOptions(latency_ms=10)) as sandbox:
        queue_all_due(root, sandbox)
        env = {**os.environ, "MEDIACTL_USER": "ops"}  # no sandbox URL: 'robot' is pointed at it below instead
        config = root / "mediactl.yaml"
        config.write_text(
            config.read_text("utf-8").replace("http://127.0.0.1:9/unused", f"{sandbox.url}/webhook/robot"), "utf-8"
        )
        run = subprocess.run([sys.executable, "-m", "mediactl", "-C", str(root), "publish", "--due", "--json",
                              "--concurrency", "4"], capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
        outcomes = json.loads(run.stdout)
        robot = [o["state"] for o in outcomes if o["channel"] == "robot"]
        dead = [o["state"] for o in outcomes if o["channel"] == "dead"]
        assert robot.count("sent") == 30
        assert set(dead) == {"queued"} and len(dead) == 30  # refused connections: requeued with backoff
        assert len(received_keys(sandbox)) == 30
