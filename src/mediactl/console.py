"""The only place that writes to the terminal: one rich Console for stdout, one for stderr.

Library modules return data; commands print it through these helpers. Errors go
to stderr without wrapping so that `file:line:col:` lines stay one line each for
editors and CI annotators, whatever the terminal width.
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from mediactl.credentials import redact

out = Console(highlight=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def error_line(text: str) -> None:
    """One line on stderr, secrets redacted, markup never interpreted."""
    err.print(redact(text), markup=False)


def warning(text: str) -> None:
    err.print(f"[yellow]{_escape(redact(text))}[/yellow]")


def success(text: str) -> None:
    out.print(f"[green]✓[/green] {_escape(text)}")


def info(text: str) -> None:
    out.print(_escape(text))


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Path):
        return value.as_posix()
    if isinstance(value, (set, tuple)):
        return list(value)
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=_json_default)


def emit_json(data: Any) -> None:
    """Machine-readable output on stdout: UTF-8, unwrapped, stable key order."""
    sys.stdout.write(redact(to_json(data)) + "\n")
    sys.stdout.flush()
