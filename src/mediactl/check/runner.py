"""Checking a project (items and their variants) or ad hoc files, and recording the verdicts.

For every variant a report is written to `.mediactl/reports/<channel>/<slug>.json`
holding the variant's content hash: the publish gate accepts a variant only when
a passing report exists for exactly the bytes it is about to send.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import json
import os
import subprocess
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from importlib.util import find_spec
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, NamedTuple

from mediactl import CONFIG_NAME
from mediactl.check import fold, normalize, placeholders, rules, suppress
from mediactl.check.compiled import cached, key_of
from mediactl.check.engine import Engine, self_test
from mediactl.check.findings import SORT_KEY, Finding
from mediactl.check.normalize import Normalizer
from mediactl.check.output import Output, Part
from mediactl.check.report import failing
from mediactl.check.rules import Profile, RulePackError, RuleSet, builtin_pack_files, load_rules, pack_files
from mediactl.check.verdicts import write_verdict
from mediactl.core import confine, console, fsutil
from mediactl.core.errors import MediactlError, UsageError, relpath
from mediactl.core.processes import start_method
from mediactl.core.redaction import known_secrets, register_secret

if TYPE_CHECKING:  # the config and library stack is not needed to check one ad hoc file
    from mediactl.check.extract import Segment
    from mediactl.check.ocr import OcrReader, Picture
    from mediactl.check.suppress import Allowance
    from mediactl.config.model import Config
    from mediactl.library.content import Item
    from mediactl.library.scan import Library
    from mediactl.render.plan import Planned
    from mediactl.render.verify import Verified

SELFTEST_CACHE = "rules-selftest.json"


@dataclass
class CheckResult:
    findings: list[Finding] = field(default_factory=list)
    variants: list[dict[str, Any]] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)  # variants that failed to render
    ocr: str = "on"  # whether the words inside images and video frames were read: on, off, unavailable


class Compliance(NamedTuple):
    """config.compliance, as plain data (unpickling it needs no config module)."""

    packs: tuple[str, ...]
    disable: tuple[str, ...]
    severity: dict[str, str]
    ocr: str = "on"
    names: tuple[str, ...] = ()  # the bank's own names, which the learned reader leaves out


@dataclass(frozen=True)
class CheckSettings:
    """What an ad hoc check needs of a project's config (the attributes it reads from a Config).

    Cached by mediactl.yaml's stamp: a one-file check inside a project then skips importing PyYAML
    and the config stack (~30 ms of its start-up) while the file is unchanged.
    """

    root: Path
    file: Path
    state_path: Path
    compliance: Compliance
    warnings: tuple[str, ...] = ()
    placeholders: tuple[str, ...] | None = None  # config.check.placeholders

    @classmethod
    def of(cls, config: Config) -> CheckSettings:
        rules = config.compliance
        compliance = Compliance(
            tuple(rules.packs), tuple(rules.disable), dict(rules.severity), rules.ocr, tuple(rules.names)
        )
        return cls(config.root, config.file, config.state_path, compliance, tuple(map(str, config.warnings)),
                   config.check.placeholders)  # fmt: skip


def check_settings(root: Path, load: Callable[[], Config]) -> CheckSettings:
    """The check settings of the project at `root`: from the cache while its mediactl.yaml (and the code
    that reads it) is unchanged, else from `load()`, which reads the config and reports its problems."""
    path = root / CONFIG_NAME
    try:  # its bytes, not its stamp: two quick edits of the same size can share a modification time
        content = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        content = ""  # missing or unreadable: load() says so
    package = Path(__file__).parents[1]
    stamps = [str(path), content, _file_stamps([package / "config" / "model.py", package / "config" / "schema.py"])]
    loaded: list[Config] = []

    def read() -> CheckSettings:
        loaded.append(load())
        return CheckSettings.of(loaded[0])

    name = "settings-" + key_of(str(path))[:16]  # one entry per project: projects do not evict each other
    settings = cached(user_cache(), name, key_of(stamps), read)
    if not loaded:  # load() reports the warnings when it reads; from the cache, they are shown again here
        for warning in settings.warnings:
            console.warning(warning)
    return settings


if TYPE_CHECKING:  # what the rules and ad hoc checks read of a project: its config, or its check settings
    from typing import TypeAlias

    Settings: TypeAlias = "Config | CheckSettings"

_RULESETS: dict[Any, RuleSet] = {}


def ruleset_for(config: Settings | None) -> RuleSet:
    """The rules in force for `config` (built-in packs only without a project), loaded once per process."""
    files = _files(config)
    key = (
        None if config is None else (config.file, config.compliance.packs, config.compliance.disable),
        None if config is None else config.compliance.names,
        None if config is None else tuple(sorted(config.compliance.severity.items())),
        tuple((str(f), *_stamp(f)) for f in files),  # a pack edited on disk is loaded again
    )
    if key not in _RULESETS:
        folder = config.state_path if config else user_cache()
        # The code that reads the packs too (an edited checkout keeps its version number), and the data the rules'
        # digest covers beside the packs: equivalents, contexts, homophones, the learned reader's models (a retrained
        # model must re-run the self-tests and rebuild the engine, not be read from a stale digest).
        stamps = [*_code_stamps(rules), *_file_stamps(_rule_data_files())]
        loaded = cached(folder, "rules", key_of(key, stamps), lambda: _load_ruleset(config, files))
        _RULESETS[key] = loaded
    return _RULESETS[key]


def _rule_data_files() -> list[Path]:
    """The packaged data files the rules' digest covers besides the packs (data/check, data/reader)."""
    data = Path(str(resources.files("mediactl") / "data"))
    return sorted(path for folder in ("check", "reader") for path in (data / folder).glob("*") if path.is_file())


