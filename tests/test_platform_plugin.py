"""A third party adds a platform without changing mediactl: one small distribution, found by entry points.

The distribution is written as pip leaves a wheel once installed (the package beside its
`.dist-info` with `entry_points.txt`) into a folder put on the path of whole `mediactl`
processes: config validation accepts the new platform, render uses its facts and templates, check
and signed approval work as for any channel, and publish delivers through its adapter to a
receiver on 127.0.0.1. The same files are the README's "Adding a platform" example.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import declare_people

ADAPTER = '''\
"""The bank's intranet notice board: one JSON POST a notice, answered with the notice's id and URL."""

from mediactl.publish.adapters.base import Receipt, Rejected, Variant
from mediactl.publish.adapters.http import HttpAdapter


class NoticeBoardAdapter(HttpAdapter):
    platform = "noticeboard"
    idempotent_publish = True  # the board keeps one notice per Idempotency-Key

    def validate(self, variant: Variant) -> list[str]:
        return [] if variant.text("title") else ["a notice needs a title"]

    def publish(self, variant: Variant, key: str) -> Receipt:
        url = self.channel.options.get("url")
        if not url:
            raise Rejected(f"channels.{self.channel.name}.url is not configured")
        body = {"title": variant.text("title"), "text": variant.text("text"), "item": variant.item}
        headers = {"Authorization": f"Bearer {self.secret('token')}", "Idempotency-Key": key}
        answer = self.send("POST", str(url), step="notice POST", mutating=True, json=body, headers=headers).json()
        return Receipt("sent", str(answer["id"]), str(answer.get("url", "")))
'''
FACTS = """\
name: noticeboard
title: 行内公告栏
api: official
base_url: null
credentials:
  token: {secret: true, help: "the board's API token"}
options:
  url: "the board's notices endpoint"
kinds: [article]
body_format: text
fields:
  title: {role: title, max: 40, count: chars, required: true, source: "the board's form"}
  text: {role: body, max: 2000, count: chars, required: true, source: "the board's form"}
hashtags: {style: none, field: null}
links: {policy: allowed}
images: {}
video: null
rate_limits: []
"""
TEMPLATE = """\
{% block title %}{{ item.title }}{% endblock %}
{% block text %}{{ item.body | plaintext | fit("text") }}{% endblock %}
"""
ENTRY_POINTS = """\
[mediactl.adapters]
noticeboard = bank_noticeboard.adapter:NoticeBoardAdapter

[mediactl.platforms]
noticeboard = bank_noticeboard
"""
ITEM = """---
title: 本周六系统升级公告
author: li.na
status: review
channels: [board]
---

本周六凌晨零点至六点系统升级，其间手机银行暂停服务，敬请谅解。
"""


def install(site: Path, entry_points: str = ENTRY_POINTS, facts: str | None = FACTS) -> Path:
    """The distribution as an installed wheel leaves it: the package, and its .dist-info beside it."""
    package = site / "bank_noticeboard"
    (package / "templates/noticeboard").mkdir(parents=True)
    (package / "__init__.py").write_text("", "utf-8")
    (package / "adapter.py").write_text(ADAPTER, "utf-8")
    if facts is not None:
        (package / "platform.yaml").write_text(facts, "utf-8")
    (package / "templates/noticeboard/article.j2").write_text(TEMPLATE, "utf-8")
    info = site / "bank_noticeboard-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: bank-noticeboard\nVersion: 1.0\n", "utf-8")
    (info / "entry_points.txt").write_text(entry_points, "utf-8")
    return site


class Board:
    """The notice board's endpoint on 127.0.0.1: records each notice with its token and key."""

    def __init__(self) -> None:
        self.notices: list[dict] = []
        board = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                board.notices.append({**body, "authorization": self.headers.get("Authorization"),
                                      "key": self.headers.get("Idempotency-Key")})  # fmt: skip
                answer = json.dumps({"id": f"n{len(board.notices)}", "url": "http://127.0.0.1/n"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/notices"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def board() -> Iterator[Board]:
    running = Board()
    yield running
    running.server.shutdown()
    running.server.server_close()


def project(root: Path, url: str) -> Path:
    (root / "content/article/upgrade").mkdir(parents=True)
    (root / "content/article/upgrade/index.md").write_text(ITEM, "utf-8")
    (root / "mediactl.yaml").write_text(
        "project:\n  name: 插件平台\nchannels:\n  board:\n    platform: noticeboard\n"
        f"    url: {url}\n    credentials:\n      token: ${{BOARD_TOKEN}}\n",
        "utf-8",
    )
    return root


def mediactl(root: Path, site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])),
           "BOARD_TOKEN": "board-token-0123456789"}  # fmt: skip
    return subprocess.run([sys.executable, "-m", "mediactl", "-C", str(root), *args], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_a_plugin_platform_renders_checks_and_publishes_through_its_adapter(tmp_path: Path, board: Board) -> None:
    site = install(tmp_path / "site")
    root = project(tmp_path / "bank", board.url)
    keys = declare_people(root, {"wang.min": ["checker"]}, tmp_path / "keys")
    assert mediactl(root, site, "config", "validate").returncode == 0
    assert mediactl(root, site, "render").returncode == 0
    rendered = (root / "build/board/upgrade/text.txt").read_text("utf-8")
    assert "系统升级" in rendered  # the plug-in's own template, fitted to its facts
    assert mediactl(root, site, "check").returncode == 0
    approved = mediactl(root, site, "approve", "upgrade", "--as", "wang.min", "--key", str(keys["wang.min"]))
    assert approved.returncode == 0, approved.stderr
    done = mediactl(root, site, "publish", "--channel", "board", "--json")
    assert done.returncode == 0, done.stderr
    (notice,) = board.notices
    assert notice["title"] == "本周六系统升级公告" and notice["authorization"] == "Bearer board-token-0123456789"
    assert notice["key"] and "board-token" not in done.stdout + done.stderr


def test_without_the_plugin_the_platform_is_unknown(tmp_path: Path, board: Board) -> None:
    root = project(tmp_path / "bank", board.url)
    result = mediactl(root, tmp_path / "empty", "config", "validate")
    assert result.returncode == 2 and "unknown platform 'noticeboard'" in result.stderr


@pytest.mark.parametrize(
    ("entry_points", "facts", "message"),
    [
        (ENTRY_POINTS.replace("noticeboard = bank_noticeboard\n", "weibo = bank_noticeboard\n"),
         FACTS.replace("name: noticeboard", "name: weibo"), "has the name of a built-in platform"),
        (ENTRY_POINTS, None, "the package has no platform.yaml"),
        (ENTRY_POINTS, FACTS.replace("name: noticeboard", "name: board2"), "but the entry point is named"),
    ],
)  # fmt: skip
def test_a_broken_plugin_is_named(tmp_path: Path, board: Board, entry_points: str, facts: str | None,
                                  message: str) -> None:  # fmt: skip
    site = install(tmp_path / "site", entry_points, facts)
    root = project(tmp_path / "bank", board.url)
    result = mediactl(root, site, "config", "validate")
    assert result.returncode == 2, result.stderr
    assert "bank-noticeboard 1.0" in result.stderr and message in result.stderr
    assert "Traceback" not in result.stderr
