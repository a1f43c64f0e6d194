"""The video engine half of issue 14: probe, template, graph, encode (cache, Ctrl-C), and `render` of a video item.

Clips are tiny (320×180, 2 s) and encodes use the ultrafast preset at 180×320, so each takes well
under a second; frames are grabbed with ffmpeg and read with Pillow to find the overlays.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from mediactl.video import encode as encoding
from mediactl.video import ffmpeg
from mediactl.video.encode import EncodeError, encode, faststart, frame_png
from mediactl.video.graph import Staged, Target
from mediactl.video.overlay import Overlay
from mediactl.video.probe import VideoSourceError, probe
from mediactl.video.template import TemplateError, load_template
from videoflow import VIDEO, make_clip

W, H = 180, 320
TEMPLATE = """\
name: tiny
size: [180, 320]
fit: {mode: pad, pad: "#000000"}
loudness: null
encode: {crf: 30, preset: ultrafast, fps: 25}
"""
RED, BLUE = (255, 0, 0, 255), (0, 0, 255, 255)


@pytest.fixture(scope="session")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-second 320×180 clip with sound, made once per session."""
    return make_clip(tmp_path_factory.mktemp("clips"))


def rectangle(colour: tuple[int, int, int, int], size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, colour).save(out, "PNG")
    return out.getvalue()


def overlay(colour, x, y, start, end, what, size=(60, 40)) -> Overlay:
    return Overlay(rectangle(colour, size), x, y, size[0], size[1], start, end, what=what)


def staged(tmp_path: Path, *overlays: Overlay) -> Staged:
    pairs = []
    for n, item in enumerate(overlays):
        path = tmp_path / f"overlay{n}.png"
        path.write_bytes(item.png)
        pairs.append((item, path))
    return Staged(overlays=tuple(pairs))


def template(tmp_path: Path, text: str = TEMPLATE):
    path = tmp_path / "tiny.yaml"
    path.write_text(text, "utf-8")
    return load_template(path)


def pixel(video: Path, at: float, xy: tuple[int, int]) -> tuple[int, ...]:
    with Image.open(io.BytesIO(frame_png(video, at, "test frame"))) as frame:
        return frame.convert("RGB").getpixel(xy)


def near(colour: tuple[int, ...], expected: tuple[int, ...], slack: int = 60) -> bool:
    return all(abs(a - b) <= slack for a, b in zip(colour, expected, strict=False))


def run_encode(tmp_path: Path, clip: Path, overlays: Staged, cache: Path | None = None, **kw):
    chosen = template(tmp_path, kw.pop("text", TEMPLATE))
    digest = __import__("hashlib").sha256(clip.read_bytes()).hexdigest()
    return encode(clip, clip.name, probe(clip, clip.name), digest, chosen, Target(W, H), overlays,
                  cache or tmp_path / "cache", **kw)  # fmt: skip


# --------------------------------------------------------------------------- probe


def test_probe_reads_size_duration_codecs_and_audio(tiny_clip: Path) -> None:
    facts = probe(tiny_clip, "clip.mp4")
    assert (facts.width, facts.height, facts.video_codec, facts.audio, facts.audio_codec) == (
        320,
        180,
        "h264",
        True,
        "aac",
    )
    assert abs(facts.duration - 2.0) < 0.1


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda clip, path: path.write_bytes(b""), "empty (0 bytes)"),
        (lambda clip, path: path.write_bytes(clip.read_bytes()[: len(clip.read_bytes()) // 2]), "truncated"),
        (lambda clip, path: path.write_bytes(os.urandom(4000)), "not a video"),
        (lambda clip, path: path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(4000)), "not a video"),
    ],
    ids=["zero-length", "truncated", "random-bytes", "corrupt-mp4"],
)
def test_bad_sources_are_refused_with_one_message_naming_the_file(
    tiny_clip: Path, tmp_path: Path, make, expected
) -> None:
    bad = tmp_path / "bad.mp4"
    make(tiny_clip, bad)
    with pytest.raises(VideoSourceError) as caught:
        probe(bad, "content/video/x/bad.mp4")
    assert caught.value.message.startswith("content/video/x/bad.mp4: ") and expected in caught.value.message


