"""What one template render may cost: a wall-clock deadline and a cap on the text it makes.

Templates are content that anyone on the team may change, and Jinja can loop for hours
or build gigabytes before it outputs a character. The sandbox (`SandboxedEnvironment`)
already keeps templates away from Python's internals and caps `range` at MAX_RANGE
items; `BoundedEnvironment` adds:

- a deadline per render, checked at every loop iteration, every call and every chunk of
  output, so a loop that writes nothing is stopped too;
- a cap on the output, counted as the render generator yields it (`joined`);
- operators and functions that make a long text or list in one step (``*``, ``+``,
  ``**``, ``%``, `center`, `indent`, `join`, `replace`, `str.format` widths, …) are
  refused before they run when their result would be beyond the cap.

A limit reached raises `RenderLimitError`; `templates.render_fields` names the template.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Sized
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from time import monotonic
from typing import Any

from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.sandbox import SandboxedEnvironment

MAX_OUTPUT = 4_000_000  # characters (or list items) per field and per run: a WeChat article is at most 20,000
RENDER_SECONDS = 10.0  # per variant; the packaged templates take milliseconds
MAX_INT_BITS = 4096  # numbers in templates are amounts and counts: no arithmetic on million-digit integers

_DEADLINE: ContextVar[float] = ContextVar("mediactl_render_deadline", default=math.inf)
_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_FORMAT_SPEC = re.compile(r"\{[^{}]*?:([^{}]*)")  # the spec after ':' in {name:spec}


class RenderLimitError(Exception):
    """A template went beyond a bound; the message says which and how to stay within it."""


@contextmanager
def deadline() -> Iterator[None]:
    """Everything rendered inside the block shares one deadline, RENDER_SECONDS from now."""
    token = _DEADLINE.set(monotonic() + RENDER_SECONDS)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def check_time() -> None:
    if monotonic() > _DEADLINE.get():
        raise RenderLimitError(f"the template ran longer than {RENDER_SECONDS:g} s and was stopped (a runaway loop?)")


def joined(chunks: Iterable[str]) -> str:
    """The output of a render generator, stopped as soon as it is over MAX_OUTPUT or the deadline."""
    out: list[str] = []
    size = 0
    iterator = iter(chunks)
    for chunk in iterator:
        size += len(chunk)
        try:
            if size > MAX_OUTPUT:
                raise RenderLimitError(f"the template's output is over {MAX_OUTPUT:,} characters and was stopped")
            check_time()
        except RenderLimitError as exc:
            _stop(iterator, exc)
        out.append(chunk)
    return "".join(out)


def _stop(iterator: Iterator[str], error: RenderLimitError) -> None:
    """Raise `error` inside the template, where it stands, so that the message names its line."""
    throw = getattr(iterator, "throw", None)
    if throw is not None:
        throw(error)  # a template cannot catch it: it comes back out with the template's frame in its traceback
    raise error


def _refuse_beyond(size: int, what: str) -> None:
    if size > MAX_OUTPUT:
        raise RenderLimitError(f"{what} would make {size:,} characters or items, over the limit of {MAX_OUTPUT:,}")


def _length(value: Any) -> int:
    return len(value) if isinstance(value, Sized) else 0


def _text_length(items: Any) -> int:
    """Characters in a list of strings (0 for what cannot be counted without consuming it)."""
    return sum(_length(item) for item in items) if isinstance(items, (list, tuple)) else 0


def _widths(fmt: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    """The widest field a printf or str.format string asks for (``%99999999s``, ``{:>99999999}``)."""
    numbers = [int(n) for groups in _PRINTF.findall(fmt) for n in groups if n.isdigit()]
    numbers += [int(n) for spec in _FORMAT_SPEC.findall(fmt) for n in re.findall(r"\d+", spec)]
    if "*" in fmt or re.search(r":[^{}]*\{", fmt):  # widths taken from the arguments (%*s, {:{width}})
        numbers += [v for v in (*args, *kwargs.values()) if isinstance(v, int)]
    return max(numbers, default=0)


def _width(value: Any) -> int:
    return value if isinstance(value, int) else 0


# How long a result would be, as f(subject, *args, **kwargs): the subject is a method's own string or
# list, or a filter's value.
_STR_GROWTH: dict[str, Callable[..., int]] = {
    "center": lambda s, width=0, *a, **k: max(len(s), _width(width)),
    "ljust": lambda s, width=0, *a, **k: max(len(s), _width(width)),
    "rjust": lambda s, width=0, *a, **k: max(len(s), _width(width)),
    "zfill": lambda s, width=0, *a, **k: max(len(s), _width(width)),
    "expandtabs": lambda s, tabsize=8, *a, **k: len(s) + s.count("\t") * _width(tabsize),
    "replace": lambda s, old="", new="", *a, **k: len(s) + (s.count(old) if old else len(s) + 1) * _length(new),
    "join": lambda s, items=(), *a, **k: _length(items) * len(s) + _text_length(items),
    "format": lambda s, *a, **k: len(s) + _widths(s, a, k),
    "format_map": lambda s, mapping=None, *a, **k: len(s) + _widths(s, (), dict(mapping or {})),
}
_LIST_GROWTH: dict[str, Callable[..., int]] = {
    "extend": lambda items, other=(), *a, **k: len(items) + _length(other),
    "append": lambda items, *a, **k: len(items) + 1,
    "insert": lambda items, *a, **k: len(items) + 1,
}
_FILTER_GROWTH: dict[str, Callable[..., int]] = {
    "center": lambda s, width=80, *a, **k: max(_length(s), _width(width)),
    "indent": lambda s, width=4, *a, **k: (
        _length(s) + (len(width) if isinstance(width, str) else _width(width)) * (str(s).count("\n") + 1)
    ),
    "replace": lambda s, old="", new="", *a, **k: _STR_GROWTH["replace"](str(s), str(old), new),
    "format": lambda s, *a, **k: _STR_GROWTH["format"](str(s), *a, **k),
    "join": lambda items, d="", *a, **k: _length(items) * _length(d) + _text_length(items),
}


def _check_call(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Refuse a method call on a string or list whose result would be beyond the cap."""
    target = getattr(obj, "__wrapped__", obj)  # the sandbox wraps str.format
    owner = getattr(target, "__self__", None)
    name = getattr(target, "__name__", "")
    growth = _STR_GROWTH if isinstance(owner, str) else _LIST_GROWTH if isinstance(owner, list) else {}
    if name in growth:
        _refuse_beyond(growth[name](owner, *args, **kwargs), f"{type(owner).__name__}.{name}")


