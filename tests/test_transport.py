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


# --- credentials never travel in clear text -------------------------------------------------------


def test_a_plain_http_base_url_off_this_machine_is_a_config_problem(cli, minimal: Path) -> None:
    config = minimal / "mediactl.yaml"
    channel = "  wx:\n    platform: wechat_oa\n"
    text = config.read_text("utf-8")
    for base_url, ok in [
        ("http://api.example.com", False),
        ("http://10.0.0.8:8080/wx", False),
        ("https://api.example.com", True),
        ("http://127.0.0.1:8765", True),
        ("http://127.8.0.1:8765", True),
        ("http://localhost:8765", True),
        ("http://[::1]:8765", True),
    ]:
        config.write_text(text.replace(channel, f"{channel}    base_url: {base_url}\n"), "utf-8")
        result = cli(minimal, "config", "validate")
        assert (result.exit_code == 0) == ok, (base_url, result.output)
        if not ok:
            assert "mediactl.yaml:10:5: channels.wx.base_url: plain http" in result.stderr, result.stderr


def test_a_plain_http_webhook_url_off_this_machine_is_a_config_problem(cli, example: Path) -> None:
    configure(example, EXAMPLE_HOOK, "url: http://hooks.example.com/ops?key=${HOOK_KEY}")
    result = cli(example, "config", "validate")
    assert result.exit_code == 2
    assert "channels.ops-robot.url: plain http" in result.stderr


@pytest.fixture
def listener():
    """The sandbox, reachable on Linux through 0.0.0.0 too: a host that is not loopback by name."""
    with Sandbox(SandboxOptions(seed=1)) as sandbox:
        yield sandbox


def test_a_resolved_plain_http_url_is_refused_before_sending(cli, hook: Path, monkeypatch, listener) -> None:
    port = listener.url.rsplit(":", 1)[1]
    configure(hook, EXAMPLE_HOOK, "url: ${HOOK_URL}")
    monkeypatch.setenv("HOOK_URL", f"http://0.0.0.0:{port}/webhook/ops-robot")
    (outcome,) = publish(cli, hook)
    assert outcome["state"] == "failed", outcome
    assert "clear text" in outcome["detail"] and "nothing was sent" in outcome["detail"]
    assert listener.calls() == []


def test_a_sandbox_url_off_this_machine_is_a_usage_error(cli, hook: Path, monkeypatch, listener) -> None:
    port = listener.url.rsplit(":", 1)[1]
    monkeypatch.setenv("MEDIACTL_SANDBOX_URL", f"http://0.0.0.0:{port}")
    result = cli(hook, "publish", SLUG, "--channel", "ops-robot")
    assert result.exit_code == 2, result.output
    assert "MEDIACTL_SANDBOX_URL" in result.stderr and "Traceback" not in result.output
    assert listener.calls() == []
    store = hook / ".mediactl/queue.sqlite3"
    assert not store.exists() or "ops-robot" not in cli(hook, "queue", "ls").stdout  # nothing was queued either
