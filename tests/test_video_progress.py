"""Issue 14's render of several video items: ffmpeg's progress carried from the worker processes, and Ctrl-C.

The example project gets a tiny vertical template (180×320, ultrafast, no text) and a second video item,
so two items encode in two workers in well under a second each; each test has its own video cache, so
the encodes really run (the session's shared cache would answer them at once).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mediactl.config.model import load_config
from mediactl.library.scan import load_library
from mediactl.render.runner import render
from videoflow import VIDEO

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
    if method == "fork" and not hasattr(__import__("os"), "fork"):
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
