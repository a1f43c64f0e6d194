"""Issue 13's first defect: a variant no adapter can take is refused while planning, never left `sending`.

A channel with no adapter, an adapter that cannot be loaded, or one that cannot take the item's kind
(a video on a text-only channel) is refused with the reason before the gate and before any job exists;
`publish --dry-run` says, for the whole example library, per channel what would be sent and what
cannot be, and why.
"""

from __future__ import annotations

import json
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import ClassVar

import pytest

from mediactl.library.scan import load_library
from mediactl.publish.adapters import GROUP, registry
from mediactl.publish.adapters.base import Adapter, Receipt, Variant
from mediactl.publish.store import Store
from mediactl.render.plan import plan_variants

ITEMS = ["anti-fraud-2026", "wealth-steady-plus", "credit-card-cashback", "spring-festival-greeting"]


class TextOnlyAdapter(Adapter):
    """A channel's adapter that posts text only (a video for it is refused while planning)."""

    kinds: ClassVar[tuple[str, ...] | None] = ("article",)

    def publish(self, variant: Variant, key: str) -> Receipt:
        return Receipt("sent", key)


def install(monkeypatch: pytest.MonkeyPatch, platform: str, target: str) -> None:
    """Register an adapter for `platform` for this test (as a package's entry point would)."""
    monkeypatch.setitem(registry(), platform, EntryPoint(platform, target, GROUP))


def outcomes(result) -> list[dict]:
    return json.loads(result.stdout)


def jobs(root: Path) -> list:
    store = Store(root / ".mediactl/queue.sqlite3")
    try:
        return store.jobs()
    finally:
        store.close()


def add_channel(index: Path, channel: str) -> None:
    text = index.read_text("utf-8")
    index.write_text(text.replace("channels:\n  - outbox\n", f"channels:\n  - outbox\n  - {channel}\n", 1), "utf-8")


def test_a_video_for_a_text_only_adapter_is_refused_while_planning(cli, example: Path, monkeypatch) -> None:
    install(monkeypatch, "weibo", f"{__name__}:TextOnlyAdapter")
    add_channel(example / "content/video/spring-festival-greeting/index.md", "bank-weibo")
    result = cli(example, "publish", "spring-festival-greeting", "--channel", "bank-weibo", "--json")
    assert result.exit_code == 1, result.output
    (refused,) = outcomes(result)
    assert refused["state"] == "refused"
    assert "cannot deliver video items to channel 'bank-weibo' (it takes: article)" in refused["detail"]
    assert "status:" not in refused["detail"]  # refused before the gate: the reason is the adapter, nothing else
    assert jobs(example) == []
    dry = outcomes(
        cli(example, "publish", "spring-festival-greeting", "--channel", "bank-weibo", "--dry-run", "--json")
    )
    assert [o["state"] for o in dry] == ["refused"] and "cannot deliver video items" in dry[0]["detail"]
    run = json.loads(cli(example, "run", "--channel", "bank-weibo", "--json").stdout)
    assert run["outcomes"] == []


def test_an_adapter_that_cannot_be_loaded_is_refused_and_its_queued_jobs_fail(cli, ready: Path, monkeypatch) -> None:
    """A broken plug-in: refused while planning; a job queued before it broke fails with the reason, never
    stays `sending` (it did: the import error escaped the delivery and left the claimed job behind)."""
    install(monkeypatch, "weibo", f"{__name__}:TextOnlyAdapter")
    queued = cli(ready, "publish", "anti-fraud-2026", "--channel", "bank-weibo", "--at", "2099-01-01T09:00", "--json")
    assert [o["state"] for o in outcomes(queued)] == ["queued"], queued.output
    install(monkeypatch, "weibo", "mediactl_no_such_plugin:WeiboAdapter")
    refused = outcomes(cli(ready, "publish", "anti-fraud-2026", "--channel", "bank-weibo", "--json"))
    assert refused[0]["state"] == "refused"
    assert (
        "the adapter for platform 'weibo' (mediactl_no_such_plugin:WeiboAdapter) cannot be loaded"
        in refused[0]["detail"]
    )
    store = Store(ready / ".mediactl/queue.sqlite3")
    with store.transaction() as db:
        db.execute("UPDATE jobs SET due_at = 0")
    store.close()
    for concurrency in ("1", "4"):
        delivered = cli(ready, "publish", "--due", "--concurrency", concurrency, "--json")
        assert "Traceback" not in delivered.output and "unexpected" not in delivered.output, delivered.output
    (job,) = jobs(ready)
    assert job.state == "failed" and "cannot be loaded: ModuleNotFoundError" in job.error


def planned_pairs(root: Path) -> set[tuple[str, str]]:
    from mediactl.config.model import load_config

    config = load_config(root / "mediactl.yaml")
    planned, refused = plan_variants(load_library(config), config, None, None)
    assert refused == []
    return {(p.channel.name, p.item.slug) for p in planned}


def check_dry_run(cli, root: Path) -> list[dict]:
    """A dry run of the whole library: one outcome per variant, each sent-or-why; nothing queued or sent."""
    result = cli(root, "publish", "--dry-run", "--json")
    assert "Traceback" not in result.output and "unexpected" not in result.output, result.output
    found = outcomes(result)
    assert sorted((o["channel"], o["item"]) for o in found) == sorted(planned_pairs(root))
    assert {o["state"] for o in found} <= {"dry-run", "refused"}
    assert all(o["detail"] for o in found)  # what would be sent, or why not
    assert result.exit_code == (1 if any(o["state"] == "refused" for o in found) else 0)
    assert jobs(root) == [] and not (root / "outbox").exists() and not (root / "handoff").exists()
    text = cli(root, "publish", "--dry-run")
    summary = text.stdout[text.stdout.index("per channel (dry run):") :]
    for channel in {o["channel"] for o in found}:
        assert f"  {channel}:" in summary
    return found


def test_dry_run_of_the_whole_example_library_with_nothing_approved(cli, example: Path) -> None:
    found = check_dry_run(cli, example)
    assert {o["state"] for o in found} == {"refused"}
    for o in found:
        if o["channel"] in ("outbox", "bank-wechat"):  # an adapter takes it: the gate says what is missing
            assert "approval: nobody has approved this variant" in o["detail"]
    no_adapter = [o for o in found if "no adapter is installed" in o["detail"]]  # none left once WeCom has one
    assert all(o["detail"].endswith("nothing was queued") for o in no_adapter)


def test_dry_run_of_the_whole_example_library_approved(cli, example: Path, monkeypatch) -> None:
    from mediactl.config.model import load_config

    monkeypatch.setenv("MEDIACTL_USER", "li.na")
    assert cli(example, "check").exit_code == 0
    assert cli(example, "review", *ITEMS).exit_code == 0
    approved = cli(example, "approve", *ITEMS, "--as", "wang.min")
    assert approved.exit_code == 0, approved.output
    found = check_dry_run(cli, example)
    config = load_config(example / "mediactl.yaml")
    for o in found:
        platform = config.channel(o["channel"]).platform
        if platform in registry():
            assert o["state"] == "dry-run" and o["requests"], o
        else:
            assert o["state"] == "refused" and f"no adapter is installed for platform '{platform}'" in o["detail"]
    assert {"outbox", "bank-wechat"} <= {o["channel"] for o in found if o["state"] == "dry-run"}
