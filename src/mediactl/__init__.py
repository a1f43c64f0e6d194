"""mediactl: content operations as code for regulated new-media teams."""

__version__ = "0.1.0"
CONFIG_NAME = "mediactl.yaml"  # the file that makes a folder a project (here: found without loading config)
