"""Grants the real way: `mediactl auth CHANNEL` against the sandbox, for any OAuth platform.

The authorize URL is the one `mediactl auth` prints (OAuthAdapter.start, from the platform's `oauth:` facts, with
this test's state); the sandbox's consent page, standing for the person who allows access, redirects at once; the
redirected address is pasted into `mediactl auth`, which checks the state, exchanges the code at the sandbox's
token endpoint and seals the grant into the project's state store. MEDIACTL_SANDBOX_URL must point at the sandbox.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

STATE = "state-of-this-authorisation"
ACCOUNT_PARAMETER = {"weibo": "sandbox_uid"}  # how a sandbox consent page is told whose account; else sandbox_open_id


def authorise(cli: Any, root: Path, channel: str, account: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`mediactl auth CHANNEL` as `account`, through the sandbox's consent page."""
    from mediactl.config.model import load_config
    from mediactl.publish.adapters import oauth

    monkeypatch.setattr(oauth, "new_state", lambda: STATE)
    config = load_config(root / "mediactl.yaml")
    adapter = oauth.OAuthAdapter(config.channel(channel), config)
    try:
        url = adapter.start(STATE).url
    finally:
        adapter.close()
    who = {ACCOUNT_PARAMETER.get(config.channel(channel).platform, "sandbox_open_id"): account}
    consent = httpx.get(f"{url}&{urlencode(who)}", timeout=5, trust_env=False)
    assert consent.status_code == 302, consent.text
    result = cli(root, "auth", channel, input=consent.headers["Location"] + "\n")
    assert result.exit_code == 0, result.output


def static_token(root: Path, channel: str, variable: str) -> None:
    """Give `channel` an `access_token: ${variable}` credential: a token issued outside mediactl (used without a grant)."""
    config = root / "mediactl.yaml"
    text = config.read_text("utf-8")
    at = text.index("    credentials:\n", text.index(f"\n  {channel}:\n")) + len("    credentials:\n")
    config.write_text(text[:at] + f"      access_token: ${{{variable}}}\n" + text[at:], "utf-8")


def adapter_with_store(root: Path, channel: str, cls: Any) -> Any:
    """A `cls` adapter of the project's channel with its state store (where the grant is), as the publisher makes it;
    `close_all` closes both."""
    from mediactl.config.model import load_config
    from mediactl.publish.store import open_store

    config = load_config(root / "mediactl.yaml")
    adapter = cls(config.channel(channel), config)
    adapter.store = open_store(config)
    return adapter


def close_all(adapter: Any) -> None:
    adapter.close()
    adapter.store.close()
