"""The two Markdown extraction paths agree: markdown_segments (C, check/_native.c) and _MarkdownExtractor (Python,
the fallback where no C compiler built the extension), on thousands of generated documents.

Apart from tests/test_extract.py, whose every test runs once per path: this one compares both paths itself.
"""

from __future__ import annotations

import os
import random
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from mediactl.check import extract as extract_module
from mediactl.check.extract import extract_markdown

pytestmark = pytest.mark.skipif(
    extract_module._native is None and (bool(os.environ.get("MEDIACTL_NO_NATIVE")) or not os.environ.get("CI")),
    reason="the native extension was not built (no C compiler) or is switched off (MEDIACTL_NO_NATIVE)",
)


_MARKDOWN_PIECES = [
    "保本", "稳赚", "理财", "plain words", " ", "  ", "\t", "\n", "\n", "\n\n", "\r\n", "**", "*", "_", "~~", "`",
    "``", "\\", "\\*", "\\\n", "&amp;", "&#26412;", "&nbsp;", "&bogus;", "[", "]", "(", ")", "<", ">",
    "[链接](http://x.cn/a?b=1&amp;c=2)", "[ref][r]", "\n\n[r]: http://r.cn\n", "<http://auto.cn>", "<a@b.cn>",
    "![图 *片*](p.png)", "![](q.png)", "[![alt](i.png)](http://l.cn)", "<span>", "</span>", "<br>", "<br/>",
    '<img src="a.png" alt="保&amp;本">', '<a href="http://h.cn">', "</a>", "<script>x</script>", "<style>",
    "</style>", "<!-- note -->", "\n<div>\n<p>块<b>内</b></p>\n</div>\n", "\n\n# 标题 ", "\n## Head\n",
    "\n- 项", "\n  - 子项", "\n1. 一", "\n> 引用", "\n\n| a | 保 |\n|---|---|\n| 本 | `c` |\n",
    "\n```\ncode 保\n本\n```\n", "\n\n    indented\n", "---", "\n***\n", "🔥", "\u3000", "，", "Ａ",
    "`多\n行`", "` x `", "\\`",
]  # fmt: skip

#: HTML blocks: the plain ones are read natively, the others (entities, comments, <pre>, odd tags) by html.parser.
_HTML_PIECES = [
    "\n\n<div>\n", "\n\n<DIV class=\"a\">\n", "\n\n<section id=x>\n", "</div>\n", "</section >\n", "<p>", "</p>",
    "<b>", "</b>", "<span>", "</span>", "<br>", "<br/>", "<br />", "</br>", "<p/>", '<img src="a.png" alt="图 中字">',
    "<img alt='单引号' src=b.png>", "<img alt=bare>", "<img alt=x/>", '<a href="http://h.cn/>">', "</a>",
    '<meta name="description" content="摘要">', '<input type="image" alt="按钮">', '<img alt="跨\n行">', "<img\nalt=\"换行\">",
    "<pre>\n  保 本\n</pre>", "<title>标题</title>", "<script>保本</script>", "<!-- 注释 -->", "&amp;", "&#26412;",
    "a < b", "<x:y>", "<p a='1'b='2'>", "<p / >", "<custom-element-with-a-very-long-name-indeed>", "<a href=\"x\"/>",
    "保本", "稳赚 收益", "Latin words", "\n", " ", "\t", "\u3000", "\f", "\u00a0", "，", "🔥", "\n\n", "**强调**",
]  # fmt: skip


def test_markdown_native_and_python_agree() -> None:
    """markdown_segments (C) and _MarkdownExtractor (Python) give the same segments, anchors and numbering."""

    assert extract_module._native is not None, "CI builds the C extension: without it there is nothing to compare"
    rng = random.Random(17)
    texts = ["".join(rng.choice(_MARKDOWN_PIECES) for _ in range(rng.randrange(0, 40))) for _ in range(1500)]
    texts += ["".join(rng.choice(_HTML_PIECES) for _ in range(rng.randrange(0, 30))) for _ in range(1500)]
    texts += [piece * 3 for piece in _MARKDOWN_PIECES + _HTML_PIECES]
    for index, text in enumerate(texts):
        offset, field = index % 3, ("body", "summary")[index % 2]
        native = extract_markdown(text, "a.md", line_offset=offset, field=field)
        native_module, extract_module._native = extract_module._native, None
        try:
            python = extract_markdown(text, "a.md", line_offset=offset, field=field)
        finally:
            extract_module._native = native_module
        assert native == python, text


