"""Why `library/frontmatter.with_status` sets the status line itself instead of using ruamel.yaml.

Issue 11 asked to replace our line editing with a round-trip YAML editor only if the editor leaves
every byte outside the changed line as it was, because `approve` writes into the author's file and
the change must show in git as one line. These tests document what ruamel.yaml's round trip does,
at its most careful (quotes preserved, no wrapping, the file's own indentation), to a front matter
with CRLF line ends, comments, a flow list, two sequence styles and a BOM: it changes bytes well
outside the status line, while ours changes that line only. If a later ruamel.yaml keeps every
byte, `test_ruamel_changes_bytes_outside_the_status_line` fails: then switch, as the issue says.

ruamel.yaml is a test-only dependency (the `test` extra); without it these tests skip, except in CI.
"""

from __future__ import annotations

import io
import os

import pytest

from mediactl.library.frontmatter import BOM, with_status

try:
    from ruamel.yaml import YAML
except ImportError:  # pragma: no cover - the test extra installs it
    if os.environ.get("CI"):
        raise
    pytest.skip("ruamel.yaml is not installed: pip install -e '.[test]'", allow_module_level=True)

pytestmark = pytest.mark.rationale

FRONT_MATTER = (
    "title: 个人养老金，稳稳的幸福   # 标题\r\n"
    "status: draft    # approve sets this\r\n"
    "channels: [wechat_oa, weibo,  xiaohongshu]\r\n"
    "tags:\r\n"
    "  - 养老\r\n"
    "  - 理财\r\n"
    "disclosures:\r\n"
    "- 理财有风险，投资需谨慎\r\n"
    "\r\n"
    "# 发布计划\r\n"
    "summary: 'a ''quoted'' summary'\r\n"
)
FILE = BOM + "---\r\n" + FRONT_MATTER + "---\r\n正文第一段。\r\n"
STATUS_LINE = "status: draft    # approve sets this\r\n"
APPROVED_LINE = "status: approved    # approve sets this\r\n"


def ruamel_with_status(text: str, status: str) -> str:
    """The fairest use of ruamel.yaml: we split off BOM and fences, it round-trips the YAML only."""
    head, fence, rest = text.partition("---\r\n")
    front_matter, closing, body = rest.partition("---\r\n")
    yaml = YAML()  # round-trip mode: comments, key order and flow style kept
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)  # the file's first sequence style
    data = yaml.load(front_matter)
    data["status"] = status
    out = io.StringIO()
    yaml.dump(data, out)
    return head + fence + out.getvalue() + closing + body


def test_ours_changes_the_status_line_and_nothing_else() -> None:
    assert with_status(FILE, "approved") == FILE.replace(STATUS_LINE, APPROVED_LINE)


def test_ruamel_changes_bytes_outside_the_status_line() -> None:
    result = ruamel_with_status(FILE, "approved")
    expected = FILE.replace(STATUS_LINE, APPROVED_LINE)
    changed = [
        (ours, theirs)
        for ours, theirs in zip(expected.splitlines(True), result.splitlines(True), strict=True)
        if ours != theirs and not ours.startswith("status:")
    ]
    assert changed, "ruamel.yaml now keeps every byte outside the status line: issue 11 says use it"
    assert ("channels: [wechat_oa, weibo,  xiaohongshu]\r\n", "channels: [wechat_oa, weibo, xiaohongshu]\n") in changed
    assert ("tags:\r\n", "tags:\n") in changed  # CRLF becomes LF (comments keep theirs: mixed line ends)
    assert ("- 理财有风险，投资需谨慎\r\n", "  - 理财有风险，投资需谨慎\n") in changed  # re-indented to one style


def test_ruamel_also_moves_the_changed_lines_comment() -> None:
    assert "status: approved # approve sets this" in ruamel_with_status(FILE, "approved")


def test_ruamel_drops_a_bom_it_is_given() -> None:
    """Had we handed it the file's YAML with its BOM, the BOM would be gone too."""
    yaml = YAML()
    data = yaml.load(BOM + "title: t\nstatus: draft\n")
    data["status"] = "approved"
    out = io.StringIO()
    yaml.dump(data, out)
    assert out.getvalue() == "title: t\nstatus: approved\n"
