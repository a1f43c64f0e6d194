"""Three "hosts" publishing from one PostgreSQL store: each job is received once, or is `unknown` with a reason.

Each host is a whole `mediactl publish --due` process with its own connections; the webhook channel
points at a receiver on 127.0.0.1 that records every delivery by idempotency key and answers after a
small delay, so deliveries overlap. One host is killed with SIGKILL midway: its claims die with its
server session, and the next run reconciles them (a webhook cannot be asked, so: `unknown` for a
person), never sends them again. A pause made by another process stops every host's next claim.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import declare_people, share_state
from mediactl.config.model import load_config
from mediactl.publish.runner import Publisher, _enqueued
from mediactl.publish.store import Store

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL and fork-free subprocesses: POSIX hosts")

ITEM = """---
title: 网点营业时间调整通知
author: li.na
status: review
channels: [robot]
---

自下周一起，各网点营业时间调整为九点至十七点。
"""
DEADLINE = 45.0  # seconds for anything a test waits for; the whole file runs in ~15 s


class Receiver:
    """A webhook endpoint on 127.0.0.1: every POST recorded with its idempotency key, answered after `delay`."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.keys: Counter[str] = Counter()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                key = self.headers.get("X-Mediactl-Idempotency-Key") or "?"
                with receiver.lock:
                    receiver.keys[key] += 1
                time.sleep(receiver.delay)
                body = json.dumps({"id": f"r-{key}"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def received(self) -> int:
        with self.lock:
            return sum(self.keys.values())

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(delay=0.02) as running:
        yield running


def project(tmp_path: Path, url: str, receiver: Receiver, jobs: int, monkeypatch) -> Path:
    """A project on the shared store with one checked and approved item sealed in the vault, and `jobs` due jobs of its bytes."""
    root = tmp_path / "team"
    (root / "content/article/notice").mkdir(parents=True)
    (root / "content/article/notice/index.md").write_text(ITEM, "utf-8")
    (root / "mediactl.yaml").write_text(
        "project:\n  name: 多机发布\n"
        f"channels:\n  robot:\n    platform: webhook\n    url: {receiver.url}\n    credentials:\n      secret: ${{ROBOT_SECRET}}\n",
        "utf-8",
    )
    share_state(root, url)
    keys = declare_people(root, {"ops": ["checker"]}, tmp_path / "keys")
    monkeypatch.setenv("ROBOT_SECRET", "robot-signing-secret")
    env = {**os.environ}
    approve = ["approve", "notice", "--as", "ops", "--key", str(keys["ops"])]
    for command in (["check", "notice"], approve, ["publish", "notice", "--at", "2099-01-01 09:00"]):
        done = subprocess.run([sys.executable, "-m", "mediactl", "-C", str(root), *command], env=env,
                              capture_output=True, text=True, timeout=DEADLINE)  # fmt: skip
        assert done.returncode == 0, done.stderr
    publisher = Publisher(load_config(root / "mediactl.yaml"), command="test")
    try:  # more jobs of the sealed bytes, each under its own item name, audited as publish queues them
        (first,) = publisher.store.jobs()
        for n in range(1, jobs):
            item = f"notice-{n:03d}"
            record = publisher.audited("publish.enqueued", _enqueued, item=item, channel="robot",
                                       content_hash=first.content_hash, due_at=0.0, audience="", forced=None)  # fmt: skip
            publisher.store.enqueue("robot", item, first.content_hash, 0.0, audit=record)
        publisher.store.db.execute("UPDATE jobs SET due_at = 0")
    finally:
        publisher.close()
    return root


def host(root: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "mediactl", "-C", str(root), *args], env={**os.environ},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def finish(processes: list[subprocess.Popen[str]]) -> list[str]:
    """Wait for every process (bounded); the stderr of each. A process still running at the deadline is killed."""
    errors = []
    for process in processes:
        try:
            errors.append(process.communicate(timeout=DEADLINE)[1])
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise
    return errors


def test_three_hosts_one_killed_midway_every_job_received_once_or_unknown(
    tmp_path: Path, pg_url: str, receiver: Receiver, monkeypatch
) -> None:
    root = project(tmp_path, pg_url, receiver, 600, monkeypatch)
    hosts = [host(root, "publish", "--due", "--concurrency", "2", "--limit", "1000") for _ in range(3)]
    try:
        wait_until(lambda: receiver.received() >= 150, "a quarter of the deliveries")
        hosts[0].send_signal(signal.SIGKILL)
        finish(hosts)
        assert hosts[0].returncode == -signal.SIGKILL and hosts[0].returncode is not None
        reconcile = subprocess.run([sys.executable, "-m", "mediactl", "-C", str(root), "publish", "--due", "--json"],
                                   capture_output=True, text=True, timeout=DEADLINE, env={**os.environ})  # fmt: skip
        assert reconcile.returncode in (0, 1), reconcile.stderr
    finally:
        for process in hosts:
            if process.poll() is None:
                process.kill()
                process.communicate()
    store = Store(pg_url)
    try:
        jobs = store.jobs()
    finally:
        store.close()
    assert len(jobs) == 600
    states = Counter(job.state for job in jobs)
    assert set(states) <= {"sent", "unknown"}, states  # nothing left pending or sending
    assert max(receiver.keys.values()) == 1  # no post was received twice
    for job in jobs:
        received = receiver.keys.get(job.idempotency_key, 0)
        if job.state == "sent":
            assert received == 1, job
        else:
            assert job.error and "stopped while sending" in job.error and received <= 1, job
    assert states["sent"] >= 600 - 2  # the killed host had at most its two delivery threads' jobs in flight


def test_a_pause_from_another_host_stops_every_host_at_its_next_claim(
    tmp_path: Path, pg_url: str, receiver: Receiver, monkeypatch
) -> None:
    root = project(tmp_path, pg_url, receiver, 300, monkeypatch)
    hosts = [host(root, "publish", "--due", "--concurrency", "2", "--limit", "1000") for _ in range(2)]
    try:
        wait_until(lambda: receiver.received() >= 40, "the first deliveries")
        paused = subprocess.run([sys.executable, "-m", "mediactl", "-C", str(root), "pause", "--reason", "舆情期间暂停发布"],
                                capture_output=True, text=True, timeout=DEADLINE, env={**os.environ})  # fmt: skip
        paused_at = time.time()
        assert paused.returncode == 0, paused.stderr
        at_pause = receiver.received()
        finish(hosts)  # they stop by themselves: nothing can be claimed any more
    finally:
        for process in hosts:
            if process.poll() is None:
                process.kill()
                process.communicate()
    store = Store(pg_url)
    try:
        jobs = store.jobs()
    finally:
        store.close()
    taken = [job for job in jobs if job.state != "pending"]
    assert 40 <= len(taken) < 300 and all(job.state == "sent" for job in taken)
    assert max(job.claimed_at or 0 for job in taken) <= paused_at  # no claim after the pause returned
    assert receiver.received() - at_pause <= 4  # at most the deliveries in flight (2 hosts × 2 threads)
    assert receiver.received() == len(taken) and max(receiver.keys.values()) == 1
