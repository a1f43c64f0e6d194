"""Redaction: no secret reaches the terminal, a log, the state store or an error message.

Infrastructure every stage uses (the console, the store, the audit log, adapters' errors), so it
lives in core: the secrets a run resolves are registered here (`register_secret`), and `redact`
replaces them, and anything shaped like a secret (``access_token=…``, ``"secret": "…"``,
``Authorization: …``, ``Bearer …``, ``://user:password@``), with ``***``: an echoed request may
carry a token this process never resolved (fetched by another run and cached).
"""

from __future__ import annotations

import json
import re

REDACTED = "***"
_MIN_SECRET_LENGTH = 4  # shorter values would redact ordinary words

_known_secrets: set[str] = set()
_longest_first: list[str] = []  # _known_secrets, longest first: a secret inside another is replaced after it

SECRET_KEY = re.compile(
    r"secret|token|passw(or)?d|api[_-]?key|private[_-]?key|signing[_-]?key|authori[sz]ation"
    r"|cookie|sessdata|csrf",
    re.IGNORECASE,
)
_HEADER_REF = re.compile(r"(?:[A-Za-z][A-Za-z0-9_-]* )?\$\{[A-Za-z_][A-Za-z0-9_]*\}")


def looks_secret(key: str) -> bool:
    return bool(SECRET_KEY.search(key))


def is_header_reference(value: object) -> bool:
    """A secret-bearing header's value: ``${VAR}``, or an auth scheme and one (``Bearer ${VAR}``)."""
    return isinstance(value, str) and _HEADER_REF.fullmatch(value) is not None


def known_secrets() -> list[str]:
    """The secrets registered so far (for a spawned worker process, which starts without them)."""
    return list(_longest_first)


def register_secret(value: str) -> None:
    """Remember a secret so that `redact` hides it from every later message, and from JSON: a secret holding a
    quote, a backslash or a control character is written escaped there (pa\\"ss), which the plain value never
    matches, so its escaped forms (as written with and without ensure_ascii) are secrets too."""
    global _longest_first
    if not value or len(value) < _MIN_SECRET_LENGTH or value in _known_secrets:
        return
    _known_secrets.add(value)
    _known_secrets.add(json.dumps(value, ensure_ascii=False)[1:-1])
    _known_secrets.add(json.dumps(value)[1:-1])  # ascii: the form a \uXXXX-escaping writer would print
    _longest_first = sorted(_known_secrets, key=len, reverse=True)


def secret_name(name: str) -> bool:
    """Whether a parameter, field or header of this name carries a secret.

    What `looks_secret` matches, and the words API signatures use (key, sign, signature,
    auth, pwd …) as whole parts of the name (`appKey`, `X-Hook-Sign`, `sign`), so that
    `keywords`, `author` or `signed_at` are not secrets. Neither are an idempotency key (an
    identifier), a public key or a key's fingerprint (made to be shown).
    """
    parts = set(_NAME_PARTS.split(_CAMEL.sub("_", name).lower()))
    if parts & _NOT_SECRET_WORDS or name.lower() in _PUBLIC_NAMES:
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


def redact_known_encoded(data: bytes) -> bytes | None:
    """`redact_known` for text already encoded as UTF-8, where a secret's bytes occur exactly where the secret does
    (no character's encoding holds another's). None when a secret has no UTF-8 form (a lone surrogate from an
    undecodable environment value): the encoded text may hold it escaped, so only its text can be redacted."""
    for secret in _longest_first:
        try:
            needle = secret.encode("utf-8")
        except UnicodeEncodeError:
            return None
        if needle in data:
            data = data.replace(needle, REDACTED.encode("utf-8"))
    return data


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
# Names that look secret but hold a public identifier: Douyin calls its app id `client_key`, and it is in every
# authorize URL an operator opens (`mediactl auth`); hidden, the URL would not work. Its secret is client_secret.
_PUBLIC_NAMES = frozenset({"client_key"})
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
