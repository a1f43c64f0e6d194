"""No literal secret passes config validation, and dry runs show none: credentials, URLs, DSNs, headers.

The rule: a credential is exactly one ``${VAR}``; in a URL or DSN the password and the secret-bearing
query parameters are each exactly one ``${VAR}``; so is a header named as secret-bearing (or
``Bearer ${VAR}``). A violation names file, line, column and key, and never repeats the value.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from conftest import write

SLUG = "anti-fraud-2026"

CONFIG = """\
project:
  name: 测试项目
channels:
  wx:
    platform: wechat_oa
    credentials:
      appid: ${{WX_APPID}}
      secret: {secret}
  hook:
    platform: webhook
    url: {url}
    headers:
      {header}
{extra}"""

GOOD = {
    "secret": "${WX_SECRET}",
    "url": "https://hook.example.com/send?key=${HOOK_KEY}&channel=ops",
    "header": "Authorization: Bearer ${HOOK_TOKEN}",
    "extra": "",
}


def validate(cli, root: Path, **changes: str) -> tuple[int, list[str], str]:
    write(root / "mediactl.yaml", CONFIG.format(**{**GOOD, **changes}))
    result = cli(root, "config", "validate")
    errors = [
        line for line in result.stderr.splitlines() if line.startswith("mediactl.yaml:") and "(warning)" not in line
    ]
    return result.exit_code, errors, result.output


def test_the_rule_abiding_config_passes(cli, minimal: Path) -> None:
    code, errors, output = validate(cli, minimal)
    assert (code, errors) == (0, []), output


@pytest.mark.parametrize(
    ("change", "where", "literal"),
    [
        ({"secret": '"prefix-${WX_SECRET}-literal"'}, "mediactl.yaml:8:7: channels.wx.credentials.secret:", "literal"),
        ({"secret": "1234567.89"}, "mediactl.yaml:8:7: channels.wx.credentials.secret:", "1234567"),
        ({"secret": "${WX_SECRET}${WX_OTHER}"}, "mediactl.yaml:8:7: channels.wx.credentials.secret:", "WX_OTHER"),
        (
            {"url": "https://hook.example.com/send?key=LiteralHookKey42"},
            "mediactl.yaml:11:5: channels.hook.url:",
            "LiteralHookKey42",
        ),
        ({"url": "https://hook.example.com/send?sign=abc${HOOK_KEY}"}, "mediactl.yaml:11:5: channels.hook.url:", "abc"),
        (
            {"url": "https://ops:LiteralPassw0rd@hook.example.com/send"},
            "mediactl.yaml:11:5: channels.hook.url:",
            "LiteralPassw0rd",
        ),
        (
            {"header": "X-Sign: LiteralSignValue"},
            "mediactl.yaml:13:7: channels.hook.headers.X-Sign:",
            "LiteralSignValue",
        ),
        (
            {"header": "X-Hook-Token: LiteralTokenValue"},
            "mediactl.yaml:13:7: channels.hook.headers.X-Hook-Token:",
            "LiteralTokenValue",
        ),
        (
            {"header": "Authorization: Bearer LiteralBearer"},
            "mediactl.yaml:13:7: channels.hook.headers.Authorization:",
            "LiteralBearer",
        ),
        (
            {"extra": "archive_dsn: postgresql://app:LiteralPgPass@db/media\n"},
            "mediactl.yaml:14:1: archive_dsn:",
            "LiteralPgPass",
        ),
    ],
)
def test_a_literal_secret_is_a_config_problem_that_never_repeats_it(
    cli, minimal: Path, change: dict[str, str], where: str, literal: str
) -> None:
    code, errors, output = validate(cli, minimal, **change)
    assert code == 2, output
    assert len(errors) == 1 and errors[0].startswith(where), errors
    assert "${" in errors[0]  # says what to write instead
    assert literal not in output


@pytest.mark.parametrize(
    "change",
    [
        {"url": "https://hook.example.com/send?key=${HOOK_KEY}&sign=${HOOK_SIGN}&page=2"},
        {"url": "${HOOK_URL}"},
        {"url": "https://${HOOK_HOST}/send?key=${HOOK_KEY}"},
        {"header": "X-Team: ops"},
        {"header": "X-Hub-Signature: ${HOOK_SIG}"},
        {"header": "Cookie: ${HOOK_COOKIE}"},
        {"extra": "archive_dsn: postgresql://app:${PGPASSWORD}@db/media\n"},
    ],
)
def test_references_in_the_secret_parts_pass(cli, minimal: Path, change: dict[str, str]) -> None:
    code, errors, output = validate(cli, minimal, **change)
    assert (code, errors) == (0, []), output


def test_the_example_project_still_validates(cli, example: Path) -> None:
    result = cli(example, "config", "validate")
    assert result.exit_code == 0, result.output


def test_a_dry_run_shows_no_url_key_and_no_secret_header(cli, example: Path, monkeypatch) -> None:
    config = example / "mediactl.yaml"
    hook = textwrap.dedent("""\
        url: https://hook.example.com/send?key=${HOOK_KEY}&channel=ops
            headers:
              Authorization: Bearer ${HOOK_TOKEN}
              X-Team: ops""")
    config.write_text(config.read_text("utf-8").replace("url: http://127.0.0.1:8765/webhook/ops-robot", hook), "utf-8")
    index = example / "content/article" / SLUG / "index.md"
    index.write_text(index.read_text("utf-8").replace("  - outbox\n", "  - outbox\n  - ops-robot\n", 1), "utf-8")
    monkeypatch.setenv("OPS_ROBOT_SECRET", "robot-signing-key-0123")
    monkeypatch.setenv("HOOK_KEY", "HookKeyValue-0042")
    monkeypatch.setenv("HOOK_TOKEN", "HookTokenValue-0042")
    monkeypatch.setenv("MEDIACTL_USER", "li.na")
    assert cli(example, "check", SLUG).exit_code == 0
    monkeypatch.setenv("MEDIACTL_USER", "wang.min")
    assert cli(example, "approve", SLUG).exit_code == 0
    result = cli(example, "publish", SLUG, "--channel", "ops-robot", "--dry-run", "--json")
    (outcome,) = json.loads(result.stdout)
    (request,) = outcome["requests"]
    assert request["url"] == "https://hook.example.com/send?key=***&channel=ops"
    assert request["headers"]["Authorization"] == "***"
    assert request["headers"]["X-Team"] == "ops"
    plain = cli(example, "publish", SLUG, "--channel", "ops-robot", "--dry-run")
    for shown in (result.output, plain.output):
        assert "HookKeyValue" not in shown and "HookTokenValue" not in shown
