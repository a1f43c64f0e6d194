"""The platform sandbox: a local emulation of the platform APIs mediactl's adapters call.

It serves on a loopback address only, so tests and new users can publish without credentials
or internet: the WeChat Official Account API under ``/cgi-bin/`` (point a channel's
``base_url`` at `Sandbox.url`), a webhook receiver under ``/webhook/<name>``, and
``/_sandbox/`` introspection (``posts``, ``calls``, ``health``, ``faults``).

    with Sandbox(SandboxOptions(faults=("drop",))) as sandbox:
        ...  # publish to sandbox.url
        assert [p["status"] for p in sandbox.posts()] == ["dropped", 200]
"""

from __future__ import annotations

from mediactl.sandbox.options import FAULT_KINDS, SandboxOptions
from mediactl.sandbox.server import Sandbox, serve

__all__ = ["FAULT_KINDS", "Sandbox", "SandboxOptions", "serve"]