def test_native_source_compiles_as_c11_without_warnings() -> None:
    """_native.c builds warning-free under -Wall -Wextra as ISO C11 (-pedantic: no GNU extension), as reviewed.

    hatch_build.py compiles with -Wall only; -Wextra finds unused parameters and half-initialised structs.
    """
    compiler = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")
    if shutil.which(compiler[0]) is None and not os.environ.get("CI"):
        pytest.skip(f"no C compiler ({compiler[0]})")
    source = Path(extract_module.__file__).with_name("_native.c")
    flags = ["-std=c11", "-pedantic", "-Wall", "-Wextra", "-Werror", "-fsyntax-only"]
    command = [*compiler, *flags, f"-I{sysconfig.get_paths()['include']}", str(source)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def _native_events(script: str) -> subprocess.CompletedProcess[str]:
    """Run markdown_segments on hand-made events in a child process: a crash there fails the test, not pytest."""
    prelude = (
        "from mediactl.check import extract as X\n"
        "segment, cjk, hooks, tags = X._MARKDOWN_NATIVE\n"
        "def run(events, src, out=None):\n"
        "    out = out or X._Out('a.md')\n"
        "    X._native.markdown_segments(iter(events), src, 0, 'body', out, segment, cjk, hooks, tags)\n"
        "    return out\n"
    )
    return subprocess.run([sys.executable, "-c", prelude + script], capture_output=True, text=True, check=False)


def test_native_text_without_a_source_position_is_an_error_not_a_crash() -> None:
    """An autolink whose end comes in another block (events no parser makes) copies text but no anchor.

    Stripping that text looked up its first anchor: a NULL read, a segfault; it is a ValueError now.
    """
    src = "a <http://x.cn>\n\n   bc  \n"
    autolink = {"Link": {"link_type": "Autolink", "dest_url": "http://x.cn", "title": "", "id": ""}}
    events = [
        ({"Start": "Paragraph"}, {"start": 0, "end": 15}),
        ({"Text": "a "}, {"start": 0, "end": 2}),
        ({"Start": autolink}, {"start": 2, "end": 15}),
        ({"End": "Paragraph"}, {"start": 0, "end": 15}),
        ({"Start": "Paragraph"}, {"start": 17, "end": 25}),
        ({"Text": "   bc  "}, {"start": 17, "end": 24}),
        ({"End": "Link"}, {"start": 2, "end": 15}),
        ({"End": "Paragraph"}, {"start": 17, "end": 25}),
    ]
    done = _native_events(
        f"try:\n    run({events!r}, {src!r})\nexcept ValueError as exc:\n    print('ValueError', exc)\n"
    )
    assert done.returncode == 0, done.stderr or f"exit status {done.returncode}"
    assert done.stdout.startswith("ValueError"), done.stdout


def test_native_block_count_that_is_not_an_int_raises_at_once() -> None:
    """A failed PyLong_AsSsize_t of out.counts stops the extraction with its TypeError.

    Unchecked, the code ran on with the exception set and called the next hook with it pending: a SystemError
    (an assertion in a debug build of Python).
    """
    script = (
        "out = X._Out('a.md')\n"
        "out.counts['body'] = 'x'\n"
        "src = 'a\\n\\nb <img alt=x>\\n'\n"
        "try:\n"
        "    run(X._markdown_parser().events_with_range(src), src, out)\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    done = _native_events(script)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("TypeError"), done.stdout


@pytest.mark.parametrize(
    ("setup", "call"),
    [
        ("hooks = (lambda *a: [['code', 3]],) + hooks[1:]", "run(X._markdown_parser().events_with_range(src), src)"),
        ("cjk = ([19968, 40959],)", "run(X._markdown_parser().events_with_range(src), src)"),
        (
            "offsets = memoryview(bytes(4) + bytes([1, 0, 0, 0])).cast('I')",
            "X._native.match_spans([[0, 0, 1]], 0, offsets, 'a', bytes(1), 1)",
        ),
    ],
    ids=["code-span-runs", "cjk-ranges", "matcher-hits"],
)
def test_native_malformed_items_are_a_type_error_not_a_system_error(setup: str, call: str) -> None:
    """A hook's run, a CJK range or a matcher hit given as a list instead of a tuple: PyArg_ParseTuple took it for
    the module's own bug (SystemError: new style getargs format but argument is not a tuple); it is the caller's."""
    script = f"src = 'a `code` b\\n'\n{setup}\ntry:\n    {call}\nexcept Exception as exc:\n    print(type(exc).__name__, exc)"
    done = _native_events(script)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("TypeError"), done.stdout


FAILED_INIT = """
import importlib.util, sys, _testcapi
sys.path.insert(0, sys.argv[1])
spec = importlib.util.find_spec("_native")
name = sys.intern("dest_url")  # one of the names the module interns at init
before = sys.getrefcount(name)
for failing in range(1000):  # the allocation that fails: each one in turn, until the import succeeds
    _testcapi.set_nomemory(failing, 0)
    try:
        importlib.util.module_from_spec(spec)
        break
    except MemoryError:
        pass
    finally:
        _testcapi.remove_mem_hooks()
print(failing > 10, sys.getrefcount(name) - before)  # many inits failed; one reference kept, the module's
"""


def test_native_init_that_fails_keeps_no_reference(tmp_path: Path) -> None:
    """An import of the module that runs out of memory (each allocation made to fail in turn) releases the strings
    it had interned: each failed init kept a reference to them, never released (23 on this build)."""
    testcapi = subprocess.run([sys.executable, "-c", "import _testcapi; _testcapi.set_nomemory"], capture_output=True)
    if testcapi.returncode != 0 and not os.environ.get("CI"):
        pytest.skip("this Python has no _testcapi.set_nomemory to make an allocation fail")
    built = Path(extract_module._native.__file__)  # a copy of its own: the package's is already initialised
    shutil.copy(built, tmp_path / built.name)
    done = subprocess.run([sys.executable, "-c", FAILED_INIT, str(tmp_path)], capture_output=True, text=True)
    assert done.stdout.split() == ["True", "1"], done.stdout + done.stderr


@pytest.mark.parametrize("native", [True, False], ids=["native", "python"])
def test_many_reference_links_find_their_urls_in_one_pass(monkeypatch, native: bool) -> None:
    """Each reference link's target is anchored where its URL first occurs in the text, as str.find finds it (its
    definition, or text before it). Every one was searched for from the start: 20,000 links took 3 s on either path.
    Past the first few, the places of all the definitions' URLs are found once per text."""
    definitions = [f"https://bank.cn/p/{i}" for i in range(12)] + ["https://bank.cn/p", "https://bank.cn/p/1"]
    body = (
        "".join(f"见[产品{i}][r{i}]，" for i in range(len(definitions))) + "官网 https://bank.cn/p/1x 与[又见][r3]\n\n"
    )
    refs = "".join(f"[r{i}]: {url}\n" for i, url in enumerate(definitions)) + "[odd]: <https://bank.cn/a b>\n"
    text = body + "[奇][odd]\n\n" + refs
    passes = []
    first_places = extract_module._first_places
    monkeypatch.setattr(extract_module, "_first_places", lambda src: passes.append(src) or first_places(src))
    if not native:
        monkeypatch.setattr(extract_module, "_native", None)
    links = [s for s in extract_markdown(text, "a.md") if s.field == "link"]
    assert len(links) == len(definitions) + 2 and len(passes) == 1
    for link in links:
        found = text.find(link.text)
        assert found >= 0 and link.position(0) == (text.count("\n", 0, found) + 1, found - text.rfind("\n", 0, found))
    assert extract_markdown("[a][r]\n\n[r]: https://x.cn\n", "a.md") and len(passes) == 1  # a few: searched each
