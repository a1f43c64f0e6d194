"""The few git operations a static-site delivery needs, through the `git` command the team already has.

The command line, not a library: it honours the repository's own hooks, config and identity,
and a person can repeat every step by hand. Only the paths a delivery wrote are staged and
committed (`git commit -- PATHS`), so whatever else is staged or changed in that working tree is
left as it was; the checked-out branch is never switched (a wrong branch is an error to fix by hand).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from mediactl.publish.adapters.base import Rejected

TIMEOUT = 120.0  # seconds for one git command (a commit hook may run)
FALLBACK_IDENTITY = ("-c", "user.name=mediactl", "-c", "user.email=mediactl@localhost")


@dataclass(frozen=True)
class GitRepo:
    """The git working tree that holds `folder`, for the channel named in `where` (messages name it)."""

    git: str
    folder: Path
    top: Path
    where: str

    @classmethod
    def holding(cls, folder: Path, where: str) -> GitRepo:
        """The repository at `folder` (or above it); Rejected naming the fix when git is missing or there is none."""
        git = shutil.which("git")
        if git is None:
            raise Rejected(f"{where}: the git command was not found on PATH; install git, or set git.commit: false")
        probe = folder
        while not probe.is_dir() and probe != probe.parent:  # the page folder may not exist yet
            probe = probe.parent
        found = _run(git, probe, "rev-parse", "--show-toplevel", check=False)
        if found.returncode != 0:
            raise Rejected(
                f"{where}: {folder} is not inside a git repository (git: {_first_line(found.stderr)}); "
                f"run `git init` there (or clone the site's repository there), or set git.commit: false"
            )
        return cls(git, folder, Path(found.stdout.strip()), where)

    def branch(self) -> str:
        """The checked-out branch ('' for a detached HEAD)."""
        found = _run(self.git, self.top, "symbolic-ref", "--quiet", "--short", "HEAD", check=False)
        return found.stdout.strip() if found.returncode == 0 else ""

    def require_branch(self, wanted: str) -> None:
        current = self.branch()
        if wanted and current != wanted:
            shown = f"branch '{current}'" if current else "a detached HEAD"
            raise Rejected(
                f"{self.where}: the repository {self.top} is on {shown}, the channel commits to '{wanted}'; "
                f"run `git -C {self.top} switch {wanted}` (mediactl never switches a working tree's branch)"
            )

    def clean(self, paths: list[Path]) -> bool:
        """No change under `paths` is left uncommitted (a delivery's files were committed)."""
        found = _run(self.git, self.top, "status", "--porcelain", "--untracked-files=all", "--", *map(str, paths))
        return not found.stdout.strip()

    def commit(self, paths: list[Path], message: str) -> str | None:
        """Stage and commit exactly `paths` (additions and removals); the new commit's id, None if nothing changed."""
        specs = [str(path) for path in paths]
        _run(self.git, self.top, "add", "--all", "--", *specs)
        staged = _run(self.git, self.top, "diff", "--cached", "--quiet", "--", *specs, check=False)
        if staged.returncode == 0:
            return None
        identity = () if self._has_identity() else FALLBACK_IDENTITY
        _run(self.git, self.top, *identity, "commit", "--quiet", "-m", message, "--", *specs)
        return _run(self.git, self.top, "rev-parse", "HEAD").stdout.strip()

    def _has_identity(self) -> bool:
        return all(
            _run(self.git, self.top, "config", key, check=False).stdout.strip() for key in ("user.name", "user.email")
        )


def _run(git: str, where: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        done = subprocess.run(
            [git, "-C", str(where), *args], capture_output=True, text=True, encoding="utf-8", errors="replace",
            timeout=TIMEOUT, env=env, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Rejected(f"git {args[0]} in {where} failed: {exc}") from None
    if check and done.returncode != 0:
        raise Rejected(f"git {args[0]} in {where} failed: {_first_line(done.stderr) or done.returncode}")
    return done


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")
