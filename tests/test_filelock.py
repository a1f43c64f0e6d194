"""The audit log's file lock: appenders in several processes, a lock that fails, a lock that gives up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mediactl.core import filelock
from mediactl.publish import audit

APPENDER = """
import sys
from pathlib import Path
from mediactl.publish import audit
log, name = Path(sys.argv[1]), sys.argv[2]
sys.stdin.read()  # every process waits here until all have started
for i in range(60):
    audit.append(log, name, "delivery.sent", job=i, note="发送成功")
"""


def test_appenders_in_several_processes_make_one_chain(tmp_path: Path) -> None:
    """Each process reads the chain's tail and appends under the lock; without it two take the same seq."""
    log = tmp_path / "audit.jsonl"
    runs = [
        subprocess.Popen([sys.executable, "-c", APPENDER, str(log), f"p{n}"], stdin=subprocess.PIPE, text=True)
        for n in range(4)
    ]
    for run in runs:
        run.stdin.close()  # type: ignore[union-attr]  # all go at once
    assert [run.wait(timeout=60) for run in runs] == [0, 0, 0, 0]
    assert audit.verify(log) == (240, None)
    assert sorted((r["actor"], r["job"]) for r in audit.records(log)) == sorted(
        (f"p{n}", i) for n in range(4) for i in range(60)
    )


def test_a_lock_that_fails_is_an_os_error(tmp_path: Path) -> None:
    """The audit log turns an OSError into a message naming its file; the lock must fail as one."""
    fd = os.open(tmp_path / "log", os.O_RDWR | os.O_CREAT)
    os.close(fd)  # a descriptor that is no longer open
    with pytest.raises(OSError), filelock.exclusive(fd):
        pass


def test_a_lock_that_gives_up_is_asked_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On Windows a blocking lock gives up after ~10 s while another process holds it: wait on."""
    import portalocker

    calls: list[int] = []
    real_lock = portalocker.lock

    def lock(file: int, flags: portalocker.LockFlags) -> None:
        calls.append(file)
        if len(calls) < 3:
            raise portalocker.AlreadyLocked("held by another process")
        real_lock(file, flags)

    monkeypatch.setattr(portalocker, "lock", lock)
    with open(tmp_path / "log", "ab") as fh, filelock.exclusive(fh.fileno()):
        pass
    assert len(calls) == 3


CHECK_IMPORTS = """
import sys
from mediactl import cli
sys.argv = ["mediactl", "check", sys.argv[1], "--format", "json"]
try:
    cli.main()
except SystemExit:
    pass
print(sorted(name for name in ("portalocker", "socket", "importlib.metadata") if name in sys.modules), file=sys.stderr)
"""


def test_a_check_does_not_import_the_lock_machinery(tmp_path: Path) -> None:
    """`check` takes no lock: portalocker (which pulls in importlib.metadata and email) and socket (for the run
    lock's holder) are imported where a lock is taken, not in every command's start-up (~25 ms of a one-file check).
    The second run is asked: the first may build the compiled-rules cache, which reads the platforms' plugins."""
    text = tmp_path / "copy.txt"
    text.write_text("本产品保本保息。\n", encoding="utf-8")
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", CHECK_IMPORTS, str(text)], capture_output=True, text=True, cwd=tmp_path
        )
        assert "findings" in done.stdout, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "[]", done.stderr
