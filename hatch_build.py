"""Build hook: compile the check's native hot loop (src/mediactl/check/_native.c) into the wheel.

Why a hook and not setuptools: the project builds with hatchling (the example project is
force-included into the wheel), and the extension is one C file with no dependency but
Python's headers, so the compiler that built Python is called directly, with its flags.

The extension is optional: where there is no C compiler (or it fails), the wheel is built
without it and `mediactl.check.normalize` uses its pure-Python path, which gives the same
results, about 20x slower on the normalisation step (see bench/README.md). Set
MEDIACTL_NO_NATIVE=1 to build without it on purpose.

For an editable install the module is compiled into the source tree (git-ignored), which
is where an editable install imports from.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SOURCE = Path("src/mediactl/check/_native.c")
MODULE = "mediactl/check/_native"


class NativeBuildHook(BuildHookInterface):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or os.environ.get("MEDIACTL_NO_NATIVE"):
            return
        suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
        root = Path(self.root)
        if version == "editable":
            _compile(root / SOURCE, root / "src" / (MODULE + suffix))
            return
        self._scratch = Path(tempfile.mkdtemp(prefix="mediactl-native-"))
        output = self._scratch / ("_native" + suffix)
        if _compile(root / SOURCE, output):
            build_data["force_include"][str(output)] = MODULE + suffix
            build_data["pure_python"] = False
            build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        """The wheel holds its copy of the module now: the scratch folder goes."""
        scratch = getattr(self, "_scratch", None)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _compile(source: Path, output: Path) -> bool:
    """Compile one C file into an extension module; on failure say why and go on without it."""
    if sys.platform == "win32":
        print("mediactl: no native build on Windows; the pure-Python path is used", file=sys.stderr)
        return False
    compiler = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")
    flags = ["-O3", "-fPIC", "-shared", "-Wall", "-DNDEBUG"]
    if sys.platform == "darwin":
        flags += ["-undefined", "dynamic_lookup"]
    command = [*compiler, *flags, f"-I{sysconfig.get_paths()['include']}", str(source), "-o", str(output), "-lm"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        print(f"mediactl: no C compiler ({exc}); the pure-Python path is used", file=sys.stderr)
        return False
    if done.returncode != 0:
        print(f"mediactl: native build failed; the pure-Python path is used\n{done.stderr}", file=sys.stderr)
        return False
    return True
