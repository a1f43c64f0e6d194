"""`mediactl preview` without a browser: what the pages say, escaping, finding spans, changed files, errors, JSON."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest

from mediactl.check.findings import Finding
from mediactl.preview.marks import pieces
from mediactl.preview.server import PreviewServer

SLUG = "anti-fraud-2026"
PAGE = f"build/preview/items/{SLUG}.html"


def rendered(cli, example: Path, channel: str = "outbox") -> Path:
    result = cli(example, "render", SLUG, "--channel", channel)
    assert result.exit_code == 0, result.output
    return example


def finding(line: int, column: int, matched: str, rule: str = "finance.promise.principal") -> Finding:
    return Finding("build/outbox/x/body.md", line, column, rule, "error", "明示或暗示保本", matched, "finance")


def test_finding_spans_are_placed_where_they_stand_in_chinese_multiline_text() -> None:
    text = "第一行\n持卡消费返现，本金无忧，\n刷卡即享保本收益。"
    found = [finding(2, 8, "本金无忧"), finding(3, 5, "保本"), finding(2, 1, "保本"), finding(9, 1, "保本")]
    split, placed = pieces(text, found)
    assert "".join(p.text for p in split) == text  # nothing lost or added
    assert [(p.text, p.rule) for p in split if p.rule] == [("本金无忧", found[0].rule), ("保本", found[1].rule)]
    assert placed == [True, True, False, False]  # not where it says (line 2 starts 持), and no line 9: listed only


def test_overlapping_findings_are_not_nested() -> None:
    split, placed = pieces("本金无忧", [finding(1, 1, "本金无忧"), finding(1, 2, "金无", rule="other")])
    assert [p.text for p in split] == ["本金无忧"] and placed == [True, False]


def test_a_title_with_markup_is_shown_as_text(cli, example: Path) -> None:
    index = example / "content" / "article" / SLUG / "index.md"
    text = index.read_text("utf-8")
    title = re.search(r"^title: .*$", text, re.M)
    assert title is not None
    index.write_text(text.replace(title.group(0), "title: \"<script>alert('x')</script>防诈\""), "utf-8")
    rendered(cli, example)
    result = cli(example, "preview", SLUG)
    assert result.exit_code == 0, result.output
    page = (example / PAGE).read_text("utf-8")
    assert "&lt;script&gt;alert(" in page
    assert "<script>alert" not in page
    assert "<script" not in page  # an item page runs no script (but the one showing a video's boxes)


def test_the_page_shows_limits_hash_approval_command_and_findings(cli, example: Path) -> None:
    rendered(cli, example)
    assert cli(example, "preview", SLUG).exit_code == 0
    page = (example / PAGE).read_text("utf-8")
    manifest = json.loads((example / "build/outbox" / SLUG / "manifest.json").read_text("utf-8"))
    assert manifest["content_hash"] in page
    assert f"标题 {manifest['fields']['title']['length']}/{manifest['fields']['title']['limit']}" in page
    assert f"mediactl approve {SLUG} --as wang.min" in page  # the declared checker; li.na wrote it
    assert "--channel outbox</code>" in page  # and each rendered variant's own approval
    assert 'src="../../outbox/anti-fraud-2026/cover.jpg"' in page  # linked where render wrote it, relative to build/
    assert 'data-rule="finance.promise.return"' in page  # the example's allowed 「只赚不赔」, marked as allowed
    assert "Not rendered: run <code>mediactl render anti-fraud-2026 --channel bank-wechat</code>" in page
    assert "Content-Security-Policy" in page and "http://" not in page.split("</head>")[0]


def test_a_file_changed_since_render_is_shown_as_changed_not_embedded(cli, example: Path) -> None:
    rendered(cli, example)
    cover = example / "build" / "outbox" / SLUG / "cover.jpg"
    cover.write_bytes(cover.read_bytes() + b"edited")
    result = cli(example, "preview", SLUG, "--channel", "outbox", "--json")
    assert result.exit_code == 0, result.output
    (variant,) = json.loads(result.stdout)["variants"]
    assert variant["state"] == "modified" and variant["changed_files"] == ["cover.jpg"]
    assert "changed after render" in variant["problem"]
    page = (example / PAGE).read_text("utf-8")
    assert "cover.jpg: changed since render, not shown" in page
    assert 'src="../../outbox/anti-fraud-2026/cover.jpg"' not in page


def test_json_lists_every_variant_with_its_state(cli, example: Path) -> None:
    rendered(cli, example)
    result = cli(example, "preview", SLUG, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["index"] == "build/preview/index.html" and data["url"] is None
    states = {v["channel"]: v["state"] for v in data["variants"]}
    assert states["outbox"] == "rendered" and states["bank-wechat"] == "not-rendered"
    outbox = next(v for v in data["variants"] if v["channel"] == "outbox")
    assert outbox["approval"] == "none" and outbox["page"] == f"build/preview/items/{SLUG}.html#outbox"
    assert outbox["limits"]["title"]["limit"] == 200
    assert [f["rule"] for f in outbox["findings"]] == ["finance.promise.return"] and outbox["findings"][0]["allowed"]


def test_nothing_rendered_says_to_render(cli, example: Path) -> None:
    result = cli(example, "preview")
    assert result.exit_code == 2
    assert "nothing to preview" in result.output and "mediactl render" in result.output
    assert "Traceback" not in result.output


def test_an_unknown_slug_is_a_usage_error(cli, example: Path) -> None:
    rendered(cli, example)
    result = cli(example, "preview", "anti-fraud-2062")
    assert result.exit_code == 2
    assert "no item 'anti-fraud-2062'" in result.output


def test_a_port_in_use_is_a_usage_error(cli, example: Path) -> None:
    rendered(cli, example)
    with PreviewServer(example / "build", 0) as taken:
        result = cli(example, "preview", "--port", str(taken.port))
    assert result.exit_code == 2
    assert f"--port {taken.port}: cannot listen on 127.0.0.1" in result.output


def test_the_server_serves_files_and_ranges_on_loopback_only(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "clip.mp4").write_bytes(bytes(range(256)) * 4)
    with PreviewServer(tmp_path, 0) as server:
        assert server.server_address[0] == "127.0.0.1"
        import threading

        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            request = urllib.request.Request(server.url("clip.mp4"), headers={"Range": "bytes=10-19"})
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 206
                assert response.headers["Content-Range"] == "bytes 10-19/1024"
                assert response.headers["Content-Type"] == "video/mp4"
                assert response.read() == bytes(range(10, 20))
            with urllib.request.urlopen(server.url("clip.mp4"), timeout=10) as response:
                assert response.status == 200 and len(response.read()) == 1024
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(server.url("sub/"), timeout=10)
            refused.value.close()
            assert refused.value.code == 404  # no folder listings
        finally:
            server.shutdown()
            thread.join(timeout=10)


def test_a_gallery_of_the_whole_library_keeps_nothing_of_what_is_gone(cli, example: Path) -> None:
    """An item deleted or renamed leaves no page behind, and no copy no page links; a gallery of some items only
    touches nothing else."""
    rendered(cli, example)
    assert cli(example, "preview").exit_code == 0
    preview = example / "build" / "preview"
    gone_page, stale_copy = preview / "items" / "gone-item.html", preview / "files" / f"{'0' * 64}.jpg"
    stale_copy.parent.mkdir(exist_ok=True)
    gone_page.write_text("<p>old</p>", "utf-8")
    stale_copy.write_bytes(b"old")
    assert cli(example, "preview", SLUG).exit_code == 0
    assert gone_page.exists() and stale_copy.exists()  # a part of the library: the rest is not its business
    assert cli(example, "preview").exit_code == 0
    assert not gone_page.exists() and not stale_copy.exists()
    assert (example / PAGE).is_file()
