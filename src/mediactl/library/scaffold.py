"""Creating things on disk: a whole content repository (`init`) and one item (`new`).

`init` copies the example project that ships with mediactl (the repository's own
``mediactl.example.yaml``, ``content/``, ``templates/`` and ``compliance/``); in a
wheel they are packaged under ``mediactl/_skeleton``, in a source checkout they
are read from the checkout itself. Nothing existing is ever overwritten.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from mediactl.config.model import CONFIG_NAME, Config
from mediactl.config.schema import did_you_mean
from mediactl.core import fsutil
from mediactl.core.errors import MediactlError, UsageError, relpath
from mediactl.core.identity import current_user
from mediactl.library.content import ITEM_FILE, KINDS, validate_slug
from mediactl.library.scan import find_item_folder

EXAMPLE_CONFIG = "mediactl.example.yaml"
SKELETON_FOLDERS = ("content", "templates", "compliance")
GITIGNORE = """\
# mediactl: build output and local state are not content
/build/
/outbox/
/.mediactl/
.env
"""


def skeleton_root() -> Path:
    """Where the example project lives: packaged copy first, then the source checkout."""
    packaged = Path(str(resources.files("mediactl"))) / "_skeleton"
    if (packaged / EXAMPLE_CONFIG).is_file():
        return packaged
    checkout = Path(__file__).resolve().parents[3]
    if (checkout / EXAMPLE_CONFIG).is_file():
        return checkout
    raise MediactlError("this installation of mediactl lacks its example project files; reinstall it")


def skeleton_files(root: Path) -> list[tuple[Path, str]]:
    """(source file, target path relative to the new project) for everything `init` copies."""
    files = [(root / EXAMPLE_CONFIG, CONFIG_NAME)]
    for folder in SKELETON_FOLDERS:
        base = root / folder
        for dirpath, dirs, names in os.walk(base):
            dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
            for name in sorted(names):
                if name.startswith(".") or name.endswith((".pyc", ".tmp")):
                    continue
                source = Path(dirpath) / name
                files.append((source, source.relative_to(root).as_posix()))
    return files


def init_project(target: Path) -> list[str]:
    """Create a content repository in `target`; refuse if any file would be overwritten."""
    root = skeleton_root()
    plan = skeleton_files(root)
    if (target / CONFIG_NAME).exists():
        raise UsageError(f"{target / CONFIG_NAME} already exists: {target} is already a mediactl project")
    clashes = [rel for _, rel in plan if (target / rel).exists()]
    if clashes:
        shown = ", ".join(clashes[:5]) + (" …" if len(clashes) > 5 else "")
        raise UsageError(f"{target} already has files that init would overwrite: {shown}")
    created = []
    for source, rel in plan:
        fsutil.copy_file(source, target / rel)
        created.append(rel)
    for folder in SKELETON_FOLDERS:
        (target / folder).mkdir(parents=True, exist_ok=True)
    gitignore = target / ".gitignore"
    if not gitignore.exists():
        fsutil.write_text(gitignore, GITIGNORE)
        created.append(".gitignore")
    return created


@dataclass(frozen=True)
class NewItem:
    kind: str
    slug: str
    title: str | None = None
    channels: tuple[str, ...] = ()


def create_item(config: Config, request: NewItem) -> Path:
    """Write ``content/<kind>/<slug>/index.md`` from the kind's scaffold."""
    if request.kind not in KINDS:
        raise UsageError(
            f"unknown kind '{request.kind}'{did_you_mean(request.kind, KINDS)} (one of: {', '.join(KINDS)})"
        )
    problem = validate_slug(request.slug)
    if problem:
        raise UsageError(f"invalid slug: {problem}")
    existing = find_item_folder(config, request.slug)
    if existing is not None:
        raise UsageError(f"an item with slug '{request.slug}' already exists: {relpath(existing, config.root)}/")
    channels = list(request.channels) or [name for name in ("outbox",) if name in config.channels]
    for name in channels:
        if name not in config.channels:
            raise UsageError(f"unknown channel '{name}'{did_you_mean(name, config.channels)}")
    folder = config.content_path / request.kind / request.slug
    scaffold = (resources.files("mediactl") / "data" / "scaffolds" / f"{request.kind}.md").read_text("utf-8")
    text = Template(scaffold).substitute(
        title=_yaml_string(request.title or request.slug),
        author=_yaml_string(current_user()),
        channels=json.dumps(channels, ensure_ascii=False),
        available=", ".join(config.channels) or "none defined yet",
    )
    fsutil.write_text(folder / ITEM_FILE, text)
    return folder / ITEM_FILE


def _yaml_string(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML) for any title, colons included."""
    return json.dumps(value, ensure_ascii=False)
