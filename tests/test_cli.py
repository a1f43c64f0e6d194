"""The commands of the foundation: init, new, ls, show, version, error handling."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import write
from mediactl import __version__


def test_version(cli) -> None:
    result = cli(None, "--version")
    assert result.exit_code == 0
    assert result.stdout == f"mediactl {__version__}\n"


def test_python_dash_m_runs_the_same_cli() -> None:
    done = subprocess.run([sys.executable, "-m", "mediactl", "--version"], capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stdout.strip() == f"mediactl {__version__}"


RUN = """
import atexit, sys, threading
class Torn:
    def __del__(self):
        print("torn down", file=sys.stderr)
kept = Torn()  # freed only by the interpreter's own teardown
atexit.register(lambda: print("atexit ran", file=sys.stderr))
if sys.argv[2] == "thread":
    threading.Thread(target=threading.main_thread().join).start()  # alive until the main thread is done
if sys.argv[2] == "child":
    import multiprocessing, time
    multiprocessing.get_context("spawn").Process(target=time.sleep, args=(2,)).start()  # a worker still running
sys.argv = ["mediactl", "check", sys.argv[1], "--format", "json"]  # a missing file: the command fails, exit 2
from mediactl.cli import script
script()
"""


@pytest.mark.parametrize("case", ["-", "thread", "child"])
def test_the_script_skips_teardown_not_exit_code_output_or_atexit(tmp_path: Path, case: str) -> None:
    """`script` (the console script) ends the process without the interpreter's teardown, which only frees memory
    (~50 ms of a one-file check): the exit code, the whole report and the atexit handlers are as before. With
    another thread still running, or a child process, the ordinary exit (which waits for them) is taken."""
    text = tmp_path / "copy.txt"
    text.write_text("本产品保本保息。\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", RUN, str(text), case], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # findings at error
    assert json.loads(done.stdout)["summary"]["findings"] >= 1
    assert "atexit ran" in done.stderr
    assert ("torn down" in done.stderr) is (case != "-")


def test_a_failed_command_takes_the_ordinary_exit(tmp_path: Path) -> None:
    """Only a finished command (exit 0 or 1) skips the teardown: a failed or interrupted one exits as it always did,
    so whatever its clean-up still has to do (a render's workers removing partial encodes) gets the time it had."""
    done = subprocess.run([sys.executable, "-c", RUN, str(tmp_path / "missing.txt"), "-"], capture_output=True,
                          text=True, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "atexit ran" in done.stderr and "torn down" in done.stderr


def test_init_creates_a_working_project(cli, tmp_path: Path) -> None:
    target = tmp_path / "bank"
    result = cli(None, "init", str(target))
    assert result.exit_code == 0, result.output
    for name in ("mediactl.yaml", ".gitignore", "content", "templates", "compliance"):
        assert (target / name).exists(), name
    assert "/build/" in (target / ".gitignore").read_text()
    assert "/.mediactl/" in (target / ".gitignore").read_text()
    assert oct((target / "mediactl.yaml").stat().st_mode & 0o777) != oct(0o600)
    listed = cli(target, "ls", "--json")
    assert listed.exit_code == 0, listed.output
    kinds = {item["kind"] for item in json.loads(listed.stdout)}
    assert kinds == {"article", "video", "graphic"}


def test_init_refuses_an_existing_project(cli, example: Path) -> None:
    result = cli(None, "init", str(example))
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {example / 'mediactl.yaml'} already exists: {example} is already a mediactl project\n"
    )


def test_init_never_overwrites_user_files(cli, tmp_path: Path) -> None:
    write(tmp_path / "p/templates/keep.txt", "mine")
    write(tmp_path / "p/.gitignore", "mine\n")
    result = cli(None, "init", str(tmp_path / "p"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "p/templates/keep.txt").read_text() == "mine"
    assert (tmp_path / "p/.gitignore").read_text() == "mine\n"


def test_new_creates_an_item_that_validates(cli, minimal: Path) -> None:
    result = cli(minimal, "new", "article", "fanzha-2026", "--title", '防范：电信诈骗 "新招"', "--channels", "wx")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "✓ created content/article/fanzha-2026/index.md"
    shown = cli(minimal, "show", "fanzha-2026", "--json")
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    assert data["title"] == '防范：电信诈骗 "新招"'
    assert data["channels"] == ["wx"]
    assert data["author"] == "tester"
    assert data["status"] == "draft"


@pytest.mark.parametrize("kind", ["article", "video", "graphic"])
def test_every_scaffold_is_valid(cli, minimal: Path, kind: str) -> None:
    assert cli(minimal, "new", kind, f"a-{kind}").exit_code == 0
    result = cli(minimal, "config", "validate")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if "(warning)" in line]
    assert all("is not set" in line for line in warnings), warnings  # only unset credentials


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("../escape", "Error: invalid slug: '../escape' must not contain path separators or '..'"),
        ("a/b", "Error: invalid slug: 'a/b' must not contain path separators or '..'"),
        ("", "Error: invalid slug: a slug cannot be empty"),
        (
            "防诈",
            "Error: invalid slug: '防诈' is not a valid slug: use lowercase ASCII letters, digits, '-' and '_' "
            "(at most 80, starting with a letter or digit), e.g. pinyin such as 'fanzha-2026'",
        ),
    ],
)
def test_new_refuses_invalid_slugs(cli, minimal: Path, slug: str, message: str) -> None:
    result = cli(minimal, "new", "article", slug)
    assert result.exit_code == 2
    assert result.stderr.strip() == message
    assert not any((minimal / "content").rglob("index.md"))


