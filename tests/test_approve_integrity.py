"""Maker-checker integrity: who may approve, and an approval that is all or nothing, byte-exact on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mediactl.publish import records

SLUG = "anti-fraud-2026"
OTHER = "wealth-steady-plus"


def index(project: Path, slug: str = SLUG) -> Path:
    return next(project.glob(f"content/*/{slug}/index.md"))


def replace_line(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def approvals(project: Path, slug: str) -> list[records.Record]:
    """The signed records of approvals/<slug>.yaml (what the gate reads)."""
    return records.read(project, slug)


def audit_actions(project: Path) -> list[str]:
    path = project / ".mediactl/audit.jsonl"
    if not path.exists():
        return []
    return [json.loads(line)["action"] for line in path.read_text("utf-8").splitlines()]


def state_files(project: Path) -> list[str]:
    folder = project / ".mediactl"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- defect 6: no approval without an author, and names compared as people read them ------------------


@pytest.mark.parametrize(
    ("author_line", "where"),
    [
        ('author: ""\n', ":6:"),
        ("author: '   '\n", ":6:"),
        ("author:\n", ":6:"),
        ("", ":2:"),  # no author field at all: the front matter is named
    ],
    ids=["empty", "blank", "null", "missing"],
)
def test_an_item_without_an_author_cannot_be_approved(cli, example: Path, author_line: str, where: str) -> None:
    file = index(example)
    replace_line(file, "author: li.na\n", author_line)
    before = file.read_bytes()
    result = cli(example, "approve", SLUG, "--as", "wang.min")
    assert result.exit_code == 2, result.output
    assert f"content/article/{SLUG}/index.md{where}" in result.stderr
    assert "author" in result.stderr and "this is a bug" not in result.stderr
    assert approvals(example, SLUG) == [] and state_files(example) == ["keys"]  # only init's demo keys
    assert file.read_bytes() == before


@pytest.mark.parametrize("author", ["wang.min", "WANG.MIN", "ＷＡＮＧ．ＭＩＮ", "王敏", " 王敏 ", "\u200b王敏"])
def test_author_and_approver_are_compared_after_normalising(cli, example: Path, author: str) -> None:
    """The author is matched to the approving person's id or name, as people read names."""
    replace_line(index(example), "author: li.na\n", f"author: {author!r}\n".replace("'", '"'))
    result = cli(example, "approve", SLUG, "--as", "wang.min")
    assert result.exit_code == 2, result.output
    assert "own item: wang.min wrote anti-fraud-2026 and cannot also approve it" in result.stderr
    assert approvals(example, SLUG) == []


@pytest.mark.parametrize("named", ["\u200b\u2060", "zhao.yun"])
def test_an_approver_nobody_declared_is_refused(cli, example: Path, monkeypatch, named: str) -> None:
    """MEDIACTL_USER only finds a declared person; a name nobody declared (or an invisible one) signs nothing."""
    monkeypatch.setenv("MEDIACTL_USER", named)
    result = cli(example, "approve", SLUG)
    assert result.exit_code == 2 and "who approves? say --as PERSON_ID (one of: li.na, wang.min)" in result.stderr
    assert cli(example, "approve", SLUG, "--as", named).exit_code == 2
    assert approvals(example, SLUG) == []


def test_a_second_person_still_approves(cli, example: Path, monkeypatch) -> None:
    monkeypatch.setenv("MEDIACTL_USER", "王敏")  # found by name
    assert cli(example, "approve", SLUG).exit_code == 0
    assert [(r.person, r.role) for r in approvals(example, SLUG)] == [("wang.min", "checker")] * 6


def test_one_refused_item_means_none_is_approved(cli, example: Path, monkeypatch) -> None:
    monkeypatch.setenv("MEDIACTL_USER", "wang.min")
    replace_line(index(example, OTHER), "author: wang.lei\n", 'author: ""\n')
    before = {slug: index(example, slug).read_bytes() for slug in (SLUG, OTHER)}
    result = cli(example, "approve", SLUG, OTHER)
    assert result.exit_code == 2
    assert approvals(example, SLUG) == [] and approvals(example, OTHER) == []
    assert "item.approved" not in audit_actions(example)
    assert {slug: index(example, slug).read_bytes() for slug in (SLUG, OTHER)} == before


# --- defect 10: BOM and CRLF files approve, keep their bytes, and a failure leaves nothing half done ---


def test_a_bom_item_is_approved_and_keeps_its_bom(cli, example: Path, monkeypatch) -> None:
    monkeypatch.setenv("MEDIACTL_USER", "wang.min")
    file = index(example, OTHER)
    file.write_bytes(b"\xef\xbb\xbf" + file.read_bytes())
    before = file.read_bytes()
    result = cli(example, "approve", SLUG, OTHER)
    assert result.exit_code == 0, result.output
    after = file.read_bytes()
    assert after.startswith(b"\xef\xbb\xbf---\n")
    assert after == before.replace(b"status: review\n", b"status: approved\n", 1)
    assert approvals(example, SLUG) and approvals(example, OTHER)


def test_review_and_approve_keep_crlf_line_endings(cli, example: Path, monkeypatch) -> None:
    file = index(example)
    original = file.read_bytes().replace(b"\n", b"\r\n")
    file.write_bytes(original)
    monkeypatch.setenv("MEDIACTL_USER", "li.na")
    assert cli(example, "review", SLUG).exit_code == 0
    assert file.read_bytes() == original
    monkeypatch.setenv("MEDIACTL_USER", "wang.min")
    assert cli(example, "approve", SLUG).exit_code == 0
    assert file.read_bytes() == original.replace(b"status: review\r\n", b"status: approved\r\n", 1)


def test_an_added_status_line_follows_the_file_line_endings(cli, example: Path, monkeypatch) -> None:
    file = index(example)
    original = file.read_bytes().replace(b"status: review\n", b"").replace(b"\n", b"\r\n")
    file.write_bytes(b"\xef\xbb\xbf" + original)
    assert cli(example, "review", SLUG).exit_code == 0
    lines = file.read_bytes().split(b"\r\n")
    assert lines[1].startswith(b"title:") and lines[2] == b"status: review"
    assert b"\n" not in file.read_bytes().replace(b"\r\n", b"")


def test_a_failure_while_approving_leaves_no_partial_state(cli, example: Path, monkeypatch) -> None:
    """The second item's front matter cannot be rewritten: the first must not be approved either."""
    from mediactl.core.errors import UsageError
    from mediactl.publish import approvals as module

    original = module.status_rewrite

    def failing(file: Path, status: str) -> bytes:
        if OTHER in str(file):
            raise UsageError(f"{file}: injected failure")
        return original(file, status)

    monkeypatch.setattr(module, "status_rewrite", failing)
    monkeypatch.setenv("MEDIACTL_USER", "wang.min")
    before = index(example).read_bytes()
    result = cli(example, "approve", SLUG, OTHER)
    assert result.exit_code == 2 and "injected failure" in result.stderr
    assert approvals(example, SLUG) == [] and "item.approved" not in audit_actions(example)
    assert index(example).read_bytes() == before
