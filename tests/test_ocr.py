"""Words inside pictures: images and video frames read by OCR and checked by the same rules (issue 17).

The engine is real (RapidOCR, models in its wheel) and created once per test process; its readings are cached in the
session's user cache (conftest), so each small image here is read once per session. The suite runs with
MEDIACTL_OCR=off; the tests that read pictures ask for the `ocr` fixture.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import write
from mediactl.check.ocr import OcrLine, OcrReader, region_of, segment_of
from mediactl.check.ocr_cache import OcrCache

REPO = Path(__file__).resolve().parents[1]
POSTER = REPO / "examples/noncompliant/poster.png"


def picture(lines: list[tuple[str, int, int]], size: tuple[int, int] = (560, 300), font: int = 44) -> bytes:
    """A PNG with each (text, x, y) drawn in the shipped font, black on white."""
    from PIL import Image, ImageDraw

    from mediactl.graphics.fonts import load_font

    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    for text, x, y in lines:
        draw.text((x, y), text, font=load_font(font, "Bold"), fill="black")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def claim_in_picture(example: Path) -> None:
    """The example poster item's own picture (its Markdown is clean) redrawn with 保本保息 in its pixels."""
    from PIL import Image

    art = example / "content/graphic/credit-card-cashback/poster.png"
    with Image.open(art) as original:
        size = original.size
    art.write_bytes(picture([("保本保息", 330, 620)], size=size, font=110))


def check_json(cli, *args: str) -> tuple[int, dict]:
    result = cli(None, "check", "--format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


# --- reading order and places, no engine ---------------------------------------------------------------------


def test_a_claim_broken_over_two_lines_is_one_claim() -> None:
    lines = [OcrLine("保息无忧", (40, 130, 200, 44), 0.99), OcrLine("本产品保", (40, 60, 200, 44), 0.99)]
    segment = segment_of(lines, "p.png", "image.p.ocr")
    assert segment is not None and segment.text == "本产品保保息无忧"  # read top to bottom, CJK joined without a space
    assert segment.position(segment.text.index("保息")) == (2, 1)  # line 2 in reading order


def test_a_match_over_two_lines_is_boxed_by_both() -> None:
    lines = [OcrLine("本产品保", (40, 60, 200, 44), 0.99), OcrLine("本保息", (40, 130, 150, 44), 0.99)]
    assert region_of(lines, 1, 4, "保本") == (40, 60, 200, 114)
    assert region_of(lines, 2, 2, "保息") == (90, 130, 100, 44)  # within one line: its share of the width


def test_lines_side_by_side_read_left_to_right() -> None:
    lines = [OcrLine("保息", (300, 62, 90, 40), 0.9), OcrLine("保本", (40, 60, 90, 44), 0.9)]
    assert segment_of(lines, "p.png", "f").text == "保本保息"


# --- the cache ------------------------------------------------------------------------------------------------


def test_an_unchanged_image_is_never_read_twice_and_a_corrupt_entry_is_read_again(tmp_path: Path) -> None:
    calls: list[bytes] = []

    def read(data: bytes, shown: str) -> list[OcrLine]:
        calls.append(data)
        return [OcrLine("保本保息", (1, 2, 3, 4), 0.9)]

    first = OcrReader(OcrCache(tmp_path), read)
    assert first.lines(b"image-a", "a.png") == first.lines(b"image-a", "again.png")
    assert len(calls) == 1  # the same bytes in one process: one reading
    second = OcrReader(OcrCache(tmp_path), read)  # another process, the same cache
    assert second.lines(b"image-a", "a.png")[0].text == "保本保息" and second.engine_calls == 0
    [entry] = (tmp_path / "ocr").rglob("*.json")
    entry.write_text('{"engine": ', "utf-8")  # damaged: never trusted, read again
    third = OcrReader(OcrCache(tmp_path), read)
    assert third.lines(b"image-a", "a.png")[0].box == (1, 2, 3, 4) and third.engine_calls == 1
    first.close(), second.close(), third.close()


def test_a_video_frames_boxes_are_in_the_videos_own_pixels(tmp_path: Path) -> None:
    """Frames are read scaled down to ocr_frames.MAX_WIDTH; a box found in one is given in the video's pixels (as an
    image's box is in the image's), so the preview and a reader of the report find the words where the video has
    them. No engine: the reader here 'reads' the red rectangle a 1920x1080 clip carries at (1500, 600, 200, 100)."""
    from PIL import Image

    from mediactl.video.ffmpeg import ffmpeg_exe

    clip = tmp_path / "wide.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "color=white:s=1920x1080:d=1:r=2",
                    "-vf", "drawbox=x=1500:y=600:w=200:h=100:color=red:t=fill", "-pix_fmt", "yuv420p",
                    "-c:v", "libx264", str(clip)], check=True)  # fmt: skip

    def read(data: bytes, shown: str) -> list[OcrLine]:
        with Image.open(io.BytesIO(data)) as frame:
            green = frame.convert("RGB").getchannel("G")
        # red has no green and white all of it: the rectangle is where green is low
        left, top, right, bottom = green.point(lambda v: 255 if v < 128 else 0).getbbox() or (0, 0, 0, 0)
        return [OcrLine("保本保息", (left, top, right - left, bottom - top), 0.99)]

    reader = OcrReader(OcrCache(tmp_path), read)
    [(time, [line])] = reader.submit_video(clip.read_bytes(), "wide.mp4").result()
    reader.close()
    assert time == 0.0
    assert all(abs(a - b) <= 3 for a, b in zip(line.box, (1500, 600, 200, 100), strict=True)), line.box


