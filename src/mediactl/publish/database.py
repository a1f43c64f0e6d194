"""The state store's database: connections, transactions, SQL dialects and error mapping, for SQLite and PostgreSQL.

One responsibility: everything that differs between the embedded SQLite file and a shared PostgreSQL
server stops here, so the store (publish/store.py), the audit log and the vault write one kind of code:

- `open_database(target)`: a SQLite file path, or a `postgresql://user:${PGPASSWORD}@host:port/db`
  URL (its `${VAR}`s resolved from the environment or `.env`, as every credential is). The schema is
  made or checked on opening (publish/schema.py): SQLite is created whole and upgraded in place;
  PostgreSQL changes its schema only through `mediactl state migrate`.
- `Database.transaction(durable=True)`: SQLite takes BEGIN IMMEDIATE under a per-file writer lock,
  so one writer at a time across processes; PostgreSQL runs at READ COMMITTED and callers lock the
  rows they change explicitly (`SELECT … FOR UPDATE [SKIP LOCKED]`). ``durable=False`` commits
  without waiting for the disk in both (SQLite synchronous=NORMAL, PostgreSQL synchronous_commit=off):
  a crash of this process keeps the commit, a crash of the machine or server may take it back.
  ``exclusive=True`` waits until no other write transaction is open and holds every other off until
  it ends: SQLite's transactions always are; on PostgreSQL every write transaction holds a shared
  advisory lock that an exclusive one takes alone (the integrity check compares the store with the
  audit log under it, so no audited change is half done meanwhile).
- `Database.read()`: the connection for reads (each statement its own snapshot; inside a
  transaction of the same thread, that transaction's).
- `Database.run(work)`: `work(connection)` in a transaction, run again after a serialization failure
  or deadlock: only for work with no effect outside the database.
- `Connection.execute(sql, params)`: `?` placeholders in every dialect (translated for psycopg);
  rows give `row["col"]`, `row[0]` and `dict(row)`; bytes in, bytes out (BLOB, BYTEA).
- Every driver error is a `StoreError` (or `StoreDamaged`) in words an operator can act on, naming
  the file or the server (the URL without its password): exit 2, never a traceback.

psycopg is imported only when a PostgreSQL store is opened: SQLite users pay nothing for it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import sqlite3
import threading
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import unquote, urlsplit

from mediactl.core import fsutil
from mediactl.core.errors import MediactlError

if TYPE_CHECKING:  # annotations only
    from mediactl.config.credentials import Environment

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
URL_SCHEMES = ("postgresql://", "postgres://")
RESERVE_BYTES = 64 * 1024  # a settlement and its audit record need a few pages; this is many times that
CONNECT_SECONDS = 10
LOCK_WAIT = "60s"  # PostgreSQL: a lock not granted by then is "another run holds it", as SQLite's busy timeout
RETRIES = 3
T = TypeVar("T")


# --- errors ------------------------------------------------------------------------------------------


class StoreError(MediactlError):
    """The state store cannot be opened, read or written; the message names the file or the server."""

    def __init__(self, message: str, *, hint: str | None = None, disk_full: bool = False, code: str = "",
                 retryable: bool = False) -> None:  # fmt: skip
        super().__init__(message, hint=hint)
        self.disk_full = disk_full
        self.code = code  # SQLite's primary result code (SQLITE_READONLY …) or PostgreSQL's SQLSTATE
        self.retryable = retryable  # a serialization failure or deadlock: the transaction may be run again


class StoreDamaged(StoreError):
    """SQLite finds the store file corrupt (or it is not a store at all); PostgreSQL reports corrupt data."""


DAMAGED_HINT = (
    "run `mediactl state rebuild`: it keeps the damaged file aside and rebuilds the queue and pause switches "
    "from the audit log and the outbox receipts (what was sent stays sent)"
)
_REASONS = {  # SQLite's primary result codes, as an operator can act on them
    "SQLITE_CORRUPT": ("the file is damaged", DAMAGED_HINT),
    "SQLITE_NOTADB": ("the file is damaged or not a SQLite database", DAMAGED_HINT),
    "SQLITE_FULL": ("the disk is full", "free space on that disk, then run the command again"),
    "SQLITE_READONLY": ("it is read-only", "make the file and its folder writable for this user"),
    "SQLITE_IOERR": ("input/output error", "the disk may be failing or full: check it before going on"),
    "SQLITE_CANTOPEN": ("the file cannot be opened", "check that its folder exists and is writable"),
    "SQLITE_PERM": ("permission denied", "make the file and its folder writable for this user"),
    "SQLITE_BUSY": ("another process holds it locked", "wait for the other mediactl run to finish"),
    "SQLITE_LOCKED": ("another process holds it locked", "wait for the other mediactl run to finish"),
}
_WORDS = (
    ("SQLITE_CORRUPT", "malformed"),
    ("SQLITE_NOTADB", "not a database"),
    ("SQLITE_FULL", "disk is full"),
    ("SQLITE_READONLY", "readonly"),
    ("SQLITE_IOERR", "disk i/o error"),
    ("SQLITE_CANTOPEN", "unable to open"),
    ("SQLITE_BUSY", "locked"),
)


def store_error(path: Path | None, exc: sqlite3.Error, doing: str = "") -> StoreError:
    """A SQLite error as a StoreError naming the file (`doing`: e.g. "cannot open the state store")."""
    code = (getattr(exc, "sqlite_errorname", None) or "").split("_")
    primary = "_".join(code[:2])  # SQLITE_IOERR_WRITE → SQLITE_IOERR
    reason, hint = _REASONS.get(primary, (None, None))
    if reason is None:  # errors raised without a code (Python's own) still say what SQLite said
        text = str(exc).lower()
        primary, (reason, hint) = next(
            ((name, _REASONS[name]) for name, words in _WORDS if words in text), ("", (str(exc), None))
        )
    if primary in ("SQLITE_IOERR", "SQLITE_CANTOPEN") and path is not None and _no_room(path.parent):
        primary, (reason, hint) = "SQLITE_FULL", _REASONS["SQLITE_FULL"]  # SQLite says I/O error when -shm cannot grow
    where = f"{path}: " if path is not None else "the state store: "
    kind = StoreDamaged if primary in ("SQLITE_CORRUPT", "SQLITE_NOTADB") else StoreError
    return kind(
        f"{where}{doing or 'the state store failed'} ({reason}).",
        hint=hint or "run `mediactl doctor`",
        disk_full=primary == "SQLITE_FULL",
        code=primary,
    )


def _no_room(folder: Path) -> bool:
    try:
        return shutil.disk_usage(folder).free < RESERVE_BYTES
    except OSError:
        return False


_SERVER_HINT = "check that the server is running and reachable from this machine, then run the command again"
_PG_STATES = (  # SQLSTATE prefix → (reason, hint, kind); the first that matches wins
    ("28", "authentication failed (wrong user name or password)",
     "check the user in project.state and the password variable it names", StoreError),
    ("3D000", "the database does not exist",
     "create it (`createdb -O USER DB`), then run `mediactl state migrate`", StoreError),
    ("40001", "a concurrent transaction changed the same rows (serialization failure)",
     "run the command again", StoreError),
    ("40P01", "a deadlock with another mediactl run", "run the command again", StoreError),
    ("55P03", "another mediactl run holds the rows locked", "wait for the other mediactl run to finish", StoreError),
    ("53100", "the server's disk is full", "free space on the database server, then run the command again", StoreError),
    ("53", "the server is out of resources (connections or memory)", "try again later, or ask the database administrator", StoreError),
    ("25006", "the server is read-only (a standby)", "point project.state at the primary server", StoreError),
    ("42501", "permission denied", "grant the user in project.state the rights on the database and its tables", StoreError),
    ("42P01", "its schema is missing or incomplete", "run `mediactl state migrate`", StoreError),
    ("XX001", "the server reports corrupt data", DAMAGED_HINT, StoreDamaged),
    ("XX002", "the server reports a corrupt index", DAMAGED_HINT, StoreDamaged),
    ("57P", "the server is shutting down or restarting", _SERVER_HINT, StoreError),
    ("08", "the connection to the server was lost", _SERVER_HINT, StoreError),
)  # fmt: skip
_PG_WORDS = (  # libpq's own errors carry no SQLSTATE: told apart by their words
    ("password authentication failed", "28"),
    ("no password supplied", "28"),
    ('role "', "28"),
    ("no pg_hba.conf entry", "28"),
    ("does not exist", "3D000"),
    ("server closed the connection", "08"),
    ("consuming input failed", "08"),
    ("terminating connection", "08"),
    ("the connection is closed", "08"),
    ("connection is lost", "08"),
)


def pg_error(name: str, exc: Exception, doing: str = "") -> StoreError:
    """A psycopg error as a StoreError naming the server (`name`: the URL without its password)."""
    text = str(exc)
    state = getattr(exc, "sqlstate", None) or next((code for words, code in _PG_WORDS if words in text), "")
    if not state and doing.startswith("cannot connect"):
        reason, hint, kind = _connect_reason(text), _SERVER_HINT, StoreError
    else:
        reason, hint, kind = next(
            ((r, h, k) for prefix, r, h, k in _PG_STATES if state.startswith(prefix)),
            (_first_line(text), "run `mediactl doctor`", StoreError),
        )
    return kind(
        f"{name}: {doing or 'the state store failed'} ({reason}).",
        hint=hint,
        disk_full=state == "53100",
        code=state or "PG",
        retryable=state in ("40001", "40P01"),
    )


def _connect_reason(text: str) -> str:
    lowered = text.lower()
    if "timeout" in lowered or "timed out" in lowered:
        return "the server did not answer in time"
    if "could not translate host name" in lowered or "name or service not known" in lowered:
        return "the host name is unknown"
    if "refused" in lowered:
        return "the connection was refused: no server is listening there"
    return _first_line(text)


def _first_line(text: str) -> str:
    """A driver's message, one line, without the password a libpq message could quote in a connection string."""
    from mediactl.core.redaction import redact  # lazy: start-up

    line = next((part.strip() for part in text.splitlines() if part.strip()), "unknown error")
    return redact(line.removeprefix("connection failed: "))


