"""Secrets by reference: ``${VAR}`` in config, values from the environment or ``.env``.

Config files live in git, so a secret must never be written in them: keys that
look secret must hold a ``${VAR}`` reference. Resolved values are remembered in
a process-wide redaction set, and every message the CLI prints, stores or logs passes
through `redact`, so a token that sneaks into an HTTP error body is still never shown.
`redact` also hides what merely looks like a secret (``access_token=…``, ``"secret": "…"``,
``Authorization: …``, ``Bearer …``, ``://user:password@``): an echoed request may carry a
token this process never resolved (fetched by another run and cached).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote_plus, urlsplit

from mediactl.core.errors import MediactlError

REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_HEADER_REF = re.compile(r"(?:[A-Za-z][A-Za-z0-9_-]* )?\$\{[A-Za-z_][A-Za-z0-9_]*\}")
SECRET_KEY = re.compile(
    r"secret|token|passw(or)?d|api[_-]?key|private[_-]?key|signing[_-]?key|authori[sz]ation"
    r"|cookie|sessdata|csrf",
    re.IGNORECASE,
)
REDACTED = "***"
_MIN_SECRET_LENGTH = 4  # shorter values would redact ordinary words

_known_secrets: set[str] = set()
_longest_first: list[str] = []  # _known_secrets, longest first: a secret inside another is replaced after it


class MissingCredentialError(MediactlError):
    """A ``${VAR}`` reference names a variable that is set neither in the environment nor `.env`."""


def looks_secret(key: str) -> bool:
    return bool(SECRET_KEY.search(key))


def has_reference(value: str) -> bool:
    return bool(REF.search(value))


def references(value: str) -> list[str]:
    return REF.findall(value)


def is_reference(value: object) -> bool:
    """Exactly one ``${VAR}``, nothing before or after it: the only form a secret may take in a config file."""
    return isinstance(value, str) and REF.fullmatch(value) is not None


def is_header_reference(value: object) -> bool:
    """A secret-bearing header's value: ``${VAR}``, or an auth scheme and one (``Bearer ${VAR}``)."""
    return isinstance(value, str) and _HEADER_REF.fullmatch(value) is not None


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


def register_secret(value: str) -> None:
    """Remember a secret so that `redact` hides it from every later message."""
    global _longest_first
    if value and len(value) >= _MIN_SECRET_LENGTH and value not in _known_secrets:
        _known_secrets.add(value)
        _longest_first = sorted(_known_secrets, key=len, reverse=True)


def secret_name(name: str) -> bool:
    """Whether a parameter, field or header of this name carries a secret.

    What `looks_secret` matches, and the words API signatures use (key, sign, signature,
    auth, pwd …) as whole parts of the name (`appKey`, `X-Hook-Sign`, `sign`), so that
    `keywords`, `author` or `signed_at` are not secrets. Neither are an idempotency key (an
    identifier), a public key or a key's fingerprint (made to be shown).
    """
    parts = set(_NAME_PARTS.split(_CAMEL.sub("_", name).lower()))
    if parts & _NOT_SECRET_WORDS:
        return False
    return looks_secret(name) or bool(parts & _SECRET_WORDS)


def redact(text: str) -> str:
    """`text` with every registered secret and every secret-looking value replaced by ``***``.

    Registered secrets first (exact), then the patterns; each pattern runs only when the
    characters it needs are in the text, since large reports pass through here line by line.
    """
    for secret in _longest_first:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for needles, pattern in _PATTERNS:
        for needle in needles:
            if needle in text:
                text = pattern.sub(_mask, text)
                break
    return text


def redact_known(text: str) -> str:
    """`text` with every secret resolved in this process replaced by ``***``; no pattern matching.

    For bulk output that quotes the user's own files (check findings: 30 MB of JSON for a large
    library), where the patterns would cost more than the check itself (3 s on that report) and
    would rewrite what the finding quotes. Secrets a run resolved are still never shown.
    """
    for secret in _longest_first:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def redacted_excerpt(text: str, limit: int) -> str:
    """The start of `text` (a platform's answer), redacted before it is cut: a secret cut in two would
    no longer match its registered value, and a cut JSON string is still recognised as one."""
    return redact(text[: limit + 1024])[:limit]


def _mask(match: re.Match[str]) -> str:
    """The match with its `value` (or `bare`) group replaced, if its `name` group names a secret (or it has none)."""
    groups = match.groupdict()
    if "name" in groups and not secret_name(groups["name"]):
        return match[0]
    which = "value" if groups.get("value") is not None else "bare"
    if is_header_reference(groups[which]):  # `key=${HOOK_KEY}` in a message names a variable, not a secret
        return match[0]
    start, end = match.span(which)
    offset = match.start()
    return match[0][: start - offset] + REDACTED + match[0][end - offset :]


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NAME_PARTS = re.compile(r"[^a-z0-9]+")
_SECRET_WORDS = frozenset(
    {"key", "sign", "signature", "sig", "auth", "pwd", "pass", "passphrase", "credential", "credentials"}
)
_NOT_SECRET_WORDS = frozenset({"idempotency", "public", "fingerprint"})
_STOP = r"""\s"'`<>\x1b"""  # a value ends at a space, a quote, markup or an ANSI escape
_LINE_STOP = r"""\r\n"'`<>\x1b"""  # a header's value runs to the end of its line
# (texts one of which must occur for the pattern to match: a test much cheaper than the pattern, the pattern)
_PATTERNS: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = (
    # scheme://user:VALUE@host
    (("://",), re.compile(rf"[A-Za-z][A-Za-z0-9+.-]*://[^{_STOP}/?#@:]*:(?P<value>[^{_STOP}/?#@]+)@")),
    # Authorization: VALUE, Cookie: VALUE, X-Hook-Sign: VALUE
    (
        ("uthorization", "ookie", "X-", "x-"),
        re.compile(
            rf"(?i)(?<![\w.-])(?P<name>(?:proxy-)?authorization|(?:set-)?cookie|x-[\w-]+)[ \t]*:[ \t]*(?P<value>[^{_LINE_STOP}]+)"
        ),
    ),
    # "name": "VALUE" (JSON, also escaped inside JSON), 'name': 'VALUE' (a Python repr), or a bare value;
    # unterminated when an echo was cut short
    (('"',), re.compile(r'\\?"(?P<name>[^"\\\n]{1,64})\\?"\s*:\s*(?:\\?"(?P<value>[^"\\\n]*)|(?P<bare>[\w.+/=~-]+))')),
    (("'",), re.compile(r"'(?P<name>[^'\\\n]{1,64})'\s*:\s*(?:'(?P<value>[^'\\\n]*)|(?P<bare>[\w.+/=~-]+))")),
    # name=VALUE in a query string, a form body, a cookie or a log line
    (("=",), re.compile(rf"(?<![\w.-])(?P<name>[A-Za-z_][\w.-]{{0,63}})=(?P<value>[^{_STOP}&;,]+)")),
    # Bearer VALUE anywhere; a token has a digit or punctuation in it, or is long: "bearer bonds" stays
    (("earer", "EARER"), re.compile(r"(?i)\bbearer\s+(?P<value>[A-Za-z]*[0-9._~+/-][\w.~+/-]*=*|[A-Za-z]{16,}=*)")),
)


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
