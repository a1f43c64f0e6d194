"""The platform sandbox: a local emulation of the platform APIs mediactl's adapters call.

It serves on a loopback address only, so tests and new users can publish without credentials
or internet. Each platform lives under its own prefix with its real API's paths below it:
``/wechat_oa/cgi-bin/…``, ``/weibo/2/statuses/share.json``, ``/webhook/<name>``; with
``MEDIACTL_SANDBOX_URL`` set, `HttpAdapter.api_base()` is ``{sandbox}/{platform}``. Control and
records are under ``/_sandbox/`` (``posts``, ``calls``, ``health``, ``faults``, ``platforms``). Posts get URLs on the sandbox's own host, and every answer carries
``X-Mediactl-Sandbox: 1``, so a sandbox delivery is never taken for a real post.

    with Sandbox(SandboxOptions(faults=("drop",))) as sandbox:
        ...  # publish to sandbox.url (or sandbox.base("wechat_oa"))
        assert [p["status"] for p in sandbox.posts()] == ["dropped", 200]

Layout: `server.py` (HTTP, loopback only) → `core.py` (dispatch, the one lock, bounded stores,
records, scripted faults and fail_rate, idempotency receipts, tokens, public URLs, ``/_sandbox/``)
→ `platforms/<name>.py` (one emulated platform each) → `platforms/__init__.py` (`PLATFORMS`).

Adding a platform (write its checks from platforms.md and the platform's own documentation,
never from the adapter you are writing; cite each fact beside its check):

1. ``platforms/<name>.py``: ``class X(Platform)`` with ``name = "<name>"`` (the mediactl platform
   name, which is also the URL prefix and the adapter's entry-point name) and ``routes = (Route(
   "POST", "/real/api/path", "handler_method", needs_token=True, mutating=True, post=True), …)``:
   `mutating` = repeating it could publish twice (scripted "500" targets it); `post` = listed in
   ``/_sandbox/posts``; ``"{name}"`` in a path matches one segment (``ctx.params``).
2. Its answer shapes: `error(req, code, message, status)` (every refusal and the core's 404/405),
   `error_code(reply)` (for the records), `transient(req, kind)` for "500"/"429"/"quota" (set
   `transient_kinds` to what fail_rate may draw), `token_error(req, "missing"|"invalid"|"expired")`
   and `token_of(req)` (where its clients put the token). The core checks tokens before a
   handler runs; tokens come from `core.issue_token`, called by the platform's own token endpoint (an OAuth
   platform serves its authorize page, which consents at once, and its code exchange and refresh as
   its facts file's `oauth:` names them, so `mediactl auth` works against the sandbox);
   `Sandbox.issue_token` gives a test of the routes themselves a token directly.
3. Handlers ``def handler(self, req, ctx) -> Reply`` validate, then act: `raise Refusal(reply)`
   for a refusal (no effect); the platform's content refusal on `self.core.take_fault(ctx,
   "reject")`, a late review failure on "publish-fail"; `self.core.mark_applied(req, ctx, id)` once
   the effect happened; `self.core.public_url(self.name, "/path", view)` for the post's URL;
   return through `self.core.withhold(ctx, reply)` on mutating routes (scripted drop/timeout).
   Keep objects in `Bounded()` stores; asynchronous ones count down `core.options.publish_polls`.
   What a person does on the platform (WeCom staff confirming a task) is a control: ``controls =
   {"confirm": "confirm"}`` serves ``POST /_sandbox/<name>/confirm`` (JSON) with ``confirm(data)``.
4. Add one line to `PLATFORMS` in ``platforms/__init__.py``. Nothing else in the core changes.
5. Tests: the sandbox's own checks, and a response-shape test replaying platforms.md's real
   JSON examples through the adapter's parser (tests/test_sandbox_weibo.py is the pattern).
"""

from __future__ import annotations

from mediactl.sandbox.options import FAULT_KINDS, SandboxOptions
from mediactl.sandbox.server import Sandbox, serve

__all__ = ["FAULT_KINDS", "Sandbox", "SandboxOptions", "serve"]