def _check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse ``"x" * 10**10``, ``s + s`` past the cap, ``2 ** 10**9`` and ``"%99999999s" % x`` before they run."""
    sequences = (str, list, tuple)
    if operator == "*":
        for sequence, times in ((left, right), (right, left)):
            if isinstance(sequence, sequences) and isinstance(times, int):
                _refuse_beyond(len(sequence) * times, "'*'")
        if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise RenderLimitError(f"'*' would make an integer of more than {MAX_INT_BITS} bits")
    elif operator == "+" and isinstance(left, sequences) and isinstance(right, sequences):
        _refuse_beyond(len(left) + len(right), "'+'")
    elif operator == "**" and isinstance(left, int) and isinstance(right, int) and abs(left) > 1:
        if right * left.bit_length() > MAX_INT_BITS:
            raise RenderLimitError(f"'**' would make an integer of more than {MAX_INT_BITS} bits")
    elif operator == "%" and isinstance(left, str):
        values = right if isinstance(right, tuple) else (right,)
        _refuse_beyond(len(left) + _widths(left, values, right if isinstance(right, dict) else {}), "'%'")


def _bounded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """A built-in filter that refuses, before it runs, to make a result beyond the cap."""
    estimate = _FILTER_GROWTH[name]
    injected = 1 if getattr(function, "jinja_pass_arg", None) is not None else 0  # @pass_eval_context & co

    @wraps(function)  # copies jinja_pass_arg too, so Jinja passes the same first argument
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _refuse_beyond(estimate(*args[injected:], **kwargs), f"the '{name}' filter")
        return function(*args, **kwargs)

    return bounded


class LoopBound(Extension):
    """Gives every `{% for %}` a deadline check per iteration (wired in by `BoundedEnvironment._parse`)."""

    def each(self, iterable: Any) -> Iterator[Any]:
        for value in iterable:
            check_time()
            yield value


class BoundedEnvironment(SandboxedEnvironment):
    """The sandbox, with a deadline in loops and calls and a size check on growing operators and filters."""

    intercepted_binops = frozenset({"*", "+", "**", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**{**options, "extensions": [*options.get("extensions", ()), LoopBound]})
        for name in _FILTER_GROWTH:
            self.filters[name] = _bounded_filter(name, self.filters[name])

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Jinja offers no hook per loop iteration: each loop's iterable is wrapped in `LoopBound.each`.

        (`_parse` is what `parse` and `compile` call; Jinja 3.0 to 3.1 keep it.)
        """
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            each = nodes.ExtensionAttribute(LoopBound.identifier, "each", lineno=loop.lineno)
            loop.iter = nodes.Call(each, [loop.iter], [], None, None, lineno=loop.lineno)
            loop.iter.set_environment(self)
        return tree

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        check_time()
        _check_call(obj, args, kwargs)
        return super().call(context, obj, *args, **kwargs)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)
