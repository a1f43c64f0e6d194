"""The bank's own website as a static site: the page written into a folder (and committed), or POSTed.

Two modes, one per channel:
- `path` (default `website`): the page is written to `<path>/<slug>/index.md` with its files beside
  it (sitepage.py: front matter Hugo and MkDocs both read, the sealed body byte for byte). The
  folder lies inside the project (Adapter.channel_path, as the outbox's). With
  `git: {commit: true, branch: main}` the page is committed to the git repository that holds the
  folder, and only the page's files: the message names the item, the channel and the content hash.
  Publishing the same variant again writes and commits nothing; a new approved version of the item
  replaces the page.
- `url`: the page and its files are POSTed as multipart/form-data (`page`: index.md; `meta`: JSON;
  one `file` part per file, named by its path beside the page) with the channel's `token` as
  `Authorization: Bearer …` and the idempotency key as `X-Mediactl-Idempotency-Key`, through the
  shared HTTP mechanism (outcomes classified once: a timeout after sending is `unknown`).

Reconciliation: a folder page carries its item and content hash (and, with git, must be committed),
so `find` recognises it; a POSTed page cannot be asked about, so a crash between the POST and its
answer ends `unknown` (receivers dedupe on the idempotency key). `withdraw` removes the page folder
(and commits the removal), or sends `DELETE <url>/<id>`.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from mediactl.config.credentials import register_url_secrets
from mediactl.core import fsutil
from mediactl.core.errors import relpath
from mediactl.core.redaction import REDACTED, redact
from mediactl.library.content import SLUG
from mediactl.publish.adapters import sitepage
from mediactl.publish.adapters.base import Receipt, Rejected, Variant
from mediactl.publish.adapters.gitrepo import GitRepo
from mediactl.publish.adapters.http import HttpAdapter

DEFAULT_PATH = "website"


class WebsiteAdapter(HttpAdapter):
    platform = "website"

    # --- configuration ----------------------------------------------------------------------

    def _where(self, key: str) -> str:
        return f"channels.{self.channel.name}.{key}"

    def _git(self) -> dict[str, Any]:
        git = self.channel.options.get("git") or {}
        return git if isinstance(git, dict) else {}

    def _commits(self) -> bool:
        return self._git().get("commit") is True

    def _posts(self) -> bool:
        return bool(self.channel.options.get("url"))

    def validate(self, variant: Variant) -> list[str]:
        """Refuse before writing what could not be delivered whole: a muddled config, a repository not ready."""
        options = self.channel.options
        git = options.get("git")
        if git is not None and (
            not isinstance(git, dict)
            or set(git) - {"commit", "branch"}
            or not isinstance(git.get("commit", False), bool)
            or not isinstance(git.get("branch", ""), str)
        ):
            return [f"{self._where('git')}: expected {{commit: true|false, branch: NAME}}"]
        if self._posts() and ("path" in options or git is not None):
            return [f"{self._where('url')}: a website channel either POSTs its pages (url) or writes them to a folder "
                    "(path, git); set one of them"]  # fmt: skip
        if not self._posts() and self._commits():
            try:
                self._repo(self._page_folder(variant.item))
            except Rejected as exc:
                return [exc.message]
        return []

    # --- publishing -------------------------------------------------------------------------

    def publish(self, variant: Variant, key: str) -> Receipt:
        page = sitepage.build(variant, datetime.now(self.config.project.tz))
        if self._posts():
            return self._post(variant, page, key)
        folder = self._page_folder(variant.item)
        if sitepage.marked(_read(folder / sitepage.PAGE)) != (variant.item, variant.content_hash):
            _replace_folder(folder, page.all_files())
        if self._commits():
            self._commit(folder, f"Publish {variant.item} to {self.channel.name}", variant)
        return self._receipt(variant.item, folder)

    def find(self, key: str, variant: Variant | None) -> Receipt | None:
        """A folder page holding exactly this variant (and committed, where the channel commits); else None."""
        if variant is None or self._posts():
            return None
        try:
            folder = self._page_folder(variant.item)
            if sitepage.marked(_read(folder / sitepage.PAGE)) != (variant.item, variant.content_hash):
                return None
            if self._commits() and not self._repo(folder).clean([folder]):
                return None  # written, not committed: `queue retry` publishes again and completes the commit
        except Rejected:
            return None
        return self._receipt(variant.item, folder)

    def withdraw(self, remote_id: str) -> None:
        """Remove the page (folder mode: its folder, and commit the removal; POST mode: DELETE <url>/<id>)."""
        if self._posts():
            url = f"{self._url().rstrip('/')}/{quote(remote_id, safe='')}"
            self.send("DELETE", url, step="website DELETE", mutating=True, headers=self._headers(remote_id))
            return
        folder = self.channel_path(DEFAULT_PATH, _slug(remote_id))
        repo = self._repo(folder) if self._commits() else None
        if folder.is_dir():
            shutil.rmtree(folder)
        if repo is not None:
            repo.commit([folder], f"Withdraw {remote_id} from {self.channel.name}")

    def describe(self, variant: Variant, key: str) -> list[dict[str, Any]]:
        names = [
            sitepage.PAGE,
            *(name for name, _ in sitepage.build(variant, datetime.now(self.config.project.tz)).files),
        ]
        if self._posts():
            headers = {
                name: REDACTED if name == "Authorization" else value for name, value in self._headers(key).items()
            }
            return [{"method": "POST", "url": redact(self._url()), "headers": headers, "files": names}]
        folder = self._page_folder(variant.item)
        action: dict[str, Any] = {
            "action": "write page",
            "path": relpath(folder, self.config.root) + "/",
            "files": names,
        }
        if self._commits():
            action["git"] = {"commit": True, "branch": self._git().get("branch") or "(the checked-out branch)"}
        return [action]

    def audit_fields(self) -> dict[str, Any]:
        """A website is never the platform sandbox (its folder is real), unless an answer came from the sandbox."""
        return {"sandbox": True} if self._sandboxed else {}

    # --- folder mode ------------------------------------------------------------------------

    def _page_folder(self, item: str) -> Path:
        return self.channel_path(DEFAULT_PATH, item)

    def _receipt(self, item: str, folder: Path) -> Receipt:
        prefix = str(self.channel.options.get("url_prefix") or "")
        url = f"{prefix.rstrip('/')}/{item}/" if prefix else (folder / sitepage.PAGE).as_uri()
        return Receipt("sent", relpath(folder, self.config.root), url)

    def _repo(self, folder: Path) -> GitRepo:
        repo = GitRepo.holding(folder, self._where("git"))
        repo.require_branch(str(self._git().get("branch") or ""))
        return repo

    def _commit(self, folder: Path, subject: str, variant: Variant) -> None:
        message = (f"{subject} ({variant.content_hash[:12]})\n\nitem: {variant.item}\nchannel: {self.channel.name}\n"
                   f"content-hash: {variant.content_hash}\n")  # fmt: skip
        try:
            self._repo(folder).commit([folder], message)
        except Rejected as exc:
            raise Rejected(f"{exc.message}; the page was written to {relpath(folder, self.config.root)}/ but not "
                           "committed: fix this and run `mediactl queue retry` for the job") from None  # fmt: skip

    # --- POST mode --------------------------------------------------------------------------

    def _url(self) -> str:
        resolved = self.config.environment().interpolate(str(self.channel.options["url"]), where=self._where("url"))
        register_url_secrets(resolved)  # a key in the URL is hidden wherever the URL surfaces
        return resolved

    def _headers(self, key: str) -> dict[str, str]:
        headers = {"X-Mediactl-Idempotency-Key": key}
        if "token" in self.channel.credentials:
            headers["Authorization"] = f"Bearer {self.secret('token')}"
        return headers

    def _post(self, variant: Variant, page: sitepage.Page, key: str) -> Receipt:
        meta = {"item": variant.item, "channel": self.channel.name, "content_hash": variant.content_hash,
                "idempotency_key": key, "slug": variant.item, "files": [name for name, _ in page.files]}  # fmt: skip
        parts: list[tuple[str, tuple[str, bytes, str]]] = [
            ("meta", ("meta.json", json.dumps(meta, ensure_ascii=False).encode("utf-8"), "application/json")),
            ("page", (sitepage.PAGE, page.text, "text/markdown; charset=utf-8")),
            *(("file", (name, data, "application/octet-stream")) for name, data in page.files),
        ]
        response = self.send("POST", self._url(), step="website POST", mutating=True, files=parts,
                             headers=self._headers(key))  # fmt: skip
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        answer = answer if isinstance(answer, dict) else {}
        return Receipt("sent", str(answer.get("id") or variant.item), str(answer.get("url") or ""),
                       {"status": response.status_code})  # fmt: skip


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _replace_folder(folder: Path, files: list[tuple[str, bytes]]) -> None:
    """The page folder holds exactly `files` afterwards: built beside it, then swapped in by rename, so a site
    build never sees half a page; the old version goes (an image the new version dropped leaves with it)."""
    staging = folder.parent / f".{folder.name}.tmp-{os.getpid()}"
    retired = folder.parent / f".{folder.name}.old-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        for name, data in files:
            fsutil.write_bytes(staging / name, data)
        if folder.exists():
            os.replace(folder, retired)
        os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(retired, ignore_errors=True)


def _slug(remote_id: str) -> str:
    """The page folder's name from a receipt's remote id (the folder relative to the project): an item's slug."""
    slug = PurePosixPath(remote_id.replace("\\", "/")).name
    if not SLUG.match(slug):
        raise Rejected(f"'{remote_id}' names no page this channel wrote (expected <path>/<slug>)")
    return slug
