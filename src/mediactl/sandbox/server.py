"""The sandbox's HTTP side: a loopback-only `ThreadingHTTPServer` in a daemon thread.

HTTP/1.1 with keep-alive (every answer carries Content-Length), JSON answers, bodies up to
16 MiB. `stop()` ends the serving loop, closes every open connection and wakes any handler
that is sleeping (latency or the "timeout" fault), so nothing outlives the sandbox.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mediactl.sandbox.core import Core, Platform, Reply, Request
from mediactl.sandbox.options import SandboxOptions, check_fault
from mediactl.sandbox.platforms import PLATFORMS

MAX_BODY = 16 * 1024 * 1024
HOLD_SECONDS = 30.0  # the "timeout" fault: how long the answer is held back
IDLE_SECONDS = 30.0  # a keep-alive connection idle this long is closed
SANDBOX_HEADER = "X-Mediactl-Sandbox"  # on every answer: what a client got here is not a real platform's


def _loopback(host: str) -> tuple[socket.AddressFamily, str]:
    """The address family and literal address for `host`; ValueError unless it is a loopback address."""
    if host == "localhost":
        return socket.AF_INET, "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is None or not address.is_loopback:
        raise ValueError(f"the sandbox binds to a loopback address only (127.0.0.1, ::1), not {host!r}")
    return (socket.AF_INET6 if address.version == 6 else socket.AF_INET), str(address)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], family: socket.AddressFamily, state: Core, stopping: threading.Event):
        self.address_family = family
        self.state = state
        self.stopping = stopping
        self.verbose = state.options.verbose
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, conn: socket.socket, add: bool) -> None:
        with self._open_lock:
            if add:
                self._open.add(conn)
            else:
                self._open.discard(conn)

    def close_connections(self) -> None:
        with self._open_lock:
            conns, self._open = list(self._open), set()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if self.verbose:
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mediactl-sandbox"
    sys_version = ""
    timeout = IDLE_SECONDS
    server: _Server

    def setup(self) -> None:
        super().setup()
        # No Nagle: headers and body would otherwise wait for the client's delayed ACK (~40 ms a call).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request comes from _serve when verbose

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_DELETE = do_PUT = do_PATCH = do_GET

    def _serve(self) -> None:
        url = urlsplit(self.path)
        path = url.path
        body = self._read_body(path)
        if body is None:
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        state = self.server.state
        try:
            reply = state.handle(Request(self.command, path, query, headers, body))
        except Exception as exc:  # a sandbox bug: answer it as a 500 rather than hanging the client
            reply = Reply(500, {"errcode": -1, "errmsg": f"sandbox internal error: {exc!r}"})
            state.note_call(self.command, path, 500)
        stopping = self.server.stopping
        if reply.platform and state.options.latency_ms and stopping.wait(state.options.latency_ms / 1000):
            return self._abort()
        if self.server.verbose:
            self._log_line(path, reply)
        if reply.action == "drop":
            return self._abort()
        if reply.action == "delay" and stopping.wait(HOLD_SECONDS):
            return self._abort()
        self._send(reply)

    def _read_body(self, path: str) -> bytes | None:
        """The request body, or None after answering an unreadable one (the connection then closes)."""
        if self.headers.get("Transfer-Encoding"):
            self._refuse(path, 411, "send a Content-Length (chunked bodies are not supported)")
            return None
        raw = self.headers.get("Content-Length", "0")
        try:
            length = int(raw)
        except ValueError:
            length = -1
        if length < 0:
            self._refuse(path, 400, f"invalid Content-Length {raw!r}")
            return None
        if length > MAX_BODY:
            self._refuse(path, 413, f"body of {length} bytes is over the sandbox's {MAX_BODY} bytes")
            return None
        try:
            body = self.rfile.read(length)
        except OSError:
            body = b""
        if len(body) != length:
            self.close_connection = True
            return None
        return body

    def _refuse(self, path: str, status: int, message: str) -> None:
        self.server.state.note_call(self.command, path, status)
        self.close_connection = True
        self._send(Reply(status, {"errcode": -1, "errmsg": message}, {"Connection": "close"}))

    def _abort(self) -> None:
        """Close the connection without an answer: the client sees a disconnect, not a status."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send(self, reply: Reply) -> None:
        text = isinstance(reply.body, str)  # a page that is not the platform's JSON (the "garbled" fault)
        data = reply.body.encode("utf-8") if text else json.dumps(reply.body, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(reply.status)
            if "Content-Type" not in reply.headers:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header(SANDBOX_HEADER, "1")  # an adapter marks what it delivered here as a sandbox delivery
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:  # the client went away (timed out, or the sandbox is stopping)
            self.close_connection = True

    def _log_line(self, path: str, reply: Reply) -> None:
        status = {"drop": "dropped", "delay": "held 30 s"}.get(reply.action, str(reply.status))
        body = reply.body if isinstance(reply.body, dict) else {}
        errcode = body.get("errcode") or body.get("error_code")
        extra = f" errcode={errcode}" if errcode else ""
        print(f"sandbox: {self.command} {path} → {status}{extra}", file=sys.stderr, flush=True)


def _shutdown(server: _Server) -> None:
    """`server.shutdown()`, without waiting out the serving loop's poll interval.

    The loop notices the shutdown request only when its `select` returns, so connect to the
    listening socket to wake it (the standard self-connect trick); the poll interval stays long
    so that an idle sandbox costs nothing.
    """
    stopper = threading.Thread(target=server.shutdown, name="mediactl-sandbox-stop", daemon=True)
    stopper.start()
    address = server.server_address[:2]
    for _ in range(50):
        stopper.join(0.005)
        if not stopper.is_alive():
            return
        with contextlib.suppress(OSError):
            socket.create_connection(address, timeout=0.2).close()  # type: ignore[arg-type]
    stopper.join(5)


class Sandbox:
    """The platform sandbox: start it, point a channel's `base_url` at `url`, read `posts()`."""

    def __init__(self, options: SandboxOptions | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.options = options if options is not None else SandboxOptions()
        self._family, self._host = _loopback(host)
        if not (isinstance(port, int) and 0 <= port <= 65535):
            raise ValueError(f"port must be 0–65535, not {port!r}")
        self._port = port
        self._state = Core(self.options, PLATFORMS)
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Sandbox:
        if self._server is not None:
            raise RuntimeError("the sandbox is already running")
        self._stopping.clear()
        self._server = _Server((self._host, self._port), self._family, self._state, self._stopping)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.5}, name="mediactl-sandbox", daemon=True
        )
        self._thread.start()
        self._state.base_url = self.url  # posts get URLs on this host, never on a platform's domain
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        _shutdown(server)
        server.server_close()
        server.close_connections()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the sandbox is not running: call start() first")
        port = self._server.server_address[1]
        host = f"[{self._host}]" if self._family == socket.AF_INET6 else self._host
        return f"http://{host}:{port}"

    def base(self, platform: str) -> str:
        """Where `platform` is served: ``{url}/{platform}`` (what an adapter's api_base() is in the sandbox)."""
        if platform not in self._state.platforms:
            raise ValueError(
                f"the sandbox emulates no platform {platform!r} (it has: {', '.join(self._state.platforms)})"
            )
        return f"{self.url}/{platform}"

    def platform(self, name: str) -> Platform:
        """The emulated platform `name`, for a test to adjust (e.g. Weibo's `safe_domains`)."""
        self.base(name)
        return self._state.platforms[name]

    def issue_token(self, platform: str, account: str, ttl: int | None = None) -> str:
        """An access token of `account` on `platform`, for a test of the platform's routes themselves (a channel gets
        its token the real way: `mediactl auth` against the sandbox's OAuth endpoints)."""
        self.base(platform)
        with self._state.lock:
            return self._state.issue_token(platform, account, ttl)[0]

    def posts(self) -> list[dict[str, Any]]:
        return self._state.posts()

    def calls(self) -> list[dict[str, Any]]:
        return self._state.calls()

    def reset(self) -> None:
        self._state.clear_records()

    def advance_clock(self, seconds: float) -> float:
        """Move the audience's clock on: posts' numbers grow as if `seconds` had passed (sandbox/growth.py)."""
        return self._state.advance_clock(seconds)

    def add_fault(self, kind: str) -> None:
        self._state.add_fault(check_fault(kind))

    @property
    def pending_faults(self) -> list[str]:
        return self._state.pending_faults()


def serve(options: SandboxOptions, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Run the sandbox in the foreground until Ctrl-C (or SIGINT); then stop cleanly."""
    sandbox = Sandbox(options, host, port).start()
    print(f"mediactl sandbox listening on {sandbox.url} (Ctrl-C to stop)", file=sys.stderr, flush=True)
    try:
        while not sandbox._stopping.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
