"""The only place that writes to the terminal: one rich Console for stdout, one for stderr.

Library modules return data; commands print it through these helpers. Errors go
to stderr without wrapping so that `file:line:col:` lines stay one line each for
editors and CI annotators, whatever the terminal width. Everything written, by the
helpers or through `out`/`err` directly (tables, reports), passes through `redact`.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
from collections.abc import Iterable
from datetime import UTC, date, datetime, tzinfo
from functools import cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from mediactl.core.redaction import redact
from mediactl.core.times import zoned_json

if TYPE_CHECKING:
    from rich.console import Console


@cache
def _consoles() -> tuple[Console, Console]:
    """Created on first use: rich costs start-up time that a quiet command should not pay."""
    from rich.console import Console  # lazy: start-up, a quiet command never imports rich

    # A _Redacting is a text stream by delegation (__getattr__), which a type checker cannot see: cast.
    return (
        Console(file=cast("IO[str]", _Redacting("stdout")), highlight=False, soft_wrap=True, width=_width("stdout")),
        Console(file=cast("IO[str]", _Redacting("stderr")), highlight=False, soft_wrap=True, width=_width("stderr")),
    )


#: The width of output that goes to a file or a pipe: wide enough that no table row is folded, so each row
#: stays one line for grep, awk and a log file; rich renders a table no wider than its content needs.
UNWRAPPED = 10_000


#: Spaces and tabs that end a line (before its newline): rich's padding of a table's last column.
_PADDING = re.compile(r"[ \t]+(?=\n)")


def _width(name: str) -> int | None:
    """None (the terminal's own width, as rich finds it) on a terminal or when COLUMNS says; else unwrapped.
    rich would otherwise use 80 columns, or the width of whatever terminal stdin is, and fold tables to it."""
    terminal = _is_terminal(getattr(sys, name))
    return None if terminal or os.environ.get("COLUMNS", "").isdigit() else UNWRAPPED


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class _Redacting:
    """The current sys.stdout or sys.stderr (looked up at each write: tests and pipes swap them), redacted.

    rich writes each print as one string, so a secret is never split between two writes. While a
    progress bar redirects the streams, the stream it proxies is written to (never the proxy, which
    would print back through this console). Written to a file or a pipe, a line loses its trailing
    spaces: rich pads every table cell to its column's width, the last one too, which `diff`, `git`
    and `awk '$NF'` would otherwise carry along.
    """

    def __init__(self, name: str) -> None:
        self._name = name

    def _stream(self) -> Any:
        stream = getattr(sys, self._name)
        return getattr(stream, "rich_proxied_file", stream)

    def write(self, text: str) -> int:
        stream = self._stream()
        if not _is_terminal(stream):
            text = _PADDING.sub("", text)
        return stream.write(redact(text))

    def __getattr__(self, attribute: str) -> Any:  # flush, isatty, fileno, encoding …
        if attribute == "rich_proxied_file":
            raise AttributeError(attribute)  # rich must keep writing through this object
        return getattr(self._stream(), attribute)


def __getattr__(name: str) -> Console:
    if name == "out":
        return _consoles()[0]
    if name == "err":
        return _consoles()[1]
    raise AttributeError(name)


def error_line(text: str) -> None:
    """One line on stderr, secrets redacted, as plain text: no markup, no wrapping, no rich import."""
    sys.stderr.write(redact(text) + "\n")
    sys.stderr.flush()


def warning(text: str) -> None:
    _consoles()[1].print(f"[yellow]{_escape(text)}[/yellow]")


def success(text: str) -> None:
    _consoles()[0].print(f"[green]✓[/green] {_escape(text)}")


def info(text: str) -> None:
    _consoles()[0].print(_escape(text))


def lines(texts: Iterable[str]) -> None:
    """Many plain lines on stdout at once (a delivery report of thousands of jobs), secrets redacted: written
    as they are, without rich's per-line rendering, which cost ~0.2 ms a line."""
    out = sys.stdout
    out.write(redact("".join(f"{text}\n" for text in texts)))
    out.flush()


def _escape(text: str) -> str:
    from rich.markup import escape  # lazy: start-up, as _consoles

    return escape(text)


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Path):
        return value.as_posix()
    if isinstance(value, (set, tuple)):
        return list(value)
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


#: The zone JSON output shows times in: the project's, once the CLI has loaded its config (use_zone); UTC before.
_zone: list[tzinfo] = [UTC]


def use_zone(zone: tzinfo) -> None:
    """Show the times in JSON output in `zone` (the CLI calls this when it loads a project's config)."""
    _zone[0] = zone


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=_json_default)


def emit_json(data: Any) -> None:
    """Machine-readable output on stdout: UTF-8, unwrapped, stable key order, times in the project's zone."""
    sys.stdout.write(redact(to_json(zoned_json(data, _zone[0]))) + "\n")
    sys.stdout.flush()


class progress:  # lower case: used like open(), as a context manager
    """A rich progress bar on stderr while work runs (nothing when stderr is not a terminal).

    ``with progress("rendering", enabled=...) as (advance, set_total):`` — both callables are
    safe to call from worker threads (rich serialises updates). `part(name, fraction)` shows one more
    bar, under the count, for a piece of work under way (a video encode, by ffmpeg's progress) and
    `part(name, None)` takes it away; it does nothing where no bar is shown.
    """

    def __init__(self, label: str, *, enabled: bool = True) -> None:
        self.label = label
        # cron and pipes: no bar, and no rich import (~50 ms); stderr may be None (pythonw, some daemons)
        self.enabled = enabled and bool(getattr(sys.stderr, "isatty", lambda: False)())
        self.bar: Any = None
        self.task: Any = None
        self.parts: dict[str, Any] = {}
        self._parts_lock = threading.Lock()  # parts are added and removed from a relay thread

    def __enter__(self) -> tuple[Any, Any]:
        if not self.enabled:
            return (lambda n: None), (lambda n: None)
        # lazy: start-up, only an interactive terminal shows a bar (~50 ms)
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(
            TextColumn("{task.description}"), BarColumn(), _done_column(), TimeElapsedColumn(), console=_consoles()[1]
        )
        self.bar.start()
        self.task = self.bar.add_task(self.label, total=None)
        return (lambda n: self.bar.advance(self.task, n)), (lambda n: self.bar.update(self.task, total=n))

    def part(self, name: str, fraction: float | None) -> None:
        if self.bar is None:
            return
        with self._parts_lock:
            task = self.parts.get(name)
            if fraction is None:
                if task is not None:
                    self.bar.remove_task(self.parts.pop(name))
                return
            if task is None:
                task = self.parts[name] = self.bar.add_task(f"  {name}", total=1.0, part=True)
            self.bar.update(task, completed=fraction)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _done_column() -> Any:
    """The count (3/12) on the main bar, a percentage on a part's bar (its total is 1: ffmpeg's fraction)."""
    from rich.progress import MofNCompleteColumn, ProgressColumn, Task, TaskProgressColumn  # lazy: as in progress
    from rich.text import Text  # lazy: as in progress

    class Done(ProgressColumn):
        count, percent = MofNCompleteColumn(), TaskProgressColumn()

        def render(self, task: Task) -> Text:
            return self.percent.render(task) if task.fields.get("part") else self.count.render(task)

    return Done()