def test_an_audio_only_file_is_refused(tmp_path: Path) -> None:
    sound = tmp_path / "sound.m4a"
    subprocess.run([ffmpeg.ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=duration=1", str(sound)], check=True)
    with pytest.raises(VideoSourceError, match=r"sound\.m4a: the file has sound but no picture"):
        probe(sound, "sound.m4a")


# --------------------------------------------------------------------------- template


def test_a_template_error_names_file_line_and_key(tmp_path: Path) -> None:
    with pytest.raises(TemplateError) as caught:
        template(tmp_path, TEMPLATE.replace("preset: ultrafast", "preset: warp"))
    assert "tiny.yaml:5:" in caught.value.message and "encode.preset" in caught.value.message
    with pytest.raises(TemplateError, match=r"tiny\.yaml:2:\d+: size: expected `platform`"):
        template(tmp_path, TEMPLATE.replace("[180, 320]", "[181, 320]"))


# --------------------------------------------------------------------------- graph and encode


def test_an_encode_meets_the_target_and_shows_each_overlay_where_and_when_the_graph_put_it(
    tiny_clip: Path, tmp_path: Path
) -> None:
    title = overlay(RED, 10, 10, 0.0, 1.0, "title")
    subtitle = overlay(BLUE, 100, 250, 1.0, None, "subtitle 1")
    seen: list[float] = []
    done = run_encode(tmp_path, tiny_clip, staged(tmp_path, title, subtitle), progress=seen.append)
    facts = probe(done.path, "out")
    assert (facts.width, facts.height, facts.video_codec, facts.audio_codec) == (W, H, "h264", "aac")
    assert abs(facts.duration - 2.0) < 0.15 and faststart(done.path)
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)  # ffmpeg's own progress, to the end
    assert near(pixel(done.path, 0.5, (40, 30)), RED[:3]) and not near(pixel(done.path, 0.5, (130, 270)), BLUE[:3])
    assert near(pixel(done.path, 1.5, (130, 270)), BLUE[:3]) and not near(pixel(done.path, 1.5, (40, 30)), RED[:3])


def test_a_source_without_sound_gets_a_silent_track(tmp_path: Path) -> None:
    silent = make_clip(tmp_path, "silent.mp4", seconds=1.0, audio=False)
    done = run_encode(tmp_path, silent, Staged())
    assert probe(done.path, "out").audio_codec == "aac"


def test_a_source_without_sound_gets_a_silent_track_under_a_loudness_template_too(tmp_path: Path) -> None:
    """The shipped templates normalise loudness; loudnorm turns pure digital silence into NaN, which AAC refuses."""
    silent = make_clip(tmp_path, "silent.mp4", seconds=1.0, audio=False)
    done = run_encode(tmp_path, silent, Staged(), text=TEMPLATE.replace("loudness: null", "loudness: {i: -16}"))
    assert probe(done.path, "out").audio_codec == "aac"


def test_equal_recipes_are_encoded_once(tiny_clip: Path, tmp_path: Path, monkeypatch) -> None:
    first = run_encode(tmp_path, tiny_clip, Staged())

    def no_second_encode(*args, **kwargs):
        raise AssertionError("encoded again")

    monkeypatch.setattr(ffmpeg, "run", no_second_encode)
    again = run_encode(tmp_path, tiny_clip, Staged())
    assert again.path == first.path and again.sha256 == first.sha256
    with pytest.raises(AssertionError, match="encoded again"):  # another overlay: another recipe
        run_encode(tmp_path, tiny_clip, staged(tmp_path, overlay(RED, 0, 0, 0, 1, "title")))


def test_ctrl_c_kills_ffmpeg_and_leaves_no_partial_file(tiny_clip: Path, tmp_path: Path, monkeypatch) -> None:
    started: list[subprocess.Popen] = []
    real = subprocess.Popen

    def remember(*args, **kwargs):
        started.append(real(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(subprocess, "Popen", remember)

    def interrupt(fraction: float) -> None:
        raise KeyboardInterrupt

    cache = tmp_path / "cache"
    with pytest.raises(KeyboardInterrupt):
        run_encode(tmp_path, tiny_clip, Staged(), cache, progress=interrupt)
    assert started and all(child.poll() is not None for child in started)  # killed and reaped
    assert not [p for p in cache.iterdir() if p.is_file()]


SIGTERM_SCRIPT = """
import sys
from mediactl.video import ffmpeg
try:
    ffmpeg.run(["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30:duration=120", "-c:v", "libx264",
                "-preset", "ultrafast", "-y", sys.argv[1]], what="t", duration=120,
               progress=lambda f: print("progress", flush=True))
except KeyboardInterrupt:
    print("unwound", flush=True)
    sys.exit(130)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGTERM") or (os.name == "nt" and not os.environ.get("CI")),
                    reason="POSIX signals")  # fmt: skip
def test_sigterm_while_encoding_kills_ffmpeg_instead_of_leaving_it_writing(tmp_path: Path) -> None:
    """cron's timeout or systemd stop a render with SIGTERM: ffmpeg must not outlive it, writing into the cache."""
    output = tmp_path / "long.mp4"
    child = subprocess.Popen([sys.executable, "-c", SIGTERM_SCRIPT, str(output)], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "progress"  # ffmpeg is encoding
    child.send_signal(signal.SIGTERM)
    rest, _ = child.communicate(timeout=30)
    assert child.returncode == 130 and "unwound" in rest
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _processes_writing(output):
        time.sleep(0.1)
    assert _processes_writing(output) == []


def _processes_writing(output: Path) -> list[str]:
    """Command lines of running processes that name `output` (Linux /proc; elsewhere `ps`)."""
    listing = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    return [line for line in listing.splitlines() if str(output) in line and "ffmpeg" in line]


def test_a_source_shorter_than_its_intro_is_refused(tiny_clip: Path, tmp_path: Path) -> None:
    card = TEMPLATE + "intro: {card: video-card, seconds: 3}\n"
    with pytest.raises(EncodeError, match=r"clip\.mp4: the source is 2(\.\d+)? s long, shorter than the 3 s intro"):
        run_encode(tmp_path, tiny_clip, Staged(), text=card)


def test_an_output_over_the_platforms_size_limit_is_refused_and_not_cached(tiny_clip: Path, tmp_path: Path) -> None:
    chosen = template(tmp_path)
    digest = "0" * 64
    with pytest.raises(EncodeError, match=r"over the platform's 1000"):
        encode(tiny_clip, "clip.mp4", probe(tiny_clip, "clip.mp4"), digest, chosen, Target(W, H, max_bytes=1000),
               Staged(), tmp_path / "cache")  # fmt: skip
    assert not list((tmp_path / "cache").glob("*.mp4"))


def test_faststart_tells_index_first_from_index_last(tiny_clip: Path, tmp_path: Path) -> None:
    late = tmp_path / "late.mp4"
    subprocess.run([ffmpeg.ffmpeg_exe(), "-v", "error", "-i", str(tiny_clip), "-c", "copy", str(late)], check=True)
    assert not faststart(late)
    assert encoding.faststart(run_encode(tmp_path, tiny_clip, Staged()).path)


# --------------------------------------------------------------------------- render


def test_the_example_video_renders_for_every_channel_that_takes_video(cli, example: Path) -> None:
    result = cli(example, "render", VIDEO, "--json")
    assert result.exit_code == 0, result.output
    made = {}
    for manifest_path in sorted((example / "build").glob(f"*/{VIDEO}/manifest.json")):
        manifest = json.loads(manifest_path.read_text("utf-8"))
        made[manifest["channel"]] = manifest
    assert made["outbox"]["video"]["transcoded"] is False  # outbox's facts: video null, the source as it is
    assert made["outbox"]["video"]["file"] == f"content/video/{VIDEO}/source.mp4"
    sizes = {"bank-douyin": (1080, 1920), "bank-kuaishou": (1080, 1920), "bank-channels": (1080, 1920),
             "bank-moments": (1080, 1920), "bank-bilibili": (1920, 1080)}  # fmt: skip
    for channel, size in sizes.items():
        video = made[channel]["video"]
        path = example / video["file"]
        assert video["transcoded"] is True and video["file"] == f"build/{channel}/{VIDEO}/video.mp4"
        facts = probe(path, video["file"])
        assert (facts.width, facts.height) == size == (video["width"], video["height"])
        assert (facts.video_codec, facts.audio_codec) == ("h264", "aac") and faststart(path)
        assert path.stat().st_size == video["bytes"] and abs(facts.duration - 4.0) < 0.15
        assert (path.parent / "cover.jpg").is_file()
    # Douyin's title is the item's Douyin override, burned in: its own encode; one encode serves the other three.
    shared = {made[c]["video"]["recipe"] for c in ("bank-kuaishou", "bank-channels", "bank-moments")}
    assert len(shared) == 1 and made["bank-douyin"]["video"]["recipe"] not in shared


def frame(video: Path, at: float) -> Image.Image:
    return Image.open(io.BytesIO(frame_png(video, at, str(video)))).convert("L")


def mean_difference(a: Image.Image, b: Image.Image, box: tuple[float, float, float, float]) -> float:
    """The mean absolute grey-level difference of two frames inside `box` (fractions of the frame)."""
    w, h = a.size
    area = (int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h))
    pa, pb = a.crop(area).tobytes(), b.crop(area).tobytes()
    return sum(abs(x - y) for x, y in zip(pa, pb, strict=True)) / len(pa)


def test_a_different_subtitle_line_changes_the_frame_in_the_subtitle_area_only(cli, example: Path) -> None:
    """Two renders of the example differing only in its first cue (新春快乐 → 万事如意): the frames at 0.5 s differ
    where the subtitle layout draws and nowhere else. Tofu boxes would look alike; missing text would not differ."""
    video = example / "build" / "bank-kuaishou" / VIDEO / "video.mp4"
    assert cli(example, "render", VIDEO, "--channel", "bank-kuaishou").exit_code == 0
    first = frame(video, 0.5)
    srt = example / "content" / "video" / VIDEO / "subtitles.srt"
    srt.write_text(srt.read_text("utf-8").replace("新春快乐", "万事如意", 1), "utf-8")
    assert cli(example, "render", VIDEO, "--channel", "bank-kuaishou").exit_code == 0
    second = frame(video, 0.5)
    assert mean_difference(first, second, (0.3, 0.8, 0.7, 0.87)) > 6  # where the line is drawn (measured: 13.5)
    assert mean_difference(first, second, (0.0, 0.2, 1.0, 0.6)) < 1.5  # the picture above it (measured: 0.0)


def test_a_corrupt_source_fails_its_video_variants_with_one_message_and_leaves_nothing(cli, example: Path) -> None:
    source = example / "content" / "video" / VIDEO / "source.mp4"
    source.write_bytes(source.read_bytes()[:20000])
    result = cli(example, "render", "--json")
    summary = json.loads(result.stdout)
    failed = {r["channel"]: r["error"] for r in summary["variants"] if r["status"] == "failed"}
    assert set(failed) == {"bank-douyin", "bank-kuaishou", "bank-channels", "bank-moments", "bank-bilibili"}
    assert all(f"content/video/{VIDEO}/source.mp4: the file is truncated" in e for e in failed.values())
    assert (example / "build" / "outbox" / VIDEO / "manifest.json").is_file()  # the other variants still render
    assert summary["rendered"] > 0
    assert not list((example / "build").glob(f"bank-*/{VIDEO}")) and not list((example / "build").glob("*/.*"))
