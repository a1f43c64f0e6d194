"""OAuth: `mediactl auth`, grants sealed in the state store, tokens that renew themselves, and when they cannot.

The platform is Douyin as its facts file describes it (platforms.md §4: form-encoded token calls, fields under
`data`, error codes 2190008 for an expired access token and 10010 for an expired refresh token), played by a
server of the test's own on 127.0.0.1 (localhttp.py) that the channel's `base_url` points at.
"""

from __future__ import annotations

import dataclasses
import json
import time
from itertools import count
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import STATE_KEY, share_state
from localhttp import LocalServer, Request
from mediactl.config.model import load_config
from mediactl.publish.adapters import oauth, tokenseal
from mediactl.publish.adapters.http import TokenExpired
from mediactl.publish.store import Store, StoreError, open_store
from oauthflow import static_token

CHANNEL = "bank-douyin"
CLIENT_KEY = "aw-client-key-0001"
CLIENT_SECRET = "client-secret-of-the-app-0123456789"
REDIRECT = "https://www.example-bank.cn/oauth/callback"
STATE = "state-of-this-authorisation"
CODE = "auth-code-7f3a9c1e"


class Douyin:
    """The token endpoints as documented, and one API call that says whether the access token still works."""

    def __init__(self) -> None:
        self.codes = {CODE}
        self.numbers = count(1)
        self.valid: set[str] = set()  # access tokens the platform takes
        self.refreshable: set[str] = set()  # refresh tokens it takes

    def issue(self) -> dict[str, Any]:
        n = next(self.numbers)
        access, refresh = f"act.{n:04d}.9d8e7f6a5b4c", f"rft.{n:04d}.1a2b3c4d5e6f"
        self.valid.add(access)
        self.refreshable.add(refresh)
        return {"access_token": access, "expires_in": 1296000, "refresh_token": refresh,
                "refresh_expires_in": 2592000, "open_id": "open-id-0001", "scope": "video.create",
                "error_code": 0, "description": ""}  # fmt: skip

    def __call__(self, request: Request) -> tuple[int, Any]:
        form = request.form
        if request.path == "/oauth/access_token/":
            ok = (form.get("client_key"), form.get("client_secret"), form.get("grant_type")) == (
                CLIENT_KEY, CLIENT_SECRET, "authorization_code")  # fmt: skip
            if not ok or form.get("code") not in self.codes:
                return 200, {"data": {"error_code": 10007, "description": "授权码无效"}, "message": "error"}
            self.codes.discard(form["code"])
            return 200, {"data": self.issue(), "message": "success"}
        if request.path == "/oauth/refresh_token/":
            if form.get("client_key") != CLIENT_KEY or form.get("refresh_token") not in self.refreshable:
                return 200, {"data": {"error_code": 10010, "description": "refresh_token过期"}, "message": "error"}
            return 200, {"data": {k: v for k, v in self.issue().items() if k != "refresh_token"}, "message": "success"}
        if request.path == "/api/ping":
            if request.headers.get("access-token") in self.valid:
                return 200, {"data": {"error_code": 0}}
            return 200, {"data": {"error_code": 2190008, "description": "access_token过期"}}
        return 404, {"message": "not found"}


class Probe(oauth.OAuthAdapter):
    """What a platform's adapter does with the mechanism: one call with the token, an expired answer classified."""

    def ping(self) -> str:
        def call(token: str) -> str:
            response = self.send("POST", self.platform_url("https://open.douyin.com/api/ping"), step="ping",
                                 mutating=False, headers={"access-token": token})  # fmt: skip
            if response.json()["data"]["error_code"] == 2190008:
                raise TokenExpired("ping: access_token expired (2190008)")
            return token

        return str(self.with_token(call))

    def close(self) -> None:
        super().close()
        if self.store is not None:  # the test opened it for this adapter
            self.store.close()


@pytest.fixture
def douyin():
    platform = Douyin()
    with LocalServer(platform) as server:
        server.platform = platform
        yield server


