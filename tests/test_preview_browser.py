"""The preview gallery in a real headless Chromium (issue 15): what the checker sees is what the hash covers.

The example library is rendered once for the module (its video variants take a while), with one known
finding added to an item, and the gallery built by `mediactl preview`. The pages are loaded through
mediactl's own server on 127.0.0.1 and once from disk (file://). Skips only where Chromium or Playwright
is missing, and never when CI is set: there, a missing browser fails the test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import browser
from mediactl.cli import app
from mediactl.library.scaffold import init_project

FLAGGED = "credit-card-cashback"
FINDING = "\n持卡消费返现，本金无忧，\n刷卡即享保本收益。\n"  # two terms of finance.promise.principal, on two lines
RULE = "finance.promise.principal"
VIDEO = "spring-festival-greeting"


@pytest.fixture(scope="module")
def gallery(tmp_path_factory: pytest.TempPathFactory, _user_cache: str, _video_cache: str) -> Iterator[Path]:
    """The example project, rendered with a finding in FLAGGED, and its gallery written: the project's root."""
    browser.require()
    root = tmp_path_factory.mktemp("preview") / "example"
    init_project(root)
    index = next((root / "content").rglob(f"{FLAGGED}/index.md"))
    index.write_text(index.read_text("utf-8") + FINDING, "utf-8")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("XDG_CACHE_HOME", _user_cache)
        env.setenv("MEDIACTL_VIDEO_CACHE", _video_cache)
        env.setenv("MEDIACTL_USER", "tester")
        runner = CliRunner()
        rendered = runner.invoke(app, ["-C", str(root), "render"])
        assert rendered.exit_code == 0, rendered.output
        built = runner.invoke(app, ["-C", str(root), "preview"])
        assert built.exit_code == 0, built.output
    yield root


def manifests(root: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """Every variant render wrote, (item, channel) → its manifest: what the gallery must show."""
    found = {}
    for path in (root / "build").glob("*/*/manifest.json"):
        manifest = json.loads(path.read_text("utf-8"))
        found[(manifest["item"], manifest["channel"])] = manifest
    return found


def test_index_lists_every_variant_and_filters(gallery: Path) -> None:
    expected = manifests(gallery)
    assert len(expected) >= 20  # the example library: 4 items on 12 channels
    watched = browser.Watched()
    with browser.served(gallery / "build") as server, browser.browser() as launched:
        page = browser.new_page(launched, watched)
        browser.open_page(page, server.url("preview/index.html"))
        rows = page.locator("tr.variant-row")
        shown = {(row.get_attribute("data-item"), row.get_attribute("data-channel")) for row in rows.all()}
        assert shown == set(expected)
        assert page.locator("#shown").text_content() == f"{len(expected)} / {len(expected)}"
        page.select_option("select[name=severity]", "error")
        flagged = {k for k in expected if k[0] == FLAGGED and k[1] in ("bank-wechat", "bank-xhs", "outbox")}
        visible = {
            (r.get_attribute("data-item"), r.get_attribute("data-channel")) for r in rows.all() if r.is_visible()
        }
        assert visible == flagged
    assert watched.errors == []


def test_findings_are_highlighted_in_place(gallery: Path) -> None:
    watched = browser.Watched()
    with browser.served(gallery / "build") as server, browser.browser() as launched:
        page = browser.new_page(launched, watched)
        browser.open_page(page, server.url(f"preview/items/{FLAGGED}.html"))
        outbox = page.locator("section#outbox")
        marks = outbox.locator(f"mark.finding.sev-error[data-rule='{RULE}']")
        assert marks.all_text_contents() == ["本金无忧", "保本"]  # on two lines of the Markdown, as written
        wechat = page.frame_locator("section#bank-wechat iframe.body-html")
        assert wechat.locator(f"mark.finding[data-rule='{RULE}']").all_text_contents() == ["本金无忧", "保本"]
        listed = page.locator("section#bank-xhs table.findings tr.sev-error")
        assert listed.count() == 2 and RULE in listed.first.text_content()
        # its status carries no such words (its link, allowed on Weibo, is a diversion.link note at info)
        assert page.locator(f"section#bank-weibo mark.finding[data-rule='{RULE}']").count() == 0
        # the shipped font in both weights, so a bold title is the real Bold, not a face the browser thickens
        loaded = page.evaluate("""async () => { await document.fonts.ready;
            return [...document.fonts].filter(f => f.status === 'loaded').map(f => f.weight).sort(); }""")
        assert loaded == ["400", "700"], loaded
    assert watched.errors == []


def test_videos_load_their_metadata(gallery: Path) -> None:
    expected = manifests(gallery)
    watched = browser.Watched()
    with browser.served(gallery / "build") as server, browser.browser() as launched:
        page = browser.new_page(launched, watched)
        browser.open_page(page, server.url(f"preview/items/{VIDEO}.html"))
        sections = page.locator("section.variant:has(video)")
        assert sections.count() >= 5  # Douyin, Kuaishou, Channels, Bilibili, WeCom moments, outbox …
        for section in sections.all():
            channel = section.get_attribute("data-channel")
            video = expected[(VIDEO, channel)]["video"]
            loaded = browser.video_metadata(section.locator("video").element_handle())
            assert loaded["duration"] > 0, (channel, loaded)
            if video.get("width"):  # transcoded for the channel: the size render made
                assert (loaded["width"], loaded["height"]) == (video["width"], video["height"]), channel
            else:  # the source, unchanged (the outbox takes it as it is)
                assert loaded["width"] > 0 and loaded["height"] > 0, channel
    assert watched.errors == []


def test_pages_work_from_disk_and_a_screenshot_is_written(gallery: Path, tmp_path: Path) -> None:
    watched = browser.Watched()
    preview = gallery / "build" / "preview"
    with browser.browser() as launched:
        page = browser.new_page(launched, watched)
        browser.open_page(page, (preview / "index.html").as_uri())
        assert page.locator("tr.variant-row").count() == len(manifests(gallery))
        browser.open_page(page, (preview / "items" / f"{FLAGGED}.html").as_uri())
        assert page.locator(f"section#outbox mark.finding[data-rule='{RULE}']").count() == 2
        shot = browser.screenshot(page, tmp_path / "preview.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    assert watched.errors == []
