"""mediactl: content operations as code for regulated new-media teams."""

from pathlib import Path

__version__ = "0.1.0"
CONFIG_NAME = "mediactl.yaml"  # the file that makes a folder a project


def nearest_project(start: Path) -> Path | None:
    """The nearest folder at or above `start` that holds mediactl.yaml (as git finds .git).

    Here, not in config: an ad hoc check asks it without importing the config stack (PyYAML).
    """
    start = start.resolve()
    return next((folder for folder in (start, *start.parents) if (folder / CONFIG_NAME).is_file()), None)
