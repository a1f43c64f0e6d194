"""OAuth platforms (Weibo, Douyin, Kuaishou, Bilibili): the authorisation-code flow, and tokens that renew themselves.

One mechanism for every platform; what differs is data, the `oauth:` section of the platform's facts
file: the authorize URL, the token and refresh URLs, how parameters are sent (form or query string,
POST or GET) and named (Douyin's `client_key`, Kuaishou's `app_id`, Bilibili's `gourl`), which of the
channel's credentials hold the client id and secret, where the answer's fields are and what they are
called, and whether its expiry is seconds from now or a Unix time.

- `mediactl auth CHANNEL` (`authorize`) prints the platform's authorize URL (client id, the channel's
  `redirect_uri`, scope, a random `state`), takes the code the platform sent the browser to the
  redirect URI with (the whole address pasted, whose `state` must be ours, or the code alone),
  exchanges it at the token endpoint, and keeps the grant.
- The grant (access token, refresh token, account, scope) lives in the state store's `grants` table,
  sealed like the token cache (tokenseal: AES-256-GCM, a key derived from the channel's client
  credentials and MEDIACTL_STATE_KEY when set, required on a shared store), with both expiries bound
  into the seal, so a copy of the store reveals no token and a row edited to live longer does not open.
- `OAuthAdapter.token()`, for the platform adapters built on it, gives a valid access token: refreshed
  with the refresh token shortly before it ends (TOKEN_MARGIN), and once more when the platform answers
  that it is expired (`with_token` and TokenExpired, as for every token). A refresh token that has
  ended, a platform without one (Weibo), a refresh the platform refuses, or a renewed token the
  platform refuses too is an `AuthorizationExpired` that says to run `mediactl auth CHANNEL` again.
- A channel may instead name a token issued outside mediactl in its `access_token` credential (Weibo
  gives a developer's own app a token of years and no refresh token; a bank may keep such a token in
  its secret store rather than in mediactl's). It is used only while the channel has no grant (once
  `mediactl auth` ran, the grant is used) and is never renewed: an expired-token answer fails the
  delivery saying to renew the credential or run `mediactl auth`.
The code, the tokens and the client secret are registered as secrets the moment they are known: no
message, log or audit record shows them.

The platform's URLs are used as they are, except where the channel's `base_url` or MEDIACTL_SANDBOX_URL
points the channel elsewhere (a test's platform, the sandbox): there their scheme and host are
replaced, and the path kept.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

from mediactl.config.platforms import get_platform
from mediactl.core.errors import MediactlError, UsageError
from mediactl.core.redaction import redacted_excerpt, register_secret
from mediactl.publish.adapters import tokenseal
from mediactl.publish.adapters.base import Rejected
from mediactl.publish.adapters.http import HttpAdapter, TokenExpired, json_object

if TYPE_CHECKING:  # annotations only
    from mediactl.config.model import Channel, Config
    from mediactl.publish.store import AuditHook

STATIC_TOKEN = "access_token"  # the channel credential of a token issued outside `mediactl auth` (see above)
NO_EXPIRY = 365 * 24 * 3600.0  # an answer without an expiry: valid until the platform says otherwise
RECENT = 30.0  # a refresh this recent (by another thread of the channel) answers a second "expired" too


@dataclass(frozen=True)
class OAuthSpec:
    """A platform's `oauth:` facts (see the module docstring)."""

    platform: str
    authorize_url: str
    token_url: str
    refresh_url: str | None
    method: str  # POST | GET
    send_as: str  # form | query
    client_id: str  # the channel credential holding the client id
    client_secret: str  # … and the client secret
    params: dict[str, str]  # our name → the platform's
    scope: str | None
    authorize_params: dict[str, str]
    exchange: tuple[str, ...]
    refresh: tuple[str, ...]
    answer: str  # the key the fields are under ("": the top level)
    fields: dict[str, str]  # access_token, expires_in, refresh_token, refresh_expires_in, account, scope → names
    absolute_expiry: bool

    @classmethod
    def of(cls, platform: str) -> OAuthSpec:
        data = get_platform(platform).facts.get("oauth")
        if not isinstance(data, dict):
            raise UsageError(f"platform '{platform}' has no OAuth authorisation in mediactl (no `oauth:` in its facts)")
        client = data.get("client") or {}
        return cls(
            platform=platform,
            authorize_url=str(data["authorize_url"]),
            token_url=str(data["token_url"]),
            refresh_url=data.get("refresh_url"),
            method=str(data.get("method") or "POST").upper(),
            send_as=str(data.get("send_as") or "form"),
            client_id=str(client["id"]),
            client_secret=str(client["secret"]),
            params={str(k): str(v) for k, v in (data.get("params") or {}).items()},
            scope=data.get("scope"),
            authorize_params={str(k): str(v) for k, v in (data.get("authorize_params") or {}).items()},
            exchange=tuple(data.get("exchange") or ()),
            refresh=tuple(data.get("refresh") or ()),
            answer=str(data.get("answer") or ""),
            fields={str(k): str(v) for k, v in (data.get("fields") or {}).items()},
            absolute_expiry=data.get("expires") == "absolute",
        )

    def name(self, ours: str) -> str:
        """The platform's name for one of our parameters."""
        return self.params.get(ours, ours)