# --- the interface ----------------------------------------------------------------------------------


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """What the store's code sees of a connection: `?` placeholders, rows by name and position, in every dialect."""

    dialect: str
    session: str | None  # the server session a claim records (PostgreSQL); None for SQLite

    def execute(self, sql: str, parameters: Any = (), /) -> Any: ...


class Database:
    """One connection to the state store, shared by a process's threads (under a lock), with its transactions."""

    dialect: str
    name: str  # what messages call it: the file, or the URL without its password
    path: Path | None  # the SQLite file (None: a server)
    connection: Any

    def __init__(self) -> None:
        self._lock = threading.RLock()

    def transaction(self, *, durable: bool = True, exclusive: bool = False) -> contextlib.AbstractContextManager[Any]:
        raise NotImplementedError

    def snapshot(self) -> contextlib.AbstractContextManager[Any]:
        """A consistent read with no write transaction open meanwhile; changes nothing."""
        raise NotImplementedError

    @contextmanager
    def read(self) -> Iterator[Any]:
        with self._lock:
            yield self.connection

    def run(self, work: Callable[[Any], T], *, durable: bool = True, attempts: int = RETRIES) -> T:
        """`work(connection)` in one transaction; run again after a serialization failure or a deadlock (only
        PostgreSQL raises those). `work` must have no effect outside the database: it may run more than once."""
        for attempt in range(1, attempts + 1):
            try:
                with self.transaction(durable=durable) as db:
                    return work(db)
            except StoreError as exc:
                if not exc.retryable or attempt == attempts:
                    raise
        raise AssertionError("unreachable")

    @property
    def session(self) -> str | None:
        """This connection's server session ("pg:PID:START"), which a claim records; None for SQLite (a file
        has no sessions: its claims are checked by host and process)."""
        return None

    def live_sessions(self, sessions: set[str]) -> set[str]:
        """Which of these server sessions are still connected (PostgreSQL); SQLite has none."""
        return set()

    def release_reserve(self) -> bool:
        """Give back the disk space kept for recording an outcome on a full disk; whether there was any."""
        return False

    def close(self) -> None:
        raise NotImplementedError


