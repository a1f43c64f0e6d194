"""An access token a person granted through the platform's OAuth (Douyin, Kuaishou): the configured one, then refreshed.

Until the shared OAuth mechanism keeps access and refresh tokens in the state store (`mediactl
auth CHANNEL`), a channel carries what the operator obtained as credentials: `access_token` and
`refresh_token` (each a ${VAR}). The first token used is the configured access token; when the
platform says it is expired or invalid (`TokenExpired`), `HttpAdapter.with_token` asks once more and
this class then exchanges the refresh token for a new access token, which the token cache keeps
sealed in the state store with its expiry. `fetch_token` here is the one place a token comes from,
so moving to the OAuth store changes this module only.

A refresh token that is refused (expired, used up) cannot be mended here: the job fails with the
platform's words and the step a person must take (authorise again).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from mediactl.publish.adapters.base import Rejected
from mediactl.publish.adapters.http import HttpAdapter

if TYPE_CHECKING:  # annotations only
    import httpx

    from mediactl.config.model import Channel, Config


class GrantedTokenAdapter(HttpAdapter):
    """Base of adapters whose token a person granted; subclasses implement `refresh_access_token`."""

    granted_lifetime: ClassVar[float] = 86_400.0  # assumed left on a configured token (the platform says when it ends)

    def __init__(self, channel: Channel, config: Config, client: httpx.Client | None = None) -> None:
        super().__init__(channel, config, client)
        self._configured_used = False  # the configured access token was tried: from now on, refresh

    def token(self, *, refresh: bool = False) -> str:
        """As `HttpAdapter.token`; a refresh (the platform refused the token in hand) never falls back to the configured
        token: that may be the very token refused, cached by an earlier run, and each cron run is a new process."""
        if refresh:
            self._configured_used = True
        return super().token(refresh=refresh)

    def fetch_token(self) -> tuple[str, float]:
        if not self._configured_used and self.channel.credentials.get("access_token"):
            self._configured_used = True
            return self.secret("access_token"), self.granted_lifetime
        if not self.channel.credentials.get("refresh_token"):
            raise Rejected(
                f"channel {self.channel.name}: the access token was refused and no refresh_token is configured; "
                f"authorise the channel again and set channels.{self.channel.name}.credentials.access_token"
            )
        return self.refresh_access_token(self.secret("refresh_token"))

    def refresh_access_token(self, refresh_token: str) -> tuple[str, float]:
        """(new access token, lifetime in seconds) from the platform's refresh endpoint."""
        raise NotImplementedError