@dataclass(frozen=True)
class Grant:
    """What an authorisation gives: the tokens, until when, and whose account (open_id, uid) with which scope."""

    access_token: str
    expires_at: float
    refresh_token: str = ""
    refresh_expires_at: float | None = None
    account: str = ""
    scope: str = ""

    def sealed_part(self) -> str:
        return json.dumps({"access_token": self.access_token, "refresh_token": self.refresh_token,
                           "account": self.account, "scope": self.scope}, ensure_ascii=False)  # fmt: skip


class AuthorizationNeeded(Rejected):
    """The channel has no grant a delivery can use: a person must run `mediactl auth CHANNEL` (again)."""


class AuthorizationExpired(AuthorizationNeeded):
    """The grant ended and cannot be renewed (no refresh token, the refresh token ended, the refresh refused)."""


@dataclass(frozen=True)
class Started:
    """An authorisation under way: the URL the person opens, and the state the redirect must bring back."""

    url: str
    state: str
    redirect_uri: str


class OAuthAdapter(HttpAdapter):
    """The base of the OAuth platforms' adapters: `token()` and `with_token()` give a valid access token from the
    channel's grant. Used as it is by `mediactl auth`, which needs no platform's own adapter."""

    def __init__(self, channel: Channel, config: Config, client: Any = None) -> None:
        super().__init__(channel, config, client)
        self.spec = OAuthSpec.of(channel.platform)
        self._grant_lock = threading.Lock()  # one adapter serves all of a channel's delivery threads
        self._refreshed_at = 0.0

    # --- the authorisation-code flow ---------------------------------------------------------------------

    def start(self, state: str) -> Started:
        """The authorize URL for `state`, with the channel's redirect URI (a ConfigError when it has none)."""
        redirect = self.redirect_uri()
        query = {self.spec.name("client_id"): self.client_id(), self.spec.name("redirect_uri"): redirect,
                 **self.spec.authorize_params}  # fmt: skip
        if self.spec.scope:
            query[self.spec.name("scope")] = self.spec.scope
        query[self.spec.name("state")] = state
        return Started(f"{self.platform_url(self.spec.authorize_url)}?{urlencode(query)}", state, redirect)

    def finish(self, started: Started, pasted: str) -> Grant:
        """The code from what the person pasted (checked against the state), exchanged for a grant (not yet kept)."""
        code = code_from(pasted, started.state)
        values = {"client_id": self.client_id(), "client_secret": self.client_secret(), "code": code,
                  "grant_type": "authorization_code", "redirect_uri": started.redirect_uri}  # fmt: skip
        return self._grant(self._call(self.spec.token_url, self.spec.exchange, values, step="oauth code exchange"))

    def keep(self, grant: Grant, *, audit: AuditHook | None = None) -> None:
        """Seal the grant and store it, replacing the channel's grant before."""
        if self.store is None:
            raise MediactlError("no state store to keep the grant in")
        sealed = tokenseal.seal(self._material(), _subject(self.channel.name, grant.refresh_expires_at),
                                grant.expires_at, grant.sealed_part())  # fmt: skip
        self.store.save_grant(self.channel.name, sealed, grant.expires_at, grant.refresh_expires_at, audit=audit)

    def grant(self) -> Grant:
        """The channel's grant, opened; AuthorizationNeeded when there is none or it does not open."""
        stored = self.store.grant(self.channel.name) if self.store is not None else None
        if stored is None:
            raise AuthorizationNeeded(f"channel {self.channel.name} is not authorised yet: run `mediactl auth "
                                      f"{self.channel.name}`")  # fmt: skip
        opened = tokenseal.unseal(self._material(), _subject(self.channel.name, stored.refresh_expires_at),
                                  stored.expires_at, stored.sealed)  # fmt: skip
        if opened is None:
            raise AuthorizationNeeded(
                f"the grant of channel {self.channel.name} does not open: MEDIACTL_STATE_KEY or the channel's client "
                f"secret is not what it was at `mediactl auth`, or the row was altered; run `mediactl auth "
                f"{self.channel.name}` again"
            )
        data = json.loads(opened)
        for value in (data["access_token"], data["refresh_token"]):
            if value:
                register_secret(value)
        return Grant(data["access_token"], stored.expires_at, data["refresh_token"], stored.refresh_expires_at,
                     data["account"], data["scope"])  # fmt: skip

    # --- tokens for deliveries ----------------------------------------------------------------------------

    def token(self, *, refresh: bool = False) -> str:
        """A valid access token: the grant's, refreshed shortly before it ends, or when `refresh` (the platform
        said it is expired), unless another thread of this channel has just refreshed it. Without a grant, the
        channel's `access_token` credential when it has one."""
        with self._grant_lock:
            if self._static():
                return self._static_token(refresh)
            grant, now = self.grant(), time.time()
            fresh = time.monotonic() - self._refreshed_at < RECENT
            if grant.expires_at > now + self.TOKEN_MARGIN and (not refresh or fresh):
                return grant.access_token
            return self._renew(grant, now).access_token

    def with_token(self, call: Callable[[str], Any]) -> Any:
        """`call(token)`; on the platform's expired-token answer, once more with a renewed token. When the token
        cannot be renewed, or the platform refuses the renewed one too, a person must act: AuthorizationExpired,
        with the platform's words and what to do."""
        try:
            return call(self.token())
        except TokenExpired as exc:
            refused = exc.message
        try:
            token = self.token(refresh=True)
        except AuthorizationNeeded as exc:
            raise type(exc)(f"{refused}; {exc.message}") from None
        try:
            return call(token)
        except TokenExpired as exc:
            raise AuthorizationExpired(f"{exc.message}; {self._title()} refused the renewed access token of channel "
                                       f"{self.channel.name} too: run `mediactl auth {self.channel.name}` again") from None  # fmt: skip

    def _static(self) -> bool:
        """The channel names a token of its own (`access_token` credential) and has no grant: that token is used."""
        if STATIC_TOKEN not in self.channel.credentials:
            return False
        return self.store is None or self.store.grant(self.channel.name) is None

    def _static_token(self, refresh: bool) -> str:
        """The `access_token` credential (resolved and registered as a secret); mediactl cannot renew it."""
        if refresh:
            raise AuthorizationExpired(
                f"{self._title()} refused channels.{self.channel.name}.credentials.{STATIC_TOKEN} (expired or revoked), "
                f"which mediactl cannot renew: renew that token, or run `mediactl auth {self.channel.name}` to use a "
                "grant instead"
            )
        return self.secret(STATIC_TOKEN)

    def account(self) -> str:
        """The authorised account's id on the platform (Douyin's open_id, Weibo's uid), for calls that name it."""
        return self.grant().account

    def _renew(self, grant: Grant, now: float) -> Grant:
        again = f"run `mediactl auth {self.channel.name}` again"
        if not grant.refresh_token or not self.spec.refresh_url:
            when = self._when(grant.expires_at)
            ended = (f"ended at {when}" if grant.expires_at <= now else f"ends at {when}"
                     if grant.expires_at <= now + self.TOKEN_MARGIN else f"is refused before its end ({when})")  # fmt: skip
            raise AuthorizationExpired(f"the access token of channel {self.channel.name} {ended} and {self._title()} "
                                       f"gives no refresh token: {again}")  # fmt: skip
        if grant.refresh_expires_at is not None and grant.refresh_expires_at <= now:
            raise AuthorizationExpired(f"the authorisation of channel {self.channel.name} ended at "
                                       f"{self._when(grant.refresh_expires_at)} (its refresh token expired): {again}")  # fmt: skip
        values = {"client_id": self.client_id(), "client_secret": self.client_secret(),
                  "grant_type": "refresh_token", "refresh_token": grant.refresh_token}  # fmt: skip
        try:
            answer = self._call(self.spec.refresh_url, self.spec.refresh, values, step="oauth refresh")
        except Rejected as exc:
            kept = self.grant()  # another host may have refreshed with this refresh token first
            if kept.access_token != grant.access_token and kept.expires_at > now + self.TOKEN_MARGIN:
                return kept
            raise AuthorizationExpired(f"the platform refused to renew the grant of channel {self.channel.name} "
                                       f"({exc.message}): {again}") from None  # fmt: skip
        renewed = self._grant(answer, previous=grant)
        self.keep(renewed)
        self._refreshed_at = time.monotonic()
        return renewed

    # --- the mechanism -------------------------------------------------------------------------------------

    def _call(self, url: str, wanted: tuple[str, ...], values: dict[str, str], *, step: str) -> dict[str, Any]:
        """One request to a token endpoint: `wanted` parameters under the platform's names, sent as it takes them;
        the answer's object of fields (a Rejected with the platform's words when it holds no access token)."""
        params = {self.spec.name(name): values[name] for name in wanted}
        where = {"params": params} if self.spec.send_as == "query" else {"data": params}
        response = self.send(self.spec.method, self.platform_url(url), step=step, mutating=False, **where)
        answer = json_object(response, step=step, mutating=False, who=self.channel.platform)
        fields = answer.get(self.spec.answer) if self.spec.answer else answer
        token_name = self.spec.fields.get("access_token", "access_token")
        if not isinstance(fields, dict) or not fields.get(token_name):
            raise Rejected(
                f"{step}: {self.channel.platform} gave no access token: {redacted_excerpt(response.text, 300)}"
            )
        for name in ("access_token", "refresh_token"):
            if fields.get(self.spec.fields.get(name, name)):
                register_secret(str(fields[self.spec.fields.get(name, name)]))
        return fields

    def _grant(self, fields: dict[str, Any], previous: Grant | None = None) -> Grant:
        """A grant from an answer's fields; what a refresh does not repeat (the refresh token, its expiry, the
        account) is kept from the grant before."""
        now = time.time()

        def field(name: str) -> Any:
            return fields.get(self.spec.fields[name]) if name in self.spec.fields else None

        def ends(value: Any, default: float | None) -> float | None:
            try:
                number = float(value)
            except (TypeError, ValueError):
                return default
            return number if self.spec.absolute_expiry else now + number

        scope = field("scope")
        refresh_token = str(field("refresh_token") or (previous.refresh_token if previous else ""))
        return Grant(
            access_token=str(field("access_token")),
            expires_at=ends(field("expires_in"), now + NO_EXPIRY) or now + NO_EXPIRY,
            refresh_token=refresh_token,
            refresh_expires_at=ends(field("refresh_expires_in"), previous.refresh_expires_at if previous else None),
            account=str(field("account") or (previous.account if previous else "")),
            scope=",".join(map(str, scope))
            if isinstance(scope, list)
            else str(scope or (previous.scope if previous else "")),
        )

    def _material(self) -> bytes:
        """The sealing key's material: the client credentials (never stored) and MEDIACTL_STATE_KEY when set."""
        credentials = {"client_id": self.client_id(), "client_secret": self.client_secret()}
        return tokenseal.key_material(credentials, tokenseal.state_key(self.config.environment()))

    def client_id(self) -> str:
        """The app's client id: public (it is in the authorize URL), so resolved but not registered as a secret."""
        reference = self.channel.credentials.get(self.spec.client_id, "")
        where = f"channels.{self.channel.name}.credentials.{self.spec.client_id}"
        if not reference:
            raise UsageError(f"mediactl.yaml: {where} is not configured: the app's client id is needed")
        return self.config.environment().interpolate(reference, where=where)

    def client_secret(self) -> str:
        return self.secret(self.spec.client_secret)

    def redirect_uri(self) -> str:
        value = self.channel.options.get("redirect_uri")
        parts = urlsplit(str(value or ""))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(f"mediactl.yaml: channels.{self.channel.name}.redirect_uri: the redirect URI registered for "
                             f"the app is needed (`redirect_uri: https://…`, its 授权回调地址), not {value!r}; nothing "
                             "was done")  # fmt: skip
        return str(value)

    def platform_url(self, url: str) -> str:
        """A URL of the platform, or of what the channel points at instead (its base_url, the sandbox)."""
        # In the sandbox, its prefix for this platform (api_base): each platform is served under its own there.
        override = self.api_base() if self.sandbox() or self.channel.base_url else None
        if not override:
            return url
        parts = urlsplit(url)
        return override.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")

    def _title(self) -> str:
        return get_platform(self.channel.platform).title

    def _when(self, moment: float) -> str:
        from datetime import datetime  # lazy: only a message needs it

        return datetime.fromtimestamp(moment, self.config.project.tz).strftime("%Y-%m-%d %H:%M")


