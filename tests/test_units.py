"""Small mechanisms: atomic writes, .env and redaction, YAML positions."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediactl.config import credentials
from mediactl.config.yamlpos import load_located
from mediactl.core import fsutil, redaction


def test_atomic_write_leaves_no_temporary_files(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "file.txt"
    fsutil.write_text(target, "第一版")
    fsutil.write_text(target, "第二版")
    assert target.read_text("utf-8") == "第二版"
    assert [p.name for p in target.parent.iterdir()] == ["file.txt"]


def test_atomic_write_keeps_old_file_when_interrupted(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "file.txt"
    fsutil.write_text(target, "old")

    def fail(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(fsutil.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        fsutil.write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["file.txt"]


def test_environment_wins_over_dotenv_and_missing_names_variable(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text('export A="from file"\nB=b-file # comment\n', "utf-8")
    env = credentials.Environment(dotenv, environ={"A": "from env"})
    assert env.interpolate("${A}/${B}", where="x") == "from env/b-file"
    with pytest.raises(credentials.MissingCredentialError) as caught:
        env.interpolate("Bearer ${NOPE}", where="channels.x.headers.Authorization")
    assert caught.value.message == "channels.x.headers.Authorization: environment variable NOPE is not set."


def test_resolved_secrets_are_redacted_everywhere(tmp_path: Path) -> None:
    env = credentials.Environment(None, environ={"TOKEN": "tok-abcdef-123"})
    value = env.interpolate("${TOKEN}", where="x", secret=True)
    assert redaction.redact(f"HTTP 401 for access_token={value}") == "HTTP 401 for access_token=***"


def test_secret_looking_keys() -> None:
    for key in ("secret", "corpsecret", "access_token", "app_secret", "Authorization", "api_key"):
        assert redaction.looks_secret(key), key
    for key in ("appid", "corpid", "open_id", "url", "platform"):
        assert not redaction.looks_secret(key), key


def test_positions_follow_front_matter_offset() -> None:
    doc = load_located("a: 1\nb:\n  - x\n  - y\n", "f.md", line_offset=1)
    assert doc.positions[("b", 1)] == (5, 5)
    assert doc.problem(("b", 1, "deeper"), "m").line == 5
