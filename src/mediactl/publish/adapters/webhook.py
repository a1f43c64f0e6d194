"""Webhook: a signed JSON POST of the variant to the channel's `url`, for a team's own systems.

Body: the variant's texts, hashtags, link and media list, with its idempotency key.
Headers: `X-Mediactl-Idempotency-Key`, `X-Mediactl-Timestamp`, and
`X-Mediactl-Signature: sha256=HEX`, an HMAC-SHA256 with the channel's `secret` over
`TIMESTAMP.BODY`, so the receiver can verify origin and freshness; plus the channel's
`headers` (values may use ${VAR}). Receivers should deduplicate on the key; mediactl never
resends a post whose outcome is unknown.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import httpx

from mediactl.config.credentials import register_url_secrets
from mediactl.core.redaction import REDACTED, redact, secret_name
from mediactl.publish.adapters.base import Receipt, Rejected, Variant
from mediactl.publish.adapters.http import HttpAdapter


class WebhookAdapter(HttpAdapter):
    platform = "webhook"

    def url(self) -> str:
        sandbox = self.sandbox()
        if sandbox:
            return f"{sandbox.rstrip('/')}/webhook/{self.channel.name}"
        url = self.channel.options.get("url")
        if not url:
            raise Rejected(f"channels.{self.channel.name}.url is not configured")
        resolved = self.config.environment().interpolate(str(url), where=f"channels.{self.channel.name}.url")
        register_url_secrets(resolved)  # a key in the URL is hidden wherever the URL surfaces
        return resolved

    def payload(self, variant: Variant, key: str) -> bytes:
        document = variant.document
        body = {
            "idempotency_key": key,
            "item": variant.item,
            "channel": self.channel.name,
            "content_hash": variant.content_hash,
            "texts": document["texts"],
            "hashtags": document.get("hashtags", []),
            "link": document.get("link", ""),
            "media": [
                {k: m[k] for k in ("name", "file", "width", "height", "bytes", "sha256")} for m in variant.media()
            ],
        }
        return json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")

    def headers(self, body: bytes, key: str) -> dict[str, str]:
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json; charset=utf-8", "X-Mediactl-Idempotency-Key": key,
                   "X-Mediactl-Timestamp": timestamp}  # fmt: skip
        if "secret" in self.channel.credentials:
            signature = hmac.new(self.secret("secret").encode(), timestamp.encode() + b"." + body, hashlib.sha256)
            headers["X-Mediactl-Signature"] = f"sha256={signature.hexdigest()}"
        env = self.config.environment()
        for name, value in (self.channel.options.get("headers") or {}).items():
            headers[str(name)] = env.interpolate(
                str(value), where=f"channels.{self.channel.name}.headers.{name}", secret=True
            )
        return headers

    def publish(self, variant: Variant, key: str) -> Receipt:
        body = self.payload(variant, key)
        response = self.post(body, key, step="webhook POST")
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        remote = str(answer.get("id") or key) if isinstance(answer, dict) else key
        url = str(answer.get("url") or "") if isinstance(answer, dict) else ""
        return Receipt("sent", remote, url, {"status": response.status_code})

    def post(self, body: bytes, key: str, *, step: str) -> httpx.Response:
        """One signed POST of `body` to the channel's url, classified (http.py)."""
        return self.send("POST", self.url(), step=step, mutating=True, content=body, headers=self.headers(body, key))

    def notify(self, text: str, facts: dict[str, Any], key: str) -> None:
        """Tell the people behind this channel something (a hand-off bundle waits for them): a text message in the
        shape WeCom's group robots take (`msgtype: text`), the facts beside it under `mediactl` for a receiver of
        the team's own; signed like every post. Raises a DeliveryError when it did not arrive."""
        message = {"msgtype": "text", "text": {"content": text}, "mediactl": facts}
        self.post(json.dumps(message, ensure_ascii=False, sort_keys=True).encode("utf-8"), key, step="notify POST")

    def describe(self, variant: Variant, key: str) -> list[dict[str, Any]]:
        """The request, with the URL's secret parts and every secret-bearing header hidden."""
        body = self.payload(variant, key)
        headers = {
            name: REDACTED if secret_name(name) else redact(value) for name, value in self.headers(body, key).items()
        }
        return [{"method": "POST", "url": redact(self.url()), "headers": headers, "bytes": len(body)}]
