"""Render's worker processes: started spawn-safe, their encodes' progress carried home, stopped cleanly.

Items render in a process pool (core/processes.py picks fork or spawn; Windows has only spawn, so
everything a worker needs is passed at start or rebuilt from the config file). Two things cross the
process boundary besides the results:

- **Progress**: each video encode reports ffmpeg's own progress (video/ffmpeg.py). A worker puts
  `(variant key, fraction)` on a `SimpleQueue` given to it at start (a pipe: picklable under spawn,
  no manager process to clean up) and `(key, None)` when the variant is finished; a thread in the
  parent hands them to the caller's display. `SimpleQueue.put` writes at once (no feeder thread), so
  a worker's events are in the pipe before its result, and none arrives after the render returns.
- **Stopping**: Ctrl-C in a terminal reaches the whole process group; `kill -INT` may reach the parent
  only. Either way the parent stops the pool (SIGTERM to each worker where signals exist) and a
  worker turns SIGINT/SIGTERM into KeyboardInterrupt while it renders, so the same unwinding as in
  one process runs: ffmpeg is killed and reaped, its temporary file and the variant's staging folder
  are removed. An idle worker just exits (nothing to clean, no traceback from the pool's queue).
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import signal
import threading
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing.queues import SimpleQueue
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediactl.config.model import Config, load_config
from mediactl.core.processes import start_method
from mediactl.library.scan import Library, load_library

if TYPE_CHECKING:  # annotations only: the runner imports this module
    from mediactl.render.runner import EncodeProgress, Progress, VariantResult

STOP_SECONDS = 20.0  # how long a stopping worker may take to kill its ffmpeg and remove its files
INTERRUPTED = 130  # a worker's exit code after Ctrl-C, as a shell reports SIGINT

_WORKER: tuple[Config, Library] | None = None
_EVENTS: SimpleQueue[Any] | None = None
_BUSY = False  # a worker is rendering: a stop signal unwinds the render instead of exiting at once


def run_parallel(config: Config, library: Library, todo: dict[str, list[tuple[str, str]]], workers: int,
                 progress: Progress | None, on_encode: EncodeProgress | None) -> list[VariantResult]:  # fmt: skip
    """Render the items of `todo` in `workers` processes; on any interruption the pool is stopped before it propagates."""
    global _WORKER
    _WORKER = (config, library)  # inherited by forked workers; spawned ones reload in _init_worker
    context = multiprocessing.get_context(start_method())
    events = context.SimpleQueue() if on_encode else None
    relay = threading.Thread(target=_relay, args=(events, on_encode), daemon=True) if events and on_encode else None
    if relay:
        relay.start()
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker,
                               initargs=(str(config.file), events))  # fmt: skip
    results: list[VariantResult] = []
    try:
        futures = [pool.submit(_render_in_worker, slug, variants) for slug, variants in todo.items()]
        for future in as_completed(futures):
            done = future.result()
            results.extend(done)
            if progress:
                progress(len(done))
    except BaseException:  # Ctrl-C (or a worker's crash): no worker may go on encoding into the cache or build/
        stop_workers(pool)
        pool.shutdown(wait=True, cancel_futures=True)
        raise  # the relay thread is a daemon: it goes with the process
    pool.shutdown(wait=True)
    if events is not None and relay is not None:
        events.put(None)  # after every worker's events (each put is written before its result)
        relay.join()
        events.close()
    return results


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """Ask every worker to stop, give it time to kill its ffmpeg and remove its files, then end what is left.

    POSIX: SIGTERM, which a worker turns into KeyboardInterrupt. Windows has no such signal (terminate
    is a hard kill), but a console's Ctrl-C reached the workers themselves: they are waited for first."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # the executor exposes no public list
    if os.name != "nt":
        for process in processes:
            process.terminate()
    for process in processes:
        process.join(timeout=STOP_SECONDS)
    for process in processes:
        if process.is_alive():
            process.kill()
            process.join(timeout=5)


def _relay(events: SimpleQueue[Any], on_encode: EncodeProgress) -> None:
    """Hand the workers' progress events to the display, in the order each worker sent them, until None."""
    while (event := events.get()) is not None:
        on_encode(*event)


def _init_worker(config_file: str, events: SimpleQueue[Any] | None) -> None:
    global _WORKER, _EVENTS
    _EVENTS = events
    for name in ("SIGINT", "SIGTERM"):
        signal.signal(getattr(signal, name), _stop_requested)
    if _WORKER is None:
        config = load_config(Path(config_file))
        _WORKER = (config, load_library(config))


def _stop_requested(signum: int, frame: Any) -> None:
    """A stop signal: unwind a render under way (ffmpeg killed, temporary files removed), or exit when idle."""
    if _BUSY:
        raise KeyboardInterrupt
    os._exit(INTERRUPTED)


def _render_in_worker(slug: str, variants: list[tuple[str, str]]) -> list[VariantResult]:
    from mediactl.render.runner import render_item  # the runner imports this module

    global _BUSY
    assert _WORKER is not None
    config, library = _WORKER
    report = functools.partial(_put, _EVENTS) if _EVENTS is not None else None
    _BUSY = True
    try:
        return render_item(config, library, slug, variants, report)
    except KeyboardInterrupt:
        os._exit(INTERRUPTED)  # cleaned up as it unwound; a result now would only race the parent's stop
    finally:
        _BUSY = False


def _put(events: SimpleQueue[Any], key: str, fraction: float | None) -> None:
    events.put((key, fraction))