def is_url(target: str | Path) -> bool:
    return isinstance(target, str) and target.startswith(URL_SCHEMES)


def open_database(target: str | Path, *, environment: Environment | None = None, check_schema: bool = True) -> Database:
    """The state store's database: a SQLite file (created whole, its schema upgraded in place) or a PostgreSQL
    URL (its `${VAR}`s resolved from `environment`, default the process's; its schema must be current unless
    `check_schema` is False, which only `mediactl state migrate` asks for)."""
    if is_url(target):
        return PostgresDatabase(str(target), environment=environment, check_schema=check_schema)
    return SqliteDatabase(Path(target))


# --- SQLite ------------------------------------------------------------------------------------------


class _SqliteCursor(sqlite3.Cursor):
    """Rows are read lazily, and a damaged page is found while reading: reads are mapped too."""

    def execute(self, sql: str, parameters: Any = (), /) -> _SqliteCursor:
        with _sqlite_mapped(self.connection):
            return super().execute(sql, parameters)

    def fetchone(self) -> Any:
        with _sqlite_mapped(self.connection):
            return super().fetchone()

    def fetchall(self) -> list[Any]:
        with _sqlite_mapped(self.connection):
            return super().fetchall()

    def __next__(self) -> Any:
        with _sqlite_mapped(self.connection):
            return super().__next__()


