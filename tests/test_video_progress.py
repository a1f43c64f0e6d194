"""Issue 14's render of several video items: ffmpeg's progress carried from the worker processes, and Ctrl-C.

The example project gets a tiny vertical template (180×320, ultrafast, no text) and a second video item,
so two items encode in two workers in well under a second each; each test has its own video cache, so
the encodes really run (the session's shared cache would answer them at once).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mediactl.config.model import load_config
from mediactl.library.scan import load_library
from mediactl.render.runner import render
from videoflow import VIDEO, make_clip

TINY_VERTICAL = """\
name: video-vertical
size: [180, 320]
fit: {mode: pad, pad: "#000000"}
subtitles: null
loudness: null
cover: {at: 1.0}
encode: {crf: 30, preset: ultrafast, fps: 25}
"""
SECOND = f"{VIDEO}-2"


def two_video_items(root: Path, template: str = TINY_VERTICAL) -> list[str]:
    """A second copy of the example video item, and the project's own (tiny) vertical template."""
    folder = root / "content" / "video"
    shutil.copytree(folder / VIDEO, folder / SECOND)
    media = root / "templates" / "media"
    media.mkdir(parents=True, exist_ok=True)
    (media / "video-vertical.yaml").write_text(template, "utf-8")
    return [VIDEO, SECOND]


@pytest.fixture
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "video-cache"
    monkeypatch.setenv("MEDIACTL_VIDEO_CACHE", str(cache))  # workers inherit the environment, spawned or forked
    return cache


@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_encode_progress_arrives_from_the_worker_processes(
    example: Path, own_cache: Path, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    """Two items in two workers (spawned, as on Windows; forked where it exists): each encode's fractions reach
    the parent in order, end at 1.0 and then None (the variant is done), all before render returns."""
    if method == "fork" and not hasattr(os, "fork"):
        pytest.skip("no fork on this platform")
    monkeypatch.setenv("MEDIACTL_START_METHOD", method)
    slugs = two_video_items(example)
    config = load_config(example / "mediactl.yaml")
    events: list[tuple[str, float | None]] = []
    summary = render(config, load_library(config), slugs, "bank-kuaishou", jobs=2,
                     on_encode=lambda key, fraction: events.append((key, fraction)))  # fmt: skip
    assert summary.count("rendered") == 2, summary.failed
    for slug in slugs:
        key = f"bank-kuaishou/{slug}"
        seen = [fraction for name, fraction in events if name == key]
        assert seen[-1] is None and seen[-2] == 1.0, seen  # ffmpeg's progress=end, then the variant's end
        fractions = [f for f in seen if f is not None]
        assert fractions == sorted(fractions) and all(0.0 <= f <= 1.0 for f in fractions)
    assert list(own_cache.glob("*.mp4"))  # encoded here, not found in the session's cache


def test_progress_in_one_process_reports_the_same_way(example: Path, own_cache: Path) -> None:
    slugs = two_video_items(example)
    config = load_config(example / "mediactl.yaml")
    events: list[tuple[str, float | None]] = []
    render(config, load_library(config), slugs[:1], "bank-kuaishou", jobs=1,
           on_encode=lambda key, fraction: events.append((key, fraction)))  # fmt: skip
    assert events[-2:] == [(f"bank-kuaishou/{VIDEO}", 1.0), (f"bank-kuaishou/{VIDEO}", None)]


# --------------------------------------------------------------------------- Ctrl-C


def _posix_signals() -> None:
    """The Ctrl-C test sends POSIX signals; on Windows it may skip, never in CI."""
    if os.name == "nt":
        if os.environ.get("CI"):
            pytest.fail("the Ctrl-C test needs POSIX signals, and CI must run it")
        pytest.skip("POSIX signals only")


def _processes_naming(text: str) -> list[str]:
    """Running processes whose command line contains `text` (ps: Linux and macOS)."""
    listing = subprocess.run(["ps", "-eo", "pid=,stat=,args="], capture_output=True, text=True, check=True).stdout
    return [line for line in listing.splitlines() if text in line and " Z" not in line and "ps -eo" not in line]


def _wait_for_encodes(cache: Path, count: int, child: subprocess.Popen[str]) -> None:
    """Until `count` encodes are writing their temporary files (ffmpeg is mid-encode), or the render ended."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and child.poll() is None:
        if len([p for p in cache.glob("*.tmp.mp4") if p.stat().st_size > 0]) >= count:
            return
        time.sleep(0.05)
    child.kill()
    pytest.fail(f"no {count} encodes under way (exit {child.poll()}): {child.communicate()}")


@pytest.mark.parametrize(
    ("method", "whom"),
    [("fork", "terminal"), ("fork", "parent"), ("spawn", "parent")],
    ids=["ctrl-c-in-a-terminal", "sigint-to-the-parent", "sigint-to-the-parent-spawned"],
)
def test_ctrl_c_during_a_parallel_render_leaves_no_partial_output_and_no_ffmpeg(
    example: Path, tmp_path: Path, method: str, whom: str
) -> None:
    """`mediactl render --jobs 2` of two 20-second sources, interrupted while both workers encode: a terminal's
    Ctrl-C (SIGINT to the whole process group) or `kill -INT` to the parent only. It exits 130 without a
    traceback, build/ holds no staging folder and no variant of the interrupted encodes, the cache no
    temporary file, and no ffmpeg (nor worker) is left running."""
    _posix_signals()
    if method == "fork" and not hasattr(os, "fork"):
        pytest.skip("no fork on this platform")
    slugs = two_video_items(example, TINY_VERTICAL.replace("[180, 320]", "[720, 1280]").replace("ultrafast", "medium"))
    for slug in slugs:
        make_clip(example / "content" / "video" / slug, "source.mp4", size="640x360", seconds=20)
    cache = tmp_path / "video-cache"
    env = {**os.environ, "MEDIACTL_VIDEO_CACHE": str(cache), "MEDIACTL_START_METHOD": method}
    child = subprocess.Popen([sys.executable, "-m", "mediactl", "-C", str(example), "render", "--channel",
                              "bank-douyin", "--jobs", "2"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, start_new_session=True)  # fmt: skip
    try:
        _wait_for_encodes(cache, 2, child)
        if whom == "terminal":
            os.killpg(child.pid, signal.SIGINT)  # what Ctrl-C does: the foreground process group
        else:
            os.kill(child.pid, signal.SIGINT)
        _, stderr = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
    assert child.returncode == 130, stderr
    assert "Interrupted." in stderr and "Traceback" not in stderr, stderr
    build = example / "build"
    assert not [p for p in build.rglob(".*")], "a staging folder was left in build/"
    assert not [p for p in build.glob(f"bank-douyin/{VIDEO}*")], "an interrupted encode reached build/"
    assert not list(cache.glob("*.tmp.mp4")), "a partial encode was left in the cache"
    assert not _processes_naming(str(tmp_path)), "ffmpeg or a worker is still running"
