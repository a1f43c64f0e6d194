"""Shared fixtures: a fresh example project per test, and a runner that drives the real CLI."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from mediactl.cli import app
from mediactl.scaffold import init_project

MINIMAL_CONFIG = """\
project:
  name: 测试项目
  timezone: Asia/Shanghai
channels:
  outbox:
    platform: outbox
    path: outbox
  wx:
    platform: wechat_oa
    credentials:
      appid: ${WX_APPID}
      secret: ${WX_SECRET}
"""


@pytest.fixture(scope="session")
def _user_cache(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One cache folder for the whole test session, instead of the developer's own $XDG_CACHE_HOME."""
    return str(tmp_path_factory.mktemp("xdg-cache"))


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, _user_cache: str) -> None:
    """Tests never see the developer's own identity, project, credentials or caches (nor write to them)."""
    monkeypatch.setenv("XDG_CACHE_HOME", _user_cache)
    monkeypatch.setenv("MEDIACTL_USER", "tester")
    for name in ("MEDIACTL_PROJECT", "MEDIACTL_SANDBOX_URL", "WX_APPID", "WX_SECRET"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A project created by `init` from the bundled example library."""
    root = tmp_path / "example"
    init_project(root)
    return root


@pytest.fixture
def minimal(tmp_path: Path) -> Path:
    """A project with a two-channel config and no items."""
    root = tmp_path / "minimal"
    (root / "content").mkdir(parents=True)
    (root / "mediactl.yaml").write_text(MINIMAL_CONFIG, "utf-8")
    return root


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), "utf-8")
    return path


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Run `mediactl -C PROJECT ARGS…` in process, as a user would from a shell."""
    runner = CliRunner()

    def run(project: Path | None, *args: str) -> Result:
        prefix = ["-C", str(project)] if project is not None else []
        return runner.invoke(app, [*prefix, *args])

    return run


def assert_no_yaml_problems(path: Path) -> None:
    """The file parses and has no duplicate keys (PyYAML's safe_load silently keeps the last one)."""
    from mediactl.yamlpos import load_located

    problems = load_located(path.read_text("utf-8"), path.name).problems
    assert not problems, [str(p) for p in problems]
