"""Running ffmpeg: the binary from the imageio-ffmpeg wheel, its progress, its errors, its end.

Nothing is installed by hand: the wheel carries a static ffmpeg for each platform. A run reports
ffmpeg's own progress (`-progress pipe:1`: `out_time_us` against the expected duration) so the CLI
shows real progress per item, and whatever stops the caller (Ctrl-C, an exception) kills the child
before it propagates, so no ffmpeg outlives the render writing a half file. Windows-safe: plain
Popen, no preexec_fn, no signals sent by hand (SIGTERM received while encoding unwinds as Ctrl-C does).
"""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from functools import cache

from mediactl.core.errors import MediactlError

Progress = Callable[[float], None]  # fraction done, 0..1

_NOISE = re.compile(r"^(Input|Output) #|^\s+(Metadata|Duration|Stream|Side data|encoder|handler_name|major_brand)")


class FFmpegError(MediactlError):
    """ffmpeg is missing or failed; the message names what was being made and ffmpeg's own reason."""


@cache
def ffmpeg_exe() -> str:
    """The ffmpeg binary of the imageio-ffmpeg wheel (or IMAGEIO_FFMPEG_EXE, which the wheel honours)."""
    try:
        import imageio_ffmpeg  # lazy: start-up, only a video render needs it
    except ImportError:
        raise FFmpegError("video rendering needs the imageio-ffmpeg package (it carries ffmpeg); "
                          "reinstall mediactl: `pip install mediactl`") from None  # fmt: skip
    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except RuntimeError as exc:
        raise FFmpegError(f"no ffmpeg binary found for this platform: {exc}") from None


@cache
def ffmpeg_version() -> str:
    """The ffmpeg build, part of every encode recipe (another build may give other bytes)."""
    try:
        import imageio_ffmpeg  # lazy: as in ffmpeg_exe

        return str(imageio_ffmpeg.get_ffmpeg_version())
    except Exception:  # an ffmpeg given by IMAGEIO_FFMPEG_EXE that does not answer -version as expected
        return ffmpeg_exe()


def inspect(args: Sequence[str]) -> tuple[int, str]:
    """A short ffmpeg call whose stderr is the answer (probing, decode checks): exit code and stderr."""
    done = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", *args], capture_output=True, check=False)
    return done.returncode, done.stderr.decode("utf-8", "replace")


def capture(args: Sequence[str], what: str) -> bytes:
    """An ffmpeg call whose stdout is the result (a frame as PNG); a failure is an FFmpegError about `what`."""
    done = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", *args], capture_output=True,
                          check=False)  # fmt: skip
    if done.returncode != 0 or not done.stdout:
        raise FFmpegError(f"{what}: ffmpeg failed: {reason(done.stderr.decode('utf-8', 'replace'))}")
    return done.stdout


def run(args: Sequence[str], *, what: str, duration: float, progress: Progress | None = None) -> None:
    """Run ffmpeg to completion, reporting progress; killed (and waited for) if anything interrupts us."""
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-progress", "pipe:1", "-v", "error", *args]
    tail: deque[str] = deque(maxlen=40)
    with _terminate_unwinds(), subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                                 stdin=subprocess.DEVNULL) as child:  # fmt: skip
        reader = threading.Thread(target=_drain, args=(child, tail), daemon=True)  # a full stderr pipe would block
        reader.start()
        try:
            assert child.stdout is not None
            for raw in child.stdout:
                fraction = _fraction(raw.decode("ascii", "replace").strip(), duration)
                if fraction is not None and progress:
                    progress(fraction)
            code = child.wait()
        except BaseException:  # Ctrl-C, a progress callback that raised: never leave ffmpeg writing
            child.kill()
            child.wait()
            raise
        finally:
            reader.join(timeout=5)
    if code != 0:
        raise FFmpegError(f"{what}: ffmpeg failed (exit {code}): {reason(''.join(tail))}")


@contextlib.contextmanager
def _terminate_unwinds() -> Iterator[None]:
    """While ffmpeg runs, SIGTERM (cron's timeout, systemd stopping a unit) unwinds like Ctrl-C: ffmpeg is killed
    and the temporary encode removed, instead of this process dying and leaving ffmpeg writing into the cache.
    Only where the signal exists, in the main thread, and where nobody chose a handler already (render workers)."""
    term = getattr(signal, "SIGTERM", None)
    if (
        term is None
        or threading.current_thread() is not threading.main_thread()
        or signal.getsignal(term) != signal.SIG_DFL
    ):
        yield
        return

    def unwind(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(term, unwind)
    try:
        yield
    finally:
        signal.signal(term, signal.SIG_DFL)


def _drain(child: subprocess.Popen[bytes], tail: deque[str]) -> None:
    assert child.stderr is not None
    for raw in child.stderr:
        tail.append(raw.decode("utf-8", "replace"))


def _fraction(line: str, duration: float) -> float | None:
    """`out_time_us=1234567` → fraction of `duration`; `progress=end` → 1.0; anything else → None."""
    key, _, value = line.partition("=")
    if key == "progress" and value == "end":
        return 1.0
    if key in ("out_time_us", "out_time_ms") and value.lstrip("-").isdigit() and duration > 0:
        return max(0.0, min(1.0, int(value) / 1_000_000 / duration))  # out_time_ms is in µs too (ffmpeg's quirk)
    return None


def reason(stderr: str) -> str:
    """ffmpeg's stderr reduced to the lines that say what went wrong (no banner, no stream listing)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip() and not _NOISE.match(line)]
    return "; ".join(lines[-3:]) or "no message"
