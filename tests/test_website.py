"""The website adapter: a static-site page (Hugo, MkDocs) written to a folder, committed with git, or POSTed.

Front-matter expectations, from each generator's own documentation:
- Hugo (gohugo.io/content-management/front-matter): YAML front matter between `---` lines; `title`,
  `date` (an RFC 3339 date-time), `description`, `tags` (the default taxonomy), `draft` (absent:
  published); `images` is what Hugo's embedded Open Graph template reads. A folder with `index.md`
  is a leaf bundle: the files beside it are the page's resources, reachable by relative links.
- MkDocs (user-guide/writing-your-docs, "YAML Style Meta-Data"): the first line of the document
  must be `---`, the meta-data ends at the next `---`; YAML keys are case sensitive and MkDocs
  expects them all lower case; `title` sets the page title; `docs/x/index.md` is served at `x/`, and
  every Markdown file in the docs folder becomes a page (so nothing but index.md may be Markdown).
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from PIL import Image

from conftest import approve_example

SLUG = "anti-fraud-2026"
CONFIGURED = (
    "    path: site/content/news           # pages as <slug>/index.md + images (Hugo, MkDocs); or url: to POST them\n"
)
IMAGE_LINK = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")


def configure(root: Path, *lines: str) -> None:
    """Replace the example website channel's folder line by `lines` (its own options)."""
    config = root / "mediactl.yaml"
    text = config.read_text("utf-8")
    assert CONFIGURED in text
    config.write_text(text.replace(CONFIGURED, "".join(f"    {line}\n" for line in lines)), "utf-8")


def add_images(root: Path) -> None:
    """The article links two images of its own folder, one in a subfolder: both must resolve on the site."""
    folder = root / "content/article" / SLUG
    Image.new("RGB", (64, 32), (200, 30, 30)).save(folder / "chart.png")
    (folder / "img").mkdir()
    Image.new("RGB", (16, 16), (30, 30, 200)).save(folder / "img/detail.png")
    page = folder / "index.md"
    page.write_text(page.read_text("utf-8") + "\n![骗局示意图](chart.png)\n\n![细节](img/detail.png)\n", "utf-8")


def approve(cli, root: Path, monkeypatch) -> Path:
    return approve_example(cli, root, monkeypatch)


def publish(cli, root: Path, *extra: str) -> dict[str, Any]:
    result = cli(root, "publish", SLUG, "--channel", "website", "--json", *extra)
    (outcome,) = json.loads(result.stdout)
    return outcome


def front_matter(page: bytes) -> tuple[str, bytes]:
    text = page.decode("utf-8")
    assert text.startswith("---\n"), text[:40]
    head, _, _ = text[4:].partition("\n---\n")
    return head, page[len(b"---\n") + len(head.encode()) + len(b"\n---\n") :]


def sealed_body(root: Path) -> bytes:
    return (root / "build/website" / SLUG / "body.md").read_bytes()


@pytest.mark.parametrize(
    ("generator", "folder"), [("hugo", "site/content/posts"), ("mkdocs", "docs/news")], ids=["hugo", "mkdocs"]
)
def test_page_is_usable_by_the_generator_as_it_is(cli, example: Path, monkeypatch, generator: str, folder: str) -> None:
    configure(example, f"path: {folder}")
    add_images(example)
    approve(cli, example, monkeypatch)
    outcome = publish(cli, example)
    assert outcome["state"] == "sent", outcome
    assert outcome["url"] == f"https://www.example-bank.cn/news/{SLUG}/"
    page_dir = example / folder / SLUG
    page = (page_dir / "index.md").read_bytes()
    head, body = front_matter(page)
    meta = yaml.safe_load(head)
    assert body.lstrip(b"\n") == sealed_body(example)  # the approved bytes, exactly
    assert meta["title"] == (example / "build/website" / SLUG / "title.txt").read_text("utf-8")
    assert meta["description"].startswith("冒充客服退款")
    assert meta["tags"] == ["反诈", "防范电信网络诈骗", "金融知识普及"]
    assert meta["images"] == ["og.jpg"] and (page_dir / "og.jpg").is_file()
    links = IMAGE_LINK.findall(body.decode("utf-8"))
    assert links == ["chart.png", "img/detail.png"]
    for link in links:  # every relative link resolves beside the page, to the approved bytes
        assert (page_dir / link).read_bytes() == (example / "content/article" / SLUG / link).read_bytes()
    assert sorted(p.name for p in page_dir.rglob("*.md")) == ["index.md"]  # no second page for MkDocs
    if generator == "hugo":
        date_line = next(line for line in head.splitlines() if line.startswith("date: "))
        assert re.fullmatch(r"date: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", date_line)  # RFC 3339, project zone
        assert "draft" not in meta
    else:
        assert all(key == key.lower() for key in meta)
        assert isinstance(meta["date"], datetime) and meta["date"].utcoffset() is not None


