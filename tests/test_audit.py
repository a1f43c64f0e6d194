"""The audit log's chain under concurrent appends (group commit) and its tail read across characters."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from mediactl.publish import audit


def test_concurrent_appends_make_one_whole_chain(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    returned: list[dict] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        for i in range(40):
            record = audit.append(log, f"user{n}", "delivery.sent", job=n * 1000 + i, error="发送成功")
            with lock:
                returned.append(record)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    count, broken = audit.verify(log)
    assert (count, broken) == (480, None)
    written = list(audit.records(log))
    assert [r["seq"] for r in written] == list(range(1, 481))
    assert sorted(r["job"] for r in written) == sorted(n * 1000 + i for n in range(12) for i in range(40))
    assert sorted(r["seq"] for r in returned) == list(range(1, 481))  # each caller got its own record back
    by_seq = {r["seq"]: r for r in written}
    assert all(by_seq[r["seq"]] == r for r in returned)


def test_tail_read_across_multibyte_characters(tmp_path: Path) -> None:
    """The last record is found whatever byte a read block starts at (Chinese is 3 bytes per character)."""
    log = tmp_path / "audit.jsonl"
    for size in range(1, 40):
        audit.append(log, "编辑", "note", text="保" * (size * 97))  # records of many lengths, up to ~11 KB
    assert audit.verify(log) == (39, None)
    last = audit.append(log, "编辑", "note", text="尾")
    assert last["seq"] == 40 and audit.verify(log) == (40, None)
    assert json.loads(log.read_text("utf-8").splitlines()[-1])["hash"] == last["hash"]


def test_a_failed_write_is_reported_to_the_caller(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "audit.jsonl").mkdir()  # a directory where the log should be: open fails
    with pytest.raises(audit.AuditError, match=r"audit\.jsonl: cannot write the audit log \(is a directory\)"):
        audit.append(folder / "audit.jsonl", "u", "x")


def test_a_failed_write_leaves_no_bytes_behind_and_the_chain_whole(tmp_path: Path, monkeypatch) -> None:
    """Disk full halfway through a group: the caller gets the error, the file is cut back, later appends chain on."""
    import errno
    import os

    log = tmp_path / "audit.jsonl"
    audit.append(log, "u", "first")
    real_write = os.write
    failures = []

    def half_then_full(fd: int, data: bytes) -> int:
        if not failures:
            failures.append(fd)
            real_write(fd, bytes(data[: len(data) // 2]))
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(audit.os, "write", half_then_full)
    with pytest.raises(audit.AuditError, match="no space left on the device"):
        audit.append(log, "u", "lost", text="保本" * 50)
    monkeypatch.setattr(audit.os, "write", real_write)
    audit.append(log, "u", "after")
    assert [r["action"] for r in audit.records(log)] == ["first", "after"]
    assert audit.verify(log) == (2, None)


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda text: text + '{"seq": 3, "act', "the last line is cut short"),
        (lambda text: text + '{"seq": 3, "act\n', "the last record is not a valid record"),
        (
            lambda text: text.replace('"actor":"u","action":"second"', '"actor":"x","action":"second"'),
            "the last record was changed after it was written",
        ),
    ],
)
def test_nothing_is_appended_after_a_damaged_last_record_and_the_line_is_named(tmp_path: Path, damage, reason) -> None:
    log = tmp_path / "audit.jsonl"
    audit.append(log, "u", "first")
    audit.append(log, "u", "second")
    log.write_text(damage(log.read_text("utf-8")), "utf-8")
    before = log.read_bytes()
    line = 3 if "last record was changed" not in reason else 2
    with pytest.raises(audit.AuditError, match=rf"audit\.jsonl:{line}: {reason}"):
        audit.append(log, "u", "third")
    with pytest.raises(audit.AuditError, match=rf"audit\.jsonl:{line}: "):
        audit.check_appendable(log)
    assert log.read_bytes() == before


def test_reading_on_from_a_position_checks_the_chain_and_notices_a_rewritten_log(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    for n in range(4):
        audit.append(log, "u", "note", n=n)
    entries = list(audit.entries_after(log, None))
    assert [e.line for e in entries] == [1, 2, 3, 4]
    middle = entries[1].position
    assert [e.record["n"] for e in audit.entries_after(log, middle)] == [2, 3]
    moved = audit.Position(middle.seq, middle.hash, middle.line, offset=None)  # found by what it is
    assert [e.record["n"] for e in audit.entries_after(log, moved)] == [2, 3]
    lines = log.read_text("utf-8").splitlines(keepends=True)
    log.write_text(lines[0] + lines[1] + lines[3], "utf-8")  # record 3 removed
    with pytest.raises(audit.AuditError, match=r"audit\.jsonl:3: this record does not follow"):
        list(audit.entries_after(log, middle))
    log.write_text(lines[0], "utf-8")  # cut short: the position is gone
    with pytest.raises(audit.AuditError, match="no longer holds record 2"):
        list(audit.entries_after(log, middle))
