"""A template cannot loop without end or build gigabytes: render time and output are bounded, with the template named."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from conftest import write

SLUG = "anti-fraud-2026"
TEMPLATE = "templates/weibo/default.j2"


def render_error(cli, example: Path, block: str) -> str:
    write(example / TEMPLATE, "{% block status %}\n" + block + "\n{% endblock %}\n")
    result = cli(example, "render", SLUG, "--channel", "bank-weibo", "--json")
    assert result.exit_code == 1, result.output
    (variant,) = json.loads(result.stdout)["variants"]
    return variant["error"]


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every look at the clock is a second later: the deadline comes after a handful of checks,
    whatever the machine's speed, so the test shows where the checks are (not how fast it is)."""
    from mediactl.render import limits

    ticks = itertools.count()
    monkeypatch.setattr(limits, "monotonic", lambda: float(next(ticks)))


@pytest.mark.usefixtures("fake_clock")
@pytest.mark.parametrize(
    "block",
    [
        "{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}",  # writes nothing
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(14) }}",
    ],
    ids=["silent-nested-loops", "exponential-macro"],
)
def test_a_runaway_template_is_stopped_at_the_deadline(cli, example: Path, block: str) -> None:
    error = render_error(cli, example, block)
    assert error.startswith(f"{TEMPLATE}:2: template stopped: the template ran longer than 10 s"), error


def test_output_over_the_cap_is_stopped_while_rendering(cli, example: Path, monkeypatch) -> None:
    from mediactl.render import limits

    monkeypatch.setattr(limits, "MAX_OUTPUT", 10_000)
    error = render_error(cli, example, '{% for i in range(1000) %}{{ "长文" * 10 }}{% endfor %}')
    assert error.startswith(f"{TEMPLATE}:2: template stopped: the template's output is over 10,000 characters"), error


@pytest.mark.parametrize(
    "expression",
    [
        '{{ "x" * 10**7 }}',
        '{{ ["x"] * 10**7 }}',
        '{{ "x" | center(10**7) }}',
        '{{ "a\\nb" | indent(10**7) }}',
        '{{ "%10000000s" % "x" }}',
        '{{ "%10000000s" | format("x") }}',
        '{{ "{:>10000000}".format("x") }}',
        '{{ "x".ljust(10**7) }}',
        '{{ ("x" * 1000) | replace("x", "y" * 1000) }}',
        '{{ ("x" * 1000).replace("x", "y" * 1000) }}',
        '{{ range(10000) | join("y" * 1000) }}',
        '{% set ns = namespace(s="x" * 1000) %}{% for i in range(12) %}{% set ns.s = ns.s + ns.s %}{% endfor %}',
        "{{ 7 ** 100000 }}",  # (Jinja reads 7 ** 10 ** 7 as (7 ** 10) ** 7)
    ],
)
def test_one_step_allocations_are_refused_before_they_run(cli, example: Path, monkeypatch, expression: str) -> None:
    from mediactl.render import limits

    monkeypatch.setattr(limits, "MAX_OUTPUT", 100_000)
    error = render_error(cli, example, expression)
    assert error.startswith(f"{TEMPLATE}:2: template stopped: "), error
    assert "over the limit of 100,000" in error or "bits" in error


def test_the_sandbox_still_keeps_python_internals_out(cli, example: Path) -> None:
    error = render_error(cli, example, "{{ ''.__class__.__mro__[1].__subclasses__() }}")
    assert error.startswith(f"{TEMPLATE}:2: template error:"), error


def test_ordinary_templates_render_as_before(cli, example: Path) -> None:
    write(
        example / TEMPLATE,
        '{% extends "builtin/weibo/default.j2" %}{% block status %}'
        '{% for t in ["甲", "乙"] %}{{ loop.index }}{{ t }}{% if not loop.last %}、{% endif %}{% endfor %}'
        '{{ "%05.1f" % 3.14159 }} {{ "{:,}".format(100000000) }} {{ 2 ** 10 }} {{ "-" * 3 }}{% endblock %}',
    )
    assert cli(example, "render", SLUG, "--channel", "bank-weibo").exit_code == 0
    status = (example / "build/bank-weibo/anti-fraud-2026/status.txt").read_text("utf-8")
    assert status == "1甲、2乙003.1 100,000,000 1024 ---"
