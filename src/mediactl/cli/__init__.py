"""The command-line interface; `mediactl.cli.app:main` is the console script."""

from mediactl.cli.app import app, main

__all__ = ["app", "main"]
