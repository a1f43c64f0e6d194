"""Control, bidi and invisible characters: refused in content with file, line and field; escaped on the terminal."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mediactl.core import controls

ITEM = "content/article/a/index.md"


def item(root: Path, front: str, body: str = "正文。\n", folder: str = "content/article/a") -> Path:
    path = root / folder / "index.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\n{front}channels: [outbox]\n---\n{body}", "utf-8")
    return path


def problems(result, prefix: str = ITEM) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith(prefix)]


@pytest.mark.parametrize(
    ("front", "expected"),
    [
        ('title: "红色\\e[31m标题"\n', f"{ITEM}:2:1: title: contains U+001B"),
        ("title: t\nsummary: 先看\u202e倒序\n", f"{ITEM}:3:1: summary: contains U+202E RIGHT-TO-LEFT OVERRIDE"),
        ('title: t\ntags: [ok, "\\x85"]\n', f"{ITEM}:3:12: tags[1]: contains U+0085"),
        ("title: t\nextra: {note: \u2066x\u2069}\n", f"{ITEM}:3:9: extra.note: contains U+2066 LEFT-TO-RIGHT ISOLATE"),
        ("title: t\nsummary: a\x1bb\n", f"{ITEM}:3:11: contains U+001B"),  # raw: YAML's own reader refuses it
    ],
    ids=["escape-sequence", "rlo", "c1", "isolate-in-extra", "raw-c0"],
)
def test_control_characters_in_front_matter_are_errors(cli, minimal: Path, front: str, expected: str) -> None:
    item(minimal, front)
    result = cli(minimal, "config", "validate")
    assert result.exit_code == 2, result.output
    assert any(line.startswith(expected) for line in problems(result)), result.stderr
    assert cli(minimal, "render", "a").exit_code == 2


def test_control_characters_in_the_body_name_line_and_column(cli, minimal: Path) -> None:
    item(minimal, "title: t\n", "第一行\n金额\x1b[2J写在这里\n这是\u202e倒序\n")
    result = cli(minimal, "render", "a")
    assert result.exit_code == 2
    found = problems(result)
    assert any(line.startswith(f"{ITEM}:6:3: body: contains U+001B") for line in found), found
    assert any(line.startswith(f"{ITEM}:7:3: body: contains U+202E") for line in found), found
    assert not list((minimal / "build").glob("**/body.*"))


def test_emoji_cjk_and_full_width_punctuation_pass_untouched(cli, minimal: Path) -> None:
    title = "全家福：“守好钱袋子”！"  # titles are drawn on covers, whose CJK font has no emoji
    item(minimal, f"title: {title}\n", "一家人👨\u200d👩\u200d👧，❤️\u200d🔥 热爱（不变）。\n")
    result = cli(minimal, "render", "a")
    assert result.exit_code == 0, result.output
    assert not problems(result)
    built = "".join(p.read_text("utf-8") for p in (minimal / "build/outbox/a").iterdir() if p.suffix in (".md", ".txt"))
    assert title in built and "一家人👨\u200d👩\u200d👧，❤️\u200d🔥 热爱（不变）。" in built


def test_zero_width_space_is_a_warning_and_shown_escaped(cli, minimal: Path) -> None:
    item(minimal, "title: 保\u200b本\n")
    result = cli(minimal, "show", "a")
    assert result.exit_code == 0, result.output
    assert f"{ITEM}:2:1: title: contains an invisible U+200B ZERO WIDTH SPACE" in result.stderr
    assert "保\\u200b本" in result.stdout and "\u200b" not in result.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="Windows file names cannot hold control characters")
def test_show_never_prints_raw_control_characters(cli, minimal: Path) -> None:
    """A folder name is not front matter: it reaches `show` as the item's path, escaped."""
    item(minimal, "title: t\nkind: article\n", folder="content/\x1b[2J/article/a")
    result = cli(minimal, "show", "a")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout and "\\x1b[2J" in result.stdout
    item(minimal, "title: t\n", folder="content/\x1b[2J/article/a")  # a problem names the path, escaped
    result = cli(minimal, "show", "a")
    assert result.exit_code == 2
    assert "\x1b" not in result.stderr and "content/\\x1b[2J/article/a/index.md:2:1:" in result.stderr


def test_escape_keeps_text_and_emoji_and_shows_every_control() -> None:
    text = "中文，全角！👨\u200d👩\u200d👧\tx\n\x07\x1b\x9b\u202e\u2067\u200b\ufeff\r"
    assert (
        controls.escape(text) == "中文，全角！👨\u200d👩\u200d👧\tx\n\\x07\\x1b\\x9b\\u202e\\u2067\\u200b\\ufeff\\x0d"
    )
