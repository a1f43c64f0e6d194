"""A small HTTP server on 127.0.0.1 for one test: it records every request and answers as the test says.

The tests of the hand-off notifications and of OAuth stand up their own receiver or platform with
this, instead of the project's sandbox, so they say exactly what the platform answers.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        """The body as a form (application/x-www-form-urlencoded)."""
        return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8")).items()}

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


# A handler answers one request: (HTTP status, JSON body).
Answer = Callable[[Request], tuple[int, Any]]


@dataclass
class LocalServer:
    answer: Answer
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(self.command, parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()},
                                  {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length))  # fmt: skip
                owner.requests.append(request)
                status, body = owner.answer(request)
                data = json.dumps(body, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle

            def log_message(self, format: str, *args: Any) -> None:  # the stdlib names it `format`
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> LocalServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