def orphan_the_job(root: Path) -> None:
    """What kill -9 between the delivery and its record leaves: the job `sending`, its owner gone."""
    from mediactl.publish.store import Store

    store = Store(root / ".mediactl/queue.sqlite3")
    try:
        (job,) = store.jobs(channel="website")
        store.db.execute(
            "UPDATE jobs SET state = 'sending', remote_url = NULL, claimed_by = 'elsewhere:1:1', claimed_at = 0 "
            "WHERE id = ?", (job.id,),
        )  # fmt: skip
    finally:
        store.close()


def test_the_same_variant_again_writes_nothing_and_a_crash_is_reconciled(cli, example: Path, monkeypatch) -> None:
    approve(cli, example, monkeypatch)
    assert publish(cli, example)["state"] == "sent"
    page = example / "site/content/news" / SLUG / "index.md"
    written = page.read_bytes()
    orphan_the_job(example)  # a run killed after writing the page, before recording the outcome
    (reconciled,) = json.loads(cli(example, "publish", "--due", "--json").stdout)
    assert reconciled["state"] == "sent" and reconciled["url"].endswith(f"/news/{SLUG}/")
    assert page.read_bytes() == written  # found by its item and content hash: not written again


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def site_repository(root: Path, branch: str = "main") -> Path:
    site = root / "site"
    (site / "content/news").mkdir(parents=True)
    git(site, "init", "-q", "-b", branch)
    git(site, "config", "user.name", "站点维护")
    git(site, "config", "user.email", "web@example-bank.cn")
    (site / "hugo.toml").write_text('title = "示例银行"\n', "utf-8")
    git(site, "add", "hugo.toml")
    git(site, "commit", "-q", "-m", "site")
    return site


