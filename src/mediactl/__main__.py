"""`python -m mediactl` runs the same command as the `mediactl` script."""

from mediactl.cli import script

script()
