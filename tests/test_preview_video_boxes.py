"""Words read in a video's frame are drawn over the player while it shows that frame (issue 17, session 10).

A finding in a video names its frame's time and its box in the video's own pixels. The preview shows the box over
the player, scaled to the size the player shows the video at and placed inside its letterbox (a vertical video in
the phone frame is held to 640 px high: black bars left and right), and only while the player is within the time
window that frame stands for. The clip here is generated with a red square at a known place, the finding's region
is that square, and a headless Chromium seeks the player: inside the window the box covers the red pixels where
the browser drew them, outside it no box shows. Skips only where Chromium or Playwright is missing, and never when
CI is set.
"""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import pytest

import browser
from mediactl.check.findings import Finding
from mediactl.preview import gallery
from test_preview_boxes import red_bounds

SIZE = (360, 800)  # vertical: the phone frame (at most 390 px wide, 640 px high) letterboxes it left and right
RED = (200, 500, 100, 120)  # x, y, w, h in the video's pixels (even: whole chroma blocks, sharp red edges)
SECONDS = 4.0
FRAME = 1.0  # the sampled frame the words were read in
UNTIL = 3.6  # the first later frame sampled without them: the square is on screen longer than ocr_frames.INTERVAL
SEEK = """async (video, time) => {
  if (video.readyState < 1) await new Promise((done) => video.addEventListener("loadedmetadata", done, {once: true}));
  video.currentTime = time;
  await new Promise((done) => video.addEventListener("seeked", done, {once: true}));
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
}"""


def red_square_clip(path: Path) -> None:
    from mediactl.video.ffmpeg import ffmpeg_exe

    x, y, w, h = RED
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi",
                    "-i", f"color=white:s={SIZE[0]}x{SIZE[1]}:d={SECONDS}:r=10",
                    "-vf", f"drawbox=x={x}:y={y}:w={w}:h={h}:color=red:t=fill:enable='between(t,{FRAME},{UNTIL - 0.05})'",
                    "-pix_fmt", "yuv420p",
                    "-c:v", "libx264", "-movflags", "+faststart", str(path)], check=True)  # fmt: skip


def video_view(build: Path) -> gallery.VariantView:
    """A rendered Douyin variant whose video carries a finding at RED in its frame at FRAME seconds."""
    folder = build / "douyin" / "item"
    red_square_clip(folder / "video.mp4")
    shown = "build/douyin/item/video.mp4"
    boxed, finding = browser.boxed_media("video", shown, folder / "video.mp4",
                                         {"width": SIZE[0], "height": SIZE[1], "duration": SECONDS}, shown,
                                         field="video.main.ocr@00:01.0", region=RED, time=FRAME, until=UNTIL)  # fmt: skip
    view = gallery.VariantView("item", "标题", "video", "douyin", "douyin", "video", state="rendered")
    view.video = boxed
    view.findings = [finding]
    return view


@pytest.fixture
def pages(tmp_path: Path) -> Path:
    browser.require()
    build = tmp_path / "build"
    return browser.gallery_of(build, "video boxes", [video_view(build)])


def test_the_box_shows_over_the_words_while_the_player_is_in_their_frames_window(pages: Path) -> None:
    """Before the window, and after it, no box; inside it, the box lies on the red square as the browser drew it
    inside the letterboxed player, within two pixels (the video is scaled down and its edges are blended)."""
    watched = browser.Watched()
    with browser.served(pages) as server, browser.browser() as launched:
        page = browser.new_page(launched, watched)
        browser.open_page(page, server.url("preview/items/item.html"))
        section = page.locator("section#douyin")
        video = section.locator(".ocr-video video")
        box = section.locator(".ocr-box")
        assert box.count() == 1 and not box.is_visible()  # not played yet
        shown_at = {}
        for time in (0.5, 2.0, 3.3, 3.8, 1.0):
            video.evaluate(SEEK, time)
            shown_at[time] = box.is_visible()
        assert shown_at == {0.5: False, 2.0: True, 3.3: True, 3.8: False, 1.0: True}
        drawn = box.bounding_box()
        box.evaluate("b => b.style.visibility = 'hidden'")
        player = video.bounding_box()
        red = red_bounds(video.screenshot())
    assert drawn is not None and player is not None
    picture_width = player["height"] * SIZE[0] / SIZE[1]
    assert player["width"] - picture_width > 20, player  # letterboxed: the bars are not part of the picture
    expected = (player["x"] + red[0], player["y"] + red[1], player["x"] + red[2], player["y"] + red[3])
    got = (drawn["x"], drawn["y"], drawn["x"] + drawn["width"], drawn["y"] + drawn["height"])
    assert all(abs(a - b) <= 2 for a, b in zip(got, expected, strict=True)), (got, expected, player)
    assert watched.errors == []


def test_a_box_in_a_frame_is_placed_in_percent_of_the_whole_video_with_its_window() -> None:
    """No browser: the player shows the whole video (no crop), so a box is in percent of the video's pixels; its
    window runs from the finding's time until its words leave the screen (`until`), or to the video's end when they
    stay, or one sampling interval where the video's length is unknown; an image's box has none."""
    clip = gallery.FileView("video", "v.mp4", Path("v.mp4"), "0" * 64, width=360, height=800, duration=4.0)
    finding = Finding("v.mp4", 1, 1, "r", "error", "保本", "保本", "保本", region=RED, time=FRAME, until=UNTIL)
    boxed, placed = gallery._boxed(
        clip, "v.mp4", [finding, finding._replace(time=3.7, until=None, region=(0, 0, 36, 80))]
    )
    first, second = boxed.boxes()
    assert placed == [0, 1]
    assert first[:4] == pytest.approx((200 / 3.6, 62.5, 100 / 3.6, 15.0)) and (first.start, first.end) == (1.0, 3.6)
    assert second[:4] == pytest.approx((0.0, 0.0, 10.0, 10.0)) and (second.start, second.end) == (3.7, 4.0)
    unknown = dataclasses.replace(clip, duration=None)
    [late] = gallery._boxed(unknown, "v.mp4", [finding._replace(time=30.0, until=None)])[0].boxes()
    assert (late.start, late.end) == (30.0, 32.0)
    image = gallery.FileView("poster", "p.png", Path("p.png"), "0" * 64, width=360, height=800)
    [still] = gallery._boxed(image, "p.png", [finding._replace(file="p.png", time=None, until=None)])[0].boxes()
    assert (still.start, still.end) == (None, None)


def test_a_frame_read_stands_until_the_next_frame_read_with_other_words() -> None:
    """No engine: frames sampled with the same words as the one before are not read as new, and a frame where the
    words change, to others or to none, ends the time the ones before it are on screen."""
    from mediactl.check.ocr import OcrLine, frame_pictures

    card, other = [OcrLine("保本保息", (1, 2, 3, 4), 0.9)], [OcrLine("稳赚", (1, 2, 3, 4), 0.9)]
    pictures = frame_pictures("v.mp4", "video.main.ocr", [(0.0, card), (4.5, other), (6.0, []), (8.0, card)])
    assert [(p.time, p.until) for p in pictures if p.lines] == [(0.0, 4.5), (4.5, 6.0), (8.0, None)]
    assert frame_pictures("v.mp4", "video.main.ocr", []) == []  # no words anywhere in the video
    assert [p.field for p in pictures if p.lines] == ["video.main.ocr@00:00.0", "video.main.ocr@00:04.5",
                                                       "video.main.ocr@00:08.0"]  # fmt: skip
