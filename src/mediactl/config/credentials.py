"""Secrets by reference: ``${VAR}`` in config, values from the environment or ``.env``.

Config files live in git, so a secret must never be written in them: keys that
look secret must hold a ``${VAR}`` reference. Resolved values are registered with
`core.redaction`, so every message the CLI prints, stores or logs hides them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote_plus, urlsplit

from mediactl.core.errors import MediactlError
from mediactl.core.redaction import (  # re-used here: config validation names what looks secret
    register_secret,
    secret_name,
)

REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class MissingCredentialError(MediactlError):
    """A ``${VAR}`` reference names a variable that is set neither in the environment nor `.env`."""


def has_reference(value: str) -> bool:
    return bool(REF.search(value))


def references(value: str) -> list[str]:
    return REF.findall(value)


def is_reference(value: object) -> bool:
    """Exactly one ``${VAR}``, nothing before or after it: the only form a secret may take in a config file."""
    return isinstance(value, str) and REF.fullmatch(value) is not None


def url_secrets(url: str) -> list[tuple[str, str]]:
    """The secret-bearing parts of a URL or DSN, as (what, value): the userinfo's password and every query
    (or fragment) parameter whose name carries a secret (`key`, `token`, `sign`, `access_token` …)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # not a URL (an unclosed IPv6 bracket): nothing to find in it
        return []
    found = []
    userinfo, at, _host = parts.netloc.rpartition("@")
    _user, colon, password = userinfo.partition(":")
    if at and colon:
        found.append(("the password", password))
    for pairs in (parts.query, parts.fragment):
        for pair in filter(None, pairs.split("&")):
            name, _, value = pair.partition("=")
            if secret_name(unquote_plus(name)):
                found.append((f"the query parameter '{unquote_plus(name)}'", value))
    return found


def register_url_secrets(url: str) -> None:
    """Register the secret-bearing parts of a resolved URL (a webhook's key): hidden wherever they surface."""
    for _what, value in url_secrets(url):
        register_secret(unquote_plus(value))
        register_secret(value)


def read_dotenv(path: Path) -> dict[str, str]:
    """The variables of a ``.env`` file (python-dotenv's parser: quotes, `export`, comments)."""
    if not path.is_file():
        return {}
    from dotenv import dotenv_values  # lazy: start-up, most commands never read a .env (~14 ms)

    return {k: v for k, v in dotenv_values(path).items() if v is not None}


class Environment:
    """The process environment laid over a project's ``.env``; the real environment wins."""

    def __init__(self, dotenv: Path | None = None, environ: Mapping[str, str] | None = None):
        self._environ = os.environ if environ is None else environ
        self._dotenv_path = dotenv
        self._dotenv: dict[str, str] | None = None

    def get(self, name: str) -> str | None:
        if name in self._environ:
            return self._environ[name]
        if self._dotenv is None:
            self._dotenv = read_dotenv(self._dotenv_path) if self._dotenv_path else {}
        return self._dotenv.get(name)

    def missing(self, value: str) -> list[str]:
        """The variables referenced in `value` that are not set."""
        return [name for name in references(value) if self.get(name) is None]

    def interpolate(self, value: str, *, where: str, secret: bool = False) -> str:
        """Replace each ``${VAR}`` in `value`; a missing variable is an error naming it."""

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            found = self.get(name)
            if found is None:
                raise MissingCredentialError(
                    f"{where}: environment variable {name} is not set.",
                    hint=f"export {name}=… in the shell, or add it to the project's .env file.",
                )
            if secret:
                register_secret(found)
            return found

        return REF.sub(substitute, value)