@pytest.fixture
def no_outer_repository(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # the test's folders are in no outer repository


def test_git_commits_only_the_page_naming_item_and_content_hash(
    cli, example: Path, monkeypatch, no_outer_repository
) -> None:
    site = site_repository(example)
    (site / "hugo.toml").write_text('title = "改了一半"\n', "utf-8")  # someone's uncommitted work stays theirs
    configure(example, "path: site/content/news", "git: {commit: true, branch: main}")
    approve(cli, example, monkeypatch)
    assert publish(cli, example)["state"] == "sent"
    content_hash = json.loads((example / "build/website" / SLUG / "manifest.json").read_text("utf-8"))["content_hash"]
    message = git(site, "log", "-1", "--format=%B")
    assert SLUG in message and content_hash in message and "website" in message
    files = git(site, "show", "--name-only", "--format=", "HEAD").split()
    assert files == [f"content/news/{SLUG}/index.md", f"content/news/{SLUG}/og.jpg"]
    assert git(site, "status", "--porcelain").split() == ["M", "hugo.toml"]
    assert git(site, "log", "-1", "--format=%an") == "站点维护\n"  # the repository's own identity
    commits = git(site, "rev-list", "--count", "HEAD")
    orphan_the_job(example)  # as if the run had died before recording the outcome: the commit is found, not redone
    (reconciled,) = json.loads(cli(example, "publish", "--due", "--json").stdout)
    assert reconciled["state"] == "sent" and git(site, "rev-list", "--count", "HEAD") == commits


def test_git_refuses_before_writing_when_the_repository_is_on_another_branch(
    cli, example: Path, monkeypatch, no_outer_repository
) -> None:
    site_repository(example, branch="draft")
    configure(example, "path: site/content/news", "git: {commit: true, branch: main}")
    approve(cli, example, monkeypatch)
    outcome = publish(cli, example)
    assert outcome["state"] == "failed"
    assert "is on branch 'draft', the channel commits to 'main'" in outcome["detail"]
    assert not (example / "site/content/news" / SLUG).exists()


def test_git_not_a_repository_or_missing_is_a_clear_error(
    cli, example: Path, monkeypatch, no_outer_repository, tmp_path: Path
) -> None:
    configure(example, "path: site/content/news", "git: {commit: true}")
    approve(cli, example, monkeypatch)
    outcome = publish(cli, example)
    assert outcome["state"] == "failed"
    assert "channels.website.git" in outcome["detail"] and "is not inside a git repository" in outcome["detail"]
    assert cli(example, "queue", "retry", "1").exit_code == 0
    empty = tmp_path / "no-tools"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # a machine without git
    (outcome,) = json.loads(cli(example, "publish", "--due", "--json").stdout)
    assert outcome["state"] == "failed" and "the git command was not found on PATH" in outcome["detail"]
    assert not (example / "site/content/news" / SLUG).exists()


def withdraw(root: Path, remote_id: str) -> None:
    from mediactl.config.model import load_config
    from mediactl.publish.adapters.website import WebsiteAdapter

    config = load_config(root / "mediactl.yaml")
    adapter = WebsiteAdapter(config.channel("website"), config)
    try:
        adapter.withdraw(remote_id)
    finally:
        adapter.close()


def test_withdraw_removes_the_page_and_commits_the_removal(
    cli, example: Path, monkeypatch, no_outer_repository
) -> None:
    site = site_repository(example)
    configure(example, "path: site/content/news", "git: {commit: true}")
    approve(cli, example, monkeypatch)
    outcome = publish(cli, example)
    (job,) = json.loads(cli(example, "queue", "ls", "--json").stdout)
    assert job["remote_id"] == f"site/content/news/{SLUG}"
    withdraw(example, job["remote_id"])
    assert not (site / "content/news" / SLUG).exists()
    assert git(site, "log", "-1", "--format=%s").startswith(f"Withdraw site/content/news/{SLUG} from website")
    assert git(site, "ls-files", "content").strip() == "" and git(site, "status", "--porcelain").strip() == ""
    assert outcome["state"] == "sent"


class Receiver:
    """A team's page endpoint on 127.0.0.1: keeps what arrives, answers {"id", "url"}."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(
                    {"method": "POST", "path": self.path, "headers": dict(self.headers), "body": body}
                )
                self._answer({"id": "page-7", "url": "https://www.example-bank.cn/news/anti-fraud-2026/"})

            def do_DELETE(self) -> None:
                receiver.requests.append({"method": "DELETE", "path": self.path, "headers": dict(self.headers)})
                self._answer({"ok": True})

            def _answer(self, data: dict[str, Any]) -> None:
                raw = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/pages"


@pytest.fixture
def receiver():
    running = Receiver()
    running.thread.start()
    yield running
    running.server.shutdown()
    running.server.server_close()


def test_post_mode_sends_the_page_and_its_files_to_the_endpoint(cli, example: Path, monkeypatch, receiver) -> None:
    from mediactl.sandbox.multipart import parse_multipart

    monkeypatch.setenv("SITE_TOKEN", "site-token-value-123")
    configure(example, f"url: {receiver.url}", "credentials:", "  token: ${SITE_TOKEN}")
    add_images(example)
    approve(cli, example, monkeypatch)
    dry = cli(example, "publish", SLUG, "--channel", "website", "--dry-run", "--json")
    assert "site-token-value-123" not in dry.stdout and "POST" in dry.stdout
    outcome = publish(cli, example)
    assert outcome["state"] == "sent", outcome
    (request,) = receiver.requests
    assert request["headers"]["Authorization"] == "Bearer site-token-value-123"
    assert request["headers"]["X-Mediactl-Idempotency-Key"]
    parts = {(p.name, p.filename): p.data for p in parse_multipart(request["body"], request["headers"]["Content-Type"])}
    meta = json.loads(parts[("meta", "meta.json")])
    assert meta["item"] == SLUG and meta["files"] == ["chart.png", "img/detail.png", "og.jpg"]
    _, body = front_matter(parts[("page", "index.md")])
    assert body.lstrip(b"\n") == sealed_body(example)
    manifest = json.loads((example / "build/website" / SLUG / "manifest.json").read_text("utf-8"))
    sealed = {b["src"]: b["sha256"] for b in manifest["body_images"]} | {
        m["file"]: m["sha256"] for m in manifest["media"]
    }
    assert {name: hashlib.sha256(parts[("file", name)]).hexdigest() for name in meta["files"]} == sealed
    (job,) = json.loads(cli(example, "queue", "ls", "--json").stdout)
    assert job["remote_id"] == "page-7"
    withdraw(example, "page-7")
    assert receiver.requests[-1]["method"] == "DELETE" and receiver.requests[-1]["path"] == "/pages/page-7"
    assert receiver.requests[-1]["headers"]["Authorization"] == "Bearer site-token-value-123"


def test_a_channel_that_both_posts_and_writes_is_refused(cli, example: Path, monkeypatch, receiver) -> None:
    configure(example, f"url: {receiver.url}", "path: site/content/news")
    approve(cli, example, monkeypatch)
    outcome = publish(cli, example)
    assert (
        outcome["state"] == "failed" and "either POSTs its pages (url) or writes them to a folder" in outcome["detail"]
    )
    assert receiver.requests == []


def test_a_video_item_gets_a_horizontal_video_and_its_cover_beside_the_page(cli, tmp_path: Path, monkeypatch) -> None:
    """The website's facts ask for a 1280×720 video (video-horizontal): the page embeds video.mp4 with a <video>
    tag and its cover as poster, both beside index.md, byte for byte what was approved; the outbox keeps the source."""
    from mediactl.video.probe import probe
    from videoflow import VIDEO, approve_video
    from videoflow import publish as publish_video

    def to_the_website(root: Path) -> None:
        item = root / "content/video" / VIDEO / "index.md"
        item.write_text(item.read_text("utf-8").replace("  - outbox\n", "  - outbox\n  - website\n", 1), "utf-8")

    root = approve_video(tmp_path / "example", to_the_website)
    (outcome,) = publish_video(cli, root, "website")
    assert outcome["state"] == "sent", outcome
    built, page_dir = root / "build/website" / VIDEO, root / "site/content/news" / VIDEO
    manifest = json.loads((built / "manifest.json").read_text("utf-8"))
    assert manifest["video"]["transcoded"] is True and manifest["video"]["cover"]["file"] == "cover.jpg"
    facts = probe(page_dir / "video.mp4", "video.mp4")
    assert (facts.width, facts.height, facts.video_codec, facts.audio_codec) == (1280, 720, "h264", "aac")
    for name in ("video.mp4", "cover.jpg", "subtitles.srt"):
        assert (page_dir / name).read_bytes() == (built / name if name != "subtitles.srt" else
                                                  root / "content/video" / VIDEO / name).read_bytes()  # fmt: skip
    _, body = front_matter((page_dir / "index.md").read_bytes())
    assert b'<video controls preload="metadata" poster="cover.jpg" src="video.mp4"></video>' in body
    outbox = json.loads((root / "build/outbox" / VIDEO / "manifest.json").read_text("utf-8"))
    assert outbox["video"]["transcoded"] is False  # the outbox's facts: video null, the source as it is
