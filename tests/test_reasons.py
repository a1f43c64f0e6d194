"""A reason is what the audit log keeps for a bypass or a pause: a blank one says nothing, so it is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SLUG = "anti-fraud-2026"
BLANK = ["", " ", "\t", "\u3000 "]  # an ideographic space is as empty as an ASCII one


@pytest.mark.parametrize("reason", BLANK)
def test_force_refuses_a_blank_reason(cli, example: Path, reason: str) -> None:
    result = cli(example, "publish", SLUG, "--channel", "outbox", "--force", "--reason", reason, "--json")
    assert result.exit_code == 2, result.output
    assert "--reason" in result.stderr
    assert not (example / "outbox").exists()
    assert not (example / ".mediactl/queue.sqlite3").exists()


@pytest.mark.parametrize("reason", BLANK)
def test_pause_refuses_a_blank_reason(cli, example: Path, reason: str) -> None:
    result = cli(example, "pause", "--reason", reason)
    assert result.exit_code == 2, result.output
    assert "--reason" in result.stderr
    log = cli(example, "log", "--json")
    assert not [r for r in json.loads(log.stdout or "[]") if r["action"] == "pause"]


def test_a_real_reason_still_pauses(cli, example: Path) -> None:
    assert cli(example, "pause", "--reason", "舆情期间暂停发布").exit_code == 0
