"""What `mediactl init` sets up around the content: a git repository, its .gitignore, CI and pre-commit examples,
and the check output formats those CIs read (GitHub annotations, GitLab's Code Quality report)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import write

REPO = Path(__file__).resolve().parents[1]
GIT = shutil.which("git")
CODECLIMATE_SEVERITIES = {"info", "minor", "major", "critical", "blocker"}


def test_codeclimate_format_is_a_gitlab_code_quality_report(cli, tmp_path: Path, monkeypatch) -> None:
    """GitLab's Code Quality report: a JSON array of issues with description, check_name, fingerprint, severity
    and location.path / location.lines.begin (docs.gitlab.com, "Code Quality", implement a custom tool)."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "ad.md", "标题\n\n本产品保本，收益稳赚不赔。\n")
    result = cli(None, "check", "ad.md", "--product", "理财", "--format", "codeclimate")
    assert result.exit_code == 1, result.output
    assert "保本" in result.stdout  # Chinese unescaped
    issues = json.loads(result.stdout)
    assert isinstance(issues, list) and len(issues) >= 2
    for issue in issues:
        assert issue["type"] == "issue"
        assert issue["check_name"].startswith("finance.")
        assert issue["description"] and issue["severity"] in CODECLIMATE_SEVERITIES
        assert issue["location"]["path"] == "ad.md" and issue["location"]["lines"]["begin"] == 3
        assert isinstance(issue["categories"], list) and issue["categories"]
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)
    again = json.loads(cli(None, "check", "ad.md", "--product", "理财", "--format", "codeclimate").stdout)
    assert [i["fingerprint"] for i in again] == [i["fingerprint"] for i in issues]  # stable across runs


def test_init_writes_ci_and_pre_commit_examples(cli, tmp_path: Path) -> None:
    target = tmp_path / "bank"
    assert cli(None, "init", str(target)).exit_code == 0
    github = yaml.safe_load((target / ".github/workflows/mediactl.yml").read_text("utf-8"))
    steps = [step.get("run", "") for job in github["jobs"].values() for step in job["steps"]]
    assert any("mediactl check" in run and "--format github" in run for run in steps), steps
    gitlab = yaml.safe_load((target / ".gitlab-ci.yml").read_text("utf-8"))
    job = next(job for job in gitlab.values() if isinstance(job, dict) and "script" in job)
    assert any("mediactl check" in line and "--format codeclimate" in line for line in job["script"])
    report = job["artifacts"]["reports"]["codequality"]
    assert any(report in line for line in job["script"])
    hooks = yaml.safe_load((target / ".pre-commit-config.yaml").read_text("utf-8"))
    assert [hook["id"] for repo in hooks["repos"] for hook in repo["hooks"]] == ["mediactl-check"]


def test_this_repository_offers_the_pre_commit_hook() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text("utf-8"))
    hook = next(hook for hook in hooks if hook["id"] == "mediactl-check")
    assert hook["entry"].startswith("mediactl check") and hook["language"] == "python"


def test_init_never_overwrites_ci_files(cli, tmp_path: Path) -> None:
    write(tmp_path / "p/.gitlab-ci.yml", "mine: {script: [true]}\n")
    assert cli(None, "init", str(tmp_path / "p")).exit_code == 0
    assert (tmp_path / "p/.gitlab-ci.yml").read_text() == "mine: {script: [true]}\n"


@pytest.mark.skipif(GIT is None and not os.environ.get("CI"), reason="git is not installed")
def test_init_makes_a_git_repository_that_ignores_state_and_keys(cli, tmp_path: Path) -> None:
    target = tmp_path / "bank"
    result = cli(None, "init", str(target))
    assert result.exit_code == 0, result.output
    assert (target / ".git").is_dir() and "git repository" in result.stdout
    ignored = subprocess.run([GIT or "git", "-C", str(target), "status", "--porcelain", "--ignored", "-uall"],
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
    for path in (".mediactl/keys/wang.min", ".mediactl/keys/li.na"):
        assert f"!! {path}" in ignored or "!! .mediactl/" in ignored, ignored
    assert "?? mediactl.yaml" in ignored and "?? .github/workflows/mediactl.yml" in ignored
    gitignore = (target / ".gitignore").read_text("utf-8")
    for entry in ("/build/", "/.mediactl/", ".env"):
        assert entry in gitignore


def test_init_without_git_says_so(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    result = cli(None, "init", str(tmp_path / "bank"))
    assert result.exit_code == 0, result.output
    assert "git is not installed" in result.stdout
    assert not (tmp_path / "bank/.git").exists() and (tmp_path / "bank/mediactl.yaml").is_file()


@pytest.mark.skipif(GIT is None and not os.environ.get("CI"), reason="git is not installed")
def test_init_inside_a_repository_makes_no_nested_one(cli, tmp_path: Path) -> None:
    subprocess.run([GIT or "git", "init", "-q", str(tmp_path)], check=True)
    result = cli(None, "init", str(tmp_path / "media"))
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "media/.git").exists()
    assert "inside the git repository" in result.stdout