class SqliteConnection(sqlite3.Connection):
    """A store's connection: every SQLite error raised through it is a StoreError naming the file."""

    path: Path
    dialect = SQLITE
    session: str | None = None  # a file has no server sessions: claims are checked by host and process

    def execute(self, sql: str, parameters: Any = (), /) -> _SqliteCursor:
        return self.cursor(_SqliteCursor).execute(sql, parameters)


@contextmanager
def _sqlite_mapped(connection: sqlite3.Connection) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise store_error(getattr(connection, "path", None), exc) from None


_WRITER_LOCKS: dict[Path, threading.RLock] = {}
_WRITER_LOCKS_GUARD = threading.Lock()


def _writer_lock(path: Path) -> threading.RLock:
    """One lock per store file and process, held around every write transaction.

    Threads of one process (concurrent delivery: a connection per thread) would otherwise meet
    at SQLite's write lock, whose busy handler sleeps 1, 2, 5, 10 … ms between tries: measured,
    32 delivery threads spent ~70 % of their time asleep there. Queued on a Python lock, the
    next writer starts the moment the last one commits. Other processes still wait in SQLite.
    """
    key = path.absolute()
    with _WRITER_LOCKS_GUARD:
        return _WRITER_LOCKS.setdefault(
            key, threading.RLock()
        )  # re-entrant: a nested transaction fails in SQLite, loudly


