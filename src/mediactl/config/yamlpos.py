"""YAML loading that remembers where every key and list item stands in the file.

PyYAML's node tree knows line and column of each node, but `safe_load` throws it
away. Validation needs it to say ``mediactl.yaml:14:5: channels.x.platform: …``,
so this module composes the node tree itself and keeps a map from key path to
position. It also reports duplicate keys, which `safe_load` silently merges.

Every YAML file mediactl reads passes through here, so this is also the one place
that bounds aliases and nesting: a few hundred bytes of nested aliases ("billion
laughs") would otherwise expand to billions of nodes, and an alias inside its own
anchor to an endless recursion.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import yaml

from mediactl.core.controls import describe
from mediactl.core.errors import Problem

try:  # libyaml is about ten times faster: it matters for a library of 1,000 items.
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - wheels without libyaml
    _Loader = yaml.SafeLoader

KeyPath = tuple[Any, ...]

MAX_ALIASES = 100  # alias uses per document: real files use a handful (`<<: *defaults`)
MAX_ALIAS_EXPANSION = 10_000  # nodes that aliases may add beyond those written in the file
MAX_DEPTH = 50  # levels of nesting, counted with aliases followed: real files use under ten


class YAMLLimitError(yaml.MarkedYAMLError):
    """A document whose aliases or nesting go beyond the limits above; carries the line it stops at."""


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
            check_limits(node)
            result.data = _convert(node, (), loader, result, line_offset)
    except YAMLLimitError as exc:
        line = exc.problem_mark.line + 1 + line_offset if exc.problem_mark else None
        result.problems.append(Problem(file=file, message=str(exc.problem), line=line))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "invalid YAML"
        line = mark.line + 1 + line_offset if mark else None
        column = mark.column + 1 if mark else None
        result.problems.append(Problem(file=file, message=f"YAML syntax error: {what}", line=line, column=column))
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow: control characters
        result.problems.append(_reader_problem(exc, text, file, line_offset))
    except yaml.YAMLError as exc:
        result.problems.append(Problem(file=file, message=f"YAML error: {exc}"))
    finally:
        loader.dispose()
    return result


def _reader_problem(exc: yaml.reader.ReaderError, text: str, file: str, offset: int) -> Problem:
    """A character the YAML reader refuses, named with its line and column (libyaml counts bytes)."""
    if _Loader is yaml.SafeLoader:
        before = text[: exc.position]
    else:
        before = text.encode("utf-8")[: exc.position].decode("utf-8", "ignore")
    line = before.count("\n") + 1 + offset
    column = len(before) - before.rfind("\n")
    what = describe(chr(exc.character)) if isinstance(exc.character, int) else "a character"
    return Problem(file, f"contains {what}, which YAML does not allow; remove it", line=line, column=column)


def load_data(text: str, file: str) -> Any:
    """Plain data, as `yaml.safe_load` gives, for readers that need no positions; same limits.

    Raises `yaml.YAMLError` (a `YAMLLimitError` for a bomb) like `safe_load` does.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_limits(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def check_limits(root: yaml.Node) -> None:
    """Raise `YAMLLimitError` if following aliases would make `root` huge, endless or too deep.

    PyYAML composes an alias as a second reference to the anchored node, so the composed
    graph stays as small as the text; only walking it as a tree explodes. This walk visits
    each node once (iteratively, so it cannot overflow the stack itself) and computes what
    the tree would be: its size and depth, and whether a node contains itself.

    Most files alias no list or mapping at all; for them one cheap pass that checks the
    depth is enough, and the full measure runs only when a collection is met twice.
    """
    seen: set[int] = set()
    stack = [(root, 1)]
    while stack:
        node, level = stack.pop()
        if id(node) in seen:
            _Expansion(root).measure()
            return
        seen.add(id(node))
        if level > MAX_DEPTH:
            raise YAMLLimitError(problem=f"YAML nested more than {MAX_DEPTH} levels deep", problem_mark=node.start_mark)
        stack += [(child, level + 1) for child, _ in _children(node) if not isinstance(child, yaml.ScalarNode)]


class _Expansion:
    """The size and depth a composed node graph would have as a tree, measured without building it."""

    def __init__(self, root: yaml.Node) -> None:
        self.root = root
        self.size: dict[int, int] = {}  # id(node) -> nodes in its subtree with aliases followed
        self.depth: dict[int, int] = {}  # id(node) -> levels of nesting in that subtree
        self.on_path: set[int] = {id(root)}  # meeting one of these again is a cycle
        self.seen: set[int] = {id(root)}  # a node referenced again is an alias use
        self.aliases = 0

    def measure(self) -> None:
        stack = [(self.root, iter(_children(self.root)))]
        while stack:
            node, pending = stack[-1]
            unmeasured = next((child for child, mark in pending if self._reference(child, mark)), None)
            if unmeasured is not None:
                self.on_path.add(id(unmeasured))
                stack.append((unmeasured, iter(_children(unmeasured))))
            else:
                stack.pop()
                self.on_path.discard(id(node))
                self._finish(node)

    def _reference(self, child: yaml.Node, mark: Any) -> bool:
        """Count one reference to `child`; True when its subtree is still to be measured."""
        if id(child) in self.on_path:
            raise YAMLLimitError(problem="a YAML alias refers to itself (its anchor contains it)", problem_mark=mark)
        if id(child) in self.seen:
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise YAMLLimitError(problem=f"more than {MAX_ALIASES} YAML aliases", problem_mark=mark)
        self.seen.add(id(child))
        return id(child) not in self.size

    def _finish(self, node: yaml.Node) -> None:
        """Every child is measured: measure `node`, and stop as soon as it is beyond a limit."""
        children = [id(child) for child, _ in _children(node)]
        size = self.size[id(node)] = 1 + sum(self.size[child] for child in children)
        depth = self.depth[id(node)] = 1 + max((self.depth[child] for child in children), default=0)
        if depth > MAX_DEPTH:
            raise YAMLLimitError(problem=f"YAML nested more than {MAX_DEPTH} levels deep", problem_mark=node.start_mark)
        if size > len(self.seen) + MAX_ALIAS_EXPANSION:
            message = f"YAML aliases expand to more than {MAX_ALIAS_EXPANSION} nodes beyond those written"
            raise YAMLLimitError(problem=message, problem_mark=node.start_mark)


def _children(node: yaml.Node) -> list[tuple[yaml.Node, Any]]:
    """A node's children, each with the mark to report it at (its key's, for a mapping value).

    An aliased child's own mark is its anchor's, elsewhere in the file; the key or the
    list holding it is where the alias is written.
    """
    if isinstance(node, yaml.MappingNode):
        return [pair for key, value in node.value for pair in ((key, key.start_mark), (value, key.start_mark))]
    if isinstance(node, yaml.SequenceNode):
        return [(item, node.start_mark) for item in node.value]
    return []


_STR = "tag:yaml.org,2002:str"


def _construct(node: yaml.Node, loader: Any) -> Any:
    """The value of a leaf node (a key, a scalar), as the loader's constructor makes it: a string scalar's value
    directly, which is what the constructor returns for it (most scalars of front matter are strings)."""
    if type(node) is yaml.ScalarNode and node.tag == _STR:
        return node.value
    return loader.construct_object(node, deep=True)


def _convert(node: yaml.Node, path: KeyPath, loader: Any, out: LocatedYAML, offset: int) -> Any:
    if not path:
        _remember(out, (), node, offset)  # the document itself: where "'title' is required" points
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves `<<:` merge keys as safe_load would
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _construct(key_node, loader)
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
    return _construct(node, loader)


def _remember(out: LocatedYAML, path: KeyPath, node: yaml.Node, offset: int) -> None:
    out.positions[path] = (node.start_mark.line + 1 + offset, node.start_mark.column + 1)
