"""mediactl: content operations as code for regulated new-media teams."""

__version__ = "0.1.0"
