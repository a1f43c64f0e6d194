"""Small validators that check parsed YAML and record every problem with its position.

Config and front matter are validated by the same helpers so that both report
``file:line:col: key.path: message`` and keep going after the first mistake: a
user fixing a file wants the whole list at once, not one error per run.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from mediactl.config.yamlpos import KeyPath, LocatedYAML
from mediactl.core.errors import Problem


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`; did you mean 'x'?` when a close choice exists, else an empty string."""
    match = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{match[0]}'?" if match else ""


def type_name(value: Any) -> str:
    names = {dict: "a mapping", list: "a list", str: "a string", bool: "true/false", int: "a number"}
    return names.get(type(value), "empty" if value is None else type(value).__name__)


class Checker:
    """Collects problems for one YAML document (or one front-matter block)."""

    def __init__(self, doc: LocatedYAML) -> None:
        self.doc = doc

    @property
    def problems(self) -> list[Problem]:
        return self.doc.problems

    def error(self, path: KeyPath, message: str) -> None:
        self.problems.append(self.doc.problem(path, message))

    def warn(self, path: KeyPath, message: str) -> None:
        self.problems.append(self.doc.problem(path, message, severity="warning"))

    def mapping(
        self,
        value: Any,
        path: KeyPath,
        *,
        known: Iterable[str] | None = None,
        required: Iterable[str] = (),
        what: str = "key",
    ) -> dict[str, Any]:
        """A mapping whose unknown keys are warnings and missing required keys errors."""
        if value is None:
            value = {}
        if not isinstance(value, dict):
            self.error(path, f"expected a mapping, got {type_name(value)}")
            return {}
        if known is not None:
            known = list(known)
            for key in value:
                if key not in known:
                    hint = did_you_mean(key, known)
                    self.warn((*path, key), f"unknown {what} '{key}' is ignored{hint}")
        for key in required:
            if value.get(key) in (None, ""):
                self.error((*path, key) if key in value else path, f"'{key}' is required")
        return value

    def string(
        self,
        value: Any,
        path: KeyPath,
        *,
        required: bool = False,
        choices: Iterable[str] | None = None,
        what: str = "value",
    ) -> str | None:
        if value is None or value == "":
            if required:
                self.error(path, "a value is required")
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)  # `campaign: 2026` is meant as text
        if not isinstance(value, str):
            self.error(path, f"expected text, got {type_name(value)}")
            return None
        if choices is not None:
            choices = list(choices)
            if value not in choices:
                hint = did_you_mean(value, choices) or f" (one of: {', '.join(choices)})"
                self.error(path, f"unknown {what} '{value}'{hint}")
                return None
        return value

    def string_list(self, value: Any, path: KeyPath, *, split_commas: bool = False) -> list[str]:
        """A list of strings; a single string is accepted as a one-item list."""
        if value is None:
            return []
        if isinstance(value, str):
            parts = value.split(",") if split_commas else [value]
            return [p.strip() for p in parts if p.strip()]
        if not isinstance(value, list):
            self.error(path, f"expected a list, got {type_name(value)}")
            return []
        out = []
        for index, item in enumerate(value):
            text = self.string(item, (*path, index))
            if text is not None:
                out.append(text)
        return out

    def boolean(self, value: Any, path: KeyPath, default: bool) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(path, f"expected true or false, got {type_name(value)}")
            return default
        return value

    def integer(
        self, value: Any, path: KeyPath, *, minimum: int | None = None, maximum: int | None = None
    ) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(path, f"expected a whole number, got {type_name(value)}")
            return None
        if minimum is not None and value < minimum:
            self.error(path, f"must be at least {minimum}, got {value}")
            return None
        if maximum is not None and value > maximum:
            self.error(path, f"must be at most {maximum}, got {value}")
            return None
        return value
