"""Shared fixtures: a fresh example project per test, and a runner that drives the real CLI."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

import postgres_server
from mediactl.cli import app
from mediactl.library.scaffold import init_project

MINIMAL_CONFIG = """\
project:
  name: 测试项目
  timezone: Asia/Shanghai
channels:
  outbox:
    platform: outbox
    path: outbox
  wx:
    platform: wechat_oa
    credentials:
      appid: ${WX_APPID}
      secret: ${WX_SECRET}
"""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        help="rewrite tests/golden/covers/*.png from the current layouts and font",
    )


@pytest.fixture(scope="session")
def _user_cache(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One cache folder for the whole test session, instead of the developer's own $XDG_CACHE_HOME."""
    return str(tmp_path_factory.mktemp("xdg-cache"))


@pytest.fixture(scope="session")
def _video_cache(tmp_path_factory: pytest.TempPathFactory, _user_cache: str) -> str:
    """Encoded videos, content-addressed and renamed in whole: one encode per recipe per run. Under pytest-xdist one
    folder serves every worker (the run's base folder), or each worker would encode every clip again."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return str(tmp_path_factory.getbasetemp().parent / "video-cache")
    return f"{_user_cache}/video"


@pytest.hookimpl(tryfirst=True)  # before xdist's own (also tryfirst; a conftest registers later, so runs earlier)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """The suite on every core in whole files (`-n auto --dist loadfile`: a module's fixtures, the browser or a
    rendered project, are built once per worker) unless the command line says otherwise (`-n 0`, `-n 2`,
    `--dist load`). Set here, not in pyproject's addopts, so that `pytest -p no:xdist` runs in one process instead
    of failing on options no loaded plug-in knows."""
    if not config.pluginmanager.hasplugin("xdist") or hasattr(config, "workerinput"):
        return  # xdist not loaded; or a worker, which xdist gives numprocesses None: it must not start workers
    if config.option.numprocesses is None:
        config.option.numprocesses = "auto"
    if config.option.dist == "no" and not config.option.distload:
        config.option.dist = "loadfile"  # xdist turns it back to "no" where it runs no workers (-n 0, --pdb)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto` (pytest_cmdline_main): a worker per core for the suite, none for a single test file, where starting workers
    would cost more than it saves (`-n 0` or `-n 2` on the command line still decide)."""
    files = {arg.split("::")[0] for arg in config.args}
    if len(files) == 1 and (config.invocation_params.dir / files.pop()).is_file():
        return 0
    return None  # pytest-xdist's own: the number of CPUs


