"""Video benchmark (issue 14): the Douyin variant of a 15 s and a 60 s 1920×1080 source, mediactl against one
ffmpeg command written by hand, in the same run; peak memory by length; the moviepy engine on the same work.

    python bench/video_bench.py [--lengths 15 60] [--repeat 3] [--moviepy-lengths 15 60] [--keep DIR]

Each source is ffmpeg's `testsrc2` picture with a `sine` tone (H.264 + AAC, 30 fps), with an SRT of one cue every
3 s. mediactl renders it as a whole `mediactl render ITEM --channel bank-douyin --force` process with an empty video cache
(start-up, probe and decode check, sha256, the title and subtitle pictures, the encode, its checks, the cover):
the shipped `video-vertical` template (blurred pad, title over the first 3 s, subtitles, loudnorm, veryfast CRF 23).
The baseline is HAND_COMMAND below: the same filters and encoder settings typed as one ffmpeg command, fed the same
overlay pictures (drawn once by the text half before the clock starts; only their files and places are filled in).
Reported: wall time (median of --repeat) of each and their ratio (target ≤ 1.3×, aim 1.1×), peak RSS of the mediactl
process itself (VmHWM) and of its process tree (mediactl + ffmpeg, sampled every 20 ms) for each length, how alike
the two outputs are (mean difference of a frame, 0–255), and the moviepy engine's time (`engine: moviepy` in a
project copy of the same template). Linux only (/proc). Check `uptime` first: the load is printed.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from mediactl.graphics.layout import builtin_layout_dir
from mediactl.library.scaffold import init_project
from mediactl.video import overlays
from mediactl.video.cues import read_cues
from mediactl.video.ffmpeg import ffmpeg_exe

SLUG = "bench-video"
TITLE = "示例银行提醒您：守好钱袋子，谨防电信网络诈骗"
LINES = [
    "守好钱袋子",
    "谨防电信网络诈骗",
    "理财非存款，投资需谨慎",
    "个人信息保护，从我做起",
    "识别非法集资，远离金融陷阱",
]
W, H = 1080, 1920

# The baseline, typed by hand from the template's description (not produced by mediactl): fit the 16:9 source whole
# over a blurred, enlarged copy of itself at 1080×1920, 30 fps; the title picture over the first 3 s and one picture
# per subtitle cue, each shown in its time range; EBU R128 loudness; H.264 veryfast CRF 23 + AAC 128k, faststart.
# {overlay_inputs} and {overlay_chain} carry the pictures: `-loop 1 -framerate 30 -i FILE` and one
# `[prev][N:v]overlay=X:Y:enable='between(t,A,B)'[vN]` each (OVERLAY_INPUT, OVERLAY_STEP), written out per cue.
HAND_COMMAND = (
    "{ffmpeg} -hide_banner -nostdin -v error -y -t {seconds} -i {source} {overlay_inputs} -filter_complex "
    "[0:v]split[bgin][fgin];"
    "[bgin]scale=1080:1920:force_original_aspect_ratio=increase,crop=1080:1920,boxblur=27:2[bg];"
    "[fgin]scale=1080:1920:force_original_aspect_ratio=decrease:force_divisible_by=2[fg];"
    "[bg][fg]overlay=(W-w)/2:(H-h)/2,setsar=1,fps=30,format=yuv420p[v0];"
    "{overlay_chain}"
    "[0:a]loudnorm=I=-16:TP=-1.5:LRA=11,aresample=48000[aout] "
    "-map [{last}] -map [aout] -t {seconds} "
    "-c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p "
    "-c:a aac -b:a 128k -ar 48000 -ac 2 -movflags +faststart {output}"
)
OVERLAY_INPUT = "-loop 1 -framerate 30 -t {seconds} -i {png}"
OVERLAY_STEP = "[v{prev}][{index}:v]overlay={x}:{y}:eof_action=pass:enable='between(t,{start},{end})'[v{index}];"


def make_source(folder: Path, seconds: int) -> Path:
    """A 1920×1080 30 fps testsrc2 clip with a 440 Hz tone, and an SRT of one cue every 3 s beside it."""
    source = folder / "source.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=30:duration={seconds}",
                    "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:v", "libx264", "-preset", "veryfast",
                    "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(source)], check=True)  # fmt: skip
    cues = []
    for n, start in enumerate(range(0, seconds, 3)):
        end = min(start + 3, seconds)
        cues.append(f"{n + 1}\n{_srt_time(start)} --> {_srt_time(end)}\n{LINES[n % len(LINES)]}\n")
    (folder / "subtitles.srt").write_text("\n".join(cues), "utf-8")
    return source


def _srt_time(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d},000"


def make_project(root: Path, seconds: int, engine: str) -> Path:
    """The example project with one video item for Douyin only; `engine: moviepy` in a project copy of the template."""
    init_project(root)
    folder = root / "content" / "video" / SLUG
    folder.mkdir(parents=True)
    make_source(folder, seconds)
    (folder / "index.md").write_text(
        f"---\ntitle: {TITLE}\nsummary: {LINES[0]}。\nkind: video\nstatus: draft\nauthor: zhang.min\n"
        f"channels: [bank-douyin]\nassets: [source.mp4, subtitles.srt]\n---\n\n{TITLE}\n",
        "utf-8",
    )
    if engine != "ffmpeg":
        shipped = builtin_layout_dir() / "video-vertical.yaml"
        override = root / "templates" / "media" / "video-vertical.yaml"
        override.parent.mkdir(parents=True, exist_ok=True)
        override.write_text(shipped.read_text("utf-8").replace("engine: ffmpeg", f"engine: {engine}"), "utf-8")
    return root


class Peak:
    """Samples a process's own peak RSS (VmHWM) and the RSS summed over it and its descendants, until it exits."""

    def __init__(self, pid: int) -> None:
        self.pid, self.own_kib, self.tree_kib = pid, 0, 0
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        while True:
            own = _status(self.pid, "VmHWM")
            if own is None:
                return
            self.own_kib = max(self.own_kib, own)
            self.tree_kib = max(self.tree_kib, sum(_status(p, "VmRSS") or 0 for p in _tree(self.pid)))
            time.sleep(0.02)


