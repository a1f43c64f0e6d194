"""The CLI edge: global state, and the single place where errors become exit codes.

`MediactlGroup.invoke` wraps every command. A `MediactlError` prints its lines
(each already a complete message) and exits with its code. The library maps file-system
and SQLite failures to MediactlErrors where it meets them; one that slips through (an
OSError from a folder made read-only, a full disk) is still the operator's to fix, named
with its path, exit 2. Any other exception is a bug, reported in one line unless
`--debug` asks for the traceback.
"""

import atexit
import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import typer
from typer.core import TyperGroup

from mediactl import nearest_project
from mediactl.core import console
from mediactl.core.errors import EXIT_FINDINGS, FilesystemError, MediactlError, Problem


@dataclass
class State:
    """Options of the root command, plus the config loaded once on first use."""

    project: Path | None = None
    debug: bool = False
    _config: Any = field(default=None, repr=False)

    def config(self) -> Any:
        # lazy: start-up, an ad hoc check outside a project never imports the config stack (YAML)
        from mediactl.config.model import CONFIG_NAME, find_project, load_config

        if self._config is None:
            root = self.project.resolve() if self.project else find_project(Path.cwd())
            self._config = load_config(root / CONFIG_NAME)
            console.use_zone(self._config.project.tz)
            print_warnings(self._config.warnings)
        return self._config

    def project_root(self) -> Path | None:
        """The project named (--project) or found at or above the current folder, without loading its
        config: an ad hoc check outside any project never imports the YAML stack."""
        return self.project.resolve() if self.project is not None else nearest_project(Path.cwd())

    def library(self) -> Any:
        from mediactl.library.scan import load_library  # lazy: start-up

        library = load_library(self.config())
        print_warnings(library.warnings)
        return library


STATE = State()


def print_warnings(problems: tuple[Problem, ...] | list[Problem]) -> None:
    for problem in problems:
        console.warning(str(problem))


def leave(done: SystemExit) -> NoReturn:
    """End the process with `done`'s exit code once the command has finished, skipping the interpreter's teardown.

    Python's own exit frees every object one by one (the compiled rules, the automaton, the fold tables):
    ~50 ms of a one-file check's ~250 ms of CPU, and serial wall time at the end of a large check, with nothing
    left to do. What an exit must still do is done first: the atexit handlers (weakref finalizers, logging,
    multiprocessing), then stdout and stderr flushed. Only a command that finished (exit 0, or 1 for findings or
    failed deliveries) leaves this way: an interrupted or failed one (130, 2) takes the ordinary exit, whose
    teardown gives its workers' clean-up the time it always had (a render's Ctrl-C removes partial encodes), as do
    another thread still running, a child process still alive, a code that is not a number, a stream that will not
    flush."""
    code = 0 if done.code is None else done.code
    if code not in (0, 1) or threading.active_count() > 1 or _children_alive():
        raise done
    atexit._run_exitfuncs()  # clears them: an ordinary exit after this does not run them twice
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a reader gone, a stream closed: the ordinary exit says so as it always did
        raise done from None
    os._exit(code)


def _children_alive() -> bool:
    """Whether a child process of this one (a worker of a pool) is still running; asked only where multiprocessing
    was loaded (a one-file check never loads it)."""
    loaded = sys.modules.get("multiprocessing")
    return bool(loaded and loaded.active_children())


class MediactlGroup(TyperGroup):
    """Root group: translate mediactl's exceptions into messages and exit codes once."""

    def invoke(self, ctx: Any) -> Any:
        debug = bool(ctx.params.get("debug"))
        try:
            return super().invoke(ctx)
        except MediactlError as exc:
            if debug:
                raise
            _fail(exc)
        except KeyboardInterrupt:
            console.error_line("Interrupted.")
            raise typer.Exit(130) from None
        except BrokenPipeError:
            # The reader went away (`mediactl check … | head`): not an error. Point stdout at devnull so
            # the interpreter's final flush does not fail again (Python docs, "Note on SIGPIPE").
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(141) from None  # what a shell reports for a process ended by SIGPIPE
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            if debug or _is_click_exception(exc):
                raise
            environment = _environment_error(exc)
            if environment is not None:
                _fail(environment)
            console.error_line(f"Error: unexpected {type(exc).__name__}: {exc}")
            console.error_line("Hint: this is a bug in mediactl; run again with --debug for the traceback.")
            raise typer.Exit(EXIT_FINDINGS) from None


def _fail(exc: MediactlError) -> None:
    for line in exc.lines():
        console.error_line(line)
    raise typer.Exit(exc.exit_code) from None


def _environment_error(exc: Exception) -> MediactlError | None:
    """A file-system or database failure that reached the edge unmapped, as the error it is (None: a bug)."""
    if isinstance(exc, OSError):
        made = Path(exc.filename) if isinstance(exc.filename, str) else None
        if made is not None and not made.exists():  # a file or folder being created: name where it was to be
            located = OSError(exc.errno, exc.strerror, str(made.parent))
            return FilesystemError.from_os_error(located, doing=f"create {made.name} in it")
        return FilesystemError.from_os_error(exc, doing="read or write")
    sqlite3 = sys.modules.get("sqlite3")  # never imported here: if it is not loaded, this is not its error
    if sqlite3 is not None and isinstance(exc, sqlite3.Error):
        from mediactl.publish.store import store_error  # lazy: start-up; sqlite3 is loaded already here

        return store_error(None, exc)
    psycopg = sys.modules.get("psycopg")  # the same for PostgreSQL's driver, loaded only by a shared store
    if psycopg is not None and isinstance(exc, psycopg.Error):
        from mediactl.publish.database import pg_error  # lazy: start-up; psycopg is loaded already here

        return pg_error("the state store", exc)
    return None


def _is_click_exception(exc: Exception) -> bool:
    """Usage errors and exits raised by the vendored click must reach its own handler."""
    return type(exc).__module__.startswith("typer._click")
