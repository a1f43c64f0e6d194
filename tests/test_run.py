"""`mediactl run`: the whole pipeline for cron and CI, on the example library."""

from __future__ import annotations

import json
from pathlib import Path

SLUG = "anti-fraud-2026"


def run(cli, root: Path, *args: str):
    return cli(root, "run", "--channel", "outbox", "--json", *args)


def test_run_delivers_what_is_approved_and_due_once(cli, ready: Path) -> None:
    result = run(cli, ready)
    report = json.loads(result.stdout)
    assert [(o["item"], o["state"]) for o in report["outcomes"]] == [(SLUG, "sent")], report
    assert report["check"]["variants"] >= 1 and report["render"]["failed"] == []
    assert report["check"]["ocr"] == "off"  # the suite's MEDIACTL_OCR=off: the run says its pictures were not read
    assert (ready / "outbox/outbox" / SLUG).is_dir()
    again = json.loads(run(cli, ready).stdout)
    assert again["outcomes"] == []  # nothing new: never sent twice
    actions = [json.loads(line)["action"] for line in (ready / ".mediactl/audit.jsonl").read_text("utf-8").splitlines()]
    assert actions.count("delivery.sent") == 1


def test_run_leaves_drafts_alone_and_lists_what_waits(cli, ready: Path) -> None:
    with (ready / "content/article" / SLUG / "index.md").open("a", encoding="utf-8") as body:
        body.write("\n更多防骗知识，请关注示例银行。\n")  # changed after the approval
    report = json.loads(run(cli, ready).stdout)
    assert report["outcomes"] == []
    (waiting,) = [w for w in report["waiting"] if (w["item"], w["channel"]) == (SLUG, "outbox")]
    assert waiting["reason"].startswith("not approved as it is now: needs 1 checker approval, has 0")
    assert "changed since: wang.min approved an earlier version of this variant" in waiting["reason"]
    assert not (ready / "outbox").exists()


def test_run_dry_run_queues_and_sends_nothing(cli, ready: Path) -> None:
    report = json.loads(run(cli, ready, "--dry-run").stdout)
    assert [o["state"] for o in report["outcomes"]] == ["dry-run"]
    assert not (ready / "outbox").exists()
    assert json.loads(cli(ready, "queue", "ls", "--json").stdout) == []


def test_run_fails_on_findings_with_exit_1(cli, ready: Path) -> None:
    item = ready / "content/article/wealth-steady-plus/index.md"
    item.write_text(item.read_text("utf-8") + "\n本产品保本保收益，稳赚不赔。\n", "utf-8")
    result = cli(ready, "run", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["check"]["failing"] >= 1


def test_run_leaves_a_channel_without_credentials_waiting(cli, ready: Path) -> None:
    """bank-wechat's credentials are not set: queued, the job would only fail; it waits, named."""
    report = json.loads(cli(ready, "run", "--channel", "bank-wechat", "--json").stdout)
    assert report["outcomes"] == []
    (wait,) = [w for w in report["waiting"] if w["item"] == SLUG]
    assert wait["reason"] == "credentials not set: BANK_WECHAT_APPID, BANK_WECHAT_SECRET"
    assert json.loads(cli(ready, "queue", "ls", "--json").stdout) == []


HOLD = """
import sys
from pathlib import Path
from mediactl.core.filelock import held_or_refused
with held_or_refused(Path(sys.argv[1]), "pid 4242 on cron-host, since 2026-12-06 08:00:00"):
    print("held", flush=True)
    sys.stdin.readline()  # until the test says
"""


def test_a_run_while_another_runs_does_nothing_and_says_who_runs(cli, ready: Path) -> None:
    """cron starts a run every few minutes; one still encoding video must not be overlapped by the next."""
    import subprocess
    import sys

    lock = ready / ".mediactl" / "run.lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(lock)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        skipped = run(cli, ready)
        assert skipped.exit_code == 0, skipped.output
        report = json.loads(skipped.stdout)
        assert report["ran"] is False and "pid 4242 on cron-host" in report["reason"]
        assert not (ready / "outbox").exists()  # nothing rendered, queued or sent by the second run
        plain = cli(ready, "run", "--channel", "outbox")
        assert plain.exit_code == 0 and "in progress" in plain.stdout and "did nothing" in plain.stdout
    finally:
        holder.communicate("done\n", timeout=30)
    report = json.loads(run(cli, ready).stdout)  # the lock ended with its process: the next run works
    assert [(o["item"], o["state"]) for o in report["outcomes"]] == [(SLUG, "sent")], report