class SqliteDatabase(Database):
    """The embedded store: one file in WAL mode, created whole, with a reserve of disk space beside it."""

    dialect = SQLITE

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = self.file = path
        self.name = str(path)
        try:
            fsutil.folder_for(path)  # the state folder: 0700
            _create_whole(path)
            fsutil.private_file(path, "-wal", "-shm")  # tokens and jobs are nobody else's business
            # Shared by a process's threads (a channel's token cache): every use is under self._lock.
            self.connection = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False,
                                              factory=SqliteConnection)  # fmt: skip
            self.connection.path = path
            self.connection.row_factory = sqlite3.Row
            _prepare(self.connection)
        except sqlite3.Error as exc:
            raise store_error(path, exc, "cannot open the state store") from None
        except StoreError as exc:  # raised by the schema's upgrade (through the mapped connection), or a refusal
            if exc.code.startswith("SQLITE"):
                raise store_error(path, sqlite3.DatabaseError(exc.message), "cannot open the state store") from None
            raise
        except OSError as exc:
            raise StoreError(
                f"{path}: cannot open the state store ({exc}).",
                hint="check that the file is a mediactl state store and that you may write to its folder.",
            ) from None
        _keep_reserve(_reserve_path(path))

    @contextmanager
    def transaction(self, *, durable: bool = True, exclusive: bool = False) -> Iterator[Any]:
        """BEGIN IMMEDIATE: one writer at a time across processes (so every transaction is exclusive)."""
        db = self.connection
        with self._lock, _writer_lock(self.file):
            if not durable:
                db.execute("PRAGMA synchronous=NORMAL")
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                except BaseException:
                    self._rollback()
                    raise
                try:
                    db.execute("COMMIT")  # through the instance: a test may stand in for it
                except StoreError:
                    self._rollback()
                    raise
            finally:
                if not durable:
                    with contextlib.suppress(StoreError):
                        db.execute("PRAGMA synchronous=FULL")

    def _rollback(self) -> None:
        """Undo an open transaction; after a disk error SQLite may already have (then there is nothing to undo)."""
        if self.connection.in_transaction:
            with contextlib.suppress(StoreError):
                self.connection.execute("ROLLBACK")

    @contextmanager
    def snapshot(self) -> Iterator[Any]:
        """Under the write lock. A store on a read-only medium cannot take the lock, and needs none: nothing can
        write to it."""
        with self._lock, _writer_lock(self.file):
            try:
                self.connection.execute("BEGIN IMMEDIATE")
            except StoreError as exc:
                if exc.code != "SQLITE_READONLY":
                    raise
                self.connection.execute("BEGIN")
            try:
                yield self.connection
            finally:
                self._rollback()

    def release_reserve(self) -> bool:
        """Give the reserve's disk space back (the disk is full and an outcome must be recorded); whether
        there was one. It is set aside again when a store is next opened with room to spare."""
        try:
            _reserve_path(self.file).unlink()
        except OSError:
            return False
        return True

    def close(self) -> None:
        self.connection.close()


def _prepare(db: sqlite3.Connection) -> None:
    """WAL, full durability, the schema (upgraded in place: publish/schema.py). The PRAGMAs go through the plain
    connection methods, so that an error here reads "cannot open the state store"."""
    from mediactl.publish import schema  # lazy: an import cycle (schema names this module's dialects)

    sqlite3.Connection.execute(db, "PRAGMA journal_mode=WAL")
    sqlite3.Connection.execute(db, "PRAGMA synchronous=FULL")
    schema.upgrade_embedded(db)


def _create_whole(path: Path) -> None:
    """Create the store, schema and all, beside its path and link it into place, if there is none yet.

    So a store file is never seen empty: SQLite treats an empty file as a new database, and a store
    truncated to nothing would read as an empty queue. Linking (not renaming) never replaces a store
    another process created meanwhile.
    """
    try:
        if path.stat().st_size == 0:
            raise StoreDamaged(f"{path}: the state store is empty (0 bytes): it was cut short or emptied.",
                               hint=DAMAGED_HINT)  # fmt: skip
        return
    except FileNotFoundError:
        pass
    staging = path.with_name(f".{path.name}.new-{os.getpid()}-{threading.get_ident()}")
    try:
        db = sqlite3.connect(staging, isolation_level=None, factory=SqliteConnection)
        db.path = staging
        db.row_factory = sqlite3.Row
        try:
            _prepare(db)
        finally:
            db.close()
        try:
            os.link(staging, path)
        except FileExistsError:
            pass
        except OSError:  # no hard links on this file system: a rename, unless a store appeared meanwhile
            if not path.exists():
                os.replace(staging, path)
    finally:
        for leftover in (staging, *(staging.with_name(staging.name + end) for end in ("-wal", "-shm", "-journal"))):
            leftover.unlink(missing_ok=True)


def _reserve_path(path: Path) -> Path:
    return path.with_name(path.name + ".reserve")


def _keep_reserve(reserve: Path) -> None:
    """Set aside RESERVE_BYTES of disk beside the store while there is room (see release_reserve)."""
    if reserve.exists():
        return
    staging = reserve.with_name(f".{reserve.name}.{os.getpid()}")
    try:
        fsutil.private_file(staging)  # 0600 like every file of the state folder
        with open(staging, "wb") as handle:
            handle.write(bytes(RESERVE_BYTES))
        os.replace(staging, reserve)
    except OSError:  # no room or not writable: nothing to set aside; doctor tells
        staging.unlink(missing_ok=True)


