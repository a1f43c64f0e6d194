"""Where requests may go: a request that cannot leave is a configuration problem, never an unknown outcome."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mediactl.sandbox import Sandbox, SandboxOptions

SLUG = "anti-fraud-2026"
EXAMPLE_HOOK = "url: http://127.0.0.1:8765/webhook/ops-robot"


@pytest.fixture
def hook(cli, example: Path, monkeypatch) -> Path:
    """anti-fraud-2026 also goes to the ops-robot webhook, checked and approved."""
    index = example / "content/article" / SLUG / "index.md"
    index.write_text(index.read_text("utf-8").replace("  - outbox\n", "  - outbox\n  - ops-robot\n", 1), "utf-8")
    monkeypatch.setenv("OPS_ROBOT_SECRET", "robot-signing-key-0123")
    monkeypatch.setenv("MEDIACTL_USER", "li.na")
    assert cli(example, "check", SLUG).exit_code == 0
    monkeypatch.setenv("MEDIACTL_USER", "wang.min")
    assert cli(example, "approve", SLUG).exit_code == 0
    return example


def configure(root: Path, old: str, new: str) -> None:
    config = root / "mediactl.yaml"
    text = config.read_text("utf-8")
    assert old in text
    config.write_text(text.replace(old, new), "utf-8")


def publish(cli, root: Path) -> list[dict]:
    result = cli(root, "publish", SLUG, "--channel", "ops-robot", "--json")
    return json.loads(result.stdout)


def test_an_unsupported_protocol_fails_at_once_naming_channel_and_url(cli, hook: Path, monkeypatch) -> None:
    configure(hook, EXAMPLE_HOOK, "url: ${HOOK_URL}")
    monkeypatch.setenv("HOOK_URL", "ftp://127.0.0.1/hook?key=HookKeyLiteral-42")
    (outcome,) = publish(cli, hook)
    assert outcome["state"] == "failed", outcome
    assert "ops-robot" in outcome["detail"] and "ftp://127.0.0.1/hook?key=***" in outcome["detail"]
    assert "nothing was sent" in outcome["detail"]
    assert "HookKeyLiteral" not in json.dumps(outcome)


def test_an_invalid_url_fails_at_once(cli, hook: Path, monkeypatch) -> None:
    configure(hook, EXAMPLE_HOOK, "url: ${HOOK_URL}")
    monkeypatch.setenv("HOOK_URL", "http://[::1/hook")
    (outcome,) = publish(cli, hook)
    assert outcome["state"] == "failed", outcome
    assert "nothing was sent" in outcome["detail"]


def test_a_header_that_cannot_be_sent_fails_at_once(cli, hook: Path, monkeypatch) -> None:
    configure(hook, "    credentials:\n      secret: ${OPS_ROBOT_SECRET}", "    headers:\n      X-Team: ${TEAM}")
    monkeypatch.setenv("TEAM", "ops\nInjected: yes")
    with Sandbox(SandboxOptions(seed=1)) as sandbox:
        monkeypatch.setenv("MEDIACTL_SANDBOX_URL", sandbox.url)
        (outcome,) = publish(cli, hook)
        assert sandbox.posts() == []
    assert outcome["state"] == "failed", outcome
    assert "nothing was sent" in outcome["detail"]
