"""Why one variant could not be rendered; the other variants still render."""

from __future__ import annotations

from mediactl.core.errors import MediactlError


class VariantError(MediactlError):
    """A problem confined to one variant: a limit exceeded, a template or layout error, a missing asset.

    `where` names the file (and line) the user must change: the item, its template or its layout.
    """

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.detail = message
