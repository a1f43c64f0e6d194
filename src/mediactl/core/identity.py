"""Who is running mediactl: recorded as author of new items and in approvals and the audit log."""

from __future__ import annotations

import getpass
import os
import subprocess


def current_user() -> str:
    """`MEDIACTL_USER`, else git's user.name, else the login name."""
    explicit = os.environ.get("MEDIACTL_USER", "").strip()
    if explicit:
        return explicit
    try:
        found = subprocess.run(
            ["git", "config", "user.name"], capture_output=True, text=True, timeout=5, check=False
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        found = ""
    return found or getpass.getuser()
