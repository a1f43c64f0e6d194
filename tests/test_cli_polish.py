"""What a demanding user of the CLI expects: output that pipes cleanly, JSON everywhere, times in the project's
zone, honest marks, a clean fresh project."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import audit_records
from mediactl.library.scaffold import init_project

EXAMPLE_TITLES = {"anti-fraud-2026": "守好钱袋子，谨防电信网络诈骗"}


def _mediactl(project: Path, *args: str, columns: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    if columns:
        env["COLUMNS"] = columns
    return subprocess.run([sys.executable, "-m", "mediactl", "-C", str(project), *args], capture_output=True,
                          text=True, env=env, stdin=subprocess.DEVNULL)  # fmt: skip


def test_piped_tables_are_not_wrapped_at_80_columns(tmp_path: Path) -> None:
    project = tmp_path / "p"
    init_project(project)
    listed = _mediactl(project, "ls")
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[0]: line for line in listed.stdout.splitlines() if line.strip()}
    assert EXAMPLE_TITLES["anti-fraud-2026"] in rows["anti-fraud-2026"], listed.stdout
    assert "bank-weibo" in rows["anti-fraud-2026"]  # the channels on the item's one line, not folded
    assert len(listed.stdout.splitlines()) == 6  # header, four items, the count


def test_columns_set_by_the_user_is_respected(tmp_path: Path) -> None:
    project = tmp_path / "p"
    init_project(project)
    from rich.cells import cell_len

    listed = _mediactl(project, "ls", columns="100")
    assert max(map(cell_len, listed.stdout.splitlines())) <= 100
    assert len(listed.stdout.splitlines()) > 6  # folded to fit, as asked


def test_doctor_never_ticks_what_it_did_not_find(cli, example: Path, monkeypatch) -> None:
    import shutil

    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # import fails: as on a machine without it
    result = cli(example, "doctor")
    line = next(line for line in result.output.splitlines() if "ffmpeg" in line)
    assert "not found" in line and "✓" not in line, line
    data = json.loads(cli(example, "doctor", "--json").stdout)
    ffmpeg = next(check for check in data if check["check"] == "ffmpeg")
    assert ffmpeg["status"] == "absent" and ffmpeg["ok"] is True  # optional: absent does not fail doctor
    assert {check["status"] for check in data} <= {"ok", "failed", "absent"}


def test_the_audit_log_is_shown_in_the_project_time_zone(cli, example: Path) -> None:
    assert cli(example, "review", "credit-card-cashback").exit_code == 0  # one record, written in UTC
    shown = cli(example, "log")
    assert shown.exit_code == 0, shown.output
    line = next(line for line in shown.stdout.splitlines() if "item.review" in line)
    assert "+08:00" in line and "+00:00" not in line, line  # the example project is Asia/Shanghai
    record = json.loads(cli(example, "log", "--json").stdout)[-1]
    assert record["time"].endswith("+08:00")  # JSON output too (issue 16); the log itself stays UTC
    assert audit_records(example, "item.review")[-1]["time"].endswith("+00:00")


def test_at_now_is_accepted() -> None:
    import time
    from zoneinfo import ZoneInfo

    from mediactl.cli.publish import parse_at

    before = time.time()
    for word in ("now", " NOW ", "现在"):
        assert before <= parse_at(word, ZoneInfo("Asia/Shanghai")) <= time.time()


def test_publish_at_now_delivers(cli, ready: Path) -> None:
    result = cli(ready, "publish", "anti-fraud-2026", "--channel", "outbox", "--at", "now")
    assert result.exit_code == 0, result.output
    assert "sent" in result.stdout


def test_queue_shows_times_in_the_project_zone_and_aligns_its_columns(cli, ready: Path) -> None:
    assert cli(ready, "publish", "anti-fraud-2026", "--channel", "outbox").exit_code == 0
    job = json.loads(cli(ready, "queue", "show", "1").stdout)
    assert job["due_at"].endswith("+08:00") and job["created_at"].endswith("+08:00")
    assert isinstance(job["due_at_epoch"], float)  # the number, for scripts that use it


def test_queue_ls_aligns_its_columns() -> None:
    from types import SimpleNamespace
    from zoneinfo import ZoneInfo

    from mediactl.cli.publish import job_lines

    def job(number: int, channel: str, item: str) -> SimpleNamespace:
        return SimpleNamespace(id=number, state="pending", channel=channel, item=item, due_at=1796578075.0,
                               attempts=0, remote_url=None, error=None, confirmed=dict)  # fmt: skip

    lines = job_lines(
        [job(1, "outbox", "a"), job(12, "bank-wechat", "spring-festival-greeting")], ZoneInfo("Asia/Shanghai")
    )
    assert len({line.index("2026-12-07 01:27") for line in lines}) == 1, lines


def test_every_json_writer_keeps_chinese_unescaped() -> None:
    """Manifests, reports, state and JSON output are read by people too: 中文, not \\u4e2d\\u6587. The one exception is
    check's fallback for a stream whose encoding cannot hold the text, marked `# ascii: ` where it stands."""
    import re

    source = Path(__file__).resolve().parents[1] / "src" / "mediactl"
    escaping = []
    for path in source.rglob("*.py"):
        text = path.read_text("utf-8")
        for found in re.finditer(r"json\.dumps?\(", text):
            call = text[found.start() : text.find("\n", text.find(")", found.end()))]
            line = text[text.rfind("\n", 0, found.start()) + 1 : text.find("\n", found.end())]
            if "ensure_ascii=False" not in call and "# ascii: " not in line:
                escaping.append(f"{path.relative_to(source)}:{text.count(chr(10), 0, found.start()) + 1}")
    assert not escaping, escaping


