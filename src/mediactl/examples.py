"""`mediactl init --example`: the example items handed over and approved with the demo keys init just made.

The quick start must publish with one `mediactl run`, so the example approvals must be valid for the example
people. Approvals shipped ready-made would name content hashes that change with every change to a layout or a
font, and would need a private key shipped with the package; instead the records are signed here, on this
machine, with the demo key of the example checker (wang.min) that `init` made a moment ago under
`.mediactl/keys/` (git-ignored, private to this project). Each record says so in its signed note, each step is in
the audit log, and the gate verifies them like any other: a team that replaces the demo keys with its people's
own keys (as "Setting up a team" says) voids them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mediactl.core.errors import UsageError
from mediactl.library.scaffold import DEMO_KEYS

if TYPE_CHECKING:  # annotations only
    from mediactl.config.model import Config
    from mediactl.pipeline import Approved

EXAMPLE_CHECKER = "wang.min"
EXAMPLE_NOTE = "示例审批：由 mediactl init --example 以 wang.min 的演示密钥签署 (example approval, demo key)"


def approve_examples(config: Config) -> list[Approved]:
    """Every item of the fresh project moved to review (a draft is never approved) and approved by the example
    checker with their demo key; nothing is signed if that key is not the one init made."""
    from mediactl import pipeline  # lazy: the publish stage
    from mediactl.library.scan import load_library  # lazy: as above

    key = config.state_path / DEMO_KEYS / EXAMPLE_CHECKER
    if not key.is_file():
        raise UsageError(f"--example signs with the demo key of {EXAMPLE_CHECKER}, which init did not make "
                         f"({key} is missing: people.{EXAMPLE_CHECKER}.keys was not [] in the example config)")  # fmt: skip
    slugs = sorted(load_library(config).items)
    _hand_over(config, slugs)
    request = pipeline.ApproveRequest(slugs, EXAMPLE_CHECKER, None, EXAMPLE_NOTE, key)
    return pipeline.approve(config, load_library(config), request)  # reloaded: the statuses just changed


def _hand_over(config: Config, slugs: list[str]) -> None:
    """What each author's `mediactl review` does for a draft: status review, with its audit record."""
    from mediactl import pipeline  # lazy: the publish stage
    from mediactl.library.scan import load_library  # lazy: as above

    library = load_library(config)
    drafts = [library.get(slug) for slug in slugs if library.get(slug).status == "draft"]
    pipeline.review(config, drafts, command="init --example")
