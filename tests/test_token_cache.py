"""Access tokens at rest: sealed with a key from the channel's own secret, or kept only in memory."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mediactl.config.model import Channel, load_config
from mediactl.publish.adapters.http import HttpAdapter
from mediactl.publish.adapters.wechat_oa import WechatOfficialAccountAdapter
from mediactl.publish.store import Store
from mediactl.sandbox import Sandbox, SandboxOptions


@pytest.fixture
def sandbox(monkeypatch) -> Iterator[Sandbox]:
    with Sandbox(SandboxOptions(seed=3)) as running:
        monkeypatch.setenv("MEDIACTL_SANDBOX_URL", running.url)
        monkeypatch.setenv("BANK_WECHAT_APPID", "wx-token-cache")
        monkeypatch.setenv("BANK_WECHAT_SECRET", "the-channel-secret-1")
        yield running


@pytest.fixture
def store(example: Path) -> Iterator[Store]:
    opened = Store(example / ".mediactl/queue.sqlite3")
    yield opened
    for adapter in _OPEN:
        adapter.close()
    _OPEN.clear()
    opened.close()


_OPEN: list[HttpAdapter] = []


def wechat(example: Path, store: Store) -> WechatOfficialAccountAdapter:
    """A fresh adapter, as the next run would create it."""
    config = load_config(example / "mediactl.yaml")
    adapter = WechatOfficialAccountAdapter(config.channel("bank-wechat"), config)
    adapter.store = store
    _OPEN.append(adapter)
    return adapter


def token_fetches(sandbox: Sandbox) -> int:
    return sum(1 for call in sandbox.calls() if call["path"] == "/wechat_oa/cgi-bin/stable_token")


def rows(store: Store) -> list[tuple[str, str]]:
    return store.db.execute("SELECT channel, typeof(token) FROM tokens").fetchall()


def test_a_cached_token_is_sealed_and_reused(example: Path, store: Store, sandbox: Sandbox) -> None:
    token = wechat(example, store).token()
    assert [tuple(row) for row in rows(store)] == [("bank-wechat", "blob")]
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    on_disk = b"".join(path.read_bytes() for path in (example / ".mediactl").glob("queue.sqlite3*"))
    assert token.encode() not in on_disk
    assert wechat(example, store).token() == token  # the next run opens it: no new fetch
    assert token_fetches(sandbox) == 1


def test_a_rotated_secret_is_a_cache_miss(example: Path, store: Store, sandbox: Sandbox, monkeypatch) -> None:
    first = wechat(example, store).token()
    monkeypatch.setenv("BANK_WECHAT_SECRET", "the-channel-secret-2")
    assert wechat(example, store).token()  # the sealed token does not open: fetched again, no error
    assert token_fetches(sandbox) == 2
    assert first  # (the platform may hand out the same token again: what matters is that it was asked)


def test_a_plaintext_token_of_an_older_version_is_never_used_and_deleted(
    example: Path, store: Store, sandbox: Sandbox
) -> None:
    store.db.execute("INSERT INTO tokens VALUES ('bank-wechat', 'PLAINTEXT-OLD-TOKEN', 9999999999)")
    store.db.execute("INSERT INTO tokens VALUES ('gone-channel', 'PLAINTEXT-OTHER', 9999999999)")
    assert wechat(example, store).token() != "PLAINTEXT-OLD-TOKEN"
    assert token_fetches(sandbox) == 1
    assert [tuple(row) for row in rows(store)] == [("bank-wechat", "blob")]


class _NoSecretAdapter(HttpAdapter):
    """A platform whose token needs no configured secret (a device flow, say)."""

    fetched = 0

    def fetch_token(self) -> tuple[str, float]:
        type(self).fetched += 1
        return f"memory-only-token-{self.fetched}", 7200.0


def test_a_channel_without_a_secret_keeps_its_token_in_memory_only(example: Path, store: Store) -> None:
    config: Any = load_config(example / "mediactl.yaml")
    adapter = _NoSecretAdapter(Channel(name="plain", platform="webhook"), config)
    adapter.store = store
    _OPEN.append(adapter)
    assert adapter.token() == adapter.token() == "memory-only-token-1"
    assert rows(store) == []
    with sqlite3.connect(example / ".mediactl/queue.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM tokens").fetchone() == (0,)


def test_a_sealed_token_opens_only_for_its_channel_expiry_and_secret() -> None:
    from mediactl.publish.adapters import tokenseal

    key = tokenseal.key_material({"appid": "wx1", "secret": "s3cret-one"})
    sealed = tokenseal.seal(key, "bank-wechat", 1800000000.5, "the-token")
    assert b"the-token" not in sealed
    assert tokenseal.unseal(key, "bank-wechat", 1800000000.5, sealed) == "the-token"
    assert tokenseal.unseal(key, "other-channel", 1800000000.5, sealed) is None
    assert tokenseal.unseal(key, "bank-wechat", 1900000000.0, sealed) is None  # a longer life, edited in
    other = tokenseal.key_material({"appid": "wx1", "secret": "s3cret-two"})
    assert tokenseal.unseal(other, "bank-wechat", 1800000000.5, sealed) is None
    assert tokenseal.unseal(key, "bank-wechat", 1800000000.5, sealed[:-1]) is None