def test_shell_completion_is_on(cli) -> None:
    shown = cli(None, "--help")
    assert "--install-completion" in shown.stdout and "--show-completion" in shown.stdout


def test_templates_readme_names_templates_that_exist_and_its_examples_render(cli, example: Path) -> None:
    """Every `builtin/…` template the example project's templates/README.md names is packaged, and the override
    it shows, written as it says, renders."""
    import re
    from importlib import resources

    text = (example / "templates/README.md").read_text("utf-8")
    examples = re.findall(r"```jinja\n(.*?)```", text, re.S)
    assert examples, "templates/README.md shows no example"
    packaged = resources.files("mediactl") / "data" / "templates"
    for block in examples:
        block = "\n".join(line.strip() for line in block.splitlines()) + "\n"
        name = re.match(r'\{% extends "builtin/([^"]+)" %\}', block).group(1)  # type: ignore[union-attr]
        assert packaged.joinpath(name).is_file(), f"templates/README.md names builtin/{name}, which does not exist"
        (example / "templates" / name).parent.mkdir(parents=True, exist_ok=True)
        (example / "templates" / name).write_text(block, "utf-8")
        rendered = cli(example, "render", "anti-fraud-2026", "--channel", "bank-wechat", "--json")
        assert rendered.exit_code == 0, rendered.output
    title = (example / "build/bank-wechat/anti-fraud-2026/title.txt").read_text("utf-8")
    assert title.startswith("【示例银行】"), title  # the override took effect
    layouts = set(re.findall(r"`media/([\w-]+)\.yaml`", text))
    for layout in layouts:
        assert packaged.joinpath(f"media/{layout}.yaml").is_file(), layout


def test_log_verify_and_rules_test_report_as_json(cli, example: Path) -> None:
    assert cli(example, "review", "credit-card-cashback").exit_code == 0
    verified = cli(example, "log", "verify", "--json")
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.stdout) == {"intact": True, "records": 1, "keyed": False, "anchored_at": None}
    tested = cli(example, "rules", "test", "--json")
    assert tested.exit_code == 0, tested.output
    data = json.loads(tested.stdout)
    assert data["failed"] == [] and data["examples"] > 0 and data["rules"] > 0
