"""A real PostgreSQL server for the tests: initdb in a temporary folder, started on 127.0.0.1, one database per test.

`initdb` refuses to run as root (CI runs as root), so the server runs as an unprivileged user: `postgres`
where that user exists, else `nobody`, through `setpriv`. Connections over TCP need a password (SCRAM), as
a team's server would; the fixture's own administration goes over the unix socket in the temporary folder.
Where no server binary exists the tests skip with the reason, but never when `CI` is set: there a skip
is a failure (.ci/run installs the server).
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PASSWORD_VARIABLE = "MEDIACTL_TEST_PGPASSWORD"
PASSWORD = "test-Passw0rd:@/é"  # characters a URL would need quoted: the store passes the password apart
USER = "mediactl"
ADMIN = "pgadmin"
START_SECONDS = 30


def unavailable(why: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI must be able to run PostgreSQL: {why}")
    pytest.skip(f"no PostgreSQL server here: {why}")


def binaries() -> Path | None:
    """The folder with initdb and pg_ctl: on PATH, else Debian's versioned folder."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def _as_server_user() -> tuple[list[str], int | None, int | None]:
    """The command prefix that runs the server unprivileged, and that user's ids (None: this user already)."""
    if os.name != "posix" or os.geteuid() != 0:
        return [], None, None
    if shutil.which("setpriv") is None:
        unavailable("running as root, and setpriv (util-linux) is missing to drop to an unprivileged user")
    import pwd  # POSIX only, as this branch

    try:
        entry = pwd.getpwnam("postgres")
        uid, gid = entry.pw_uid, entry.pw_gid
    except KeyError:
        uid = gid = 65534  # nobody
    return ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups"], uid, gid


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """A running test server: its folder, port and socket, and a counter for fresh database names."""

    folder: Path
    port: int
    bin: Path
    prefix: list[str]
    names: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def socket_dir(self) -> str:
        return str(self.folder)

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(
            host=self.socket_dir, port=self.port, user=ADMIN, dbname="postgres", autocommit=True
        ) as db:
            db.execute(sql)

    def new_database(self) -> str:
        """A fresh, empty database owned by the test user; its name."""
        name = f"t{os.getpid()}_{next(self.names)}"
        self.admin(f"CREATE DATABASE {name} OWNER {USER}")
        return name

    def url(self, database: str, password: str = "${" + PASSWORD_VARIABLE + "}") -> str:
        return f"postgresql://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        """Stop the server; if pg_ctl could not, end its postmaster (this fixture's own process) by its id."""
        pid = self._postmaster()
        subprocess.run([*self.prefix, str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate",
                        "-w", "stop"], capture_output=True, check=False, cwd=self.folder, timeout=START_SECONDS)  # fmt: skip
        if pid is not None and _alive(pid):
            os.kill(pid, signal.SIGKILL)

    def _postmaster(self) -> int | None:
        try:
            return int((self.folder / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def start() -> Server:
    folder_of_binaries = binaries()
    if folder_of_binaries is None:
        unavailable("initdb and pg_ctl are not installed (apt-get install postgresql)")
    assert folder_of_binaries is not None
    prefix, uid, gid = _as_server_user()
    folder = Path(tempfile.mkdtemp(prefix="mediactl-pg-"))
    if uid is not None and gid is not None:
        os.chown(folder, uid, gid)
    data = folder / "data"
    done = subprocess.run(
        [*prefix, str(folder_of_binaries / "initdb"), "-D", str(data), "-U", ADMIN, "-A", "trust", "-E", "UTF8",
         "--locale=C", "--no-sync"],
        capture_output=True, text=True, check=False, cwd=folder,  # the server's user may not enter ours
    )  # fmt: skip
    if done.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        unavailable(f"initdb failed: {done.stderr.strip()[-500:]}")
    (data / "pg_hba.conf").write_text(
        "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n", "utf-8"
    )  # the fixture administers over the socket; the store connects as a team's host would
    port = _free_port()
    options = (f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
               "-c full_page_writes=off -c max_connections=200 -c shared_buffers=32MB")  # fmt: skip
    done = subprocess.run(
        [*prefix, str(folder_of_binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"),
         "-w", "-t", str(START_SECONDS), "start"],
        capture_output=True, text=True, check=False, cwd=folder,
    )  # fmt: skip
    server = Server(folder, port, folder_of_binaries, prefix)
    if done.returncode != 0:
        log = (folder / "log").read_text("utf-8", "replace")[-800:] if (folder / "log").exists() else ""
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
        unavailable(f"the server did not start: {done.stderr.strip()[-300:]} {log}")
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            server.admin(f"CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD.replace(chr(39), chr(39) * 2)}'")
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    return server
