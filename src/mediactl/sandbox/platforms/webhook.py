"""A webhook receiver, served at ``POST /webhook/<name>``: a team's own system as mediactl's webhook adapter meets it.

It keeps what a receiver should: the signature headers, the JSON body (up to 64 KiB), and one
receipt per idempotency key (a repeat is answered with the first receipt, flagged `duplicate`).
Errors are ``{"ok": false, "error"}`` with an HTTP status; "reject" answers 422.
"""

from __future__ import annotations

import json
from typing import ClassVar

from mediactl.sandbox.core import MAX_RECORDED_BODY, Ctx, Platform, Reply, Request, Route


class Webhook(Platform):
    name = "webhook"
    routes: ClassVar[tuple[Route, ...]] = (
        Route("POST", "/{name}", "receive", needs_token=False, mutating=True, post=True),
    )

    def error(self, req: Request, code: int, message: str, status: int = 200) -> Reply:
        return Reply(status, {"ok": False, "error": message})

    def receive(self, req: Request, ctx: Ctx) -> Reply:
        ctx.channel = ctx.params["name"]
        ctx.extra["headers"] = {
            "signature": req.headers.get("x-mediactl-signature"),
            "timestamp": req.headers.get("x-mediactl-timestamp"),
            "content_type": req.headers.get("content-type"),
        }
        ctx.extra["body"] = None
        if self.core.take_fault(ctx, "reject"):
            return Reply(422, {"ok": False, "error": "content refused (sandbox fault: reject)"})
        try:
            payload = json.loads(req.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            return self.core.withhold(ctx, Reply(400, {"ok": False, "error": f"body is not UTF-8 JSON: {exc}"}))
        if len(req.body) <= MAX_RECORDED_BODY:
            ctx.extra["body"] = payload
        if isinstance(payload, dict) and isinstance(payload.get("title"), str):
            ctx.summary["title"] = payload["title"][:200]
        previous = self.core.applied_before(req, ctx)
        if previous is not None:
            ctx.duplicate = True
            ctx.summary["id"] = previous
            return self.core.withhold(ctx, Reply(200, {"ok": True, "id": previous, "duplicate": True}))
        receipt = f"rcpt-{self.core.new_id():06d}"
        self.core.mark_applied(req, ctx, receipt)
        ctx.summary["id"] = receipt
        return self.core.withhold(ctx, Reply(200, {"ok": True, "id": receipt}))
