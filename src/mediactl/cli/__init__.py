"""The command-line interface; `mediactl.cli.app:script` is the console script.

Every module here is imported at start (cli/app.py registers all the commands), so a command imports
its stage inside its body (`# lazy: start-up`): `mediactl --help` and a one-file check load only
what they use. At the top: typer, cli/base.py and what it loads anyway (core.console, core.errors).
"""

from mediactl.cli.app import app, main, script

__all__ = ["app", "main", "script"]
