"""YAML loading that remembers where every key and list item stands in the file.

PyYAML's node tree knows line and column of each node, but `safe_load` throws it
away. Validation needs it to say ``mediactl.yaml:14:5: channels.x.platform: …``,
so this module composes the node tree itself and keeps a map from key path to
position. It also reports duplicate keys, which `safe_load` silently merges.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import yaml

from mediactl.errors import Problem

try:  # libyaml is about ten times faster: it matters for a library of 1,000 items.
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - wheels without libyaml
    _Loader = yaml.SafeLoader

KeyPath = tuple[Any, ...]


@dataclass
class LocatedYAML:
    """Parsed YAML data plus the position of every key path in its file."""

    data: Any
    file: str
    positions: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def position(self, path: KeyPath) -> tuple[int | None, int | None]:
        """The position of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            found = self.positions.get(tuple(path[:end]))
            if found:
                return found
        return None, None

    def problem(self, path: KeyPath, message: str, severity: str = "error") -> Problem:
        line, column = self.position(path)
        return Problem(
            file=self.file,
            message=message,
            line=line,
            column=column,
            key=dotted(path) or None,
            severity=severity,
        )


def dotted(path: KeyPath) -> str:
    """``("channels", "wx", "credentials", 0)`` → ``channels.wx.credentials[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def load_located(text: str, file: str, line_offset: int = 0) -> LocatedYAML:
    """Parse `text`; a syntax error becomes a Problem in the result, not an exception.

    `line_offset` shifts reported lines, for YAML embedded in another file (front
    matter starts on the second line of ``index.md``).
    """
    result = LocatedYAML(data=None, file=file)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            result.data = _convert(node, (), loader, result, line_offset)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "invalid YAML"
        line = mark.line + 1 + line_offset if mark else None
        column = mark.column + 1 if mark else None
        result.problems.append(Problem(file=file, message=f"YAML syntax error: {what}", line=line, column=column))
    except yaml.YAMLError as exc:  # reader errors: bad bytes, control characters
        result.problems.append(Problem(file=file, message=f"YAML error: {exc}"))
    finally:
        loader.dispose()
    return result


def _convert(node: yaml.Node, path: KeyPath, loader: Any, out: LocatedYAML, offset: int) -> Any:
    if not path:
        _remember(out, (), node, offset)  # the document itself: where "'title' is required" points
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves `<<:` merge keys as safe_load would
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            key_path = (*path, key)
            _remember(out, key_path, key_node, offset)
            if not isinstance(key, Hashable):
                out.problems.append(out.problem(path, "a mapping key must be a plain value"))
                continue
            if key in mapping:
                out.problems.append(out.problem(key_path, "duplicate key; the later value would win"))
            mapping[key] = _convert(value_node, key_path, loader, out, offset)
        return mapping
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            _remember(out, (*path, index), item, offset)
            items.append(_convert(item, (*path, index), loader, out, offset))
        return items
    return loader.construct_object(node, deep=True)


def _remember(out: LocatedYAML, path: KeyPath, node: yaml.Node, offset: int) -> None:
    out.positions[path] = (node.start_mark.line + 1 + offset, node.start_mark.column + 1)
