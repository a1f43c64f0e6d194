"""Render benchmark: a generated library of N items × 6 channels, cold render and no-op re-render.

    python bench/render_bench.py --items 1000 [--jobs 0] [--keep DIR]

Reports variants/s for the cold render, and the wall time of a no-op re-render as a whole
`mediactl render` process (start-up included), which is what a CI job or an editor waits for.
Target (issue 3): the no-op re-render of 6,000 variants in under 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHANNELS = ["outbox", "bank-wechat", "bank-weibo", "bank-xhs", "website", "bank-wecom"]
PHRASES = [
    "守好钱袋子", "谨防电信网络诈骗", "理财非存款", "信用卡安全用卡", "养老金融知识", "个人信息保护",
    "反洗钱宣传", "消费者权益保护", "数字人民币", "跨境支付便利", "普惠金融服务", "识别非法集资",
]  # fmt: skip


def make_library(root: Path, items: int) -> None:
    subprocess.run([sys.executable, "-m", "mediactl", "init", str(root)], check=True, capture_output=True)
    shutil.rmtree(root / "content")
    for n in range(items):
        a, b = PHRASES[n % len(PHRASES)], PHRASES[(n * 7 + 3) % len(PHRASES)]
        body = "\n\n".join(
            f"## 第{k + 1}部分：{PHRASES[(n + k) % len(PHRASES)]}\n\n"
            + "示例银行提醒您："
            + "，".join(PHRASES[(n + k + j) % len(PHRASES)] for j in range(8))
            + "。"
            for k in range(6)
        )
        folder = root / "content" / "article" / f"bench-{n:05d}"
        folder.mkdir(parents=True)
        (folder / "index.md").write_text(
            f"---\ntitle: {a}：{b}（第{n}期）\nsummary: {a}，{b}。\nkind: article\nstatus: review\n"
            f"tags: [金融知识, {a}]\nchannels: [{', '.join(CHANNELS)}]\n---\n\n{body}\n",
            "utf-8",
        )


def timed(args: list[str], cwd: Path) -> tuple[float, dict]:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(args)}\n{done.stderr[-2000:]}")
    return elapsed, json.loads(done.stdout) if "--json" in args else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="build the library here and keep it")
    options = parser.parse_args()
    root = options.keep or Path(tempfile.mkdtemp(prefix="mediactl-bench-")) / "lib"
    if root.exists():
        shutil.rmtree(root)
    make_library(root, options.items)
    render = [sys.executable, "-m", "mediactl", "render", "--json", "--jobs", str(options.jobs)]
    cold, summary = timed(render, root)
    variants = summary["rendered"]
    plain = [sys.executable, "-m", "mediactl", "render", "--jobs", str(options.jobs)]
    noop = [timed(plain, root)[0] for _ in range(7)]
    noop_json = [timed(render, root)[0] for _ in range(5)]
    template = root / "templates" / "weibo" / "default.j2"
    template.parent.mkdir(parents=True, exist_ok=True)
    template.write_text('{% extends "builtin/weibo/default.j2" %}', "utf-8")
    one_template, changed = timed(render, root)
    print(f"machine: {os.cpu_count()} CPUs, python {sys.version.split()[0]}")
    print(
        f"library: {options.items} items × {len(CHANNELS)} channels = {variants} variants ({summary['failed']} failed)"
    )
    print(f"cold render: {cold:.1f} s = {variants / cold:.0f} variants/s (jobs={options.jobs or os.cpu_count()})")
    print(
        f"no-op re-render (whole process, median of 7): {statistics.median(noop):.2f} s "
        f"(min {min(noop):.2f}, max {max(noop):.2f}); with --json: {statistics.median(noop_json):.2f} s"
    )
    print(f"after changing the weibo template: {changed['rendered']} re-rendered in {one_template:.1f} s")
    if not options.keep:
        shutil.rmtree(root.parent)


if __name__ == "__main__":
    main()
