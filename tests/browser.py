"""The preview gallery in a real headless browser: Debian's `chromium`, driven by Playwright.

Shared by tests/test_preview_browser.py and tools/readme_images.py (the README's screenshot is taken with
the same code the test runs). Playwright's own browser download is not reachable here: the browser is the
system's `chromium` (`apt-get install chromium`; `.ci/run` installs it), started with `executable_path`.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mediactl.preview.server import PreviewServer


def chromium() -> str | None:
    """The system's Chromium, or None when it is not installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def missing() -> str | None:
    """Why the browser tests cannot run here (None: they can)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    if chromium() is None:
        return "chromium is not installed (apt-get install -y chromium)"
    return None


def require() -> None:
    """Skip the calling test where the browser is missing, but fail it where CI is set: CI installs Chromium, so a
    browser test that cannot run there is a broken setup, not a reason to pass."""
    import pytest

    reason = missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and the browser test cannot run: {reason}")
        pytest.skip(reason)


def gallery_of(build: Path, name: str, views: list[Any]) -> Path:
    """`build` with the preview gallery of `views` (gallery.VariantView) written into it, as `mediactl preview` writes
    it for a project called `name`: what the browser tests open."""
    from types import SimpleNamespace

    from mediactl.preview.page import write_gallery

    write_gallery(SimpleNamespace(build_path=build, project=SimpleNamespace(name=name)), views)  # type: ignore[arg-type]
    return build


def boxed_media(kind: str, name: str, path: Path, meta: dict[str, Any], shown: str, **where: Any) -> tuple[Any, Any]:
    """The preview's view of the media file at `path` (shown as `shown`) with one 保本 finding boxed in it, placed as
    check places words read in a picture or a video frame (`where`: field, region, time), and that finding."""
    from mediactl.check.findings import Finding
    from mediactl.preview import gallery

    media = gallery._file(kind, name, path, gallery._sha256(path) or "", meta)
    assert media.path is not None  # proven: its bytes hash to the sha256 given
    finding = Finding(shown, 1, 1, "finance.promise.principal", "error", "保本", "保本", "保本", **where)
    boxed, placed = gallery._boxed(media, shown, [finding])
    assert placed == [0]
    return boxed, gallery._finding_view(finding, True)


@contextmanager
def browser() -> Iterator[Any]:
    """A headless Chromium (Playwright's Browser); as root, Chromium's own sandbox cannot start: --no-sandbox."""
    from playwright.sync_api import sync_playwright

    root = hasattr(os, "geteuid") and os.geteuid() == 0
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium(), args=["--no-sandbox"] if root else [], timeout=60_000
        )
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def served(build: Path) -> Iterator[PreviewServer]:
    """`build/` served by mediactl's own preview server on a free port, stopped at the end."""
    server = PreviewServer(build, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass
class Watched:
    """What went wrong while a page loaded: console errors, script errors and requests that failed."""

    errors: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> Any:
        page.on("console", lambda message: message.type == "error" and self.errors.append(f"console: {message.text}"))
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on("requestfailed", self._failed)
        page.on("response", lambda r: r.status >= 400 and self.errors.append(f"HTTP {r.status}: {r.url}"))
        return page

    def _failed(self, request: Any) -> None:
        # A <video preload=metadata> reads the clip's start and then cancels the rest of the download: Chromium
        # reports that request as aborted. That is the browser choosing to stop, not a load that failed.
        if request.resource_type == "media" and request.failure == "net::ERR_ABORTED":
            return
        self.errors.append(f"request failed: {request.url} ({request.failure})")


def new_page(launched: Any, watched: Watched, width: int = 1280, height: int = 900) -> Any:
    return watched.attach(launched.new_page(viewport={"width": width, "height": height}))


def open_page(page: Any, url: str) -> None:
    """Load `url` and wait (bounded) until the page and every font, image and frame are loaded."""
    page.goto(url, wait_until="load", timeout=30_000)
    page.evaluate("document.fonts.ready.then(() => true)")


VIDEO_METADATA = """async (video) => {
  if (video.readyState < 1) {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no loadedmetadata within 20 s: " + video.currentSrc)), 20000);
      video.addEventListener("loadedmetadata", () => { clearTimeout(timer); resolve(); }, {once: true});
      video.addEventListener("error", () => { clearTimeout(timer); reject(new Error("video error " + video.error?.code)); }, {once: true});
      video.load();
    });
  }
  return {duration: video.duration, width: video.videoWidth, height: video.videoHeight, src: video.currentSrc};
}"""


def video_metadata(element: Any) -> dict[str, Any]:
    """The <video>'s duration and size once it reached `loadedmetadata` (waits at most 20 s)."""
    return element.evaluate(VIDEO_METADATA)


def screenshot(page: Any, path: Path, *, full_page: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=full_page)
    return path
