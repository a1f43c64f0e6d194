"""A finding: one rule broken at one place, with everything a person needs to fix it."""

from __future__ import annotations

import operator
from typing import Any, NamedTuple


class Finding(NamedTuple):
    """Immutable, and a tuple on purpose: a large check holds and moves tens of thousands of these
    between worker processes, and a tuple pickles ~5x faster (both ways) than a slotted dataclass.
    The first fields make the order within one file: findings sort as plain tuples (file, line, column, rule, …).
    """

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
        return self._replace(**changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain fields, in declaration order."""
        data = self._asdict()
        data["normalisations"] = list(self.normalisations)
        data["suppressed"] = self.suppressed or None
        return data

    @property
    def sort_key(self) -> tuple[Any, ...]:
        return SORT_KEY(self)


#: How findings are ordered in every report (item, channel, file, line, column, rule), as a C-level key
#: function: sorting tens of thousands of findings through a lambda and a property cost ~0.1 s.
SORT_KEY = operator.itemgetter(10, 11, 0, 1, 2, 3)
