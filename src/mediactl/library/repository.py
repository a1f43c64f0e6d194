"""What `mediactl init` sets up around the content: a git repository and the CI and pre-commit examples.

Approvals travel with the content in git, so a content repository is a git repository from its first minute;
its `.gitignore` (library/scaffold.py) keeps build output, local state and the demo keys under it out. The CI
examples run `mediactl check` the way each CI shows findings (GitHub annotations, GitLab's Code Quality report);
they are examples to adapt, written only where no such file exists yet.
"""

from __future__ import annotations

import shutil
import subprocess
from importlib import resources
from pathlib import Path
from string import Template

from mediactl import __version__
from mediactl.core import fsutil

#: target path in the new project → example file under mediactl/data/ci/
CI_EXAMPLES = {
    ".github/workflows/mediactl.yml": "github-workflow.yml",
    ".gitlab-ci.yml": "gitlab-ci.yml",
    ".pre-commit-config.yaml": "pre-commit-config.yaml",
}


def write_ci_examples(target: Path) -> list[str]:
    """The CI and pre-commit examples, pinned to this version of mediactl; an existing file is kept as it is."""
    folder = resources.files("mediactl") / "data" / "ci"
    written = []
    for rel, name in CI_EXAMPLES.items():
        path = target / rel
        if path.exists():
            continue
        text = Template(folder.joinpath(name).read_text("utf-8")).substitute(version=__version__)
        fsutil.write_text(path, text)
        written.append(rel)
    return written


def init_git(target: Path) -> str:
    """Make `target` a git repository unless it is one, or lies inside one that tracks it; what was done, as a
    sentence for the user. Never an error: the project works without git, only its history is missing."""
    git = shutil.which("git")
    if git is None:
        return ("git is not installed, so no git repository was made: install git and run `git init` there "
                "(approvals travel with the content in git)")  # fmt: skip
    top = _git(git, "-C", str(target), "rev-parse", "--show-toplevel")
    if top is not None:
        if Path(top).resolve() == target.resolve():
            return f"{target} is a git repository already"
        if _git(git, "-C", top, "check-ignore", "-q", str(target.resolve())) is None:  # tracked by the outer one
            return f"{target} is inside the git repository {top}, which keeps its history: no repository of its own"
    if _git(git, "init", "-q", str(target)) is None:
        return f"git could not make a repository in {target}: run `git init` there yourself"
    return f"made a git repository in {target}: commit it with `git add -A && git commit -m 'mediactl init'`"


def _git(git: str, *args: str) -> str | None:
    """git's output, stripped, or None when it fails (not a repository, not ignored, cannot write)."""
    try:
        done = subprocess.run([git, *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None
