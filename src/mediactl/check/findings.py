"""A finding: one rule broken at one place, with everything a person needs to fix it."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True, slots=True)  # slots: a large check holds tens of thousands of these
class Finding:
    file: str
    line: int
    column: int  # 1-based, in code points
    rule: str
    severity: str
    message: str
    matched: str  # the original text, exactly as written (with any inserted characters)
    source: str
    suggestion: str = ""
    field: str = ""
    item: str = ""
    channel: str = ""
    normalisations: tuple[str, ...] = ()  # non-empty: found only after folding — itself a sign of evasion
    suppressed: str = ""  # the reason, when an allowance covers this finding

    def with_context(self, **changes: Any) -> Finding:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain fields, built directly (dataclasses.asdict deep-copies and is slow on many findings)."""
        data = {name: getattr(self, name) for name in _FIELDS}
        data["normalisations"] = list(self.normalisations)
        data["suppressed"] = self.suppressed or None
        return data

    @property
    def sort_key(self) -> tuple[Any, ...]:
        return (self.item, self.channel, self.file, self.line, self.column, self.rule)


_FIELDS = tuple(f.name for f in fields(Finding))