@pytest.fixture
def project(example: Path, douyin: LocalServer, monkeypatch) -> Path:
    config = example / "mediactl.yaml"
    text = config.read_text("utf-8")
    marker = f"    redirect_uri: {REDIRECT}   # the app's registered 授权回调地址\n"
    assert marker in text
    config.write_text(text.replace(marker, marker + f"    base_url: {douyin.url}\n", 1), "utf-8")
    monkeypatch.setenv("BANK_DOUYIN_CLIENT_KEY", CLIENT_KEY)
    monkeypatch.setenv("BANK_DOUYIN_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setattr(oauth, "new_state", lambda: STATE)
    return example


def redirected(state: str = STATE, code: str = CODE) -> str:
    return f"{REDIRECT}?code={code}&state={state}"


def probe(root: Path) -> Probe:
    config = load_config(root / "mediactl.yaml")
    adapter = Probe(config.channel(CHANNEL), config)
    adapter.store = open_store(config)
    return adapter


def secrets_of(platform: Douyin) -> list[str]:
    return [CODE, CLIENT_SECRET, *platform.valid, *platform.refreshable]


def test_auth_walks_the_operator_through_the_authorisation_code_flow(cli, project: Path, douyin) -> None:
    result = cli(project, "auth", CHANNEL, input=redirected() + "\n")
    assert result.exit_code == 0, result.output
    (url,) = [line.strip() for line in result.stdout.splitlines() if line.strip().startswith("http://127.0.0.1")]
    parts = urlsplit(url)
    assert parts.path == "/platform/oauth/connect/"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {"client_key": CLIENT_KEY, "redirect_uri": REDIRECT, "response_type": "code",
                     "scope": "video.create,video.data,video.delete", "state": STATE}  # fmt: skip
    (exchange,) = douyin.requests
    assert (exchange.method, exchange.path) == ("POST", "/oauth/access_token/")
    assert exchange.form == {"client_key": CLIENT_KEY, "client_secret": CLIENT_SECRET, "code": CODE,
                             "grant_type": "authorization_code"}  # fmt: skip
    assert "bank-douyin is authorised (account open-id-0001): the access token is valid until 20" in result.stdout
    assert "renew it with the refresh token until 20" in result.stdout
    log = (project / ".mediactl/audit.jsonl").read_text("utf-8")
    for secret in secrets_of(douyin.platform):
        assert secret not in result.output and secret not in log, secret
    (granted,) = [json.loads(line) for line in log.splitlines() if '"auth.granted"' in line]
    assert (granted["channel"], granted["account"], granted["scope"]) == (CHANNEL, "open-id-0001", "video.create")
    store = Store(project / ".mediactl/queue.sqlite3")
    stored = store.grant(CHANNEL)
    store.close()
    assert stored is not None and b"act.0001" not in stored.sealed and b"rft.0001" not in stored.sealed
    adapter = probe(project)
    try:
        assert adapter.ping() == "act.0001.9d8e7f6a5b4c" and adapter.account() == "open-id-0001"
    finally:
        adapter.close()
    assert cli(project, "log", "verify").exit_code == 0


def test_an_address_with_another_state_is_refused_and_nothing_is_exchanged(cli, project: Path, douyin) -> None:
    result = cli(project, "auth", CHANNEL, input=redirected(state="someone-elses-state") + "\n")
    assert result.exit_code == 2, result.output
    assert (
        "does not carry this authorisation's state" in result.stderr
        and "nothing was exchanged or stored" in result.stderr
    )
    assert CODE not in result.output
    assert douyin.requests == []
    store = Store(project / ".mediactl/queue.sqlite3")
    assert store.grant(CHANNEL) is None
    store.close()


def test_a_code_the_platform_refuses_stores_nothing_and_shows_its_words(cli, project: Path, douyin) -> None:
    result = cli(project, "auth", CHANNEL, input=redirected(code="wrong-code-123") + "\n")
    assert result.exit_code == 1, result.output
    assert "gave no access token" in result.stderr and "授权码无效" in result.stderr
    assert "wrong-code-123" not in result.output  # the code is a secret, even a wrong one


@pytest.mark.parametrize(
    ("config_edit", "message"),
    [
        (
            (f"    redirect_uri: {REDIRECT}   #", "    #"),
            "channels.bank-douyin.redirect_uri: the redirect URI registered",
        ),
        (("platform: douyin", "platform: douyin"), None),
    ],
)
def test_auth_needs_a_redirect_uri_and_an_oauth_platform(cli, project: Path, config_edit, message) -> None:
    if message is None:
        result = cli(project, "auth", "outbox")
        assert result.exit_code == 2 and "platform 'outbox' has no OAuth authorisation" in result.stderr
        return
    config = project / "mediactl.yaml"
    config.write_text(config.read_text("utf-8").replace(*config_edit, 1), "utf-8")
    result = cli(project, "auth", CHANNEL, input=redirected() + "\n")
    assert result.exit_code == 2 and message in result.stderr, result.output


def authorised(cli, project: Path) -> Probe:
    assert cli(project, "auth", CHANNEL, input=redirected() + "\n").exit_code == 0
    return probe(project)


def test_an_access_token_about_to_end_is_refreshed_before_use(cli, project: Path, douyin) -> None:
    adapter = authorised(cli, project)
    try:
        grant = adapter.grant()
        adapter.keep(dataclasses.replace(grant, expires_at=time.time() + 60))  # within the renewal margin
        assert adapter.ping() == "act.0002.9d8e7f6a5b4c"
        paths = [r.path for r in douyin.requests]
        assert paths == ["/oauth/access_token/", "/oauth/refresh_token/", "/api/ping"]
        refresh = douyin.requests[1].form
        assert refresh == {
            "client_key": CLIENT_KEY,
            "grant_type": "refresh_token",
            "refresh_token": grant.refresh_token,
        }
        renewed = adapter.grant()
        assert renewed.access_token == "act.0002.9d8e7f6a5b4c" and renewed.expires_at > time.time() + 1000000
        assert renewed.refresh_token == grant.refresh_token  # Douyin's refresh keeps the refresh token
    finally:
        adapter.close()


def test_an_expired_token_answer_refreshes_once_and_retries(cli, project: Path, douyin) -> None:
    adapter = authorised(cli, project)
    try:
        douyin.platform.valid.clear()  # the platform ended the token early: our clock still says it is valid
        assert adapter.ping() == "act.0002.9d8e7f6a5b4c"
        assert [r.path for r in douyin.requests][1:] == ["/api/ping", "/oauth/refresh_token/", "/api/ping"]
        douyin.platform.valid.clear()
        douyin.platform.valid.add("a token nobody has")
        adapter._refreshed_at = 0.0
        douyin.requests.clear()

        def refuse_new(request: Request) -> None:
            douyin.platform.valid.clear()

        with pytest.raises(
            oauth.AuthorizationExpired
        ) as refused:  # expired again after the refresh: once, not in a loop
            douyin.platform.issue = _wrap(douyin.platform.issue, refuse_new)  # type: ignore[method-assign]
            adapter.ping()
        assert [r.path for r in douyin.requests] == ["/api/ping", "/oauth/refresh_token/", "/api/ping"]
        assert refused.value.message == ("ping: access_token expired (2190008); 抖音 refused the renewed access token of "
                                         "channel bank-douyin too: run `mediactl auth bank-douyin` again")  # fmt: skip
    finally:
        adapter.close()


def _wrap(issue: Any, after: Any) -> Any:
    def wrapped() -> dict[str, Any]:
        answer = issue()
        after(None)
        return answer

    return wrapped


def test_an_expired_refresh_token_says_to_authorise_again(cli, project: Path, douyin) -> None:
    adapter = authorised(cli, project)
    try:
        grant = adapter.grant()
        past = time.time() - 10
        adapter.keep(dataclasses.replace(grant, expires_at=past, refresh_expires_at=past))
        with pytest.raises(oauth.AuthorizationExpired) as ended:
            adapter.ping()
        assert "its refresh token expired): run `mediactl auth bank-douyin` again" in ended.value.message
        assert [r.path for r in douyin.requests] == ["/oauth/access_token/"]  # no refresh was even tried
        adapter.keep(dataclasses.replace(grant, expires_at=past))  # the platform ended the refresh token itself
        douyin.platform.refreshable.clear()
        with pytest.raises(oauth.AuthorizationExpired) as refused:
            adapter.ping()
        assert "the platform refused to renew the grant of channel bank-douyin" in refused.value.message
        assert (
            "refresh_token过期" in refused.value.message
            and "run `mediactl auth bank-douyin` again" in refused.value.message
        )
    finally:
        adapter.close()


def test_a_static_token_serves_while_there_is_no_grant_and_is_never_renewed(cli, project: Path, douyin,
                                                                            monkeypatch) -> None:  # fmt: skip
    """A channel may name a token issued outside mediactl (`access_token` credential): used until `mediactl auth` gives
    it a grant, and an expired answer fails saying what to do instead of refreshing what mediactl cannot."""
    static_token(project, CHANNEL, "BANK_DOUYIN_TOKEN")
    monkeypatch.setenv("BANK_DOUYIN_TOKEN", "act.static.0123456789")
    douyin.platform.valid.add("act.static.0123456789")
    adapter = probe(project)
    try:
        assert adapter.ping() == "act.static.0123456789"
        douyin.platform.valid.clear()
        with pytest.raises(oauth.AuthorizationExpired) as refused:
            adapter.ping()
        assert refused.value.message == (
            "ping: access_token expired (2190008); 抖音 refused channels.bank-douyin.credentials.access_token (expired "
            "or revoked), which mediactl cannot renew: renew that token, or run `mediactl auth bank-douyin` to use a "
            "grant instead"
        )
        assert [r.path for r in douyin.requests] == ["/api/ping", "/api/ping"]  # no refresh, no second try
        assert cli(project, "auth", CHANNEL, input=redirected() + "\n").exit_code == 0
        assert adapter.ping() == "act.0001.9d8e7f6a5b4c"  # once authorised, the grant wins
    finally:
        adapter.close()


def test_a_channel_never_authorised_says_so(project: Path) -> None:
    adapter = probe(project)
    try:
        with pytest.raises(oauth.AuthorizationNeeded) as needed:
            adapter.ping()
        assert "channel bank-douyin is not authorised yet: run `mediactl auth bank-douyin`" in needed.value.message
    finally:
        adapter.close()


def test_tokens_on_a_shared_store_open_only_with_the_teams_state_key(cli, project: Path, douyin, pg_url: str,
                                                                     monkeypatch) -> None:  # fmt: skip
    share_state(project, pg_url)
    adapter = authorised(cli, project)
    try:
        stored = adapter.store.grant(CHANNEL)
        assert stored is not None and b"act.0001" not in stored.sealed and b"rft.0001" not in stored.sealed
        credentials = {"client_id": CLIENT_KEY, "client_secret": CLIENT_SECRET}
        subject = f"oauth\0{CHANNEL}\0{stored.refresh_expires_at!r}"
        assert tokenseal.unseal(tokenseal.key_material(credentials, STATE_KEY), subject, stored.expires_at,
                                stored.sealed) is not None  # fmt: skip
        assert (
            tokenseal.unseal(tokenseal.key_material(credentials, None), subject, stored.expires_at, stored.sealed)
            is None
        )  # the app's secret alone: a database copy opens nothing
    finally:
        adapter.close()
    monkeypatch.setenv("MEDIACTL_STATE_KEY", "another-teams-key-9876543210")
    adapter = probe(project)
    try:
        with pytest.raises(oauth.AuthorizationNeeded) as closed:
            adapter.ping()
        assert "does not open: MEDIACTL_STATE_KEY or the channel's client secret" in closed.value.message
    finally:
        adapter.close()
    monkeypatch.delenv("MEDIACTL_STATE_KEY")
    with pytest.raises(StoreError) as refused:
        open_store(load_config(project / "mediactl.yaml"))
    assert "MEDIACTL_STATE_KEY is not set" in refused.value.message


def test_auth_reports_the_grant_as_json_with_the_instructions_on_stderr(cli, project: Path, douyin) -> None:
    result = cli(project, "auth", CHANNEL, "--json", input=redirected() + "\n")
    assert result.exit_code == 0, result.output
    grant = json.loads(result.stdout)  # only the JSON on stdout: the address to open and the prompt went to stderr
    assert (grant["channel"], grant["account"], grant["renews"]) == (CHANNEL, "open-id-0001", True)
    assert grant["expires_at"].endswith("+08:00") and grant["refresh_expires_at"].endswith("+08:00")
    assert "http://127.0.0.1" in result.stderr
    for secret in secrets_of(douyin.platform):
        assert secret not in result.output, secret