def test_new_refuses_an_existing_slug_of_any_kind(cli, minimal: Path) -> None:
    assert cli(minimal, "new", "video", "taken").exit_code == 0
    result = cli(minimal, "new", "article", "taken")
    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: an item with slug 'taken' already exists: content/video/taken/"


def test_new_refuses_unknown_kind_and_channel(cli, minimal: Path) -> None:
    result = cli(minimal, "new", "artikel", "x")
    assert (
        result.stderr.strip()
        == "Error: unknown kind 'artikel'; did you mean 'article'? (one of: article, video, graphic)"
    )
    result = cli(minimal, "new", "article", "x", "--channels", "wxx")
    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: unknown channel 'wxx'; did you mean 'wx'?"


def test_ls_filters_and_table(cli, example: Path) -> None:
    result = cli(example, "ls")
    assert result.exit_code == 0, result.output
    assert "anti-fraud-2026" in result.stdout
    assert "4 items" in result.stdout
    only_video = json.loads(cli(example, "ls", "--kind", "video", "--json").stdout)
    assert [item["kind"] for item in only_video] == ["video"]
    review = json.loads(cli(example, "ls", "--status", "review", "--json").stdout)
    assert review and all(item["status"] == "review" for item in review)
    bad = cli(example, "ls", "--status", "aproved")
    assert bad.exit_code == 2
    assert bad.stderr.startswith("Error: unknown status 'aproved'; did you mean 'approved'?")


def test_ls_json_shape_is_stable(cli, example: Path) -> None:
    items = json.loads(cli(example, "ls", "--json").stdout)
    assert [item["slug"] for item in items] == sorted(item["slug"] for item in items)
    for item in items:
        assert list(item) == [
            "slug", "kind", "title", "status", "author", "campaign", "channels", "updated", "path", "approval",
        ]  # fmt: skip
        assert item["approval"]["state"] == "none"  # nothing approved in a fresh example project
        assert [c["channel"] for c in item["approval"]["channels"]] == item["channels"]
        assert item["path"] == f"content/{item['kind']}/{item['slug']}/index.md"


def test_show_unknown_slug_suggests(cli, example: Path) -> None:
    result = cli(example, "show", "anti-fraud")
    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: no item 'anti-fraud' in content/; did you mean 'anti-fraud-2026'?"


def test_show_lists_assets_with_sizes(cli, example: Path) -> None:
    data = json.loads(cli(example, "show", "spring-festival-greeting", "--json").stdout)
    paths = {asset["path"]: asset["bytes"] for asset in data["assets"]}
    assert paths["source.mp4"] > 1000
    text = cli(example, "show", "spring-festival-greeting").stdout
    assert "source.mp4" in text


def test_unexpected_errors_have_no_traceback_unless_debug(cli, minimal: Path, monkeypatch) -> None:
    def boom(*_args, **_kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("mediactl.library.scan.load_library", boom)
    result = cli(minimal, "ls")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: unexpected RuntimeError: disk on fire",
        "Hint: this is a bug in mediactl; run again with --debug for the traceback.",
    ]
    debug = cli(minimal, "--debug", "ls")
    assert isinstance(debug.exception, RuntimeError)


def test_project_from_environment(cli, minimal: Path, monkeypatch) -> None:
    monkeypatch.setenv("MEDIACTL_PROJECT", str(minimal))
    assert cli(None, "ls").exit_code == 0


def test_project_found_from_a_subfolder(minimal: Path) -> None:
    env = {**os.environ, "MEDIACTL_USER": "tester"}
    sub = minimal / "content"
    done = subprocess.run([sys.executable, "-m", "mediactl", "ls"], cwd=sub, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert "0 items" in done.stdout


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """`mediactl check … | head -1`: the reader leaving early is not a bug report, and there is no traceback."""
    import subprocess
    import sys

    many = tmp_path / "many.txt"
    many.write_text("本产品保本保息，稳赚不赔。\n\n" * 3000, "utf-8")
    command = [sys.executable, "-m", "mediactl", "check", str(many), "--format", "line"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    assert process.stdout is not None and process.stdout.readline()
    process.stdout.close()  # like head -1
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 141
    assert b"Traceback" not in stderr and b"BrokenPipe" not in stderr and b"bug in mediactl" not in stderr


def test_cli_modules_keep_annotations_as_objects() -> None:
    """typer reads every command's annotations at every start; as strings (PEP 563) it compiles and
    evaluates each of them, ~17 ms of each run: the CLI modules leave them as objects."""
    import ast

    folder = Path(__file__).parents[1] / "src/mediactl/cli"
    for module in folder.glob("*.py"):
        tree = ast.parse(module.read_text("utf-8"))
        futures = [n for n in tree.body if isinstance(n, ast.ImportFrom) and n.module == "__future__"]
        assert not futures, f"{module.name}: from __future__ import annotations slows every start"