# --- PostgreSQL --------------------------------------------------------------------------------------

WRITERS_LOCK = zlib.crc32(b"mediactl state writers")  # the advisory lock of exclusive transactions (see module doc)


def redact_url(url: str) -> str:
    """The URL as messages show it: user, host, port and database; never the password or the query."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "postgresql://…"
    user = f"{unquote(parts.username)}@" if parts.username else ""
    host = parts.hostname or "localhost"
    return f"{parts.scheme}://{user}{host}{f':{port}' if port else ''}{parts.path or '/'}"


def split_password(url: str, environment: Environment | None) -> tuple[str, str | None]:
    """(the URL without its password, the password resolved): the password is passed to libpq apart, so a
    password holding `@`, `:` or `/` needs no quoting, and no connection string ever carries it."""
    from mediactl.config.credentials import Environment as _Environment  # lazy: start-up

    env = environment or _Environment()
    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    user, colon, password = userinfo.partition(":")
    resolved = env.interpolate(unquote(password), where="project.state (the password)", secret=True) if colon else None
    netloc = env.interpolate(f"{user}{at}{hostport}", where="project.state")
    return parts._replace(netloc=netloc).geturl(), resolved


class Row:
    """A PostgreSQL row as sqlite3.Row is one: by name, by position, unpacked in order, `dict(row)`, `Job(**row)`."""

    __slots__ = ("_index", "_values")

    def __init__(self, index: Mapping[str, int], values: Sequence[Any]) -> None:
        self._index, self._values = index, values

    def __getitem__(self, key: int | str) -> Any:
        return self._values[key if isinstance(key, int) else self._index[key]]

    def keys(self) -> list[str]:
        return list(self._index)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Row({dict(zip(self._index, self._values, strict=True))!r})"


def _rows(cursor: Any) -> Callable[[Sequence[Any]], Row]:
    """psycopg's row factory: the column index is made once per result, shared by its rows."""
    index = {column.name: n for n, column in enumerate(cursor.description or ())}
    return functools.partial(Row, index)


@functools.lru_cache(maxsize=512)
def to_pyformat(sql: str) -> str:
    """`?` placeholders as psycopg's `%s`, outside quoted literals; a literal `%` doubled."""
    out, quote = [], ""
    for char in sql:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "?":
            out.append("%s")
            continue
        out.append("%%" if char == "%" else char)
    return "".join(out)


class _PgCursor:
    """psycopg's cursor with its errors mapped (results are fetched whole when executed, so rarely needed)."""

    def __init__(self, owner: PgConnection, cursor: Any) -> None:
        self._owner, self._cursor = owner, cursor
        self.rowcount: int = cursor.rowcount

    def fetchone(self) -> Any:
        with self._owner.mapped():
            return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        with self._owner.mapped():
            return list(self._cursor.fetchall())

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class PgConnection:
    """A psycopg connection (autocommit: transactions are begun explicitly) speaking the store's SQL."""

    dialect = POSTGRESQL

    def __init__(self, raw: Any, name: str) -> None:
        self.raw, self.name = raw, name
        self.session: str | None = None  # "pg:PID:START", once known

    def execute(self, sql: str, parameters: Any = (), /) -> _PgCursor:
        with self.mapped():
            return _PgCursor(self, self.raw.execute(to_pyformat(sql), parameters))

    def script(self, sql: str) -> None:
        """Statements without parameters in one round trip (the simple query protocol)."""
        with self.mapped():
            self.raw.execute(sql)

    @contextmanager
    def mapped(self, doing: str = "") -> Iterator[None]:
        import psycopg  # lazy: loaded already, this connection is psycopg's

        try:
            yield
        except psycopg.Error as exc:
            raise pg_error(self.name, exc, doing) from None

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus  # lazy: loaded already (a psycopg connection)

        return bool(self.raw.info.transaction_status != TransactionStatus.IDLE)


