"""mediactl.yaml validation: every problem at once, each with file, line, column and key path."""

from __future__ import annotations

import json
import os
from pathlib import Path

from conftest import MINIMAL_CONFIG, write
from mediactl.config.model import load_config


def errors_of(result) -> list[str]:
    lines = result.stderr.splitlines()
    return [line for line in lines if line.startswith("mediactl.yaml") and not line.endswith("(warning)")]


def test_valid_minimal_config_passes(cli, minimal: Path) -> None:
    result = cli(minimal, "config", "validate")
    assert result.exit_code == 0, result.output
    assert "mediactl.yaml and 0 items are valid (2 channels)" in result.stdout


def test_unknown_platform_names_line_column_key_and_suggestion(cli, minimal: Path) -> None:
    write(
        minimal / "mediactl.yaml",
        """\
        project:
          name: 测试
        channels:
          icbc-service:
            platform: wechat
        """,
    )
    result = cli(minimal, "config", "validate")
    assert result.exit_code == 2
    assert errors_of(result) == [
        "mediactl.yaml:5:5: channels.icbc-service.platform: unknown platform 'wechat'; did you mean 'wechat_oa'?"
    ]
    assert result.stderr.splitlines()[-1] == "Error: mediactl.yaml: 1 problem found; nothing was changed."
    assert "Traceback" not in result.output


def test_every_problem_is_reported_at_once(cli, minimal: Path) -> None:
    write(
        minimal / "mediactl.yaml",
        """\
        project:
          name: 测试
          timezone: Asia/Shangai
        channels:
          a:
            platform: weibo
            caps:
              - {max: 0, per: week}
              - {max: 2, per: fortnight}
          b:
            platform: outbox
            migrated_to: c
          Bad Name:
            platform: outbox
        render:
          jobs: many
        """,
    )
    result = cli(minimal, "config", "validate")
    assert result.exit_code == 2
    assert errors_of(result) == [
        "mediactl.yaml:3:3: project.timezone: unknown time zone 'Asia/Shangai' (use an IANA name such as Asia/Shanghai)",
        "mediactl.yaml:8:10: channels.a.caps[0].max: must be at least 1, got 0",
        "mediactl.yaml:9:18: channels.a.caps[1].per: unknown window 'fortnight' (one of: hour, day, week, month)",
        "mediactl.yaml:13:3: channels.Bad Name: a channel name uses lowercase letters, digits, '-' and '_' only",
        "mediactl.yaml:12:5: channels.b.migrated_to: unknown channel 'c'",
        "mediactl.yaml:16:3: render.jobs: expected a whole number, got a string",
    ]


def test_inline_secret_is_rejected_without_repeating_it(cli, minimal: Path) -> None:
    config = MINIMAL_CONFIG.replace("${WX_SECRET}", "s3cr3t-value-123")
    write(minimal / "mediactl.yaml", config)
    result = cli(minimal, "config", "validate")
    assert result.exit_code == 2
    assert errors_of(result) == [
        "mediactl.yaml:12:7: channels.wx.credentials.secret: a secret must not be written in the config file "
        "(it would end up in git); write `secret: ${WX_CREDENTIALS_SECRET}` and set WX_CREDENTIALS_SECRET "
        "in the environment or in .env"
    ]
    assert "s3cr3t" not in result.output


def test_broken_yaml_names_line_and_column(cli, minimal: Path) -> None:
    write(minimal / "mediactl.yaml", "project:\n  name: [unclosed\nchannels: {}\n")
    result = cli(minimal, "config", "validate")
    assert result.exit_code == 2
    assert errors_of(result)[0].startswith("mediactl.yaml:3:")
    assert "YAML syntax error" in errors_of(result)[0]


def test_duplicate_key_is_an_error(cli, minimal: Path) -> None:
    write(minimal / "mediactl.yaml", "project:\n  name: a\n  name: b\n")
    result = cli(minimal, "config", "validate")
    assert errors_of(result) == ["mediactl.yaml:3:3: project.name: duplicate key; the later value would win"]


def test_unknown_keys_are_warnings_not_errors(cli, minimal: Path) -> None:
    write(minimal / "mediactl.yaml", MINIMAL_CONFIG + "rendr:\n  output: out\n")
    result = cli(minimal, "config", "validate")
    assert result.exit_code == 0
    assert (
        "mediactl.yaml:13:1: rendr: unknown key 'rendr' is ignored; did you mean 'render'? (warning)" in result.stderr
    )


def test_missing_credential_variables_are_named_in_warnings(cli, minimal: Path, monkeypatch) -> None:
    monkeypatch.setenv("WX_APPID", "wx123")
    write(minimal / ".env", "WX_SECRET=from-dotenv\n")
    result = cli(minimal, "config", "validate")
    assert result.exit_code == 0
    assert "WX_SECRET" not in result.stderr  # found in .env
    (minimal / ".env").unlink()
    result = cli(minimal, "config", "validate")
    assert result.exit_code == 0 and "(warning)" not in result.stderr  # an editor's machine has no platform secrets
    assert "publishing to 1 channel(s) (wx) needs 1 environment variable(s) not set here: WX_SECRET" in result.stdout
    unset = json.loads(cli(minimal, "config", "validate", "--json").stdout)["credentials_unset"]
    assert unset == [{"channel": "wx", "field": "channels.wx.credentials.secret", "variable": "WX_SECRET"}]


def test_a_fresh_project_validates_clean(cli, tmp_path: Path, monkeypatch) -> None:
    for name in [n for n in os.environ if n.startswith(("BANK_", "OPS_"))]:
        monkeypatch.delenv(name)
    assert cli(None, "init", str(tmp_path / "fresh")).exit_code == 0
    result = cli(tmp_path / "fresh", "config", "validate")
    assert result.exit_code == 0, result.output
    assert result.stderr == "", result.stderr  # no warning, no problem
    assert len(result.stdout.strip().splitlines()) == 2  # valid, and what publishing will need in one line


def test_no_project_found_is_a_usage_error(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli(None, "ls")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: no mediactl.yaml in {tmp_path.resolve()} or any folder above it.")
    assert "Hint: run `mediactl init DIR`" in result.stderr


def test_channel_migration_is_loaded(minimal: Path) -> None:
    write(minimal / "mediactl.yaml", MINIMAL_CONFIG + "  old-wx:\n    platform: outbox\n    migrated_to: wx\n")
    config = load_config(minimal / "mediactl.yaml")
    assert config.channel("old-wx").migrated_to == "wx"
    assert config.project.approval.require_other_person is True


def test_example_config_is_valid_and_documents_every_key(example: Path) -> None:
    config = load_config(example / "mediactl.yaml")
    assert config.warnings == ()
    platforms = {channel.platform for channel in config.channels.values()}
    assert {"outbox", "wechat_oa", "wecom", "weibo", "douyin", "webhook"} <= platforms
