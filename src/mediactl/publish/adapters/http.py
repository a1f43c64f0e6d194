"""The HTTP mechanism every API adapter shares: one client per channel, and one classification.

Adapters describe their steps; this module decides what a failure means, so no adapter
re-invents retry logic. A step is `mutating` when repeating it could publish twice.
- the request never left (connection refused, DNS): Transient, whatever the step;
- a timeout or dropped connection after sending: Transient for a safe step, Unknown for a
  mutating one (it may have been published: never retried blindly);
- HTTP 429: Transient, honouring Retry-After; 5xx: Transient for a safe step, Unknown for a
  mutating one unless the adapter's publish is idempotent by key;
- other 4xx: Rejected with the platform's reason (secrets redacted);
- a request that cannot be sent at all (an unsupported scheme, an invalid URL or header): Rejected,
  since nothing left and retrying cannot help; it is a configuration problem.
"""

from __future__ import annotations

import functools
import ssl
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from mediactl.config import transport
from mediactl.config.platforms import get_platform
from mediactl.core.errors import MediactlError
from mediactl.core.redaction import looks_secret, redact, redacted_excerpt, register_secret
from mediactl.publish.adapters import tokenseal
from mediactl.publish.adapters.base import (
    Adapter,
    DeliveryError,
    NotPublished,
    Receipt,
    Rejected,
    Transient,
    Unknown,
    Variant,
)
from mediactl.publish.adapters.metrics import Metrics, MetricsSpec
from mediactl.publish.adapters.poll import PollPlan
from mediactl.publish.adapters.upload import PartPlan

if TYPE_CHECKING:  # annotations only
    from mediactl.config.model import Channel, Config
    from mediactl.publish.store import Job

# Raised while the request is built or checked, before a byte is sent (UnicodeError: a host name IDNA
# cannot encode, a header that is not ASCII).
_NOT_SENDABLE = (httpx.UnsupportedProtocol, httpx.InvalidURL, httpx.LocalProtocolError, UnicodeError)
TIMEOUT = httpx.Timeout(15.0, connect=5.0)
SANDBOX_HEADER = "X-Mediactl-Sandbox"  # the sandbox's mark on every answer (sandbox/server.py)


