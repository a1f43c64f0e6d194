"""Secrets never reach the terminal, the state store or the audit log, even when a platform echoes a request.

A misconfigured proxy or platform may answer with a non-JSON page that repeats the request: the
channel's secret, and tokens that this process never saw (fetched and cached by another run).
Both must be hidden on every path out: printed outcomes, `queue ls`/`queue show`, the job's
`error` column and the audit log.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mediactl.core import redaction

SLUG = "anti-fraud-2026"
SECRET = "SuperSecretValue-9f8e7d6c"
ECHOED_TOKEN = "ECHOTOKEN-4b3a2c1d0e9f8a7b"  # never registered in this process: another run fetched it
LEAKS = ("SuperSecre", "ECHOTOKEN")  # a truncated echo must not leak a prefix either


class _Echo(BaseHTTPRequestHandler):
    """Answers every POST with 200 and an HTML page that repeats the request (as a broken gateway would)."""

    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
        page = f"<pre>?access_token={ECHOED_TOKEN} {body}</pre>".encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def echo() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def approved(cli, example: Path, monkeypatch, echo: str) -> Path:
    monkeypatch.setenv("MEDIACTL_SANDBOX_URL", echo)
    monkeypatch.setenv("BANK_WECHAT_APPID", "wx01")
    monkeypatch.setenv("BANK_WECHAT_SECRET", SECRET)
    monkeypatch.setenv("MEDIACTL_USER", "li.na")
    assert cli(example, "check", SLUG).exit_code == 0
    monkeypatch.setenv("MEDIACTL_USER", "wang.min")
    assert cli(example, "approve", SLUG).exit_code == 0
    return example


def assert_hidden(text: str) -> None:
    for leak in LEAKS:
        assert leak not in text, text


def test_an_echoed_request_leaks_nothing_anywhere(cli, approved: Path) -> None:
    result = cli(approved, "publish", SLUG, "--channel", "bank-wechat", "--at", "2020-01-01T00:00")
    assert "WeChat answered with something that is not a JSON object" in result.output  # still diagnosable
    assert_hidden(result.output)
    for args in (("queue", "ls"), ("queue", "ls", "--json"), ("queue", "show", "1"), ("log",), ("log", "--json")):
        listed = cli(approved, *args)
        assert listed.exit_code == 0, listed.output
        assert_hidden(listed.output)
    with sqlite3.connect(approved / ".mediactl/queue.sqlite3") as db:
        (error,) = db.execute("SELECT error FROM jobs").fetchone()
    assert "WeChat answered with something that is not a JSON object" in error
    assert_hidden(error)
    assert_hidden((approved / ".mediactl/audit.jsonl").read_text("utf-8"))


def test_a_rejected_webhook_echo_leaks_neither_url_key_nor_token(cli, example: Path, monkeypatch, echo: str) -> None:
    config = example / "mediactl.yaml"
    url = f"url: {echo}/hook?key=${{HOOK_KEY}}"
    config.write_text(config.read_text("utf-8").replace("url: http://127.0.0.1:8765/webhook/ops-robot", url), "utf-8")
    index = example / "content/article" / SLUG / "index.md"
    index.write_text(index.read_text("utf-8").replace("  - outbox\n", "  - outbox\n  - ops-robot\n", 1), "utf-8")
    monkeypatch.setenv("OPS_ROBOT_SECRET", "robot-signing-key-0123")
    monkeypatch.setenv("HOOK_KEY", "SuperSecretHookKey-1234")
    monkeypatch.setattr(_Echo, "status", 400)
    monkeypatch.setattr(_Echo, "do_POST", _echo_request_line)
    monkeypatch.setenv("MEDIACTL_USER", "li.na")
    assert cli(example, "check", SLUG).exit_code == 0
    monkeypatch.setenv("MEDIACTL_USER", "wang.min")
    assert cli(example, "approve", SLUG).exit_code == 0
    result = cli(example, "publish", SLUG, "--channel", "ops-robot", "--json")
    (outcome,) = json.loads(result.stdout)
    assert outcome["state"] == "failed" and "HTTP 400" in outcome["detail"]
    assert_hidden(result.output)
    assert "key=***" in outcome["detail"]


def _echo_request_line(self: _Echo) -> None:
    self.rfile.read(int(self.headers.get("Content-Length") or 0))
    page = f"bad request: POST {self.path}&access_token={ECHOED_TOKEN}".encode()
    self.send_response(self.status)
    self.send_header("Content-Type", "text/plain")
    self.send_header("Content-Length", str(len(page)))
    self.end_headers()
    self.wfile.write(page)


# --- the patterns, one by one ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hidden", "kept"),
    [
        ("GET /cgi-bin/draft/add?access_token=ECHOTOKEN-1&x=1", "ECHOTOKEN-1", "access_token=***&x=1"),
        ("/send?key=abc123def&debug=1", "abc123def", "key=***&debug=1"),
        ("?sign=0f9e8d7c6b5a&timestamp=1700000000", "0f9e8d7c6b5a", "timestamp=1700000000"),
        ("password=hunter2hunter2 user=li", "hunter2", "user=li"),
        ('{"appid": "wx-unregistered", "secret": "SuperSecretValue-9f8e', "SuperSecret", '"appid": "wx-unregistered"'),
        ("{'client_secret': 'abcdef0123456789'}", "abcdef0123456789", "'client_secret': '***'"),
        ('{"password": 12345678}', "12345678", '"password": ***'),
        ("Authorization: Bearer eyJhbGciOi.JIUzI1NiJ9.e30", "eyJhbGciOi", "Authorization: ***"),
        ("sent with bearer abc.def-123456", "abc.def-123456", "bearer ***"),
        ("X-Hook-Sign: 9f8e7d6c5b4a\r\nHost: x", "9f8e7d6c5b4a", "Host: x"),
        ("Cookie: SESSDATA=abcdef123456; other=1", "abcdef123456", "Cookie: ***"),
        ("postgresql://app:pgPassw0rd@db/media", "pgPassw0rd", "postgresql://app:***@db/media"),
        ("https://user:tok3n@example.com/x", "tok3n", "https://user:***@example.com/x"),
    ],
)
def test_secret_looking_values_are_redacted(text: str, hidden: str, kept: str) -> None:
    redacted = redaction.redact(text)
    assert hidden not in redacted
    assert kept in redacted


@pytest.mark.parametrize(
    "text",
    [
        "mediactl.yaml:12:7: channels.wx.credentials.secret: a secret must not be written in the config file",
        "mediactl.yaml:9:7: channels.hook.headers.X-Sign: must be exactly ${HOOK_SIGN}",
        '"idempotency_key": "3f2a9c0d1e5b7a8c"',
        "X-Mediactl-Idempotency-Key: 3f2a9c0d1e5b7a8c",
        "utm_source=wechat&utm_medium=social",
        "content/article/a/index.md:3:1: 本行承诺保本保收益 (adlaw.absolute): 使用了绝对化用语",
        "Bearer bonds and bearer securities",
        "author: li.na; keywords=理财,存款",
        '{"public_key": "ssh-ed25519 AAAAC3Nza", "signed_at": "2026-12-01T09:00"}',
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redaction.redact(text) == text


def test_registered_secrets_are_hidden_even_inside_other_words() -> None:
    redaction.register_secret("reg1stered-Secret-Value")
    assert redaction.redact("x reg1stered-Secret-Value y") == "x *** y"


def test_a_secret_with_characters_json_escapes_is_redacted_from_json_output() -> None:
    """A password with a quote and a backslash (or a Chinese one, in an ASCII-only document) appears escaped in JSON,
    where its plain value never matches: check's JSON findings and the CLI's JSON would have shown it."""
    import json

    from mediactl.core.redaction import redact_known, redact_known_encoded, register_secret

    for secret in ('pa"ss\\wörd-2026', "口令\t隐藏值"):
        register_secret(secret)
        for ascii_only in (False, True):
            document = json.dumps({"quote": f"见 {secret} 处"}, ensure_ascii=ascii_only)
            escaped = json.dumps(secret, ensure_ascii=ascii_only)[1:-1]
            assert escaped in document
            assert escaped not in redact_known(document) and "***" in redact_known(document)
            assert escaped.encode() not in (redact_known_encoded(document.encode()) or b"")