class PostgresDatabase(Database):
    """The shared store: a PostgreSQL database every host of a team uses."""

    dialect = POSTGRESQL
    path = None

    def __init__(self, url: str, *, environment: Environment | None = None, check_schema: bool = True) -> None:
        super().__init__()
        self.name = redact_url(url)
        self.connection = PgConnection(self._connect(url, environment), self.name)
        try:
            self.connection.session = self._identify()
            if check_schema:
                from mediactl.publish import schema  # lazy: an import cycle (schema names this module's dialects)

                with self.read() as db:
                    schema.require_current(db, self.name)
        except BaseException:
            self.close()  # a refused store leaves no connection behind
            raise

    def _connect(self, url: str, environment: Environment | None) -> Any:
        try:
            import psycopg  # lazy: only a PostgreSQL store needs it; SQLite users never load it (start-up)
        except ImportError:
            raise StoreError(
                f"{self.name}: a PostgreSQL state store needs psycopg, which is not installed.",
                hint="pip install 'mediactl[postgresql]'",
            ) from None
        conninfo, password = split_password(url, environment)
        try:
            raw = psycopg.connect(
                conninfo,
                password=password,
                autocommit=True,
                row_factory=_rows,
                connect_timeout=CONNECT_SECONDS,
                application_name="mediactl",
                # A host that dies without closing its connection is found within a minute, by both sides:
                # its sessions then leave pg_stat_activity, which is how its claims are known to be orphaned.
                keepalives=1, keepalives_idle=30, keepalives_interval=10, keepalives_count=3,
            )  # fmt: skip
        except psycopg.Error as exc:
            raise pg_error(self.name, exc, "cannot connect to the state store") from None
        try:
            with PgConnection(raw, self.name).mapped("cannot open the state store"):
                raw.execute(
                    "SET tcp_keepalives_idle = 30; SET tcp_keepalives_interval = 10; SET tcp_keepalives_count = 3; "
                    f"SET lock_timeout = '{LOCK_WAIT}'"
                )
        except BaseException:
            raw.close()
            raise
        return raw

    def _identify(self) -> str:
        """The server session this connection is, as pg_stat_activity shows it (pid and start: a pid is reused)."""
        row = self.connection.execute(
            "SELECT pid, CAST(EXTRACT(EPOCH FROM backend_start) AS DOUBLE PRECISION) FROM pg_stat_activity "
            "WHERE pid = pg_backend_pid()"
        ).fetchone()
        return f"pg:{row[0]}:{row[1]:.6f}"

    @property
    def session(self) -> str | None:
        return self.connection.session

    def live_sessions(self, sessions: set[str]) -> set[str]:
        if not sessions:
            return set()
        with self.read() as db:
            rows = db.execute(
                "SELECT pid, CAST(EXTRACT(EPOCH FROM backend_start) AS DOUBLE PRECISION) FROM pg_stat_activity "
                "WHERE backend_type = 'client backend'"
            ).fetchall()
        alive = {f"pg:{row[0]}:{row[1]:.6f}" for row in rows}
        return sessions & alive

    def _begin(self, *, durable: bool, exclusive: bool, read_only: bool = False) -> None:
        if self.connection.in_transaction:
            raise RuntimeError("a transaction is already open on this connection")  # SQLite refuses, loudly: so here
        lock = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        self.connection.script(
            "BEGIN ISOLATION LEVEL READ COMMITTED"
            + (" READ ONLY" if read_only else "")
            + "; "
            + ("" if durable else "SET LOCAL synchronous_commit = off; ")
            + f"SELECT {lock}({WRITERS_LOCK})"
        )

    @contextmanager
    def transaction(self, *, durable: bool = True, exclusive: bool = False) -> Iterator[Any]:
        """READ COMMITTED; rows are locked by the statements that change them (FOR UPDATE, SKIP LOCKED)."""
        with self._lock:
            self._begin(durable=durable, exclusive=exclusive)
            try:
                yield self.connection
            except BaseException:
                self._rollback()
                raise
            try:
                self.connection.execute("COMMIT")
            except StoreError:
                self._rollback()
                raise

    @contextmanager
    def snapshot(self) -> Iterator[Any]:
        """Read only, holding the writers' lock alone: at READ COMMITTED each statement sees the latest commits,
        and with no writer able to commit meanwhile, every statement sees the same state."""
        with self._lock:
            self._begin(durable=True, exclusive=True, read_only=True)
            try:
                yield self.connection
            finally:
                self._rollback()

    def _rollback(self) -> None:
        if self.connection.in_transaction:
            with contextlib.suppress(StoreError, RuntimeError):
                self.connection.execute("ROLLBACK")

    def close(self) -> None:
        with contextlib.suppress(Exception):  # a lost connection is closed already
            self.connection.raw.close()