class HttpAdapter(Adapter):
    idempotent_publish: ClassVar[bool] = False  # True when the platform dedupes on our idempotency key

    TOKEN_MARGIN: ClassVar[float] = 300.0  # renew this long before the platform says a token expires

    def __init__(self, channel: Channel, config: Config, client: httpx.Client | None = None) -> None:
        super().__init__(channel, config)
        self.client = client or httpx.Client(timeout=TIMEOUT, headers={"User-Agent": "mediactl"}, verify=_tls())
        self.store = None  # set by the publisher: tokens are cached in the state store
        self._token_material: bytes | None = None  # the key tokens are sealed with (from the channel's secrets)
        self._memory_token: tuple[str, float] | None = None  # (token, expiry) when there is nothing to seal it with
        self._sandboxed = False  # an answer came from the sandbox (its X-Mediactl-Sandbox header)

    # --- tokens: one mechanism for every adapter that needs one ---------------------------------

    def fetch_token(self) -> tuple[str, float]:
        """(access token, lifetime in seconds) from the platform; adapters with tokens override this."""
        raise NotImplementedError

    def token(self, *, refresh: bool = False) -> str:
        """A valid access token: cached with its expiry, fetched when needed.

        Cached in the state store sealed with a key from the channel's own secret credentials (see
        tokenseal), so other runs reuse it and a copy of the store reveals nothing; a channel without
        a secret keeps its token in this process's memory only. A token that does not open (the
        secret was rotated) is a cache miss.
        """
        now = time.time()
        cached = None if refresh else self._cached_token(now + self.TOKEN_MARGIN)
        if cached:
            register_secret(cached)
            return cached
        token, lifetime = self.fetch_token()
        register_secret(token)  # never printed, never logged
        self._keep_token(token, now + lifetime)
        return token

    def with_token(self, call: Callable[[str], Any]) -> Any:
        """Run `call(token)`; on the platform's expired/invalid-token answer, refresh once and retry."""
        try:
            return call(self.token())
        except TokenExpired:
            self._memory_token = None
            if self.store is not None:
                self.store.forget_token(self.channel.name)
            return call(self.token(refresh=True))

    def _cached_token(self, valid_at: float) -> str | None:
        material = self._sealing_key()
        if material is None or self.store is None:
            memory = self._memory_token
            return memory[0] if memory and memory[1] > valid_at else None
        found = self.store.token(self.channel.name, valid_at)
        return tokenseal.unseal(material, self.channel.name, found[1], found[0]) if found else None

    def _keep_token(self, token: str, expires_at: float) -> None:
        material = self._sealing_key()
        if material is None or self.store is None:
            self._memory_token = (token, expires_at)
            if self.store is not None:  # a plain token an older version stored goes
                self.store.forget_token(self.channel.name)
            return
        sealed = tokenseal.seal(material, self.channel.name, expires_at, token)
        self.store.save_token(self.channel.name, sealed, expires_at)

    def _sealing_key(self) -> bytes | None:
        """Key material from the channel's resolved credentials (and MEDIACTL_STATE_KEY, when set); None if none of
        the credentials is a secret."""
        if self._token_material is None and any(looks_secret(key) for key in self.channel.credentials):
            credentials = {key: self.secret(key) for key in self.channel.credentials}
            self._token_material = tokenseal.key_material(credentials, tokenseal.state_key(self.config.environment()))
        return self._token_material

    def close(self) -> None:
        self.client.close()

    # --- posts the platform reviews after accepting them: one way to wait, and to ask again ---------

    def await_verdict(self, key: str, remote_id: str, ask: Callable[[], Receipt | None], *, what: str,
                      who: str) -> Receipt:  # fmt: skip
        """After a submit that returned the post's id: record the id durably, then wait (`ask`: the bounded poll).

        From the submit on, the post may exist: only the platform's own verdict (NotPublished) fails the
        job; anything else while waiting (a token refresh, the store, the network) and a review that has
        not ended leave it `unknown`, and the next run asks about it by the recorded id (`find`).
        """
        try:
            if self.store is not None:
                self.store.record_remote_id(key, remote_id)
            receipt = ask()
        except NotPublished:
            raise
        except Exception as exc:
            message = exc.message if isinstance(exc, MediactlError) else f"{type(exc).__name__}: {exc}"
            raise Unknown(f"{what} was submitted, then: {message}; the next run asks {who} again") from None
        if receipt is None:
            raise Unknown(f"{what} has no verdict yet after polling; the next run asks {who} again")
        return receipt

    def status(self, remote_id: str) -> Receipt | None:
        """One question about a submitted post, by its recorded id: its receipt once published, None while the
        platform has no verdict; NotPublished for a definite "no". The default: this platform cannot be asked."""
        return None

    def read_back(self, remote_id: str) -> dict[str, str] | None:
        """The live texts of the post's receipt, where the platform's status answer carries them."""
        receipt = self.status(remote_id)
        return receipt.live if receipt is not None else None

    @classmethod
    def can_be_asked(cls) -> bool:
        return cls.status is not HttpAdapter.status or cls.find is not HttpAdapter.find

    def find(self, key: str, variant: Variant | None) -> Receipt | None:
        """Reconciliation: a job whose id was recorded (`await_verdict`) is asked about once; without one, or when
        asking fails (a credential, the network, an error code), the platform cannot tell (None), never "failed"."""
        job = self.store.by_key(key) if self.store is not None else None
        if job is None or not job.remote_id:
            return None
        try:
            return self.status(job.remote_id)
        except NotPublished:
            raise
        except (DeliveryError, MediactlError):
            return None

    # --- numbers back: one way for every platform whose facts have a `metrics:` block -------------

    def metrics(self, job: Job, now: float) -> Metrics | None:
        """Ask the platform's metrics call (its facts' `metrics:` block) about the job's post, through the adapter's
        own authenticated call (`ask_metrics`), and read the mapped counters; None when the platform gives no numbers
        or the job has no post id (resolved by hand). Failures are classified by `send` as for any safe step."""
        spec = MetricsSpec.of(self.facts)
        if spec is None or not job.remote_id:
            return None
        values = {"remote_id": job.remote_id, **self.metrics_values(job, now, spec)}
        if "skip" in values:  # the platform has nothing to ask yet (WeChat's data cube starts the next day)
            return Metrics({}, note=values["skip"])
        answer = self.ask_metrics(spec, spec.params(values))
        return spec.read(answer, values, what=f"{self.channel.platform} post {job.remote_id}")

    def metrics_values(self, job: Job, now: float, spec: MetricsSpec) -> dict[str, str]:
        """Values besides the post's id the metrics question is filled with (a date window, an account); a "skip"
        value says there is nothing to ask yet, and why."""
        return {}

    def ask_metrics(self, spec: MetricsSpec, params: dict[str, Any]) -> Any:
        """The platform's answer to the metrics call with `params`, through this adapter's authenticated call (where
        its token goes, how its errors are classified): each adapter whose facts have a `metrics:` block says how."""
        raise NotImplementedError(f"{type(self).__name__} has a metrics: block but no ask_metrics")

    def sandbox(self) -> str | None:
        """MEDIACTL_SANDBOX_URL points every API channel at a running `mediactl sandbox` (on this machine only)."""
        return transport.sandbox_url()

    @property
    def facts(self) -> dict[str, Any]:
        """The platform's facts file (limits, endpoints, error codes, upload and polling plans): data, not code."""
        return get_platform(self.channel.platform).facts

    @property
    def part_plan(self) -> PartPlan:
        """How a file goes up: whole below the facts' `upload:` threshold, else in parts (video platforms)."""
        return PartPlan.from_facts(self.facts["upload"])

    @property
    def poll_plan(self) -> PollPlan:
        """How long a run waits for an asynchronous verdict (the facts' `poll:` block); read when used, so a
        changed facts file (or a test's lowered wait) counts for an adapter already made."""
        return PollPlan.from_facts(self.facts["poll"])

    def api_url(self, path: str) -> str:
        """A path of the platform's API on its base (the sandbox's prefix when MEDIACTL_SANDBOX_URL is set)."""
        return f"{self.api_base()}{path}"

    def api_base(self) -> str:
        """The platform's API root; in the sandbox ``{sandbox}/{platform}``: each platform has its own prefix there,
        so platforms whose real paths collide (WeChat OA and WeCom under /cgi-bin/) never meet."""
        sandbox = self.sandbox()
        if sandbox:
            return f"{sandbox.rstrip('/')}/{self.channel.platform}"
        return (self.channel.base_url or get_platform(self.channel.platform).base_url or "").rstrip("/")

    def audit_fields(self) -> dict[str, Any]:
        """`sandbox: true` once this channel talks to the sandbox (MEDIACTL_SANDBOX_URL, or an answer that carried
        the sandbox's header: a base_url pointed at it by hand), so its deliveries are never taken for real posts."""
        return {"sandbox": True} if self._sandboxed or self.sandbox() else {}

    def secret(self, key: str) -> str:
        """A credential of this channel, resolved from the environment or .env (and registered for redaction)."""
        reference = self.channel.credentials.get(key, "")
        where = f"channels.{self.channel.name}.credentials.{key}"
        if not reference:
            raise Rejected(f"{where} is not configured")
        return self.config.environment().interpolate(reference, where=where, secret=True)

    def send(self, method: str, url: str, *, step: str, mutating: bool, **kwargs: Any) -> httpx.Response:
        """One request, classified. Returns only a 2xx response."""
        clear_text = transport.clear_text(url)
        if clear_text:
            raise Rejected(f"{step}: channel {self.channel.name}: {clear_text}; nothing was sent")
        try:
            response = self.client.request(method, url, **kwargs)
        except _NOT_SENDABLE as exc:
            raise Rejected(
                f"{step}: channel {self.channel.name} cannot send to {redact(url)} ({type(exc).__name__}: {exc}); "
                "nothing was sent: check the channel's url, base_url and headers in mediactl.yaml"
            ) from None
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise Transient(f"{step}: cannot connect to {_host(url)} ({type(exc).__name__})") from None
        except (httpx.TimeoutException, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            if mutating:
                raise Unknown(f"{step}: {type(exc).__name__} after the request was sent to {_host(url)}") from None
            raise Transient(f"{step}: {type(exc).__name__} from {_host(url)}") from None
        if response.headers.get(SANDBOX_HEADER):
            self._sandboxed = True
        if response.status_code == 429:
            raise Transient(f"{step}: rate limited (HTTP 429)", retry_after=_retry_after(response))
        if response.status_code >= 500:
            message = f"{step}: HTTP {response.status_code} from {_host(url)}"
            if mutating and not self.idempotent_publish:
                raise Unknown(message + " after the request was sent; the post may exist")
            raise Transient(message, retry_after=_retry_after(response))
        if response.status_code >= 400:
            self.platform_error(response, step=step, mutating=mutating)
            raise Rejected(f"{step}: HTTP {response.status_code}: {redacted_excerpt(response.text, 300)}")
        return response

    def platform_error(self, response: httpx.Response, *, step: str, mutating: bool) -> None:
        """A 4xx answer in the platform's own error shape: raise its classification (a rate limit is Transient, an
        expired token TokenExpired …); return to let the generic rule (Rejected) apply. Platforms whose errors come
        as HTTP 4xx with a coded body (Weibo) override this; those answering HTTP 200 with a code (WeChat) need not."""


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every channel's client: loading the CA bundle costs ~40 ms per context."""
    return httpx.create_ssl_context()


class TokenExpired(Transient):
    """The platform says the access token is expired or invalid: refresh once, then retry."""


def json_object(response: httpx.Response, *, step: str, mutating: bool, who: str) -> dict[str, Any]:
    """A platform's answer as a JSON object, with one rule for every adapter when it is not one (a proxy's error
    page, a cut body): after a safe step nothing was done, so it is Transient and retried; after a mutating step
    the post may exist, so it is Unknown and never re-sent blindly (reconciled, or resolved by a person)."""
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if isinstance(answer, dict):
        return answer
    what = f"{step}: {who} answered with something that is not a JSON object: {redacted_excerpt(response.text, 120)}"
    raise Unknown(f"{what}; the post may exist") if mutating else Transient(what)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _host(url: str) -> str:
    return httpx.URL(url).host or url
