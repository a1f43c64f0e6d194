"""Issue 16: every command that lists or reports says what it did as JSON with --json (a CI job or script reads it)."""

from __future__ import annotations

import json
from pathlib import Path


def _json(cli, project: Path, *args: str) -> object:
    result = cli(project, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_pause_and_resume_report_what_is_paused(cli, ready: Path) -> None:
    paused = _json(cli, ready, "pause", "--channel", "outbox", "--reason", "账号维护")
    assert paused["changed"] is True and paused["paused"]["outbox"]["reason"] == "账号维护"
    assert paused["paused"]["outbox"]["at"].endswith("+08:00")
    resumed = _json(cli, ready, "resume", "--channel", "outbox")
    assert resumed == {"changed": True, "paused": {}}
    assert _json(cli, ready, "resume") == {"changed": False, "paused": {}}


def test_queue_transitions_report_the_job_after(cli, ready: Path) -> None:
    assert cli(ready, "publish", "anti-fraud-2026", "--channel", "outbox", "--at", "2100-01-01T12:00").exit_code == 0
    job = _json(cli, ready, "queue", "cancel", "1")
    assert job["id"] == 1 and job["state"] == "cancelled" and job["due_at"].endswith("+08:00")


def test_log_anchor_reports_the_anchor(cli, example: Path) -> None:
    assert cli(example, "review", "credit-card-cashback").exit_code == 0
    anchor = _json(cli, example, "log", "anchor")
    assert anchor["seq"] == 1 and anchor["records"] == 1 and anchor["time"].endswith("+08:00")
    assert anchor["file"] == "audit-anchor.json"


def test_state_commands_report_what_was_done(cli, ready: Path, tmp_path: Path) -> None:
    migrated = _json(cli, ready, "state", "migrate", "--dry-run")
    assert migrated["dry_run"] is True and migrated["steps"] == [] and isinstance(migrated["version"], int)
    rebuilt = _json(cli, ready, "state", "rebuild")
    assert rebuilt == {"rebuilt": False, "store": rebuilt["store"]}
    exported = _json(cli, ready, "state", "export", str(tmp_path / "state.jsonl"))
    assert exported["file"] == str(tmp_path / "state.jsonl")
    assert {"what": "tokens", "count": 0} in exported["counted"]  # a count, never taken for a secret
    assert _json(cli, ready, "state", "accept-loss", "--reason", "演练")["lost"] == []
    target = tmp_path / "target"
    (target / "content").mkdir(parents=True)
    (target / "mediactl.yaml").write_text("project:\n  name: 新机器\n", "utf-8")
    imported = _json(cli, target, "state", "import", str(tmp_path / "state.jsonl"))
    assert imported["counted"] == exported["counted"] and imported["file"] == exported["file"]
