"""Serving build/ on this machine only, for the gallery: the standard library's HTTP server, bounded.

Bound to 127.0.0.1 (never to every interface: the variants are unpublished bank content), read-only
(GET and HEAD of files, no folder listings), with a cap on connections served at once and a timeout on
each, so a stuck or greedy client cannot hold the server. Port 0 takes any free port; `url` says which.
"""

from __future__ import annotations

import os
import re
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml",
         ".jpg": "image/jpeg", ".png": "image/png", ".mp4": "video/mp4", ".otf": "font/otf", ".json": "application/json"}  # fmt: skip
RANGE = re.compile(r"bytes=(\d*)-(\d*)$")
MAX_CONNECTIONS = 32  # a browser opens at most ~6 per host; a page with video makes a few range requests
CONNECTION_SECONDS = 30  # a client silent this long is dropped


class _Handler(SimpleHTTPRequestHandler):
    timeout = CONNECTION_SECONDS

    def guess_type(self, path: Any) -> str:
        """The types the gallery serves, whatever the machine's mimetypes table says (Windows reads the registry)."""
        return TYPES.get(Path(str(path)).suffix.lower()) or super().guess_type(path)

    def send_head(self) -> Any:
        """A file, or the one byte range asked for (`Range: bytes=a-b`): a <video> reads its clip by ranges and
        cannot seek without them. Several ranges in one request are answered with the whole file."""
        wanted = RANGE.match(self.headers.get("Range", "").strip())
        path = self.translate_path(self.path)
        if wanted is None or not os.path.isfile(path) or wanted.group(1) + wanted.group(2) == "":
            return super().send_head()
        handle = open(path, "rb")  # noqa: SIM115  # handed to copyfile, closed by do_GET
        size = os.fstat(handle.fileno()).st_size
        first, last = wanted.groups()
        start, end = (
            (int(first), min(int(last or size - 1), size - 1)) if first else (max(0, size - int(last)), size - 1)
        )
        if start >= size or start > end:
            handle.close()
            self.send_error(416, "range not satisfiable")
            return None
        handle.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        self._left = end - start + 1
        return handle

    def copyfile(self, source: Any, outputfile: Any) -> None:
        left = getattr(self, "_left", None)
        if left is None:
            return super().copyfile(source, outputfile)
        del self._left
        while left > 0:
            block = source.read(min(left, 1 << 16))
            if not block:
                break
            outputfile.write(block)
            left -= len(block)
        return None

    def end_headers(self) -> None:
        if not self.headers.get("Range"):
            self.send_header("Accept-Ranges", "bytes")
        super().end_headers()

    def list_directory(self, path: Any) -> None:
        self.send_error(404, "no folder listings")
        return None

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal shows the address and Ctrl-C, not a line per request."""


class PreviewServer(ThreadingHTTPServer):
    """Files under `folder` on 127.0.0.1:`port`, at most MAX_CONNECTIONS handled at once."""

    daemon_threads = True  # Ctrl-C does not wait for a browser's open connection

    def __init__(self, folder: Path, port: int = 0) -> None:
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        super().__init__((HOST, port), partial(_Handler, directory=str(folder)))

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, path: str = "") -> str:
        return f"http://{HOST}:{self.port}/{path}"

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(timeout=CONNECTION_SECONDS):
            self.shutdown_request(request)  # over the cap for too long: refused, not queued without end
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()