def new_state() -> str:
    """The random `state` of one authorisation: the redirect must bring it back (no one else's code is taken)."""
    return secrets.token_urlsafe(24)


def code_from(pasted: str, state: str) -> str:
    """The code in what the person pasted: the redirected address (its `state` must be ours) or the code alone."""
    text = pasted.strip()
    if not text:
        raise UsageError("nothing was pasted; nothing was stored")
    if "://" not in text and "=" not in text:
        register_secret(text)
        return text  # the code alone: no state to compare (paste the whole address to have it checked)
    query = parse_qs(urlsplit(text).query or text.lstrip("?"))
    code = (query.get("code") or [""])[0]
    if code:
        register_secret(code)
    if query.get("error"):
        words = (query.get("error_description") or query.get("error") or [""])[0]
        raise UsageError(f"the platform did not authorise: {words}; nothing was stored")
    if (query.get("state") or [""])[0] != state:
        raise UsageError("the address pasted does not carry this authorisation's state (it comes from another "
                         "authorisation, or was altered); nothing was exchanged or stored",
                         hint="open the URL printed by this run, allow access, and paste the address it leads to")  # fmt: skip
    if not code:
        raise UsageError("the address pasted carries no `code`; nothing was stored")
    return code


def authorize(adapter: OAuthAdapter, ask: Callable[[Started], str],
              audited: Callable[[Grant], AuditHook | None]) -> Grant:  # fmt: skip
    """`mediactl auth`: start, ask the person (they open the URL and paste where it led), exchange, and keep the
    grant with the audit record `audited(grant)` gives (it never holds a token: redaction, and it is not given one)."""
    started = adapter.start(new_state())
    grant = adapter.finish(started, ask(started))
    adapter.keep(grant, audit=audited(grant))
    return grant


def _subject(channel: str, refresh_expires_at: float | None) -> str:
    """What a grant's seal is bound to besides its access expiry: the channel, and the refresh token's expiry."""
    return f"oauth\0{channel}\0{refresh_expires_at!r}"
