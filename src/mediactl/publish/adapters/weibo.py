"""Weibo (新浪微博): one status through ``POST /2/statuses/share.json``, synchronous, with at most one picture.

Facts from platforms.md §3 and open.weibo.com/wiki/2/statuses/share: `status` at most 140 (a
half-width character counts ½), carrying a URL on the app's 安全域名 (the channel's
`safe_domain_url`), no ``#话题#``; `pic` one JPEG/GIF/PNG under 5 MB, multipart when sent (else a
normal form body); `rip`, the posting user's real IP, required. The answer is the status itself:
its `idstr` is the post's id (`id` is a number a JSON reader may round: Weibo's own example shows
``"id": 3504803600500000`` beside ``"idstr": "3504803600502730"``).

Errors are ``{"request", "error_code", "error"}`` at HTTP 4xx (or 200), `error_code` sometimes a
string, classified by the `errors:` table of weibo.yaml (publish/adapters/codes.py): rate limits →
Transient (retried later); expired or invalid token → TokenExpired (OAuthAdapter.with_token: Weibo gives
no refresh token, so the delivery fails saying to run `mediactl auth`, or to renew a static
`access_token` credential); repeated or illegal content, too long and every other code → refused with
Weibo's words and its code; 1000x system errors on the share call → Unknown (the post may exist).

What Weibo cannot do through share.json: topics (``#话题#``), more than 140 characters (long text is
only on commercial endpoints), more than one picture, video. Reconciliation: Weibo cannot be asked
about a post by our key (share.json takes none, and nothing lists the app's posts by one), so a crash
between the share call and its answer leaves the job `unknown` for a person (`queue resolve`), never
re-sent. Recall: `withdraw` calls ``statuses/destroy`` (documented; an app may need Weibo's permission
for it, else 10014).

`rip`: the channel option `rip` (the public IP the team posts from); against the sandbox, 127.0.0.1
when unset; against Weibo, a channel without it is refused before anything is sent.

The access token is the channel's grant (`mediactl auth CHANNEL`: app_key, app_secret, redirect_uri), or
a token Weibo issued the app outside mediactl in the `access_token` credential (publish/adapters/oauth.py).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

import httpx

from mediactl.config.platforms import get_platform
from mediactl.core.redaction import redact, redacted_excerpt
from mediactl.publish.adapters.base import Receipt, Rejected, Unknown, Variant, shown
from mediactl.publish.adapters.codes import ErrorTable, Refused
from mediactl.publish.adapters.http import json_object
from mediactl.publish.adapters.metrics import MetricsSpec
from mediactl.publish.adapters.oauth import OAuthAdapter
from mediactl.text.textfit import count

NO_SUCH_STATUS = 20101  # statuses/destroy: the post does not exist (any more)
PIC_LIMIT = 5 * 1024 * 1024  # "<5M"
PIC_FORMATS = {"jpeg": "image/jpeg", "jpg": "image/jpeg", "png": "image/png", "gif": "image/gif"}
SANDBOX_RIP = "127.0.0.1"
_URL = re.compile(r"https?://[\x21-\x7e]+", re.IGNORECASE)
_TOPIC = re.compile(r"#[^#\s]+#")


class WeiboAdapter(OAuthAdapter):
    platform = "weibo"

    # --- validation before anything is sent ---------------------------------------------------

    def validate(self, variant: Variant) -> list[str]:
        problems = self._status_problems(variant.text("status"))
        problems += self._picture_problems(variant)
        try:
            self.rip()
        except Rejected as exc:
            problems.append(exc.message)
        return problems

    def _status_problems(self, status: str) -> list[str]:
        where = f"channel {self.channel.name}"
        if not status.strip():
            return [f"{where}: the Weibo status is empty"]
        problems = []
        limit = next(f.max for f in get_platform("weibo").fields if f.name == "status")
        length = count(status, "half_ascii")
        if length > limit:
            problems.append(f"{where}: the status counts {length} of Weibo's {limit} characters; share.json refuses it")
        if _TOPIC.search(status):
            problems.append(f"{where}: the status holds a #话题#, which share.json refuses; topics go in by hand")
        domain = self.safe_domain()
        if not domain:
            problems.append(
                f"channels.{self.channel.name}.safe_domain_url is not set: share.json needs a URL on the app's 安全域名"
            )
        elif not any(_on_domain(url, domain) for url in _URL.findall(status)):
            problems.append(f"{where}: the status carries no URL on the safe domain {domain}; share.json refuses it")
        return problems

    def _picture_problems(self, variant: Variant) -> list[str]:
        pictures = variant.media()
        if len(pictures) > 1:
            return [f"channel {self.channel.name}: {len(pictures)} pictures; share.json takes one"]
        if not pictures:
            return []
        picture = pictures[0]
        problems = []
        if str(picture.get("format", "")).lower() not in PIC_FORMATS:
            problems.append(
                f"channel {self.channel.name}: picture {picture['file']} is {picture.get('format')}; Weibo takes JPEG, GIF or PNG"
            )
        if int(picture.get("bytes", 0)) >= PIC_LIMIT:
            problems.append(
                f"channel {self.channel.name}: picture {picture['file']} is {picture['bytes']} bytes; Weibo takes under 5 MB"
            )
        return problems

    def safe_domain(self) -> str:
        url = str(self.channel.options.get("safe_domain_url") or "")
        return (urlsplit(url if "//" in url else f"//{url}").hostname or "").lower()

    def rip(self) -> str:
        """The posting user's real IP that share.json requires: the channel's `rip`; 127.0.0.1 in the sandbox."""
        configured = str(self.channel.options.get("rip") or "")
        if not configured:
            if self.sandbox():
                return SANDBOX_RIP
            raise Rejected(
                f"channels.{self.channel.name}.rip is not set: Weibo's share.json requires the real IP the team posts from"
            )
        try:
            return str(ipaddress.ip_address(configured))
        except ValueError:
            raise Rejected(f"channels.{self.channel.name}.rip: {configured!r} is not an IP address") from None

    # --- publishing ---------------------------------------------------------------------------

    def publish(self, variant: Variant, key: str) -> Receipt:
        fields = {"status": variant.text("status"), "rip": self.rip()}
        files = self._picture(variant)

        def share(token: str) -> httpx.Response:
            data = {"access_token": token, **fields}
            sent = {"files": files, "data": data} if files else {"data": data}
            return self.send("POST", f"{self.api_base()}/2/statuses/share.json", step="statuses/share", mutating=True,
                             headers={"X-Mediactl-Idempotency-Key": key}, **sent)  # fmt: skip

        return self.receipt(self.with_token(share), step="statuses/share")

    def receipt(self, response: httpx.Response, *, step: str) -> Receipt:
        """share.json's answer: the status, or an error in a 200 (then classified like any other)."""
        status = self.answer(response, step=step, mutating=True)
        idstr = str(status.get("idstr") or status.get("mid") or "")
        if not idstr.isdigit():
            raise Unknown(f"{step}: Weibo answered without the post's idstr: {redacted_excerpt(response.text, 200)}")
        user = status.get("user")
        user = user if isinstance(user, dict) else {}
        uid = str(user.get("idstr") or user.get("id") or "")
        return Receipt("sent", idstr, self.post_url(uid, idstr), {"created_at": status.get("created_at")},
                       live=shown(status, status="text"))  # fmt: skip

    def post_url(self, uid: str, idstr: str) -> str:
        """Where the post is read: weibo.com/UID/ID; on the sandbox's own host when this channel talks to it."""
        web = self.api_base() if self.audit_fields() else "https://weibo.com"
        return f"{web}/{uid}/{idstr}" if uid else f"{web}/detail/{idstr}"

    def _picture(self, variant: Variant) -> dict[str, tuple[str, bytes, str]] | None:
        pictures = variant.media()
        if not pictures:
            return None
        picture = pictures[0]
        mime = PIC_FORMATS.get(str(picture.get("format", "")).lower(), "application/octet-stream")
        return {"pic": (str(picture["file"]), variant.read(picture, f"picture {picture['file']}"), mime)}

    # Reconciliation: Weibo cannot be asked about a post by our key, and a crash before the answer leaves no id, so
    # Weibo keeps HttpAdapter's `status` (None: cannot tell) and an `unknown` job stays for a person.

    # --- numbers back -------------------------------------------------------------------------------

    def ask_metrics(self, spec: MetricsSpec, params: dict[str, Any]) -> Any:
        """``statuses/count``: a JSON list of the posts asked about (an error comes as an object, classified)."""

        def count(token: str) -> httpx.Response:
            return self.send(spec.method, self.api_url(spec.path(self.facts)), step="statuses/count", mutating=False,
                             params={"access_token": token, **params})  # fmt: skip

        response = self.with_token(count)
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, list):
            return body
        return self.answer(response, step="statuses/count", mutating=False)

    # --- recall ---------------------------------------------------------------------------------

    def withdraw(self, remote_id: str) -> None:
        """``statuses/destroy`` (`mediactl recall`): Weibo deletes one of the account's own posts. A post Weibo says does
        not exist (20101) is gone already: withdrawn. Any other refusal is raised, classified as for `publish`."""
        if not remote_id.isdigit():
            raise Rejected(f"{remote_id!r} is not a Weibo post id")

        def destroy(token: str) -> httpx.Response:
            return self.send("POST", f"{self.api_base()}/2/statuses/destroy.json", step="statuses/destroy",
                             mutating=True, data={"access_token": token, "id": remote_id})  # fmt: skip

        try:
            self.answer(self.with_token(destroy), step="statuses/destroy", mutating=True)
        except WeiboError as exc:
            if exc.error_code != NO_SUCH_STATUS:
                raise

    # --- Weibo's answers --------------------------------------------------------------------------

    def answer(self, response: httpx.Response, *, step: str, mutating: bool) -> dict[str, Any]:
        """A 2xx answer as JSON; one that holds an error_code is classified like a 4xx one."""
        body = json_object(response, step=step, mutating=mutating, who="Weibo")
        if body.get("error_code") not in (None, "", 0, "0"):
            raise classify(body, step=step, mutating=mutating)
        return body

    def platform_error(self, response: httpx.Response, *, step: str, mutating: bool) -> None:
        try:
            body = response.json()
        except ValueError:
            return
        if isinstance(body, dict) and "error_code" in body:
            raise classify(body, step=step, mutating=mutating, status=response.status_code)

    def describe(self, variant: Variant, key: str) -> list[dict[str, Any]]:
        pictures = variant.media()
        body = "multipart/form-data" if pictures else "application/x-www-form-urlencoded"
        parts = [f"status {variant.text('status')!r}", f"rip {self._described_rip()}", "access_token=***"]
        if pictures:
            parts.append(f"pic {pictures[0]['file']}")
        return [{"request": f"POST {redact(self.api_base())}/2/statuses/share.json ({body}: {', '.join(parts)})"}]

    def _described_rip(self) -> str:
        try:
            return self.rip()
        except Rejected:
            return "(not set: refused)"


WeiboError = Refused  # a refusal in Weibo's words, with its error_code


def classify(body: dict[str, Any], *, step: str, mutating: bool, status: int = 200) -> Exception:
    """Weibo's ``{"request", "error_code", "error"}`` as mediactl's outcome classes (`errors:` in weibo.yaml)."""
    try:
        code = int(str(body.get("error_code")))  # a string in Weibo's own examples
    except (TypeError, ValueError):
        return Unknown(f"{step}: unreadable error from Weibo (HTTP {status}): {redacted_excerpt(str(body), 200)}")
    words = f"{step}: error_code {code}: {redact(str(body.get('error', '')))}"
    return ErrorTable.of("weibo").error(code, words, mutating=mutating)


def _on_domain(url: str, domain: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host == domain or host.endswith("." + domain)
