"""What a video item says about its own video: `video: {trim: false}` refuses trimming; a source too short for
its intro. Each error names the item's file (and line and key) and fails only that item's video variants."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from mediactl.video.encode import frame_png
from mediactl.video.probe import probe
from test_video_progress import TINY_VERTICAL
from videoflow import VIDEO

ITEM = f"content/video/{VIDEO}/index.md"


def use_template(root: Path, text: str) -> None:
    media = root / "templates" / "media"
    media.mkdir(parents=True, exist_ok=True)
    (media / "video-vertical.yaml").write_text(text, "utf-8")


def add_front_matter(root: Path, lines: str) -> int:
    """Add `lines` at the end of the item's front matter; the line number where they start."""
    item = root / ITEM
    head, _, body = item.read_text("utf-8").removeprefix("---\n").partition("\n---\n")
    item.write_text(f"---\n{head}\n{lines}---\n{body}", "utf-8")
    return head.count("\n") + 3  # the opening --- line, the head's lines, then ours


def render_json(cli, root: Path) -> tuple[dict, dict[str, str]]:
    result = cli(root, "render", VIDEO, "--channel", "bank-kuaishou", "--json")
    summary = json.loads(result.stdout)
    return summary, {r["channel"]: r["error"] for r in summary["variants"] if r["status"] == "failed"}


@pytest.fixture
def two_second_template(example: Path) -> Path:
    use_template(example, TINY_VERTICAL + "max_seconds: 2\n")
    return example


def test_trim_false_makes_a_source_over_the_maximum_an_error_naming_the_items_line(cli, two_second_template) -> None:
    root = two_second_template
    line = add_front_matter(root, "video:\n  trim: false\n") + 1
    summary, failed = render_json(cli, root)
    assert summary["rendered"] == 0 and set(failed) == {"bank-kuaishou"}
    error = failed["bank-kuaishou"]
    assert error.startswith(f"{ITEM}:{line}: video.trim: false, but the source content/video/{VIDEO}/source.mp4 is 4")
    assert "takes 2 s (the video template video-vertical's max_seconds 2 s" in error and "remove `trim: false`" in error
    assert not (root / "build" / "bank-kuaishou" / VIDEO).exists()


def test_without_trim_false_the_same_source_is_trimmed(cli, two_second_template) -> None:
    summary, failed = render_json(cli, two_second_template)
    assert not failed and summary["rendered"] == 1
    manifest = json.loads(
        (two_second_template / "build" / "bank-kuaishou" / VIDEO / "manifest.json").read_text("utf-8")
    )
    assert abs(manifest["video"]["duration"] - 2.0) < 0.15


def test_a_source_within_the_maximum_renders_with_trim_false(cli, example: Path) -> None:
    use_template(example, TINY_VERTICAL)  # no max_seconds; Kuaishou sets none for this 4-second clip
    add_front_matter(example, "video: {trim: false}\n")
    summary, failed = render_json(cli, example)
    assert not failed and summary["rendered"] == 1


def test_trim_must_be_true_or_false(cli, example: Path) -> None:
    line = add_front_matter(example, "video:\n  trim: sometimes\n") + 1
    result = cli(example, "render", VIDEO)
    assert result.exit_code != 0
    assert (
        f"{ITEM}:{line}:" in result.output
        and "video.trim" in result.output
        and "expected true or false" in result.output
    )


def test_a_source_shorter_than_its_intro_names_the_item_and_the_source(cli, example: Path) -> None:
    use_template(example, TINY_VERTICAL + "intro: {card: video-card, seconds: 5}\n")
    _, failed = render_json(cli, example)
    assert failed["bank-kuaishou"].startswith(f"{ITEM}: content/video/{VIDEO}/source.mp4: the source is 4")
    assert "shorter than the 5 s intro" in failed["bank-kuaishou"]


def test_intro_and_outro_cards_bookend_the_video_through_a_render(cli, example: Path) -> None:
    """A template's title cards are drawn full frame (the item's title on the card layout) before and after the
    source: the output is card + source + card long, and the frames show the card's brand red, then the red clip."""
    use_template(
        example, TINY_VERTICAL + "intro: {card: video-card, seconds: 1}\noutro: {card: video-card, seconds: 1}\n"
    )
    _, failed = render_json(cli, example)
    assert failed == {}
    video = example / "build" / "bank-kuaishou" / VIDEO / "video.mp4"
    assert abs(probe(video, "video.mp4").duration - 6.0) < 0.15  # 1 s card + the 4 s clip + 1 s card

    def colour(at: float, xy: tuple[int, int]) -> tuple[int, ...]:
        with Image.open(io.BytesIO(frame_png(video, at, "video.mp4"))) as frame:
            return frame.convert("RGB").getpixel(xy)

    for at in (0.5, 5.5):  # the card: the item's 春节 theme, brand.primary #A81C23 at the top (the clip: lanterns)
        red, green, blue = colour(at, (8, 8))
        assert abs(red - 0xA8) < 12 and abs(green - 0x1C) < 12 and abs(blue - 0x23) < 12, (at, (red, green, blue))
    red, _, blue = colour(2.5, (90, 160))  # the clip itself, warm red, in the middle of the padded frame
    assert red > blue + 40


def test_a_subtitle_file_that_does_not_parse_fails_the_burned_in_variants_naming_its_line(cli, example: Path) -> None:
    srt = example / "content" / "video" / VIDEO / "subtitles.srt"
    srt.write_text(srt.read_text("utf-8").replace("00:00:01,000 --> 00:00:02,000", "00:00:01,000 -> 00:00:02,000"),
                   "utf-8")  # fmt: skip
    result = cli(example, "render", VIDEO, "--json")
    assert result.exit_code != 0
    variants = {r["channel"]: r for r in json.loads(result.stdout)["variants"]}
    failed = {channel for channel, r in variants.items() if r["status"] == "failed"}
    assert failed == {"bank-douyin", "bank-kuaishou", "bank-channels", "bank-moments", "bank-bilibili"}
    assert variants["outbox"]["status"] == "rendered"  # the source as it is: nothing burned in
    error = variants["bank-douyin"]["error"]
    assert f"content/video/{VIDEO}/subtitles.srt:6: expected a timing line" in error, error  # the second cue's timing
    assert not list((example / "build").glob(f"*/.{VIDEO}.tmp-*"))  # nothing partial
    assert not (example / "build" / "bank-douyin" / VIDEO).exists()