def test_words_read_in_the_last_of_max_frames_stand_one_interval_not_to_the_end(tmp_path: Path, monkeypatch) -> None:
    """Sampling stops at MAX_FRAMES (a long video is not read to its end): the words of the last frame sampled are
    known to be on screen until one interval later, not until the video ends. No engine, no ffmpeg: frames faked."""
    from mediactl.check import ocr_frames
    from mediactl.check.ocr import frame_pictures

    fake = [ocr_frames.Frame(2.0 * n, b"png", (1.0, 1.0)) for n in range(ocr_frames.MAX_FRAMES)]
    monkeypatch.setattr(ocr_frames, "sample_frames", lambda data, shown, suffix: fake)
    reader = OcrReader(OcrCache(tmp_path), lambda data, shown: [OcrLine("保本保息", (1, 2, 3, 4), 0.9)])
    frames = reader.submit_video(b"video", "long.mp4").result()
    reader.close()
    [card] = [p for p in frame_pictures("long.mp4", "video.long.ocr", frames) if p.lines]
    assert (card.time, card.until) == (0.0, fake[-1].time + ocr_frames.INTERVAL)


# --- the engine, through `mediactl check` ---------------------------------------------------------------------


def test_the_example_poster_violation_is_found_with_its_box(cli, ocr, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(POSTER, tmp_path / "poster.png")
    code, data = check_json(cli, "poster.png")
    found = {f["rule"]: f for f in data["findings"]}
    assert code == 1 and {"finance.promise.principal", "finance.promise.return"} <= set(found), data
    principal = found["finance.promise.principal"]  # 保本 (保本保息 where the rule reads on across the line break)
    assert principal["matched"].startswith("保本"), principal
    assert principal["file"] == "poster.png" and principal["field"] == "image.poster.ocr"
    x, y, w, h = (principal["region"][k] for k in "xywh")
    assert x < 300 and x + w > 360 and y < 150 and y + h > 180 and h > 20  # 保本 stands after "100%", at (≈330, ≈165)
    assert data["summary"]["ocr"] == "on"
    line = cli(None, "check", "poster.png", "--format", "line")
    assert f"(x={x}, y={y}, w={w}, h={h})" in line.stdout


def test_no_ocr_says_so_in_every_report(cli, ocr, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(POSTER, tmp_path / "poster.png")
    text = cli(None, "check", "poster.png", "--no-ocr")
    assert text.exit_code == 0 and "warning: images and video frames were not read" in text.stdout
    code, data = check_json(cli, "poster.png", "--no-ocr")
    assert code == 0 and data["summary"]["ocr"] == "off" and "not read" in data["summary"]["notices"][0]
    sarif = json.loads(cli(None, "check", "poster.png", "--no-ocr", "--format", "sarif").stdout)
    [invocation] = sarif["runs"][0]["invocations"]
    assert "not read" in invocation["toolExecutionNotifications"][0]["message"]["text"]


def test_compliance_ocr_false_switches_it_off_for_the_project(cli, ocr, minimal: Path, monkeypatch) -> None:
    shutil.copy(POSTER, minimal / "poster.png")
    config = minimal / "mediactl.yaml"
    config.write_text(config.read_text("utf-8") + "compliance:\n  ocr: false\n", "utf-8")
    monkeypatch.chdir(minimal)
    code, data = check_json(cli, "poster.png")
    assert code == 0 and data["summary"]["ocr"] == "off"


def test_a_bad_compliance_ocr_value_names_the_line(cli, minimal: Path) -> None:
    config = minimal / "mediactl.yaml"
    config.write_text(config.read_text("utf-8") + "compliance:\n  ocr: sometimes\n", "utf-8")
    result = cli(minimal, "config", "validate")
    assert result.exit_code == 2
    assert "compliance.ocr: expected true, false or required, got 'sometimes'" in result.output
    assert "mediactl.yaml:" in result.output


@pytest.mark.parametrize(("name", "what"), [("bad.png", "not a readable image"), ("bad.mp4", "not a video")])
def test_a_corrupt_picture_is_one_clear_error(cli, ocr, tmp_path: Path, monkeypatch, name: str, what: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_bytes(b"\x89PNG\r\n\x1a\n" + b"broken" * 50)
    result = cli(None, "check", name)
    assert result.exit_code == 2
    assert f"{name}: {what}" in result.output and "Traceback" not in result.output


def test_a_video_frame_violation_is_found_with_its_time(cli, ocr, tmp_path: Path, monkeypatch) -> None:
    """Two seconds of a blank frame, then a card that says 保本保息 for three seconds (longer than the sampling
    interval), then blank again: found in the frame at the scene change, on screen until the frame without it."""
    from mediactl.check.ocr_frames import INTERVAL
    from mediactl.video.ffmpeg import ffmpeg_exe

    monkeypatch.chdir(tmp_path)
    blank, card = picture([]), picture([("稳健理财", 40, 60), ("保本保息", 40, 150)])
    frames = [blank] * 4 + [card] * 6 + [blank] * 6  # 2 fps: the card from 2.0 s to 5.0 s, in an 8 s clip
    (tmp_path / "clip.mp4").write_bytes(b"")
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "image2pipe", "-framerate", "2", "-i", "pipe:0",
                    "-pix_fmt", "yuv420p", "-c:v", "libx264", str(tmp_path / "clip.mp4")],
                   input=b"".join(frames), check=True)  # fmt: skip
    code, data = check_json(cli, "clip.mp4")
    found = [f for f in data["findings"] if f["matched"].startswith("保本")]
    assert code == 1 and found, data
    assert found[0]["field"] == "video.clip.ocr@00:02.0" and found[0]["time"] == 2.0 and "region" in found[0]
    # the frame sampled at 4.0 s shows the same words: one finding, for the card's time on screen, which ends by the
    # next frame sampled (a scene change, or INTERVAL seconds after the last: black words leaving white are no scene)
    assert 5.0 <= found[0]["until"] <= 4.0 + INTERVAL and len(found) == 1, found


def test_a_variant_whose_picture_carries_a_claim_fails_naming_the_image_and_box(cli, ocr, example: Path) -> None:
    """The item's own picture (no text in Markdown) says 保本保息 in its pixels: the composed poster is read."""
    claim_in_picture(example)
    result = cli(example, "check", "credit-card-cashback", "--channel", "bank-weibo", "--format", "json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    found = [f for f in data["findings"] if f["field"] == "image.poster.ocr" and f["matched"].startswith("保本")]
    assert found and found[0]["file"] == "build/bank-weibo/credit-card-cashback/poster.jpg", data["findings"]
    assert set(found[0]["region"]) == {"x", "y", "w", "h"} and found[0]["channel"] == "bank-weibo"
    report = json.loads((example / ".mediactl/reports/bank-weibo/credit-card-cashback.json").read_text("utf-8"))
    assert report["ocr"] == "on" and not report["passed"]


def test_run_reads_the_pictures_unless_told_not_to(cli, ocr, example: Path) -> None:
    """`mediactl run` checks as `mediactl check` does: the claim in the poster's pixels fails the run; with --no-ocr
    it is not read, and the run's report says the pictures were not read."""
    claim_in_picture(example)
    read = cli(example, "run", "--channel", "bank-weibo", "--dry-run", "--json")
    checked = json.loads(read.stdout)["check"]
    assert read.exit_code == 1 and checked["ocr"] == "on" and checked["failing"] >= 1, read.output
    unread = cli(example, "run", "--channel", "bank-weibo", "--dry-run", "--json", "--no-ocr")
    checked = json.loads(unread.stdout)["check"]
    assert unread.exit_code == 0 and checked["ocr"] == "off" and checked["failing"] == 0, unread.output


def test_ocr_is_not_imported_at_start_up() -> None:
    import sys

    done = subprocess.run([sys.executable, "-c", "import sys; from mediactl.cli import app; "
                           "print(sorted(m for m in sys.modules if m.split('.')[0] in "
                           "('rapidocr_onnxruntime', 'onnxruntime', 'cv2', 'numpy') or m == 'mediactl.check.ocr'))"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert done.stdout.strip() == "[]"


def test_the_engine_needs_no_network(ocr, tmp_path: Path) -> None:
    """The models are in the wheel: the engine loads and reads with every proxy pointing nowhere."""
    import os
    import sys

    env = {**os.environ, "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
           "XDG_CACHE_HOME": str(tmp_path / "empty-cache"), "HOME": str(tmp_path)}  # fmt: skip
    (tmp_path / "p.png").write_bytes(picture([("保本保息", 40, 60)]))
    done = subprocess.run([sys.executable, "-m", "mediactl", "check", str(tmp_path / "p.png"), "--format", "line"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, check=False)  # fmt: skip
    assert done.returncode == 1 and "保本" in done.stdout, done.stderr


def test_the_preview_draws_the_box_over_the_image(cli, ocr, example: Path) -> None:
    claim_in_picture(example)
    assert cli(example, "render", "credit-card-cashback", "--channel", "bank-weibo").exit_code == 0
    assert cli(example, "preview", "credit-card-cashback", "--channel", "bank-weibo").exit_code == 0
    page = (example / "build/preview/items/credit-card-cashback.html").read_text("utf-8")
    box = page.split('<span class="ocr-box sev-error"', 1)[1].split(">", 1)[0]
    assert 'data-rule="finance.promise.principal"' in box and "left:" in box and "width:" in box
    assert "build/bank-weibo/credit-card-cashback/poster.jpg (x=" in page  # the list names the image and the box


def test_a_verdict_without_ocr_records_it_and_fails_where_ocr_is_required(cli, minimal: Path) -> None:
    """MEDIACTL_OCR=off (the suite's default) is a run without OCR: recorded; refused only where it is required."""
    write(
        minimal / "content/article/plain/index.md",
        "---\ntitle: 防范诈骗\nchannels: [outbox]\n---\n\n陌生来电要核实。\n",
    )
    assert cli(minimal, "check", "plain").exit_code == 0
    report = minimal / ".mediactl/reports/outbox/plain.json"
    assert json.loads(report.read_text("utf-8"))["ocr"] == "off" and json.loads(report.read_text("utf-8"))["passed"]
    config = minimal / "mediactl.yaml"
    config.write_text(config.read_text("utf-8") + "compliance:\n  ocr: required\n", "utf-8")
    result = cli(minimal, "check", "plain")
    assert result.exit_code == 1 and "compliance.ocr is required" in result.output
    assert not json.loads(report.read_text("utf-8"))["passed"]
    refused = cli(minimal, "publish", "plain", "--channel", "outbox")  # the gate says why, not "0 finding(s)"
    assert refused.exit_code != 0 and "checked without reading its pictures (ocr: off)" in refused.output


def test_without_a_loadable_engine_the_report_says_why(cli, ocr, tmp_path: Path, monkeypatch) -> None:
    """As on a server without libGL (OpenCV's desktop build cannot load; verified by hand with libGL.so.1 bound to
    /dev/null in a private mount namespace): the check goes on, says why the pictures were not read."""
    import sys

    from mediactl.check import ocr as module

    monkeypatch.setitem(sys.modules, "cv2", None)  # import cv2 fails, as it does there
    module.unavailable.cache_clear()
    try:
        monkeypatch.chdir(tmp_path)
        shutil.copy(POSTER, tmp_path / "poster.png")
        code, data = check_json(cli, "poster.png")
        assert code == 0 and data["summary"]["ocr"] == "unavailable"
        assert "opencv-python-headless" in data["summary"]["notices"][0]
    finally:
        module.unavailable.cache_clear()


def test_a_variants_images_are_read_from_disk_once_with_ocr_on(cli, example: Path, tmp_path: Path, monkeypatch) -> None:
    """check queues every image for OCR as it starts, from bytes proven against the manifest's sha256; the findings
    then use that reading, not a second read of the same file (a poster is megabytes, a library has hundreds).
    No engine: a reader that finds nothing; each image part must be read (and proven) exactly once."""
    from collections import Counter

    from mediactl.check import runner
    from mediactl.render import verify

    assert cli(example, "render", "credit-card-cashback", "--channel", "bank-weibo").exit_code == 0
    reader = OcrReader(OcrCache(tmp_path), lambda data, shown: [])
    monkeypatch.setattr(runner, "ocr_reader", lambda config, enabled: (reader, "on"))
    reads: Counter[str] = Counter()
    proven = verify.read_part

    def counting(part, root):  # as verify.read_part
        reads[part.path.name] += 1
        return proven(part, root)

    monkeypatch.setattr(verify, "read_part", counting)
    result = cli(example, "check", "credit-card-cashback", "--channel", "bank-weibo")
    reader.close()
    assert result.exit_code in (0, 1), result.output
    assert reads["poster.jpg"] == 1 and reader.engine_calls == 1, reads


def test_approve_refuses_a_blocker_read_inside_a_picture(cli, ocr, example: Path, monkeypatch) -> None:
    """approve scans for blockers before signing; a picture's words are words the audience reads. With the principal
    claim re-levelled to a blocker, the poster that says 保本保息 in its pixels is not signed (the gate would stop it
    at publish only where check read the picture); with pictures switched off (MEDIACTL_OCR=off, as compliance.ocr:
    false) it is signed as before, so it is the picture that refused it."""
    config = example / "mediactl.yaml"
    config.write_text(config.read_text("utf-8").replace(
        "  severity: {}", "  severity: {finance.promise.principal: blocker}", 1), "utf-8")  # fmt: skip
    claim_in_picture(example)
    assert cli(example, "render", "credit-card-cashback", "--channel", "bank-weibo").exit_code == 0
    monkeypatch.setenv("MEDIACTL_USER", "chen.jie")  # its author hands it over
    assert cli(example, "review", "credit-card-cashback").exit_code == 0
    monkeypatch.setenv("MEDIACTL_USER", "wang.min")
    refused = cli(example, "approve", "credit-card-cashback", "--as", "wang.min", "--channel", "bank-weibo")
    assert refused.exit_code == 1, refused.output
    assert "blocker" in refused.output and "build/bank-weibo/credit-card-cashback/poster.jpg" in refused.output
    assert "finance.promise.principal" in refused.output
    assert not (example / "approvals/credit-card-cashback.yaml").exists()
    monkeypatch.setenv("MEDIACTL_OCR", "off")
    signed = cli(example, "approve", "credit-card-cashback", "--as", "wang.min", "--channel", "bank-weibo")
    assert signed.exit_code == 0, signed.output