def isolate(env: pytest.MonkeyPatch, user_cache: str, video_cache: str) -> None:
    """The test environment: never the developer's own identity, project, credentials or caches (nor writes to them)."""
    env.setenv("XDG_CACHE_HOME", user_cache)
    env.setenv("MEDIACTL_VIDEO_CACHE", video_cache)
    env.setenv("MEDIACTL_USER", "tester")
    # OCR reads every picture for ~1 s each: the suite keeps it to the few small images of the tests that ask for it
    # (the `ocr` fixture); the engine is created once per process and its readings cached for the whole session.
    env.setenv("MEDIACTL_OCR", "off")
    # COLUMNS and LINES: a shell's terminal size (pytest-xdist's workers get COLUMNS=80) would fold the in-process
    # CLI's tables, which write to a pipe; tests of the width set COLUMNS themselves.
    for name in ("MEDIACTL_PROJECT", "MEDIACTL_SANDBOX_URL", "WX_APPID", "WX_SECRET", "COLUMNS", "LINES"):
        env.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, _user_cache: str, _video_cache: str) -> None:
    """Tests never see the developer's own identity, project, credentials or caches (nor write to them)."""
    isolate(monkeypatch, _user_cache, _video_cache)


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The project's platform sandbox on 127.0.0.1 for one test. A module sets its options once, as data:
    `pytestmark = pytest.mark.sandbox(seed=3, publish_polls=1)` (SandboxOptions' fields); none, the defaults."""
    from mediactl.sandbox import Sandbox, SandboxOptions  # lazy: most tests never start one

    marker = request.node.get_closest_marker("sandbox")
    with Sandbox(SandboxOptions(**(marker.kwargs if marker else {}))) as running:
        yield running


@pytest.fixture
def client(sandbox: Any) -> Iterator[Any]:
    """A plain HTTP client on the sandbox's address (no proxy from the environment)."""
    import httpx  # lazy: as above

    with httpx.Client(base_url=sandbox.url, timeout=5, trust_env=False) as made:
        yield made


@pytest.fixture
def ocr(monkeypatch: pytest.MonkeyPatch) -> None:
    """This test reads the words inside pictures (the suite's default is MEDIACTL_OCR=off, see isolate)."""
    monkeypatch.delenv("MEDIACTL_OCR")


@pytest.fixture(scope="session")
def _example_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`init` of the example library, once a session: `example` copies it, at a fifth of the cost of an `init`
    (which also generates the demo keys). The tests of `init` itself call init_project."""
    root = tmp_path_factory.mktemp("example-template") / "example"
    init_project(root)
    return root


@pytest.fixture
def example(tmp_path: Path, _example_template: Path) -> Path:
    """A project created by `init` from the bundled example library (a copy of the session's one)."""
    return Path(shutil.copytree(_example_template, tmp_path / "example"))


SLUG = "anti-fraud-2026"


@pytest.fixture(scope="session")
def _approved_example(tmp_path_factory: pytest.TempPathFactory, _example_template: Path, _user_cache: str,
                      _video_cache: str) -> Path:  # fmt: skip
    """The example with anti-fraud-2026 approved, once a session: check, review and approve cost seconds, and
    `ready` is used by a hundred tests."""
    root = Path(shutil.copytree(_example_template, tmp_path_factory.mktemp("approved-example") / "example"))
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as env:
        isolate(env, _user_cache, _video_cache)
        approve_example(lambda project, *args: runner.invoke(app, ["-C", str(project), *args]), root, env)
    return root


@pytest.fixture
def ready(example: Path, _approved_example: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example project with anti-fraud-2026 rendered, checked, reviewed and approved by a second person (a
    copy of the session's approved example laid over this test's `example`); the checker is the current user."""
    shutil.copytree(_approved_example, example, dirs_exist_ok=True)
    monkeypatch.setenv("MEDIACTL_USER", "wang.min")
    return example


def review_example(cli, example: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Check and review anti-fraud-2026 as its author (li.na); the checker (wang.min) runs what comes next."""
    monkeypatch.setenv("MEDIACTL_USER", "li.na")  # the item's author
    assert cli(example, "check", SLUG).exit_code == 0
    assert cli(example, "review", SLUG).exit_code == 0
    monkeypatch.setenv("MEDIACTL_USER", "wang.min")
    return example


def approve_example(cli, example: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Check and review anti-fraud-2026 as its author, then approve it as the checker (the demo keys sign)."""
    review_example(cli, example, monkeypatch)
    result = cli(example, "approve", SLUG, "--note", "已核对")
    assert result.exit_code == 0, result.output
    return example


def rehash_without_key(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a person with write access to the log but not the key does: change records, recompute every hash."""
    from mediactl.publish import audit

    previous = audit.GENESIS
    for record in records:
        record["prev"] = previous
        record.pop("mac", None)
        body = {k: v for k, v in record.items() if k != "hash"}
        data = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
        record["hash"] = previous = hashlib.sha256(data).hexdigest()
    return records


@pytest.fixture
def minimal(tmp_path: Path) -> Path:
    """A project with a two-channel config and no items."""
    root = tmp_path / "minimal"
    (root / "content").mkdir(parents=True)
    (root / "mediactl.yaml").write_text(MINIMAL_CONFIG, "utf-8")
    return root


def make_key(folder: Path, name: str) -> tuple[Path, str]:
    """A new ed25519 key pair: (private key file, OpenSSH public key line)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                       serialization.NoEncryption()))  # fmt: skip
    path.chmod(0o600)
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return path, f"{public.decode()} {name}@test"


def declare_people(root: Path, people: dict[str, list[str]], keys: Path) -> dict[str, Path]:
    """Append a `people:` block to a project's mediactl.yaml, a new key for each person; their key files."""
    files, lines = {}, ["people:"]
    for person, roles in people.items():
        files[person], public = make_key(keys, person)
        lines += [f"  {person}:", f"    roles: [{', '.join(roles)}]", f"    keys: [{public!r}]"]
    config = root / "mediactl.yaml"
    config.write_text(config.read_text("utf-8").rstrip("\n") + "\n" + "\n".join(lines) + "\n", "utf-8")
    return files


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), "utf-8")
    return path


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Run `mediactl -C PROJECT ARGS…` in process, as a user would from a shell."""
    runner = CliRunner()

    def run(project: Path | None, *args: str, input: str | None = None) -> Result:  # click names it `input`
        prefix = ["-C", str(project)] if project is not None else []
        return runner.invoke(app, [*prefix, *args], input=input)

    return run


def assert_no_yaml_problems(path: Path) -> None:
    """The file parses and has no duplicate keys (PyYAML's safe_load silently keeps the last one)."""
    from mediactl.config.yamlpos import load_located

    problems = load_located(path.read_text("utf-8"), path.name).problems
    assert not problems, [str(p) for p in problems]


class Mounts:
    """Real file-system faults for tests: a read-only bind mount, a tiny tmpfs. Root only (CI runs as root,
    and root writes through read-only file modes, so only a mount can refuse it). Unmounted at teardown."""

    def __init__(self) -> None:
        self.mounted: list[Path] = []

    def _mount(self, *args: str) -> None:
        if os.name != "posix" or os.geteuid() != 0 or shutil.which("mount") is None:
            self._unavailable("mount (needs root on Linux)")
        done = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            self._unavailable(f"mount {' '.join(args)}: {done.stderr.strip()}")
        self.mounted.append(Path(args[-1]))

    @staticmethod
    def _unavailable(what: str) -> None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must be able to {what}")
        pytest.skip(f"cannot {what} here")

    def read_only(self, path: Path) -> None:
        """Make a file or folder read-only for everyone, root included."""
        self._mount("--bind", str(path), str(path))
        done = subprocess.run(["mount", "-o", "remount,bind,ro", str(path)], capture_output=True, text=True)
        if done.returncode != 0:
            self._unavailable(f"remount {path} read-only: {done.stderr.strip()}")

    def small_disk(self, folder: Path, kib: int) -> None:
        """Put `folder` (and what it holds) on a tmpfs of `kib` KiB."""
        kept = folder.with_name(folder.name + ".before-mount")
        folder.rename(kept)
        folder.mkdir()
        self._mount("-t", "tmpfs", "-o", f"size={kib}k", "tmpfs", str(folder))
        shutil.copytree(kept, folder, dirs_exist_ok=True)
        shutil.rmtree(kept)

    @staticmethod
    def fill(folder: Path) -> Path:
        """Fill the file system holding `folder` to the last byte; deleting the returned file frees it again."""
        filler = folder / "filler.bin"
        with open(filler, "wb", buffering=0) as handle:
            for size in (65536, 4096, 512, 1):
                try:
                    while True:
                        handle.write(b"\0" * size)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
        return filler

    def release(self) -> None:
        for path in reversed(self.mounted):
            subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)
        self.mounted.clear()


@pytest.fixture
def mounts() -> Iterator[Mounts]:
    faults = Mounts()
    try:
        yield faults
    finally:
        faults.release()


def ssh_binary(name: str) -> str:
    """An OpenSSH tool (ssh-keygen, ssh-agent, ssh-add): the reference the signatures are tested against. Missing,
    the test skips, except where CI is set: there it fails."""
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must have {name} (OpenSSH client tools)")
        pytest.skip(f"{name} is not installed here")
    return found


class SshAgent:
    """A real ssh-agent in the foreground on a socket of one test."""

    def __init__(self, folder: Path) -> None:
        self.socket = str(folder / "agent.sock")
        self.folder = folder
        self.process = subprocess.Popen([ssh_binary("ssh-agent"), "-D", "-a", self.socket],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        for _ in range(500):
            if Path(self.socket).exists():
                return
            time.sleep(0.01)
        self.stop()
        raise AssertionError("ssh-agent did not start")

    def add(self, key: Path, passphrase: str = "") -> None:
        """Add a key (an encrypted one too: ssh-add is given the passphrase through SSH_ASKPASS)."""
        askpass = self.folder / "askpass.sh"
        askpass.write_text(f"#!/bin/sh\necho '{passphrase}'\n", "utf-8")
        askpass.chmod(0o700)
        env = {**os.environ, "SSH_AUTH_SOCK": self.socket, "SSH_ASKPASS": str(askpass),
               "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0"}  # fmt: skip
        subprocess.run([ssh_binary("ssh-add"), "-q", str(key)], env=env, check=True, capture_output=True,
                       stdin=subprocess.DEVNULL)  # fmt: skip

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)  # our own process, by its pid
        self.process.wait(timeout=10)


@pytest.fixture
def ssh_agent(tmp_path: Path) -> Iterator[SshAgent]:
    if os.name != "posix":
        pytest.skip("the Unix-socket agent test runs on POSIX; Windows uses the OpenSSH pipe")
    folder = tmp_path / "agent"
    folder.mkdir()
    agent = SshAgent(folder)
    try:
        yield agent
    finally:
        agent.stop()


# --- PostgreSQL: a real server for the shared state store (tests/postgres_server.py) --------------------

STATE_KEY = "test-state-key-of-the-team-0123456789"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[postgres_server.Server]:
    server = postgres_server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.folder, ignore_errors=True)


@pytest.fixture
def pg_empty_url(pg_server: postgres_server.Server, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh database with no schema, as a team's administrator creates it; its URL (password as ${VAR})."""
    monkeypatch.setenv(postgres_server.PASSWORD_VARIABLE, postgres_server.PASSWORD)
    monkeypatch.setenv("MEDIACTL_STATE_KEY", STATE_KEY)
    return pg_server.url(pg_server.new_database())


@pytest.fixture
def pg_url(pg_empty_url: str) -> str:
    """A fresh database migrated to this mediactl's schema."""
    from mediactl.publish import schema
    from mediactl.publish.database import open_database

    database = open_database(pg_empty_url, check_schema=False)
    try:
        schema.migrate(database)
    finally:
        database.close()
    return pg_empty_url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where a Store is opened, in each dialect: a SQLite file, or a migrated PostgreSQL database."""
    if request.param == "sqlite":
        return tmp_path / "queue.sqlite3"
    return str(request.getfixturevalue("pg_url"))


def share_state(project: Path, url: str) -> Path:
    """Point a project's `project.state` at a shared PostgreSQL store (the URL's password stays a ${VAR})."""
    config = project / "mediactl.yaml"
    text = config.read_text("utf-8")
    lines = [line for line in text.splitlines(keepends=True) if not line.startswith("  state:")]
    at = next(n for n, line in enumerate(lines) if line.startswith("project:")) + 1
    lines.insert(at, f"  state: {url}\n")
    config.write_text("".join(lines), "utf-8")
    return project


@pytest.fixture(scope="session")
def approved_video(tmp_path_factory: pytest.TempPathFactory, _user_cache: str, _video_cache: str) -> Path:
    """The example project with its video item approved for every channel, once a session (video tests copy it).
    In the tests' environment (a session fixture is set up before the autouse one), so its encodes go to the shared
    video cache that the other video tests reuse."""
    from videoflow import approve_video

    with pytest.MonkeyPatch.context() as env:
        isolate(env, _user_cache, _video_cache)
        return approve_video(tmp_path_factory.mktemp("approved-video") / "example")


def audit_records(root: Path, action: str) -> list[dict[str, Any]]:
    """The project's audit records of one action, oldest first (the embedded store's log file)."""
    lines = (root / ".mediactl/audit.jsonl").read_text("utf-8").splitlines()
    return [r for r in map(json.loads, lines) if r["action"] == action]


def metric_snapshots(root: Path) -> list[Any]:
    """Every numbers snapshot `stats pull` kept in the project's embedded store, oldest first."""
    from mediactl.publish import metricstore
    from mediactl.publish.store import Store

    store = Store(root / ".mediactl/queue.sqlite3")
    try:
        return metricstore.snapshots(store)
    finally:
        store.close()


