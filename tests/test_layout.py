"""Dependencies point one way: no stage imports a later one (issue 11); an import inside a function says why.

The stages, earliest first: core ← config ← library ← text, graphics ← video ← render ← check ← publish
← pipeline ← cli. A module may import its own stage and earlier ones. `sandbox/` (the platform
emulator) stands apart: it may import core and config only, and only `cli/` starts it.

Every import counts, wherever it is written, because an import inside a function is as real a
dependency as one at the top: module-level, function-level and `TYPE_CHECKING` imports, and a
string that names a mediactl module (an `import_module` target, a `"module:attribute"` provider
such as render/hooks.py's DEFAULT_PROVIDERS). The source is parsed, not imported, so the test sees
the graph a reader sees.

An import belongs at the top of its module, where a reader sees it, unless start-up time needs it
later (a one-file check must not import the render or publish stacks, Pillow, rich…) or an import
cycle would otherwise form. Such an import carries a comment on its line or the line above
(`# lazy: …`) saying which, so a deliberate one is told apart from a forgotten one.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from functools import cache
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "src" / "mediactl"

# The first component under `mediactl.` → its stage; equal ranks may import each other.
STAGES = {
    "": 0,  # mediactl/__init__.py: __version__, CONFIG_NAME, nearest_project; imports nothing
    "core": 0,
    "config": 1,
    "library": 2,
    "text": 3,
    "graphics": 3,
    "video": 3.5,  # draws with graphics and text; render builds video variants with it
    "render": 4,
    "check": 5,
    "publish": 6,
    "preview": 6.5,  # the gallery reads render (variants), check (findings) and publish (approvals); cli serves it
    "plan": 6.5,  # the month plan reads the library, the config and the state store's jobs; pipeline never needs it
    "pipeline": 7,
    "examples": 7.5,  # `init --example` approves the example library through the pipeline
    "cli": 8,
    "__main__": 8,
}
SANDBOX = "sandbox"
SANDBOX_MAY_IMPORT = {"", "core", "config"}
SANDBOX_IMPORTED_BY = {"cli", "__main__", SANDBOX}

# Known violations, (importer, imported) module pairs. Issue 11 removed the last three (render.hooks naming
# check.disclosures in a string, now an entry point; core.console using config.credentials' redaction,
# now core.redaction; config.model using publish.transport, now config.transport). The test fails on any
# violation not listed here, and on a listed one that is gone, so this list only shrinks.
ALLOWED: set[tuple[str, str]] = set()  # none left: keep it empty

MODULE_STRING = re.compile(r"mediactl(?:\.\w+)+(?::\w+)?")
MODULE_PREFIX = re.compile(r"mediactl(?:\.\w+)*\.")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE_DIR.rglob("*.py"))}


def is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def stage_of(name: str) -> str:
    """'mediactl.check.runner' → 'check'; 'mediactl' → ''."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def resolve(name: str) -> str | None:
    """The longest mediactl module that `name` (a module, or a module's attribute) stands for."""
    parts = name.split(".")
    while parts:
        if ".".join(parts) in MODULES:
            return ".".join(parts)
        parts.pop()
    return None


@cache
def imports_of(importer: str) -> frozenset[str]:
    """Every mediactl module that `importer` imports or names, at any depth of its source."""
    package = importer if is_package(importer) else importer.rpartition(".")[0]
    found = names_in(MODULES[importer].read_text("utf-8"), package)
    return frozenset(name for name in map(resolve, found) if name and name != importer)


def names_in(source: str, package: str) -> set[str]:
    """The dotted names that `source` (a module of `package`) imports or names as a module path."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the importer's package, `level - 1` packages up
                parts = package.split(".")
                anchor = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from mediactl.text import markup` is the module mediactl.text.markup, `from mediactl.config.model
            # import Config` the module mediactl.config.model: resolve() finds the longest module of the name
            found.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and MODULE_STRING.fullmatch(node.value):
            found.add(node.value.split(":")[0])
        elif isinstance(node, ast.JoinedStr) and node.values:  # f"mediactl.graphics.{module}": its package
            head = node.values[0]
            if isinstance(head, ast.Constant) and MODULE_PREFIX.fullmatch(str(head.value)):
                found.add(str(head.value).rstrip("."))
    return {name for name in found if name == "mediactl" or name.startswith("mediactl.")}


def violation(importer: str, imported: str) -> bool:
    source, target = stage_of(importer), stage_of(imported)
    if source == target:
        return False
    if SANDBOX in (source, target):
        return (source == SANDBOX and target not in SANDBOX_MAY_IMPORT) or (
            target == SANDBOX and source not in SANDBOX_IMPORTED_BY
        )
    return STAGES[source] < STAGES[target]


def violations() -> set[tuple[str, str]]:
    return {
        (importer, imported)
        for importer in MODULES
        for imported in imports_of(importer)
        if violation(importer, imported)
    }


def test_the_scan_sees_every_kind_of_import() -> None:
    """The parser itself: top level, inside a function, under TYPE_CHECKING, relative, and strings."""
    source = """