def _status(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return 0


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def run_mediactl(root: Path, cache: Path) -> tuple[float, int, int, Path]:
    """One whole `mediactl render --force` with an empty video cache: wall s, own peak KiB, tree peak KiB, the output."""
    shutil.rmtree(cache, ignore_errors=True)
    env = {**os.environ, "MEDIACTL_VIDEO_CACHE": str(cache)}
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "mediactl", "render", SLUG, "--channel", "bank-douyin", "--force", "--json"],
                             cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    peak = Peak(child.pid)
    out, err = child.communicate()
    elapsed = time.perf_counter() - start
    peak.thread.join()
    summary = json.loads(out or b"{}") if child.returncode == 0 else {}
    if child.returncode != 0 or summary.get("failed"):
        sys.exit(f"mediactl render failed ({child.returncode}):\n{out.decode()[-2000:]}\n{err.decode()[-2000:]}")
    return elapsed, peak.own_kib, peak.tree_kib, root / "build" / "bank-douyin" / SLUG / "video.mp4"


def hand_command(root: Path, seconds: int, work: Path) -> list[str]:
    """HAND_COMMAND with the item's title and cue pictures (drawn by the text half, before any clock starts)."""
    folder = root / "content" / "video" / SLUG
    size = (W, H)
    drawn = [overlays.title({"title": TITLE}, size, overlays.load("video-title"), 0.0, 3.0)]
    drawn += overlays.subtitles(
        read_cues(folder / "subtitles.srt", "subtitles.srt"), size, overlays.load("video-subtitle")
    )
    inputs, chain = [], []
    for n, overlay in enumerate(drawn, start=1):
        png = work / f"overlay{n}.png"
        png.write_bytes(overlay.png)
        inputs.append(OVERLAY_INPUT.format(seconds=seconds, png=png))
        end = overlay.end if overlay.end is not None else seconds
        chain.append(OVERLAY_STEP.format(prev=n - 1, index=n, x=overlay.x, y=overlay.y, start=f"{overlay.start:.3f}",
                                         end=f"{end:.3f}"))  # fmt: skip
    text = HAND_COMMAND.format(ffmpeg=ffmpeg_exe(), seconds=seconds, source=folder / "source.mp4",
                               overlay_inputs=" ".join(inputs), overlay_chain="".join(chain), last=f"v{len(drawn)}",
                               output=work / "hand.mp4")  # fmt: skip
    return text.split(" ")  # no argument holds a space: paths are bench paths, filters have none


