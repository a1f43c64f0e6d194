"""Publish benchmark: N queued jobs delivered to the sandbox at a fixed latency, sequential vs concurrent.

    python bench/publish_bench.py --jobs 2000 --latency 20 --channels 4 --concurrency 4
    PGPASSWORD=… python bench/publish_bench.py --postgresql 'postgresql://app:${PGPASSWORD}@127.0.0.1:5432/bench'

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

TABLES = "jobs, switches, tokens, meta, unlogged"
CHECKER = "bench.checker"  # approves every variant with a key made for the run (approvals are signed)


def make_project(root: Path, jobs: int, channels: int) -> None:
    lines = ["project:", "  name: publish bench", "channels:"]
    for c in range(channels):
        lines += [f"  robot{c}:", "    platform: webhook", "    url: http://127.0.0.1:9/unused"]
    lines += ["people:", f"  {CHECKER}:", "    roles: [checker]", f"    keys: [{make_key(root.parent / 'keys')!r}]"]
    (root / "mediactl.yaml").write_text("\n".join(lines) + "\n", "utf-8")
    per_channel = jobs // channels
    for n in range(per_channel):
        folder = root / "content" / "article" / f"n{n:05d}"
        folder.mkdir(parents=True)
        names = ", ".join(f"robot{c}" for c in range(channels))
        (folder / "index.md").write_text(
            f"---\ntitle: 通知{n}\nauthor: writer\nchannels: [{names}]\n---\n\n正文{n}。\n", "utf-8"
        )


def make_key(folder: Path) -> str:
    """The checker's ed25519 key pair, written under `folder`; its OpenSSH public key line."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    folder.mkdir(parents=True, exist_ok=True)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption())  # fmt: skip
    (folder / CHECKER).write_bytes(private)
    (folder / CHECKER).chmod(0o600)
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return public.decode("ascii")


def run(root: Path, sandbox: Sandbox, *args: str, processes: int = 1) -> float:
    """Wall time of `processes` identical mediactl processes started together."""
    env = {**os.environ, "MEDIACTL_SANDBOX_URL": sandbox.url}
    env.setdefault("MEDIACTL_STATE_KEY", "publish-bench-state-key")
    start = time.perf_counter()
    running = [subprocess.Popen([sys.executable, "-m", "mediactl", "-C", str(root), *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env) for _ in range(processes)]  # fmt: skip
    errors = [process.communicate()[1] for process in running]
    elapsed = time.perf_counter() - start
    for process, error in zip(running, errors, strict=True):
        if process.returncode not in (0, 1):
            sys.exit(error[-2000:])
    return elapsed


def use_state(root: Path, url: str | None) -> None:
    """Point the project at the SQLite folder (None) or the PostgreSQL URL."""
    config = root / "mediactl.yaml"
    lines = [line for line in config.read_text("utf-8").splitlines() if not line.startswith("  state:")]
    if url:
        lines.insert(1, f"  state: {url}")
    config.write_text("\n".join(lines) + "\n", "utf-8")


def queue(root: Path, sandbox: Sandbox) -> int:
    shutil.rmtree(root / ".mediactl", ignore_errors=True)
    shutil.rmtree(root / "approvals", ignore_errors=True)
    run(root, sandbox, "check")
    slugs = sorted(p.name for p in (root / "content" / "article").iterdir())
    run(root, sandbox, "approve", *slugs, "--as", CHECKER, "--key", str(root.parent / "keys" / CHECKER))
    run(root, sandbox, "publish", "--at", "2099-01-01T00:00")
    store = Store(root / ".mediactl" / "queue.sqlite3")
    store.db.execute("UPDATE jobs SET due_at = 0")
    count = len(store.jobs())
    store.close()
    return count


def queue_shared(root: Path, sandbox: Sandbox, url: str, exported: Path) -> int:
    """The SQLite run's queue, moved into the emptied PostgreSQL store (jobs due now, none sent) with its audit log
    and vault (the export carries both; the log must not record deliveries of an earlier run)."""
    shutil.rmtree(root / ".mediactl", ignore_errors=True)
    shutil.copytree(exported.with_suffix(".state"), root / ".mediactl")
    use_state(root, url)
    run(root, sandbox, "state", "migrate")
    store = Store(url)
    store.db.execute("ALTER TABLE audit DISABLE TRIGGER USER")  # the log is append-only: a bench's reset only
    store.db.execute(f"TRUNCATE {TABLES}, audit, blobs RESTART IDENTITY")
    store.db.execute("ALTER TABLE audit ENABLE TRIGGER USER")
    store.close()
    run(root, sandbox, "state", "import", str(exported))
    store = Store(url)
    count = len(store.jobs())
    store.close()
    return count


def shared_runs(root: Path, options: argparse.Namespace, exported: Path) -> dict[int, list[float]]:
    """`publish --due` on PostgreSQL with 1 and with --processes processes; wall times by process count."""
    timings: dict[int, list[float]] = {}
    for processes in (1, options.processes):
        for _ in range(options.repeat):
            with Sandbox(SandboxOptions(latency_ms=options.latency)) as sandbox:
                count = queue_shared(root, sandbox, options.postgresql, exported)
                sandbox.reset()
                elapsed = run(root, sandbox, "publish", "--due", "--limit", str(count), "--concurrency",
                              str(options.concurrency), processes=processes)  # fmt: skip
                timings.setdefault(processes, []).append(elapsed)
                received = len({p["idempotency_key"] for p in sandbox.posts()})
                duplicates = sum(1 for p in sandbox.posts() if p["duplicate"])
                store = Store(options.postgresql)
                states = {state: len(store.jobs(state=state)) for state in ("sent", "pending", "failed", "unknown")}
                errors = sorted({job.error or "" for job in store.jobs() if job.state != "sent"})
                store.close()
                print(f"  states: {states}" + (f"; not sent: {errors[:3]}" if errors else ""))
                print(f"postgresql  {processes} process(es) × {options.channels} channels × {options.concurrency}: {count} jobs "
                      f"in {elapsed:6.1f} s = {count / elapsed:6.1f} jobs/s (received {received}, duplicates {duplicates})")  # fmt: skip
    use_state(root, None)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--latency", type=int, default=20)
    parser.add_argument("--channels", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3, help="concurrent runs (median)")
    parser.add_argument("--postgresql", help="also measure a shared store: a postgresql:// URL, password as ${VAR}")
    parser.add_argument("--processes", type=int, default=3, help="processes at once on the shared store")
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
    if options.postgresql:
        with Sandbox(SandboxOptions(latency_ms=options.latency)) as sandbox:
            count = queue(root, sandbox)
            exported = root / "queued.jsonl"
            run(root, sandbox, "state", "export", str(exported))
            shutil.copytree(root / ".mediactl", exported.with_suffix(".state"))
        shared = shared_runs(root, options, exported)
        sqlite = results["concurrent"]
        for processes, runs in shared.items():
            median = statistics.median(runs)
            print(f"postgresql, {processes} process(es): median {median:.2f} s = {count / median:.0f} jobs/s "
                  f"({', '.join(f'{t:.2f}' for t in runs)}); SQLite, 1 process: {sqlite:.2f} s = {count / sqlite:.0f} jobs/s")  # fmt: skip
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
