"""Access tokens at rest: sealed with AES-256-GCM under a key derived from the channel's own credentials.

A copied state store reveals no token without the channel's secret: the key is HKDF-SHA256
over the channel's resolved credential values (which are never stored), and MEDIACTL_STATE_KEY
when it is set (the team's key, required with a shared PostgreSQL store, whose copies and backups
travel further than a file in `.mediactl/`), with a fresh random salt for every token. The channel's name and the token's expiry are bound as associated data,
so a sealed token cannot be moved to another channel or given a longer life by editing its row.
A token that does not open (the secret was rotated, the row was altered) is simply not there:
the adapter fetches a new one. `cryptography` is imported here only, when a token is cached: every
API adapter imports this module, and a run that caches no token does not pay the ~8 ms.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only
    from mediactl.config.credentials import Environment

VERSION = b"\x01"
SALT_BYTES, NONCE_BYTES = 16, 12
INFO = b"mediactl access-token cache v1"
STATE_KEY = "MEDIACTL_STATE_KEY"


def state_key(environment: Environment) -> str | None:
    """The team's state key, from the environment or the project's .env (registered as a secret), if set."""
    from mediactl.core.redaction import register_secret  # lazy: start-up

    found = environment.get(STATE_KEY) or None
    if found is not None:
        register_secret(found)
    return found


def key_material(credentials: Mapping[str, str], state: str | None = None) -> bytes:
    """The channel's resolved credentials, unambiguously joined (each key and value length-prefixed), and the
    state key after them when there is one (a token sealed without it does not open with it, and is fetched anew)."""
    pairs = [(key, credentials[key]) for key in sorted(credentials)] + ([(f"\0{STATE_KEY}", state)] if state else [])
    parts = [text.encode("utf-8") for pair in pairs for text in pair]
    return b"".join(len(part).to_bytes(4, "big") + part for part in parts)


def seal(material: bytes, channel: str, expires_at: float, token: str) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # lazy: start-up, see the module's docstring

    salt, nonce = os.urandom(SALT_BYTES), os.urandom(NONCE_BYTES)
    sealed = AESGCM(_key(material, salt)).encrypt(nonce, token.encode("utf-8"), _bound(channel, expires_at))
    return VERSION + salt + nonce + sealed


def unseal(material: bytes, channel: str, expires_at: float, sealed: bytes) -> str | None:
    """The token, or None when it does not open with this key (another secret, another channel, altered)."""
    from cryptography.exceptions import InvalidTag  # lazy: start-up, as seal
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # lazy: start-up, as seal

    header = len(VERSION) + SALT_BYTES + NONCE_BYTES
    if not sealed.startswith(VERSION) or len(sealed) <= header:
        return None
    salt_at, nonce_at = len(VERSION), len(VERSION) + SALT_BYTES
    salt, nonce, body = sealed[salt_at:nonce_at], sealed[nonce_at:header], sealed[header:]
    try:
        token = AESGCM(_key(material, salt)).decrypt(nonce, body, _bound(channel, expires_at))
    except InvalidTag:
        return None
    return token.decode("utf-8")


def _key(material: bytes, salt: bytes) -> bytes:
    """HKDF, not a password hash: the material is the platform's own secret, random and long."""
    from cryptography.hazmat.primitives import hashes  # lazy: start-up, as seal
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF  # lazy: start-up, as seal

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=INFO).derive(material)


def _bound(channel: str, expires_at: float) -> bytes:
    return f"{channel}\0{expires_at!r}".encode()