def run_hand(command: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    child = subprocess.Popen(command)
    peak = Peak(child.pid)
    child.wait()
    elapsed = time.perf_counter() - start
    peak.thread.join()
    if child.returncode != 0:
        sys.exit(f"the hand-written ffmpeg command failed ({child.returncode})")
    return elapsed, peak.own_kib


def frame_difference(a: Path, b: Path, at: float) -> float:
    """Mean absolute difference (0–255) of the frames at `at` s: how alike the two outputs are."""
    from PIL import Image, ImageChops, ImageStat

    def grab(path: Path) -> Image.Image:
        png = subprocess.run([ffmpeg_exe(), "-v", "error", "-ss", str(at), "-i", str(path), "-frames:v", "1",
                              "-f", "image2pipe", "-c:v", "png", "-"], capture_output=True, check=True).stdout  # fmt: skip
        return Image.open(io.BytesIO(png)).convert("RGB")

    return sum(ImageStat.Stat(ImageChops.difference(grab(a), grab(b))).mean) / 3


def duration(path: Path) -> float:
    from mediactl.video.probe import probe

    return probe(path, path.name).duration


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[15, 60])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--moviepy-lengths", type=int, nargs="*", default=[15, 60])
    parser.add_argument("--keep", type=Path, help="work here and keep it")
    options = parser.parse_args()
    work = options.keep or Path(tempfile.mkdtemp(prefix="mediactl-video-bench-"))
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    print(f"machine: {os.cpu_count()} CPUs, load {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
          f"python {sys.version.split()[0]}")  # fmt: skip
    rows = []
    for seconds in options.lengths:
        root = make_project(work / f"p{seconds}", seconds, "ffmpeg")
        command = hand_command(root, seconds, work)
        ours, hand, own, tree, hand_rss = [], [], [], [], []
        for _ in range(options.repeat):  # interleaved: a busy spell hits both
            elapsed, own_kib, tree_kib, output = run_mediactl(root, work / "cache")
            ours.append(elapsed)
            own.append(own_kib)
            tree.append(tree_kib)
            elapsed, hand_kib = run_hand(command)
            hand.append(elapsed)
            hand_rss.append(hand_kib)
        alike = frame_difference(output, work / "hand.mp4", 1.5)
        row = {"seconds": seconds, "mediactl": statistics.median(ours), "hand": statistics.median(hand),
               "own_mib": max(own) / 1024, "tree_mib": max(tree) / 1024, "hand_mib": max(hand_rss) / 1024,
               "alike": alike, "durations": (duration(output), duration(work / "hand.mp4")),
               "runs": (ours, hand)}  # fmt: skip
        if seconds in options.moviepy_lengths:
            mp_root = make_project(work / f"m{seconds}", seconds, "moviepy")
            mp_elapsed, mp_own, mp_tree, mp_output = run_mediactl(mp_root, work / "cache-moviepy")
            row |= {"moviepy": mp_elapsed, "moviepy_own_mib": mp_own / 1024, "moviepy_tree_mib": mp_tree / 1024,
                    "moviepy_alike": frame_difference(mp_output, output, 1.5)}  # fmt: skip
        rows.append(row)
        report(row)
    print(f"load after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not options.keep:
        shutil.rmtree(work)


def report(row: dict) -> None:
    ours, hand = row["runs"]
    print(f"\n{row['seconds']} s source, Douyin variant 1080×1920 (durations {row['durations'][0]:.2f} / "
          f"{row['durations'][1]:.2f} s; frame at 1.5 s differs by {row['alike']:.2f} of 255)")  # fmt: skip
    print(f"  mediactl render (whole process): {row['mediactl']:.2f} s median ({', '.join(f'{x:.2f}' for x in ours)})")
    print(f"  hand-written ffmpeg command:     {row['hand']:.2f} s median ({', '.join(f'{x:.2f}' for x in hand)})")
    print(f"  ratio: {row['mediactl'] / row['hand']:.2f}× (target ≤ 1.3×, aim 1.1×)")
    print(f"  peak RSS: mediactl process {row['own_mib']:.0f} MiB, with its ffmpeg {row['tree_mib']:.0f} MiB; "
          f"hand ffmpeg {row['hand_mib']:.0f} MiB")  # fmt: skip
    if "moviepy" in row:
        print(f"  moviepy engine: {row['moviepy']:.2f} s ({row['moviepy'] / row['hand']:.1f}× the hand command), "
              f"peak RSS {row['moviepy_own_mib']:.0f} MiB, with its ffmpeg processes {row['moviepy_tree_mib']:.0f} MiB; "
              f"frame at 1.5 s differs from the ffmpeg engine's by {row['moviepy_alike']:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
