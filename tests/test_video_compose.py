"""The moviepy engine (issue 14): one template through both engines gives the same video, and a project whose
template asks for moviepy gets it through `render`, or one clear error when the extra is missing.

The engines share only the template and the text half's Overlay PNGs: ffmpeg runs one filter graph, moviepy
composes its own clips, so their frames are alike, never equal. Clips are 2 s at 320×180, outputs 180×320 with
the ultrafast preset. moviepy is the optional extra `mediactl[moviepy]` (in `test`): the tests skip without it,
except under CI, where they must run.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from mediactl.video import overlays
from mediactl.video.cues import Cue
from mediactl.video.encode import Encoded, encode, faststart, frame_png
from mediactl.video.graph import Staged, Target
from mediactl.video.probe import probe
from mediactl.video.template import TemplateError, load_template
from videoflow import VIDEO, make_clip

W, H, FPS = 180, 320, 25
TEMPLATE = """\
name: both
size: [180, 320]
fit: {{mode: pad, pad: blur}}
title: {{layout: video-title, from: 0, to: 1.2}}
subtitles: {{layout: video-subtitle}}
loudness: {{i: -16, tp: -1.5, lra: 11}}
encode: {{crf: 18, preset: ultrafast, fps: 25}}
engine: {engine}
"""
TITLE_BOX = (0, 32, W, 122)  # video-title's band: 0.1–0.38 of the height
SUBTITLE_BOX = (14, 217, 166, 275)  # video-subtitle's box: 0.08–0.92 × 0.68–0.86


def moviepy_or_skip() -> None:
    """Skip without the extra, but never under CI (the `test` extra installs it, so its absence is a failure)."""
    try:
        import moviepy  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("moviepy is not installed (pip install 'mediactl[moviepy]')")


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("compose"), seconds=2.0)


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Staged:
    """A Chinese title (0–1.2 s) and one subtitle cue (0.2–1.8 s), drawn by the text half as for a real item."""
    folder = tmp_path_factory.mktemp("overlays")
    size = (W, H)
    drawn = [
        overlays.title({"title": "新春快乐 万事如意"}, size, overlays.load("video-title"), 0.0, 1.2),
        *overlays.subtitles([Cue(1, 0.2, 1.8, "示例银行祝您新春快乐", 3)], size, overlays.load("video-subtitle")),
    ]
    pairs = []
    for n, overlay in enumerate(drawn):
        path = folder / f"{n}.png"
        path.write_bytes(overlay.png)
        pairs.append((overlay, path))
    return Staged(overlays=tuple(pairs))


def render(tmp_path: Path, clip: Path, engine: str, staged: Staged) -> Encoded:
    path = tmp_path / f"both-{engine}.yaml"
    path.write_text(TEMPLATE.format(engine=engine), "utf-8")
    digest = hashlib.sha256(clip.read_bytes()).hexdigest()
    return encode(clip, "clip.mp4", probe(clip, "clip.mp4"), digest, load_template(path), Target(W, H), staged,
                  tmp_path / "cache")  # fmt: skip


def frame(video: Path, at: float) -> Image.Image:
    return Image.open(io.BytesIO(frame_png(video, at, str(video)))).convert("RGB")


def difference(a: Image.Image, b: Image.Image, box: tuple[int, int, int, int] | None = None) -> float:
    """Mean absolute difference per channel (0–255), over the whole frame or inside `box`."""
    if box:
        a, b = a.crop(box), b.crop(box)
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


def test_one_template_through_both_engines_gives_the_same_size_length_and_picture(
    tmp_path: Path, clip: Path, staged: Staged
) -> None:
    moviepy_or_skip()
    made = {engine: render(tmp_path, clip, engine, staged) for engine in ("ffmpeg", "moviepy")}
    bare = render(tmp_path, clip, "ffmpeg", Staged())  # the same template with nothing laid over it
    assert made["ffmpeg"].recipe != made["moviepy"].recipe  # the engine is part of the recipe: never each other's cache
    for done in made.values():
        facts = probe(done.path, "out")
        assert (facts.width, facts.height, facts.video_codec, facts.audio_codec) == (W, H, "h264", "aac")
        assert faststart(done.path)
    lengths = [probe(done.path, "out").duration for done in made.values()]
    assert abs(lengths[0] - lengths[1]) <= 2 / FPS and abs(lengths[0] - 2.0) <= 2 / FPS
    at = 1.0  # title and subtitle both shown
    ours, theirs, plain = frame(made["ffmpeg"].path, at), frame(made["moviepy"].path, at), frame(bare.path, at)
    assert difference(ours, theirs) < 4  # the same picture (measured: 2.3; the frame 0.4 s earlier: 15)
    for engine, picture in (("ffmpeg", ours), ("moviepy", theirs)):
        for what, box in (("title", TITLE_BOX), ("subtitle", SUBTITLE_BOX)):
            assert difference(picture, plain, box) > 7, (
                f"{engine}: no {what} where the template puts it"
            )  # measured: 10–67
    assert difference(ours, theirs, SUBTITLE_BOX) < 5  # and the same text in the same place (measured: 3.0)
    later = frame(made["moviepy"].path, 1.6)  # after the title's 1.2 s: the moviepy clip honours its duration
    assert difference(later, frame(bare.path, 1.6), TITLE_BOX) < 4  # measured: 2.4


def test_a_template_asking_for_moviepy_without_the_extra_is_one_error_naming_it(
    tmp_path: Path, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "moviepy", None)  # what an install without the extra sees: ImportError
    with pytest.raises(TemplateError) as caught:
        render(tmp_path, clip, "moviepy", Staged())
    message = caught.value.message
    assert message.startswith(f"{tmp_path / 'both-moviepy.yaml'}: engine: moviepy needs the moviepy package")
    assert "pip install 'mediactl[moviepy]'" in message
    assert not (tmp_path / "cache").exists()  # refused before anything was started


def test_render_uses_moviepy_for_a_project_template_that_asks_for_it(cli, example: Path) -> None:
    moviepy_or_skip()
    override = example / "templates" / "media" / "video-vertical.yaml"
    override.parent.mkdir(parents=True, exist_ok=True)
    override.write_text(TEMPLATE.format(engine="moviepy").replace("name: both", "name: video-vertical"), "utf-8")
    result = cli(example, "render", VIDEO, "--channel", "bank-kuaishou", "--json")
    assert result.exit_code == 0, result.output
    manifest = json.loads((example / "build" / "bank-kuaishou" / VIDEO / "manifest.json").read_text("utf-8"))
    video = manifest["video"]
    assert (video["width"], video["height"], video["transcoded"]) == (W, H, True)
    assert video["template"] == "video-vertical" and abs(video["duration"] - 4.0) < 0.15
    assert faststart(example / video["file"])


def test_the_moviepy_path_gives_a_silent_track_to_a_source_without_sound(tmp_path: Path) -> None:
    moviepy_or_skip()
    silent = make_clip(tmp_path, "silent.mp4", seconds=1.0, audio=False)
    done = render(tmp_path, silent, "moviepy", Staged())
    assert probe(done.path, "out").audio_codec == "aac"
    assert Image.open(io.BytesIO(frame_png(done.path, 0.5, "out"))).size == (W, H)
