"""How the suite runs: on every core through pytest-xdist where it is loaded, and in one process without it.

pyproject's addopts cannot name `-n auto`: an option of a plug-in is unknown when that plug-in is not loaded, so
`pytest -p no:xdist` (a debugger, a profiler, a platform without xdist) stopped at "unrecognized arguments". The
conftest sets the workers instead, only where xdist is loaded.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import conftest

REPO = Path(__file__).resolve().parents[1]


def test_the_suite_runs_without_xdist() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "-q",
                           "tests/test_docs.py", "-k", "readme"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "passed" in done.stdout


def _configured(numprocesses: object, dist: str = "no", *, xdist: bool = True, worker: bool = False) -> SimpleNamespace:
    option = SimpleNamespace(numprocesses=numprocesses, dist=dist, distload=False)
    config = SimpleNamespace(option=option, pluginmanager=SimpleNamespace(hasplugin=lambda name: xdist))
    if worker:
        config.workerinput = {"workerid": "gw0"}  # as xdist marks its workers
    conftest.pytest_cmdline_main(config)  # type: ignore[arg-type]
    return option


def test_with_xdist_the_suite_takes_every_core_in_whole_files_unless_told() -> None:
    assert vars(_configured(None)) == {"numprocesses": "auto", "dist": "loadfile", "distload": False}
    assert _configured(0).numprocesses == 0  # -n 0: one process (xdist then sets dist to no)
    assert vars(_configured(2, "load")) == {"numprocesses": 2, "dist": "load", "distload": False}
    assert vars(_configured(None, xdist=False)) == {"numprocesses": None, "dist": "no", "distload": False}
    # a worker is given numprocesses None by xdist: it runs its tests, it never starts workers of its own
    assert vars(_configured(None, worker=True)) == {"numprocesses": None, "dist": "no", "distload": False}


def test_the_suite_runs_on_workers_and_they_start_none() -> None:
    """Two files, so the default `-n auto` starts workers (one file runs in process); each runs its file and ends."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                           "tests/test_docs.py", "tests/test_units.py", "-k", "readme or units"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0 and "passed" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
