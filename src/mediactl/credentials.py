"""Secrets by reference: ``${VAR}`` in config, values from the environment or ``.env``.

Config files live in git, so a secret must never be written in them: keys that
look secret must hold a ``${VAR}`` reference. Resolved values are remembered in
a process-wide redaction set, and every message the CLI prints passes through
`redact`, so a token that sneaks into an HTTP error body is still never shown.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from mediactl.errors import MediactlError

REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
SECRET_KEY = re.compile(
    r"secret|token|passw(or)?d|api[_-]?key|private[_-]?key|signing[_-]?key|authori[sz]ation"
    r"|cookie|sessdata|csrf",
    re.IGNORECASE,
)
REDACTED = "***"
_MIN_SECRET_LENGTH = 4  # shorter values would redact ordinary words

_known_secrets: set[str] = set()


class MissingCredentialError(MediactlError):
    """A ``${VAR}`` reference names a variable that is set neither in the environment nor `.env`."""


def looks_secret(key: str) -> bool:
    return bool(SECRET_KEY.search(key))


def has_reference(value: str) -> bool:
    return bool(REF.search(value))


def references(value: str) -> list[str]:
    return REF.findall(value)


def register_secret(value: str) -> None:
    """Remember a secret so that `redact` hides it from every later message."""
    if value and len(value) >= _MIN_SECRET_LENGTH:
        _known_secrets.add(value)


def redact(text: str) -> str:
    if not _known_secrets:  # the common case, and called once per line of large reports
        return text
    for secret in sorted(_known_secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def read_dotenv(path: Path) -> dict[str, str]:
    """The variables of a ``.env`` file (python-dotenv's parser: quotes, `export`, comments)."""
    if not path.is_file():
        return {}
    from dotenv import dotenv_values  # imported lazily: most commands never need it

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
