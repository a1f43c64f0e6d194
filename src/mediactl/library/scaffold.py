"""Creating things on disk: a whole content repository (`init`) and one item (`new`).

`init` copies the example project that ships with mediactl (the repository's own
``mediactl.example.yaml``, ``content/``, ``templates/`` and ``compliance/``); in a
wheel they are packaged under ``mediactl/_skeleton``, in a source checkout they
are read from the checkout itself. Nothing existing is ever overwritten.

`init` also makes a demo SSH key for each example person (li.na, the author; wang.min, the checker)
under the new project's state folder (`.mediactl/keys/`, private and git-ignored, never committed)
and writes their public keys into its `people:` block, so the quick start signs real approvals with
no setup. A team replaces them with each person's own key.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from mediactl.config.model import CONFIG_NAME, Config
from mediactl.config.schema import did_you_mean
from mediactl.config.yamlpos import load_located
from mediactl.core import fsutil
from mediactl.core.errors import MediactlError, UsageError, relpath
from mediactl.core.identity import current_user
from mediactl.library.content import ITEM_FILE, KINDS, validate_slug
from mediactl.library.scan import find_item_folder

EXAMPLE_CONFIG = "mediactl.example.yaml"
DEMO_KEYS = "keys"  # under the state folder: the demo keys `init` makes (publish/signer.py finds them there)
DEMO_PEOPLE = ("li.na", "wang.min")
SKELETON_FOLDERS = ("content", "templates", "compliance")
GITIGNORE = """\
# mediactl: build output and local state (queue, audit log, the demo keys in .mediactl/keys/) are not content
/build/
/outbox/
/handoff/
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
    created += make_demo_keys(target)
    return created


def make_demo_keys(target: Path) -> list[str]:
    """A demo ed25519 key for each example person whose `keys:` is still `[]`: the private key under the state
    folder (0600), the public key written into that person's `keys:` line (every other byte of the file kept)."""
    config = target / CONFIG_NAME
    text = config.read_text("utf-8")
    doc = load_located(text, CONFIG_NAME)
    data: dict[str, Any] = doc.data if isinstance(doc.data, dict) else {}
    people: dict[str, Any] = data["people"] if isinstance(data.get("people"), dict) else {}
    project: dict[str, Any] = data["project"] if isinstance(data.get("project"), dict) else {}
    state = target / str(project.get("state") or ".mediactl")
    lines = text.splitlines(keepends=True)
    made = []
    for person_id in DEMO_PEOPLE:
        spec = people.get(person_id)
        line = doc.positions.get(("people", person_id, "keys"), (None,))[0]
        if not isinstance(spec, dict) or spec.get("keys") != [] or line is None or "[]" not in lines[line - 1]:
            continue
        public = _demo_key(state / DEMO_KEYS / person_id, f"{person_id}@mediactl-demo")
        lines[line - 1] = lines[line - 1].replace("[]", json.dumps([public], ensure_ascii=False), 1)
        made.append(f"{project.get('state') or '.mediactl'}/{DEMO_KEYS}/{person_id}")
    if made:
        fsutil.write_text(config, "".join(lines))
    return made


def _demo_key(path: Path, comment: str) -> str:
    """Write a new ed25519 private key (OpenSSH format, unencrypted, private to its owner) and its .pub; the
    public key line."""
    # lazy: start-up; only init pays cryptography's import (~40 ms)
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # lazy: see above

    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption())  # fmt: skip
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    line = f"{public.decode('ascii')} {comment}"
    fsutil.keep_private(path.parent.parent)  # the state folder: 0700, its files 0600 (ssh refuses wider keys)
    fsutil.write_bytes(path, private)
    fsutil.write_text(path.with_name(path.name + ".pub"), line + "\n")
    return line


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
