#!/usr/bin/env python3
"""Make the README's preview screenshot (docs/preview.png) from the example library, as the project itself shows it.

Creates the example project in a temporary folder (`mediactl init`), renders it, writes the gallery
(`mediactl preview`) and photographs one item page in headless Chromium with the same code the browser
test uses (tests/browser.py: the system's `chromium` driven by Playwright). Run it again after a change
to the gallery's look:

    python tools/readme_images.py            # writes docs/preview.png

Needs the `dev` (or `test`) extra and `apt-get install chromium`.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import browser  # noqa: E402  # tests/browser.py: the one place the browser is started and driven

ITEM = "anti-fraud-2026"
SECTION = "bank-wechat"
MAX_BYTES = 400_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "preview.png")
    args = parser.parse_args()
    reason = browser.missing()
    if reason:
        print(f"cannot take the screenshot: {reason}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "example"
        for command in (["init", str(root)], ["-C", str(root), "render"], ["-C", str(root), "preview"]):
            subprocess.run([sys.executable, "-m", "mediactl", *command], check=True, stdout=subprocess.DEVNULL)
        page_file = root / "build" / "preview" / "items" / f"{ITEM}.html"
        with browser.served(root / "build") as server, browser.browser() as launched:
            watched = browser.Watched()
            page = browser.new_page(launched, watched, width=1280, height=860)
            browser.open_page(page, server.url(f"preview/items/{page_file.name}") + f"#{SECTION}")
            page.locator(f"section#{SECTION}").scroll_into_view_if_needed()
            png = page.screenshot()
        if watched.errors:
            print("\n".join(watched.errors), file=sys.stderr)
            return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(_small(png))
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")
    return 0


def _small(png: bytes) -> bytes:
    """The screenshot as a palette PNG when the full-colour one is over MAX_BYTES (a README image stays light)."""
    if len(png) <= MAX_BYTES:
        return png
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=256, dither=Image.Dither.NONE)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


if __name__ == "__main__":
    sys.exit(main())