from typing import TYPE_CHECKING
from mediactl.core import fsutil
import mediactl.text.cjk
from . import plan
from ..check.report import failing
if TYPE_CHECKING:
    from mediactl.config.model import Config
def later():
    from mediactl.library.scan import load_library
PROVIDERS = ("mediactl.check.disclosures:provider",)
WHICH = import_module(f"mediactl.graphics.{name}")
NOT_A_MODULE = "mediactl.yaml is the config file"
"""
    found = {resolve(name) for name in names_in(source, "mediactl.render")} - {None, "mediactl"}
    assert found == {
        "mediactl.core.fsutil",
        "mediactl.text.cjk",
        "mediactl.render.plan",
        "mediactl.check.report",
        "mediactl.config.model",
        "mediactl.library.scan",
        "mediactl.check.disclosures",
        "mediactl.graphics",
    }


def test_the_scan_reads_the_real_sources() -> None:
    assert "mediactl.core.fsutil" in imports_of("mediactl.check.compiled")
    assert "mediactl.check.verdicts" in imports_of("mediactl.publish.gate")
    assert "mediactl.cli.app" in imports_of("mediactl.cli")


def test_every_module_belongs_to_a_stage() -> None:
    """A new package has to be placed in the order before it can be checked."""
    unplaced = sorted(name for name in MODULES if stage_of(name) not in {*STAGES, SANDBOX})
    assert not unplaced, f"place these in STAGES of tests/test_layout.py: {unplaced}"


def test_no_stage_imports_a_later_one() -> None:
    new = sorted(violations() - ALLOWED)
    assert not new, "an earlier stage imports a later one (pass it a parameter, or move the code):\n" + "\n".join(
        f"  {importer} -> {imported}" for importer, imported in new
    )


def test_the_allow_list_only_shrinks() -> None:
    gone = sorted(ALLOWED - violations())
    assert not gone, "fixed, so remove from ALLOWED in tests/test_layout.py:\n" + "\n".join(
        f"  {importer} -> {imported}" for importer, imported in gone
    )


@pytest.mark.parametrize(
    ("importer", "imported", "bad"),
    [
        ("mediactl.core.fsutil", "mediactl.config.model", True),
        ("mediactl.render.texts", "mediactl.check.engine", True),
        ("mediactl.check.runner", "mediactl.render.plan", False),  # the right direction (sequencing is another matter)
        ("mediactl.publish.gate", "mediactl.check.report", False),
        ("mediactl.text.markup", "mediactl.graphics.fonts", False),  # same rank
        ("mediactl.cli.app", "mediactl.publish.runner", False),
        ("mediactl.sandbox.server", "mediactl.config.model", False),
        ("mediactl.sandbox.server", "mediactl.library.scan", True),
        ("mediactl.publish.runner", "mediactl.sandbox.server", True),
        ("mediactl.cli.doctor", "mediactl.sandbox.server", False),
    ],
)
def test_the_direction_rule(importer: str, imported: str, bad: bool) -> None:
    assert violation(importer, imported) is bad


def uncommented_function_imports(source: str) -> list[int]:
    """Lines of the imports inside a function (at any depth) with no comment on their lines or the line above."""
    commented = {
        token.start[0]
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    }
    lines = source.splitlines()
    comment_only = {number for number in commented if lines[number - 1].lstrip().startswith("#")}
    found: set[int] = set()
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            span = range(node.lineno, (node.end_lineno or node.lineno) + 1)
            if not commented.intersection(span) and node.lineno - 1 not in comment_only:
                found.add(node.lineno)
    return sorted(found)


def test_the_lazy_import_scan() -> None:
    """The scanner itself: which function-level imports count as explained."""
    source = """
import json
def f():
    import os
    import sys  # lazy: start-up
    # lazy: an import cycle (mediactl.a imports this module)
    from mediactl import a
    x = "# not a comment"
    from mediactl import b
    from mediactl import (  # lazy: start-up
        c,
    )
    def inner():
        import re
    return "#"; import csv
class K:
    async def m(self):
        import email
"""
    assert uncommented_function_imports(source) == [4, 9, 14, 15, 18]


def test_every_function_level_import_says_why() -> None:
    """Issue 11: imports inside functions only where start-up time (or a cycle) needs them, each with a comment."""
    bare = [
        f"  {MODULES[name].relative_to(PACKAGE_DIR.parent)}:{line}"
        for name in MODULES
        for line in uncommented_function_imports(MODULES[name].read_text("utf-8"))
    ]
    assert not bare, (
        "an import inside a function without a comment: move it to the top of its module, or, where start-up time "
        "or an import cycle needs it there, say so on its line or the line above (`# lazy: …`):\n" + "\n".join(bare)
    )
