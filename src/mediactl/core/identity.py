"""Who is running mediactl: recorded as author of new items and in the audit log.

Approvals do not trust these names: `approve` takes them only to find a person declared under
`people:` (publish/approvals.py), whose signature then proves it.
"""

from __future__ import annotations

import getpass
import os
import subprocess


def current_user() -> str:
    """`MEDIACTL_USER`, else git's user.name, else the login name."""
    explicit = os.environ.get("MEDIACTL_USER", "").strip()
    if explicit:
        return explicit
    return git_config("user.name") or getpass.getuser()


def identity_candidates() -> list[str]:
    """What may name the person at the keyboard, most explicit first: MEDIACTL_USER, git's user.name and
    user.email (each only when set)."""
    found = [os.environ.get("MEDIACTL_USER", "").strip(), git_config("user.name"), git_config("user.email")]
    return [name for name in dict.fromkeys(found) if name]


def git_config(key: str) -> str:
    """One value of the user's git configuration, or "" (no git, or not set)."""
    try:
        return subprocess.run(
            ["git", "config", key], capture_output=True, text=True, timeout=5, check=False
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