def _code_stamps(*modules: ModuleType) -> list[tuple[str, int, int]]:
    """The stamps of the modules' files: cached results are keyed by the code that made them."""
    return _file_stamps(Path(module.__file__) for module in modules if module.__file__)


def _file_stamps(paths: Iterable[Path]) -> list[tuple[str, int, int]]:
    """Name, size and modification time of each file, sorted."""
    return sorted((path.name, *_stamp(path)) for path in paths)


def _stamp(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (0, 0)
    return (stat.st_size, stat.st_mtime_ns)


def _files(config: Settings | None) -> list[Path]:
    if config is None:
        return builtin_pack_files()
    return pack_files(config.root, config.compliance.packs, config.root / "compliance")


def _load_ruleset(config: Settings | None, files: list[Path]) -> RuleSet:
    if config is None:
        return load_rules(files)
    return load_rules(
        files,
        root=config.root,
        disable=config.compliance.disable,
        severity=dict(config.compliance.severity),
        names=config.compliance.names,
    )


_ENGINES: dict[str, Engine] = {}


def _engine(ruleset: RuleSet, cache: Path | None = None) -> Engine:
    """One engine per distinct set of rules (by digest) and process: the automaton is built once."""
    if ruleset.digest not in _ENGINES:
        # lazy: start-up, matcher (~4 ms) only where an engine is built (render, approve and `rules ls` load
        # this module and build none); engine beside it, as `engine` names a local everywhere else here
        from mediactl.check import engine, equivalents, homophones, matcher

        folder = cache or user_cache()
        normalizer_key = _normalizer_key()
        normalizer = cached(folder, "normalizer", normalizer_key, _new_normalizer)
        # Normalising 5,000 terms costs a one-file check more than loading them: the engine is cached
        # too (its automaton is rebuilt on load), keyed by the rules, the normalizer and the code of all
        # three (the engine refers to rules by position: it must come from the same rule objects).
        # equivalents and homophones: what the engine builds from its data files (the files are in the digest).
        key = key_of(ruleset.digest, normalizer_key, _code_stamps(engine, matcher, rules, equivalents, homophones))
        built = cached(folder, "engine", key, lambda: Engine(ruleset, normalizer=normalizer))
        _ENGINES[ruleset.digest] = built.attach(ruleset, normalizer)
    return _ENGINES[ruleset.digest]


def _new_normalizer() -> Normalizer:
    """A normalizer built for the compiled cache. The fold tables it was built from are let go: the normalizer
    holds what it needs, and a cold check kept them (~8 MiB of Python ints) in the process its workers fork
    from, where a warm one, loading the normalizer from the cache, never had them (bench: 100 -> 92 MiB)."""
    normalizer = Normalizer()
    fold._fold_tables.cache_clear()
    return normalizer


def _normalizer_key() -> str:
    tables = Path(str(resources.files("mediactl") / "data" / "check"))
    # The tables and the code that builds them (an edited checkout keeps its version number).
    stamps = _file_stamps(tables.iterdir()) + _code_stamps(fold, normalize)
    # NFKC and casefold come from the running Python's Unicode database, the digits of the digit-run
    # prefilter from the regex module's: a new Python or regex, a new table.
    return key_of(stamps, normalize._native is not None, unicodedata.unidata_version, _regex_version())


def _regex_version() -> tuple[int, int]:
    """The installed regex module, by the stamp of the file that holds its version (importing it, or
    importlib.metadata, would cost a one-file check 20 ms)."""
    spec = find_spec("regex")
    if spec is None or spec.origin is None:
        return (0, 0)
    return _stamp(Path(spec.origin).with_name("_main.py"))


def user_cache() -> Path:
    """Where ad hoc checks outside a content repository remember things ($XDG_CACHE_HOME/mediactl)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mediactl"


def engine_for(config: Config) -> Engine:
    """The engine of a project's rules, without their self-tests (a render-time helper: check runs them)."""
    return _engine(ruleset_for(config), config.state_path)


def prepared(config: Settings | None, state: Path | None) -> tuple[RuleSet, Engine]:
    """Rules and engine, with self-tests run whenever the packs changed.

    A pass is remembered by the packs' digest (in the project's state folder, or the user cache for
    ad hoc checks), so an unchanged set of rules is not re-tested on every run.
    """
    ruleset = ruleset_for(config)
    engine = _engine(ruleset, state)
    marker = (state or user_cache()) / SELFTEST_CACHE
    if _passed_before(marker, ruleset.digest):
        return ruleset, engine
    problems = self_test(ruleset, engine)
    if problems:
        raise RulePackError("rule pack self-tests", problems)
    with contextlib.suppress(OSError):  # a read-only home: the tests simply run again next time
        fsutil.write_text(marker, json.dumps({"digest": ruleset.digest}, ensure_ascii=False))
    return ruleset, engine


def _passed_before(marker: Path, digest: str) -> bool:
    try:
        return json.loads(marker.read_text("utf-8")).get("digest") == digest
    except (OSError, ValueError):
        return False


def check_project(
    config: Config,
    library: Library,
    slugs: list[str] | None,
    channel: str | None,
    *,
    fail_on: str,
    skip: frozenset[str] = frozenset(),
    ocr: bool = True,
) -> CheckResult:
    """Check the items' own text and their variants as rendered in build/ (rendering is the pipeline's
    business, before this); `skip`: variant keys that failed to render, so there is nothing to check;
    `ocr`: False (--no-ocr) leaves the words inside images and video frames unread, and the report says so."""
    from mediactl.render.plan import plan_variants  # lazy: start-up, an ad hoc check never imports render

    _, engine = prepared(config, config.state_path)
    reader, mode = ocr_reader(config, ocr)
    result = CheckResult(ocr=mode)
    planned, _ = plan_variants(library, config, slugs, channel)
    # every picture starts reading now, in the background, while the text is checked; each variant verified for
    # that is not verified again (hashing every file, videos too): read_part proves each part's bytes as it is read
    verified = _prefetch(config, [p for p in planned if p.key not in skip], reader) if reader is not None else {}
    for item in library.select(slugs):
        allowances, broken = _allowances(item)
        result.findings.extend(_context(broken, item.slug, ""))
        segments = _item_segments(item, config.root)
        result.findings.extend(_context(placeholders.find(segments, config.check.placeholders), item.slug, ""))
        if channel is None:
            source = engine.check(segments, Profile(platform="", channel="", products=item.products, kind=item.kind))
            result.findings.extend(_context(suppress.apply(source, allowances, source_file=item.file), item.slug, ""))
        for variant in (p for p in planned if p.item.slug == item.slug):
            if variant.key in skip:
                continue
            try:
                findings, report = _check_variant(config, engine, variant, allowances, fail_on, reader, mode,
                                                  verified.get(variant.key))  # fmt: skip
            except MediactlError as exc:  # its files changed after render (or lead outside the project)
                result.not_checked.append(f"{variant.key}: {exc.message}")
                continue
            result.findings.extend(findings)
            if report and reader is None and config.compliance.ocr == "required":
                result.not_checked.append(f"{variant.key}: compliance.ocr is required and its pictures were not "
                                          f"read ({mode}); its verdict fails until they are")  # fmt: skip
            if report:
                result.variants.append(report)
            else:
                result.not_checked.append(f"{variant.key}: not rendered (run `mediactl render`)")
    return result


def _check_variant(
    config: Config, engine: Engine, planned: Planned, allowances: list[Allowance], fail_on: str,
    reader: OcrReader | None = None, ocr: str = "off", verified: Verified | None = None,
) -> tuple[list[Finding], dict[str, Any] | None]:  # fmt: skip
    """Check a variant as its bytes are now (render.verify, unless `verified` already is), and record the verdict
    for that content hash.

    A variant whose files changed after render is not checked: VariantChangedError names the file. `ocr`: whether
    its pictures were read (on, off, unavailable), recorded in the verdict so a pass without them is visible.
    """
    from mediactl.render.verify import verify  # lazy: start-up, as check_project

    item, channel = planned.item, planned.channel
    if verified is None:
        verified = verify(config.build_path / channel.name / item.slug, config.root)
    if verified is None:
        return [], None
    findings = _variant_findings(config, engine, planned, verified, allowances, reader)
    read = reader is not None and ocr == "on"
    report = {
        "item": item.slug,
        "channel": channel.name,
        "content_hash": verified.content_hash,
        # a verdict made without reading the pictures passes only where the project does not require OCR
        "passed": not failing(findings, fail_on) and (read or config.compliance.ocr != "required"),
        "fail_on": fail_on,
        "ocr": ocr,
        "findings": [f.to_dict() for f in findings if not f.suppressed],
        "suppressed": [f.to_dict() for f in findings if f.suppressed],
    }
    write_verdict(config.state_path, report)
    return findings, report


def _variant_findings(
    config: Config, engine: Engine, planned: Planned, verified: Verified, allowances: list[Allowance],
    reader: OcrReader | None = None,
) -> list[Finding]:  # fmt: skip
    """The findings of one verified variant, its item's allowances applied (suppressed ones kept, marked);
    with a `reader`, the words inside its pictures too, each finding there given its box."""
    from mediactl.check.ocr import placed, segments_of  # lazy: start-up

    item, channel = planned.item, planned.channel
    profile = Profile(platform=channel.platform, channel=channel.name, products=item.products, kind=item.kind)
    pictures = variant_pictures(config, verified, reader) if reader is not None else []
    findings = placed(engine.check(variant_segments(config, verified) + segments_of(pictures), profile), pictures)
    return _context(suppress.apply(findings, allowances, source_file=item.file), item.slug, channel.name)


def variant_findings(config: Config, planned: Planned, verified: Verified) -> list[Finding]:
    """What `check` finds in a verified variant, without recording a verdict: the preview shows findings, and
    only `check` may write the reports the publish gate trusts."""
    _, engine = prepared(config, config.state_path)
    allowances, _ = _allowances(planned.item)
    reader, _ = ocr_reader(config, True)
    return _variant_findings(config, engine, planned, verified, allowances, reader)


def ocr_reader(config: Settings | None, enabled: bool) -> tuple[OcrReader | None, str]:
    """The process's OCR reader when pictures are read this run, and the report's word for it: `on`; `off`
    (compliance.ocr: false, or --no-ocr); `unavailable` (no engine for this Python)."""
    from mediactl.check import ocr  # lazy: start-up; the engine itself loads on the first picture

    mode = ocr_mode(config, enabled)
    if mode != "on":
        return None, mode
    if ocr.unavailable():
        return None, "unavailable"
    # The user's cache, not the project's state: what an image says depends on its bytes and the engine only, so
    # every project (and every clone of one) on a machine shares the readings.
    return ocr.reader_for(user_cache()), "on"


def ocr_mode(config: Settings | None, enabled: bool) -> str:
    """`on`, or `off` by --no-ocr, compliance.ocr: false or MEDIACTL_OCR=off (a CI job's switch); asked without
    loading anything (a check of text files never imports the engine)."""
    off = (
        not enabled
        or (config is not None and config.compliance.ocr == "off")
        or os.environ.get("MEDIACTL_OCR") == "off"
    )
    return "off" if off else "on"


def _pictures(verified: Verified) -> Iterable[tuple[str, str, Any]]:
    """(kind, field, part) of each picture a variant shows: its images (covers, posters, the master image, body
    images, a video's cover frame) and its video."""
    names = {m["sha256"]: m["name"] for m in verified.document["media"]}
    for part in verified.parts:
        if part.what.startswith("image "):
            yield "image", f"image.{names.get(part.sha256, part.path.stem)}.ocr", part
        elif part.what.startswith("body image"):
            yield "image", f"image.{part.path.stem}.ocr", part
        elif part.what == "video cover":
            yield "image", "video.cover.ocr", part
        elif part.what == "video":
            yield "video", "video.main.ocr", part


def _prefetch(config: Config, planned: list[Planned], reader: OcrReader) -> dict[str, Verified]:
    """Start reading every image of the rendered variants (each distinct one once), and return the variants so
    verified by key; one that cannot be verified is left for the check itself to report. Videos are read when
    their variant is checked: queued here, a library's videos would all be held in memory at once."""
    from mediactl.render.verify import read_part, verify  # lazy: start-up, as check_project

    known: dict[str, Verified] = {}
    for variant in planned:
        try:
            verified = verify(config.build_path / variant.channel.name / variant.item.slug, config.root)
            for kind, _, part in _pictures(verified) if verified is not None else ():
                if kind == "image":
                    reader.submit(read_part(part, config.root), relpath(part.path, config.root))
        except MediactlError:
            continue
        if verified is not None:
            known[variant.key] = verified
    return known


def variant_pictures(config: Config, verified: Verified, reader: OcrReader) -> list[Picture]:
    """The words read inside every picture of a verified variant, from its verified bytes (never from disk again);
    an image already queued (by _prefetch, from bytes proven against the same sha256) is not read again. A picture
    that cannot be decoded is an OcrError naming it."""
    from mediactl.check.ocr import Picture, frame_pictures  # lazy: start-up
    from mediactl.render.verify import read_part  # lazy: start-up, as check_project

    pictures: list[Picture] = []
    for kind, name, part in _pictures(verified):
        shown = relpath(part.path, config.root)
        queued = reader.started(part.sha256) if kind == "image" else None  # _prefetch proved and queued its bytes
        if queued is not None:
            pictures.append(Picture(shown, name, queued.result()))
            continue
        data = read_part(part, config.root)
        if kind == "video":
            pictures += frame_pictures(shown, name, reader.submit_video(data, shown).result())
        else:
            pictures.append(Picture(shown, name, reader.lines(data, shown)))
    return pictures


TEXT_FORMATS = {".html": "html", ".md": "markdown"}


def variant_segments(config: Config, verified: Verified) -> list[Segment]:
    """What the audience of a variant sees or hears: every text field, the text drawn on its images, its
    links and QR codes, and its subtitles; all read from the verified bytes, never from disk again."""
    # lazy: start-up, render, approve and doctor load this module without extracting (~12 ms)
    from mediactl.check.extract import extract_source, extract_text
    from mediactl.render.verify import read_part  # lazy: start-up, as check_project

    shown = relpath(verified.folder, config.root)
    document = verified.document
    segments: list[Segment] = []
    for name, text in document["texts"].items():
        file = document["files"][name]
        found = extract_source(text, f"{shown}/{file}", TEXT_FORMATS.get(Path(file).suffix, "text"))
        segments.extend(s._replace(field=name) if s.field == "body" else s for s in found)  # keep link/alt/title
    for media in document["media"]:
        for key, text in (media.get("texts") or {}).items():
            segments.extend(extract_text(text, f"{shown}/{media['file']}", field=f"image.{media['name']}.{key}"))
    for media in document["media"]:
        if media.get("qr"):  # a QR code is a link the audience follows
            segments.extend(extract_text(media["qr"], f"{shown}/{media['file']}", field=f"image.{media['name']}.qr"))
    subtitles = {part.sha256: part for part in verified.parts if part.what == "subtitles"}
    for entry in document["subtitles"]:
        data = read_part(subtitles[entry["sha256"]], config.root)
        segments.extend(_subtitle_segments(data, entry["file"], entry["format"]))
    return segments


def _subtitle_segments(data: bytes, display: str, fmt: str) -> list[Segment]:
    """A subtitle file's cues, from its bytes (read confined and verified by the caller), without a BOM."""
    from mediactl.check.extract import extract_subtitles  # lazy: start-up, as variant_segments

    return extract_subtitles(data.decode("utf-8", "replace").removeprefix("\ufeff"), display, fmt=fmt)


def _item_segments(item: Item, root: Path) -> list[Segment]:
    """The item as written: its index.md (front matter values, alt texts, body) and its subtitle files."""
    from mediactl.check.extract import FORMATS, extract_file  # lazy: start-up, as variant_segments

    segments = extract_file(item.folder / "index.md", item.file, "markdown")
    for asset in item.assets:
        fmt = FORMATS.get(Path(asset.path).suffix.lower())
        if fmt in ("srt", "vtt"):
            path = item.asset_path(asset)
            data = confine.read_bytes(path, root, what="subtitles")
            segments.extend(_subtitle_segments(data, relpath(path, root), fmt))
    return segments


def _allowances(item: Item) -> tuple[list[Allowance], list[Finding]]:
    text = (item.folder / "index.md").read_text("utf-8")
    found, broken = suppress.inline_allowances(text, item.file)
    for entry in item.allow:
        found.append(suppress.Allowance(entry["rule"], entry["reason"], item.file, 1))
    return found, broken


def _context(findings: list[Finding], item: str, channel: str) -> list[Finding]:
    return [f.with_context(item=item, channel=channel) for f in findings]


def check_files(
    paths: Sequence[str | os.PathLike[str]],
    *,
    platform: str | None,
    products: tuple[str, ...] | None,
    config: Settings | None,
    output: Output,
    jobs: int = 0,
    ocr: bool = True,
) -> str:
    """Ad hoc files (any repository's CI): Markdown, HTML, text, SRT/VTT, YAML/JSON, and the words inside
    images and videos (unless `ocr` is False or the project switched it off), into `output`. Returns the
    report's word for OCR (on, off, unavailable: see ocr_reader).

    Files are reported in the order of their names as shown, each once. Many files are split across
    processes (forked, so the compiled rules are shared, not rebuilt) in batches that come back, in
    order, as they are done: a worker never holds a large share of the findings, and a slow file
    does not leave the other worker idle at the end.
    """
    root = (config.root if config else Path.cwd()).resolve()
    _, engine = prepared(config, config.state_path if config else None)  # rules load and self-test once, before forking
    global _FILES_JOB
    named = _named(paths, root)
    mode = ocr_mode(config, ocr)
    if mode == "on" and any(_is_picture(path) for _, path in named):  # asked before forking: workers then agree
        _, mode = ocr_reader(config, ocr)
    _FILES_JOB = (Profile(platform=platform, products=products), config, output, mode == "on")
    workers = min(jobs or os.cpu_count() or 1, max(1, len(named) // PER_WORKER))
    batches = _batches(named, workers)
    if len(named) >= PER_WORKER:
        engine.for_volume()
        from mediactl.check.extract import FORMATS, _markdown_parser  # lazy: start-up, as variant_segments

        if any(FORMATS.get(Path(path).suffix.lower()) == "markdown" for _, path in named):
            _markdown_parser()  # pyromark imported and its parser built once here, shared by the forked workers
    # What exists now (rules, automaton, tables) lives to the end: left out of garbage collection, a forked
    # worker's collector never writes to those pages, so they stay shared with this process. Measured on
    # the bench (2026-12-06): summed PSS 89-90 -> 81 MiB; CPU time unchanged (2.15 vs 2.14 s).
    gc.freeze()
    try:
        if workers <= 1:
            for batch in batches:
                output.take(_check_batch(batch))
            return mode
        import multiprocessing  # lazy: start-up, a one-file check does not pay for the process machinery
        from concurrent.futures import ProcessPoolExecutor  # lazy: as above

        method = start_method()
        # fork: workers share the compiled rules with this process; spawn (Windows, or forced): each worker
        # is given the job and loads the rules from the compiled cache, which this process just filled.
        context = multiprocessing.get_context(method)
        pool = (
            ProcessPoolExecutor(max_workers=workers, mp_context=context)
            if method == "fork"
            else ProcessPoolExecutor(
                max_workers=workers,
                mp_context=context,
                initializer=_init_files_worker,
                initargs=(_FILES_JOB, known_secrets()),
            )
        )
        with pool:
            for part in pool.map(_check_batch, batches):
                output.take(part)
        return mode
    finally:
        gc.unfreeze()


PER_WORKER = 64  # below this many files per process, forking costs more than it saves
# A batch's segments and findings are a worker's working set, and those waiting in order the parent's: 100 files
# summed 95-96 MiB of PSS on the Markdown bench (2026-12-07, after the rules' rounds 3-4), 50 files 77-79 MiB, CPU
# the same (6.1-6.2 s); still few round trips (57 batches for 2,000 files and 2 workers)
FILES_PER_BATCH = 50
_FILES_JOB: tuple[Profile, Settings | None, Output, bool] | None = None


def _batches(named: list[tuple[str, str]], workers: int) -> list[list[tuple[str, str]]]:
    """The files in batches of FILES_PER_BATCH, smaller towards the end when several workers share them (guided
    scheduling): the last batch is the one a worker checks while the others have nothing left, so it should be
    small. 2,000 files and 2 workers: 33 batches of 50, then 43, 38, 33 … down to 6 files (57 batches), in order."""
    batches = []
    start = 0
    while start < len(named):
        size = FILES_PER_BATCH if workers <= 1 else (len(named) - start) // (4 * workers)
        size = max(FILES_PER_BATCH // 8, min(FILES_PER_BATCH, size), 1)
        batches.append(named[start : start + size])
        start += size
    return batches


def _init_files_worker(job: tuple[Profile, Settings | None, Output, bool], secrets: list[str]) -> None:
    """A spawned worker: the check's profile, settings and output, and the secrets to keep out of its report."""
    global _FILES_JOB
    _FILES_JOB = job
    for secret in secrets:
        register_secret(secret)


def _check_batch(batch: list[tuple[str, str]]) -> Part:
    """The findings of a batch of (shown name, path), sorted and made ready for the output."""
    assert _FILES_JOB is not None
    profile, config, output, ocr = _FILES_JOB
    findings = _check_paths(batch, profile, config, ocr)
    findings.sort(key=SORT_KEY)
    return output.part(findings)


def _named(paths: Sequence[str | os.PathLike[str]], root: Path) -> list[tuple[str, str]]:
    """(shown name, path) of each file, sorted by the name findings are reported under, each file once
    (however it was named: a/b.md, ./a/b.md and a/../a/b.md are one file)."""
    cwd, top = os.getcwd(), os.fspath(root)
    named: dict[str, tuple[str, str]] = {}
    for path in paths:
        given = os.fspath(path)
        folder, name = os.path.split(os.path.join(cwd, given))  # join keeps an absolute path as it is
        folder = _resolved(folder)
        real = os.path.join(folder, name)
        if real not in named:
            named[real] = (_shown(given, folder, name, top), given)
    return sorted(named.values())


def _shown(given: str, folder: str, name: str, root: str) -> str:
    """How a file is named in findings: relative to the project (or current folder) when inside it.

    `folder` is the file's folder with symbolic links resolved: per folder, not per file (thousands
    of files share a few folders), and with os.path on strings (pathlib cost ~70 us a file).
    """
    inside = _inside(folder, root)
    if inside is None:
        return given  # outside: as the user named it
    return f"{inside}/{name}" if inside else name


@functools.lru_cache(maxsize=1024)  # 5,000 bench files in one folder: 133 -> 9 ms for _named (with _inside)
def _resolved(folder: str) -> str:
    return os.path.realpath(folder)


@functools.lru_cache(maxsize=1024)
def _inside(folder: str, root: str) -> str | None:
    """`folder` relative to `root` with '/' separators ('' for root itself), or None if it is outside."""
    if folder == root:
        return ""
    if not folder.startswith(root.rstrip(os.sep) + os.sep):
        return None
    return os.path.relpath(folder, root).replace(os.sep, "/")


def _check_paths(
    named: list[tuple[str, str]], profile: Profile, config: Settings | None, ocr: bool = True
) -> list[Finding]:
    _, engine = prepared(config, config.state_path if config else None)
    pictures = [(shown, path) for shown, path in named if _is_picture(path)]
    reading = _start_pictures(pictures, config, ocr)  # read in the background while the text files are checked
    findings: list[Finding] = []
    texts = [(shown, path) for shown, path in named if not _is_picture(path)]
    for first in range(0, len(texts), SCANNED_TOGETHER):  # the engine scans a few files' texts at once
        chunk = texts[first : first + SCANNED_TOGETHER]
        read = [_read_file(shown, path) for shown, path in chunk]
        checked = engine.check_many([segments for _, segments in read], profile)
        for (shown, _), (text, segments), found in zip(chunk, read, checked, strict=True):
            allowances, broken = suppress.inline_allowances(text, shown)
            findings.extend(broken)
            findings.extend(suppress.apply(found, allowances, source_file=shown))
            findings.extend(placeholders.find(segments, _placeholder_patterns(config)))
    if reading:
        findings.extend(_picture_findings(reading, engine, profile))
    return findings


#: Files whose texts the engine scans in one pass (Engine.check_many): enough for the automaton to stay in the CPU's
#: caches, few enough that their segments and normal forms held at once add little to a worker's memory.
SCANNED_TOGETHER = 32


def _read_file(shown: str, path: str) -> tuple[str, list[Segment]]:
    """A text file's text and segments; a file that cannot be read or extracted is a usage error naming it."""
    from mediactl.check.extract import extract_source, format_of, read_source  # lazy: as variant_segments

    try:
        fmt = format_of(path, shown)
        text = read_source(path, shown)
        return text, extract_source(text, shown, fmt)
    except ValueError as exc:  # the message already names the file
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"{shown}: cannot read: {exc.strerror}") from None


def _is_picture(path: str) -> bool:
    """An image or video file of an ad hoc check, read by OCR (and never as text)."""
    from mediactl.check.ocr import is_picture  # lazy: start-up, a check of text files never needs it

    return is_picture(path)


def _start_pictures(named: list[tuple[str, str]], config: Settings | None, ocr: bool) -> list[tuple[str, str, Any]]:
    """(shown, kind, future) of each image or video file, its reading started; none when OCR is off."""
    reader, _ = ocr_reader(config, ocr) if named else (None, "off")
    if reader is None:
        return []
    from mediactl.check.ocr import VIDEO_SUFFIXES  # lazy: start-up

    started = []
    for shown, path in named:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise UsageError(f"{shown}: cannot read: {exc.strerror}") from None
        video = Path(path).suffix.lower() in VIDEO_SUFFIXES
        started.append(
            (shown, "video" if video else "image", (reader.submit_video if video else reader.submit)(data, shown))
        )
    return started


def _picture_findings(reading: list[tuple[str, str, Any]], engine: Engine, profile: Profile) -> list[Finding]:
    """The findings in the words read inside ad hoc images and videos, each given its box (and a frame its time)."""
    from mediactl.check.ocr import Picture, frame_pictures, placed, segments_of  # lazy: start-up

    pictures: list[Picture] = []
    for shown, kind, future in reading:
        name = Path(shown).stem
        if kind == "video":
            pictures += frame_pictures(shown, f"video.{name}.ocr", future.result())
        else:
            pictures.append(Picture(shown, f"image.{name}.ocr", future.result()))
    return placed(engine.check(segments_of(pictures), profile), pictures)


def _placeholder_patterns(config: Settings | None) -> tuple[str, ...] | None:
    """The project's `check.placeholders` (None: the defaults, also for a check outside any project)."""
    if config is None:
        return None
    return config.check.placeholders if hasattr(config, "check") else config.placeholders


def blocker_findings(config: Config, library: Library, slugs: list[str]) -> list[Finding]:
    """The blockers in the items' own text and in their variants as rendered now, no verdict written: approve
    refuses on them (a blocker is never fit to publish), and only `check` records what the publish gate trusts.

    The words inside the variants' pictures too, as check reads them (unless OCR is off or unavailable): a person
    must not sign a poster whose pixels break a blocker rule, and the gate stops it only where check read them.
    Readings are cached by image hash, so after `check` this costs milliseconds an image."""
    from mediactl.render.plan import plan_variants  # lazy: start-up, as check_project
    from mediactl.render.verify import verify  # lazy: as above

    _, engine = prepared(config, config.state_path)
    reader, _ = ocr_reader(config, True)
    found: list[Finding] = []
    planned, _ = plan_variants(library, config, slugs, None)
    for item in library.select(slugs):
        allowances, _ = _allowances(item)
        segments = _item_segments(item, config.root)
        source = engine.check(segments, Profile(platform="", channel="", products=item.products, kind=item.kind))
        found += _context(placeholders.find(segments, config.check.placeholders), item.slug, "")
        found += _context(suppress.apply(source, allowances, source_file=item.file), item.slug, "")
        for variant in (p for p in planned if p.item.slug == item.slug):
            verified = verify(config.build_path / variant.channel.name / item.slug, config.root)
            if verified is not None:
                found += _variant_findings(config, engine, variant, verified, allowances, reader)
    return [f for f in found if f.severity == "blocker" and not f.suppressed]


def changed_items(config: Config, library: Library, ref: str) -> list[str]:
    """Slugs of items with a file changed against git `ref` (all items if templates, config or rules changed)."""
    top = _git_prefix(config.root, ref)
    try:
        diff = _git(config.root, "diff", "--name-only", ref, "--").stdout.splitlines()
        untracked = _git(config.root, "ls-files", "--others", "--exclude-standard").stdout.splitlines()
    except subprocess.CalledProcessError as exc:
        raise UsageError(f"--changed {ref}: git could not compare: {exc.stderr.strip()}") from None
    changed = [name[len(top) :] if top and name.startswith(top) else name for name in (*diff, *untracked)]
    project_wide = (config.project.templates_dir + "/", "compliance/", "mediactl.yaml")
    if any(name.startswith(project_wide) for name in changed):
        return sorted(library.items)
    folders = {item.file.rsplit("/", 1)[0] + "/": slug for slug, item in library.items.items()}
    return sorted({slug for name in changed for folder, slug in folders.items() if name.startswith(folder)})


def _git_prefix(root: Path, ref: str) -> str:
    """The project's folder inside its git work tree, once `ref` is known to name a commit there.

    Asked before comparing, because `git diff` outside a repository falls back to comparing two paths and
    answers a bad ref with pages of its own usage text: each case here is one sentence saying what to do.
    """
    try:
        prefix = _git(root, "rev-parse", "--show-prefix").stdout.strip()
    except OSError as exc:
        raise UsageError(
            f"--changed {ref}: git cannot be run ({exc.strerror}); install git, or check without --changed"
        ) from None
    except subprocess.CalledProcessError:
        raise UsageError(
            f"--changed {ref}: the project {root} is not in a git repository, so there is nothing to compare "
            "against; check without --changed, or run it in a clone of the content repository"
        ) from None
    unknown = (
        ref.startswith("-")
        or _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False).returncode
    )
    if unknown:
        raise UsageError(
            f"--changed {ref}: git knows no commit '{ref}' in this repository (give a branch, tag or commit that "
            "exists here; in CI, fetch it first, e.g. `git fetch origin main`, or the first commit is not made yet)"
        )
    return prefix


def _git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=check)
