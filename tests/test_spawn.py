"""The parallel paths work with the spawn start method (Windows has no fork): same results as fork."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mediactl.check.runner import PER_WORKER


@pytest.fixture(params=["fork", "spawn"])
def start_method(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MEDIACTL_START_METHOD", request.param)
    return str(request.param)


def test_render_in_parallel_gives_the_same_variants(cli, example: Path, start_method: str) -> None:
    result = cli(example, "render", "--jobs", "2", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["failed"] == 0 and summary["rendered"] >= 20
    golden = {(v["item"], v["channel"]): v["content_hash"] for v in summary["variants"]}
    again = json.loads(cli(example, "render", "--jobs", "1", "--force", "--json").stdout)
    assert {(v["item"], v["channel"]): v["content_hash"] for v in again["variants"]} == golden


def test_check_of_many_files_in_parallel_gives_the_same_report(cli, example: Path, tmp_path: Path,
                                                                 start_method: str, monkeypatch) -> None:  # fmt: skip
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    source = (example / "content/article/wealth-steady-plus/index.md").read_text("utf-8")
    for n in range(PER_WORKER * 2 + 5):  # enough files for two workers
        (corpus / f"{n:04d}.md").write_text(source + f"\n第{n}篇：本产品保本保收益。\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    parallel = cli(tmp_path, "check", str(corpus), "--format", "json")
    monkeypatch.setenv("MEDIACTL_START_METHOD", "fork")
    serial = cli(tmp_path, "check", str(corpus), "--format", "json")
    assert parallel.exit_code == serial.exit_code == 1
    report = json.loads(parallel.stdout)
    assert len(report["findings"]) >= PER_WORKER * 2 and parallel.stdout == serial.stdout
    shutil.rmtree(corpus)
