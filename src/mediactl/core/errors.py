"""The one exception tree of mediactl, and the `Problem` record that errors carry.

Library code raises these; only the CLI edge (`mediactl.cli.base`) turns them into
printed lines and exit codes, so every command reports failures the same way:
0 ok, 1 findings or delivery failures, 2 usage or configuration errors.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path

from mediactl.core.controls import escape

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or suspicious) in one input file, with its location.

    Rendered as ``file:line:col: key.path: message``, the form editors and CI
    annotators understand; line and column are 1-based, columns in code points.
    """

    file: str
    message: str
    line: int | None = None
    column: int | None = None
    key: str | None = None
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        key = f" {self.key}:" if self.key else ""
        suffix = "" if self.is_error else " (warning)"
        return escape(f"{where}:{key} {self.message}{suffix}")  # a file name may carry control characters

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


class MediactlError(Exception):
    """Base of every error mediactl reports to a user; carries its exit code."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def lines(self) -> list[str]:
        """The text printed for this error, one paragraph (plus an optional hint)."""
        out = [f"Error: {self.message}"]
        if self.hint:
            out.append(f"Hint: {self.hint}")
        return out


class UsageError(MediactlError):
    """A command was called with arguments that cannot work (bad slug, unknown kind)."""


class NotFoundError(MediactlError):
    """Something named on the command line does not exist (item, channel, project)."""


class ProblemsError(MediactlError):
    """One or more input files have errors; all of them are reported at once."""

    def __init__(self, what: str, problems: list[Problem]) -> None:
        errors = [p for p in problems if p.is_error]
        noun = "problem" if len(errors) == 1 else "problems"
        super().__init__(f"{what}: {len(errors)} {noun} found; nothing was changed.")
        self.problems = problems

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems] + super().lines()


class ConfigError(ProblemsError):
    """mediactl.yaml (or a file it names) is invalid."""


class ContentError(ProblemsError):
    """An item's front matter or declared assets are invalid."""


class FindingsError(MediactlError):
    """Work finished but found failures (render errors, compliance findings, failed deliveries)."""

    exit_code = EXIT_FINDINGS


# What an operator can do about each errno; the rest keep the system's own words.
_OS_REASONS = {
    errno.EACCES: ("permission denied", "give this user write access to it, or run where it is writable"),
    errno.EPERM: ("operation not permitted", "give this user write access to it, or run where it is writable"),
    errno.EROFS: ("the file system is read-only", "remount it read-write, or point mediactl at a writable folder"),
    errno.ENOSPC: ("no space left on the device", "free space on that disk, then run the command again"),
    getattr(errno, "EDQUOT", -1): ("the disk quota is exhausted", "free space within your quota, then run again"),
    errno.EIO: ("input/output error", "the disk may be failing: check it (dmesg, smartctl) before going on"),
    errno.ENOENT: ("no such file or folder", None),
}


class FilesystemError(MediactlError, OSError):
    """A file or folder cannot be read or written: read-only, full, no permission, a failing disk.

    Also an OSError (with the original errno), so code that tolerates a failed write to a cache keeps
    doing so; everywhere else it is a clear message naming the path instead of a traceback.
    """

    def __init__(self, message: str, *, hint: str | None = None, errno_: int | None = None) -> None:
        super().__init__(message, hint=hint)
        self.errno = errno_

    @classmethod
    def from_os_error(
        cls, exc: OSError, path: Path | str | None = None, doing: str = "write", *, temporary: str | None = None
    ) -> FilesystemError:
        """`PATH: cannot DOING (REASON).` The path the system names comes first (a failed read of a copy's
        source names the source), except a temporary sibling of `path` (its name starts with `temporary`),
        which means nothing to a user."""
        named = exc.filename if exc.filename and not (temporary and str(exc.filename).startswith(temporary)) else None
        where = named or path or "?"
        reason, hint = os_error_reason(exc)
        return cls(f"{where}: cannot {doing} ({reason}).", hint=hint, errno_=exc.errno)


def os_error_reason(exc: OSError) -> tuple[str, str | None]:
    """An OSError in plain words, and what to do about it (None: nothing general to say)."""
    if exc.errno in _OS_REASONS:
        return _OS_REASONS[exc.errno]
    return (exc.strerror or str(exc)).lower(), None


def relpath(path: Path, root: Path | None) -> str:
    """A path as users see it in messages: relative to the project root when inside it."""
    if root is not None:
        try:
            return path.relative_to(root).as_posix()  # lexical first: no syscalls
        except ValueError:
            pass
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return str(path)
