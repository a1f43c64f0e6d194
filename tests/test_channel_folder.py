"""A channel's `path` folder (outbox, website) lies inside the project: nothing is written outside it.

The config says where deliveries go; a `path: ../../srv` or a folder that is a symbolic link out
would let a content repository's config (merged from a branch) write files anywhere the
publishing host can. Both are refused: the first when the config loads, the second before a
byte is written.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SLUG = "anti-fraud-2026"


def _set_outbox_path(root: Path, path: str) -> None:
    config = root / "mediactl.yaml"
    text = config.read_text("utf-8")
    assert "    path: outbox\n" in text
    config.write_text(text.replace("    path: outbox\n", f"    path: {path}\n", 1), "utf-8")


@pytest.mark.parametrize("path", ["../escape", "/tmp/mediactl-escape"])
def test_a_path_outside_the_project_is_a_config_error(cli, example: Path, path: str) -> None:
    _set_outbox_path(example, path)
    result = cli(example, "config", "validate")
    assert result.exit_code == 2, result.output
    assert "channels.outbox.path: must be a folder inside the project (relative, without '..')" in result.stderr


def test_a_folder_that_links_out_of_the_project_receives_nothing(cli, ready: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (ready / "outbox").symlink_to(outside, target_is_directory=True)
    result = cli(ready, "publish", SLUG, "--channel", "outbox", "--json")
    (outcome,) = json.loads(result.stdout)
    assert outcome["state"] == "failed", outcome
    assert "channels.outbox.path" in outcome["detail"] and "outside the project" in outcome["detail"]
    assert list(outside.iterdir()) == []