# --- dialect functions: the few statements that truly differ -------------------------------------------


def upsert(table: str, columns: Sequence[str], key: Sequence[str], *, replace: bool = True) -> str:
    """INSERT … ON CONFLICT (key) DO UPDATE (or DO NOTHING): portable SQL, SQLite ≥ 3.24 and PostgreSQL."""
    marks = ", ".join("?" * len(columns))
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) ON CONFLICT ({', '.join(key)}) DO "
    rest = [column for column in columns if column not in key]
    if not replace or not rest:
        return head + "NOTHING"
    return head + "UPDATE SET " + ", ".join(f"{column} = excluded.{column}" for column in rest)


def lock_rows(db: Connection, *, skip_locked: bool = True) -> str:
    """The clause a SELECT of rows to change ends with: on PostgreSQL the rows are locked and, for a claim, rows
    another transaction has locked are passed over (SKIP LOCKED), so hosts claiming at once take different jobs
    and never wait for each other. SQLite needs none: BEGIN IMMEDIATE already made this the only writer."""
    if db.dialect != POSTGRESQL:
        return ""
    return " FOR UPDATE SKIP LOCKED" if skip_locked else " FOR UPDATE"


def serialize(db: Connection, name: str) -> None:
    """Hold `name` until this transaction ends, across hosts (PostgreSQL: a transaction advisory lock), for a
    decision that counts rows other transactions may be adding (a rate limit's window). SQLite: nothing to do."""
    if db.dialect == POSTGRESQL:
        db.execute("SELECT pg_advisory_xact_lock(?)", (zlib.crc32(name.encode("utf-8")),))


def reserve_ids(db: Connection, table: str, highest_used: int) -> None:
    """Never hand out an `id` of `table` up to `highest_used` again (numbers the audit log or an import uses)."""
    if db.dialect == SQLITE:
        if db.execute("UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?", (highest_used, table)).rowcount:
            return
        db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, highest_used))
        return
    (sequence,) = db.execute("SELECT pg_get_serial_sequence(?, 'id')", (table,)).fetchone()
    last, called = db.execute(f"SELECT last_value, is_called FROM {sequence}").fetchone()
    if highest_used > (last if called else last - 1):
        db.execute("SELECT setval(CAST(? AS regclass), ?, true)", (sequence, highest_used))


def integrity_problems(db: Connection, limit: int = 10) -> list[str]:
    """What is damaged; [] when whole. SQLite: its full integrity check (structure, and every index against its
    table: a damaged index can forget an idempotency key while `quick_check` passes). PostgreSQL keeps its own
    pages whole (checksums, WAL); what can go wrong there is an index left invalid (a failed concurrent build)."""
    if db.dialect == SQLITE:
        rows = [row[0] for row in db.execute(f"PRAGMA integrity_check({int(limit)})").fetchall()]
        return [] if rows == ["ok"] else rows
    rows = db.execute(
        "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE NOT (i.indisvalid AND i.indisready) AND c.relnamespace = CAST(current_schema() AS regnamespace) LIMIT ?",
        (limit,),
    ).fetchall()
    return [f"index {row[0]} is invalid" for row in rows]


def table_columns(db: Connection, table: str) -> set[str]:
    """The columns a table has in this store (an import writes only those)."""
    if db.dialect == SQLITE:
        return {row["name"] for row in db.execute(f"PRAGMA table_info({table})").fetchall()}
    rows = db.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?",
        (table,),
    ).fetchall()
    return {row[0] for row in rows}