def wechat_approved(cli: Callable[..., Result], example: Path, monkeypatch: pytest.MonkeyPatch, sandbox_url: str,
                    slug: str) -> Path:  # fmt: skip
    """The example project with `slug` checked and approved, its WeChat channel pointed at the sandbox."""
    wechat_sandbox_env(monkeypatch, sandbox_url)
    monkeypatch.setenv("MEDIACTL_USER", "li.na")
    assert cli(example, "check", slug).exit_code == 0
    monkeypatch.setenv("MEDIACTL_USER", "wang.min")
    assert cli(example, "approve", slug).exit_code == 0
    return example


def wechat_sandbox_env(monkeypatch: pytest.MonkeyPatch, sandbox_url: str) -> None:
    """The WeChat channel's credentials, and every channel pointed at the sandbox."""
    monkeypatch.setenv("MEDIACTL_SANDBOX_URL", sandbox_url)
    monkeypatch.setenv("BANK_WECHAT_APPID", "wx0123456789abcdef")
    monkeypatch.setenv("BANK_WECHAT_SECRET", "wechat-app-secret-value")


@pytest.fixture(scope="session")
def _wechat_approved_example(tmp_path_factory: pytest.TempPathFactory, _example_template: Path, _user_cache: str,
                             _video_cache: str) -> Path:  # fmt: skip
    """The example with anti-fraud-2026 checked and approved as wechat_approved does, once a session (check and
    approve cost seconds; the sandbox is contacted only by publish, so the address here is never dialled)."""
    root = Path(shutil.copytree(_example_template, tmp_path_factory.mktemp("wechat-approved") / "example"))
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as env:
        isolate(env, _user_cache, _video_cache)
        cli = lambda project, *args: runner.invoke(app, ["-C", str(project), *args])  # noqa: E731
        wechat_approved(cli, root, env, "http://127.0.0.1:9", SLUG)
    return root


@pytest.fixture
def wechat_ready(example: Path, _wechat_approved_example: Path,
                 monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Path]:  # fmt: skip
    """wechat_approved(…, SLUG) for this test's `example`: a copy of the session's approved one laid over it, the
    environment set for the sandbox at the URL given; the checker is the current user."""

    def ready(sandbox_url: str) -> Path:
        shutil.copytree(_wechat_approved_example, example, dirs_exist_ok=True)
        wechat_sandbox_env(monkeypatch, sandbox_url)
        monkeypatch.setenv("MEDIACTL_USER", "wang.min")
        return example

    return ready
