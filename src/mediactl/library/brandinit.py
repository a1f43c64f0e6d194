"""`mediactl init --brand`: the new project's `brand:` block set to the bank's own name, logo and colours.

Edits only the lines of the example brand it replaces (name, logo, colors), every other byte of mediactl.yaml
kept, as `make_demo_keys` does; the logo is copied into templates/brand/ so the project carries it in git.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from mediactl import CONFIG_NAME
from mediactl.config.brand import HEX, LOGO_SUFFIXES
from mediactl.core import fsutil
from mediactl.core.errors import UsageError

LOGO_FOLDER = "templates/brand"


def apply_brand(
    target: Path, name: str | None, logo: Path | None, primary: str | None, accent: str | None
) -> list[str]:
    """Write what was given into the brand block of `target`'s mediactl.yaml; the files created."""
    check_brand(logo, primary, accent)
    config = target / CONFIG_NAME
    text = config.read_text("utf-8")
    created = []
    if name:
        text = _set(text, "name", json.dumps(name, ensure_ascii=False))
    if logo is not None:
        relative = f"{LOGO_FOLDER}/logo{logo.suffix.lower()}"
        fsutil.copy_file(logo, target / relative)
        created.append(relative)
        text = _set(text, "logo", relative)
    for key, colour in (("primary", primary), ("accent", accent)):
        if colour:
            text = re.sub(
                rf'(\n  colors: \{{.*?{key}: )"#[0-9A-Fa-f]{{6}}"', rf'\g<1>"{colour.upper()}"', text, count=1
            )
    fsutil.write_text(config, text)
    return created


def check_brand(logo: Path | None, primary: str | None, accent: str | None) -> None:
    """The given logo and colours are usable (checked before init creates anything)."""
    for label, colour in (("--primary", primary), ("--accent", accent)):
        if colour is not None and not HEX.fullmatch(colour):
            raise UsageError(f"{label} {colour!r}: expected a colour like #0B2A5B")
    if logo is not None and (not logo.is_file() or logo.suffix.lower() not in LOGO_SUFFIXES):
        raise UsageError(f"--logo {logo}: expected an existing {', '.join(LOGO_SUFFIXES)} file")


def _set(text: str, key: str, value: str) -> str:
    """The first `  key: …` line after `brand:` set to `value` (its comment dropped)."""
    head, found, tail = text.partition("\nbrand:\n")
    if not found:
        raise UsageError(f"{CONFIG_NAME} has no brand: block to fill in")
    tail = re.sub(rf"(?m)^  {key}: .*$", lambda _: f"  {key}: {value}", tail, count=1)
    return head + found + tail
