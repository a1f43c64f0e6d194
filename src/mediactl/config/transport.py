"""Where credentials may travel: over https, or over plain http to this machine only.

Every request to a platform carries a credential (a token, a signature, a key in the URL), so
a channel's `base_url` and a webhook's `url` must be https; plain http is allowed for a loopback
host (127.0.0.0/8, ::1, localhost), where nothing crosses a network. The sandbox
(MEDIACTL_SANDBOX_URL) receives every channel's requests, so it must run on this machine.
No httpx here: the CLI checks the sandbox variable before anything starts.
"""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlsplit

from mediactl.core.errors import UsageError
from mediactl.core.redaction import redact

SANDBOX_ENV = "MEDIACTL_SANDBOX_URL"
LOOPBACK_HINT = "127.0.0.1, ::1 or localhost"


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def clear_text(url: str) -> str | None:
    """Why `url` would send credentials in clear text (plain http off this machine), or None."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return None  # not a URL: sending it fails on its own, and says so
    if parts.scheme.lower() != "http" or is_loopback(host):
        return None
    return (
        f"plain http to {host} would send credentials in clear text; use https:// "
        f"(http:// is for this machine only: {LOOPBACK_HINT})"
    )


def sandbox_url() -> str | None:
    """MEDIACTL_SANDBOX_URL, checked: the sandbox gets every channel's requests, so it must be on this machine."""
    url = os.environ.get(SANDBOX_ENV) or None
    if url is None:
        return None
    try:
        parts = urlsplit(url)
        on_this_machine = parts.scheme.lower() in ("http", "https") and is_loopback(parts.hostname or "")
    except ValueError:
        on_this_machine = False
    if not on_this_machine:
        raise UsageError(
            f"{SANDBOX_ENV}={redact(url)}: the sandbox must run on this machine ({LOOPBACK_HINT}), since every "
            "channel's requests and credentials go to it; nothing was sent.",
            hint=f"unset {SANDBOX_ENV} to publish to the platforms, or point it at `mediactl sandbox`: "
            "http://127.0.0.1:8765",
        )
    return url
