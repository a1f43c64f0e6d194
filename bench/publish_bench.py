"""Publish benchmark: N queued jobs delivered to the sandbox at a fixed latency, sequential vs concurrent.

    python bench/publish_bench.py --jobs 2000 --latency 20 --channels 4 --concurrency 4

Each run is a whole `mediactl publish --due` process against `mediactl`'s own sandbox on
127.0.0.1 (webhook channels; every request waits `--latency` ms), so the numbers include the
queue's transactions, the audit log and HTTP. Target (issue 5): concurrent ≥ 10× sequential.
The concurrent run is measured --repeat times (median): it is CPU-bound, and on a shared
2-core machine its time varies by ±25 % from run to run; the sequential run is
latency-bound and stable. Concurrency 4 per channel (16 threads) measured best on 2 cores:
more threads cost more CPU in lock and interpreter contention than they gain in overlap.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mediactl.publish.store import Store
from mediactl.sandbox import Sandbox, SandboxOptions


def make_project(root: Path, jobs: int, channels: int) -> None:
    lines = ["project:", "  name: publish bench", "channels:"]
    for c in range(channels):
        lines += [f"  robot{c}:", "    platform: webhook", "    url: http://127.0.0.1:9/unused"]
    (root / "mediactl.yaml").write_text("\n".join(lines) + "\n", "utf-8")
    per_channel = jobs // channels
    for n in range(per_channel):
        folder = root / "content" / "article" / f"n{n:05d}"
        folder.mkdir(parents=True)
        names = ", ".join(f"robot{c}" for c in range(channels))
        (folder / "index.md").write_text(f"---\ntitle: 通知{n}\nchannels: [{names}]\n---\n\n正文{n}。\n", "utf-8")


def run(root: Path, sandbox: Sandbox, *args: str) -> float:
    env = {**os.environ, "MEDIACTL_SANDBOX_URL": sandbox.url, "MEDIACTL_USER": "bench"}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "mediactl", "-C", str(root), *args], capture_output=True, text=True, env=env
    )
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.exit(done.stderr[-2000:])
    return elapsed


def queue(root: Path, sandbox: Sandbox) -> int:
    shutil.rmtree(root / ".mediactl", ignore_errors=True)
    run(root, sandbox, "check")  # --force skips approval, never the check
    run(root, sandbox, "publish", "--force", "--reason", "bench", "--at", "2099-01-01T00:00")
    store = Store(root / ".mediactl" / "queue.sqlite3")
    store.db.execute("UPDATE jobs SET due_at = 0")
    count = len(store.jobs())
    store.close()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--latency", type=int, default=20)
    parser.add_argument("--channels", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3, help="concurrent runs (median)")
    options = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="mediactl-publish-bench-"))
    make_project(root, options.jobs, options.channels)
    results = {}
    runs = [("sequential", 1)] + [("concurrent", options.concurrency)] * options.repeat
    timings: dict[str, list[float]] = {}
    for label, concurrency in runs:
        with Sandbox(SandboxOptions(latency_ms=options.latency)) as sandbox:  # fresh: it remembers keys
            count = queue(root, sandbox)
            sandbox.reset()
            elapsed = run(root, sandbox, "publish", "--due", "--limit", str(count), "--concurrency", str(concurrency))
            timings.setdefault(label, []).append(elapsed)
            received = len({p["idempotency_key"] for p in sandbox.posts()})
            duplicates = sum(1 for p in sandbox.posts() if p["duplicate"])
            store = Store(root / ".mediactl" / "queue.sqlite3")
            states = {state: len(store.jobs(state=state)) for state in ("sent", "pending", "failed", "unknown")}
            store.close()
            print(f"  states: {states}")
            results[label] = statistics.median(timings[label])
            print(f"{label:<11} {count} jobs in {elapsed:6.1f} s = {count / elapsed:6.1f} jobs/s "
                  f"(received {received}, duplicates {duplicates}; {options.channels} channels × {concurrency})")  # fmt: skip
    concurrent = ", ".join(f"{t:.2f}" for t in timings["concurrent"])
    print(
        f"speed-up: {results['sequential'] / results['concurrent']:.1f}x (target >= 10x) at {options.latency} ms latency; "
        f"concurrent runs {concurrent} s, median {results['concurrent']:.2f} s"
    )
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
