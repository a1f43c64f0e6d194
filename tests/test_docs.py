"""Every command has help text with examples and is documented in the README."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from mediactl.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")


def command_paths(typer_app: typer.Typer, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [(*prefix, info.name) for info in typer_app.registered_commands]
    for group in typer_app.registered_groups:
        paths.extend(command_paths(group.typer_instance, (*prefix, group.name)))
    return paths


COMMANDS = command_paths(app)


def test_commands_were_found() -> None:
    assert ("init",) in COMMANDS
    assert ("config", "validate") in COMMANDS


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_command_has_help_with_examples(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Examples" in result.stdout
    assert f"$ mediactl {' '.join(path)}" in result.stdout


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_command_is_in_the_readme(path: tuple[str, ...]) -> None:
    assert f"`mediactl {' '.join(path)}" in README
