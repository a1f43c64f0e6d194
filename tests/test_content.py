"""Front matter and library problems: file, line and field, all reported at once."""

from __future__ import annotations

from pathlib import Path

from conftest import write


def content_errors(result) -> list[str]:
    lines = result.stderr.splitlines()
    return [line for line in lines if line.startswith("content/") and not line.endswith("(warning)")]


def test_missing_front_matter(cli, minimal: Path) -> None:
    write(minimal / "content/article/a/index.md", "# no front matter\n")
    result = cli(minimal, "ls")
    assert result.exit_code == 2
    assert content_errors(result) == [
        "content/article/a/index.md:1:1: no front matter: the file must start with a '---' line, "
        "YAML fields, and a closing '---'"
    ]
    assert result.stderr.splitlines()[-1] == "Error: content/: 1 problem found; nothing was changed."


def test_bad_front_matter_fields_name_the_line(cli, minimal: Path) -> None:
    write(
        minimal / "content/article/a/index.md",
        """\
        ---
        title: 测试
        status: publshed
        channels: [outbox, wx1]
        kind: video
        assets: [missing.png]
        schedule:
          outbox: next tuesday
        colour: red
        ---
        正文
        """,
    )
    result = cli(minimal, "ls")
    assert result.exit_code == 2
    assert content_errors(result) == [
        "content/article/a/index.md:5:1: kind: kind 'video' does not match the folder content/article/",
        "content/article/a/index.md:4:20: channels[1]: unknown channel 'wx1'; did you mean 'wx'?",
        "content/article/a/index.md:3:1: status: unknown status 'publshed'; did you mean 'published'?",
        "content/article/a/index.md:8:3: schedule.outbox: cannot read 'next tuesday' as a time; "
        "write e.g. 2026-12-01 09:00",
        "content/article/a/index.md:6:10: assets[0]: asset 'missing.png' not found in content/article/a/",
    ]
    assert "content/article/a/index.md:9:1: colour: unknown field 'colour' is ignored (warning)" in result.stderr


def test_broken_yaml_in_front_matter_has_file_line(cli, minimal: Path) -> None:
    write(minimal / "content/article/a/index.md", "---\ntitle: ok\ntags: [a, b\n---\nbody\n")
    result = cli(minimal, "ls")
    assert result.exit_code == 2
    (line,) = content_errors(result)
    assert line.startswith("content/article/a/index.md:4:")
    assert "YAML syntax error" in line


def test_duplicate_slugs_name_both_paths(cli, minimal: Path) -> None:
    write(minimal / "content/article/same/index.md", "---\ntitle: 一\n---\n")
    write(minimal / "content/graphic/same/index.md", "---\ntitle: 二\n---\n")
    result = cli(minimal, "ls")
    assert result.exit_code == 2
    assert content_errors(result) == [
        "content/graphic/same/index.md: duplicate slug 'same': also used by content/article/same/index.md"
    ]


def test_missing_title_and_not_utf8(cli, minimal: Path) -> None:
    write(minimal / "content/article/a/index.md", "---\nsummary: x\n---\n")
    (minimal / "content/article/b").mkdir(parents=True)
    (minimal / "content/article/b/index.md").write_bytes("---\ntitle: 防范\n---\n".encode("gbk"))
    result = cli(minimal, "ls")
    assert content_errors(result) == [
        "content/article/a/index.md:2:1: 'title' is required",
        "content/article/b/index.md: not UTF-8 text (byte 11); save the file as UTF-8",
    ]


def test_channels_all_expands_and_schedule_uses_project_zone(cli, minimal: Path) -> None:
    write(
        minimal / "content/article/a/index.md",
        "---\ntitle: 全渠道\nchannels: all\nschedule:\n  wx: 2026-12-01 09:00\n---\n",
    )
    result = cli(minimal, "show", "a", "--json")
    assert result.exit_code == 0, result.output
    import json

    data = json.loads(result.stdout)
    assert data["channels"] == ["outbox", "wx"]
    assert data["schedule"] == {"wx": "2026-12-01T09:00:00+08:00"}


def test_items_at_any_depth_and_hidden_folders_skipped(cli, minimal: Path) -> None:
    write(minimal / "content/article/2026/11/deep/index.md", "---\ntitle: 深层\nkind: article\n---\n")
    write(minimal / "content/article/.drafts/hidden/index.md", "not parsed")
    result = cli(minimal, "ls", "--json")
    assert result.exit_code == 0, result.output
    assert '"slug": "deep"' in result.stdout
    assert "hidden" not in result.stdout
