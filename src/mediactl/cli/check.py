"""`mediactl check`, `mediactl rules ls` and `mediactl rules test`."""

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from mediactl.cli.base import STATE
from mediactl.core import console
from mediactl.core.errors import FindingsError, NotFoundError, UsageError


def check_cmd(
    targets: Annotated[
        list[str] | None, typer.Argument(help="Item slugs, or files to check ad hoc (default: every item).")
    ] = None,
    channel: Annotated[str | None, typer.Option("--channel", "-c", help="Only this channel's variants.")] = None,
    platform: Annotated[
        str | None, typer.Option("--platform", "-p", help="Ad hoc files: check as if for this platform.")
    ] = None,
    product: Annotated[
        list[str] | None, typer.Option("--product", help="Ad hoc files: products the text promotes (repeatable).")
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="text, json, sarif, github, codeclimate or line.")
    ] = "text",
    fail_on: Annotated[
        str, typer.Option("--fail-on", help="Lowest severity that fails: info, warning, error, blocker.")
    ] = "error",
    changed: Annotated[
        str | None, typer.Option("--changed", help="Only items changed against this git ref (e.g. origin/main).")
    ] = None,
    no_render: Annotated[
        bool, typer.Option("--no-render", help="Check the variants in build/ as they are, without rendering first.")
    ] = False,
    no_ocr: Annotated[
        bool,
        typer.Option("--no-ocr", help="Do not read the words inside images and video frames (the report says so)."),
    ] = False,
) -> None:
    """Check every word the audience will see against the compliance rule packs.

    Items are rendered first (incrementally), then each item's own text and every variant (titles, bodies, captions, hashtags, text on images, link targets) is checked. A report per variant, bound to its content hash, is written for the publish gate. The words inside images and video frames are read by OCR and checked the same way (each finding names the picture, the box and a frame's time), unless --no-ocr or compliance.ocr: false. Files given as paths are checked ad hoc (Markdown, HTML, text, SRT/VTT, YAML/JSON, PNG/JPEG/WebP images, MP4 videos) in any repository. The text format lists findings by item (or file), most severe first, then by place (file, line, column). Exit code 0 when nothing at or above --fail-on was found, 1 otherwise, 2 on usage or rule-pack errors.

    Examples:

      $ mediactl check

      $ mediactl check wealth-steady-plus --format line

      $ mediactl check --changed origin/main --format github

      $ mediactl check --format codeclimate > gl-code-quality-report.json

      $ mediactl check docs/ad.md subtitles.srt --platform douyin --product 理财 --format sarif
    """
    from mediactl.check import report as formats  # lazy: start-up
    from mediactl.check.output import Output  # lazy: start-up
    from mediactl.check.rules import SEVERITIES  # lazy: start-up

    if output_format not in formats.FORMATS:
        raise UsageError(f"unknown format '{output_format}' (one of: {', '.join(formats.FORMATS)})")
    if fail_on not in SEVERITIES:
        raise UsageError(f"unknown severity '{fail_on}' for --fail-on (one of: {', '.join(SEVERITIES)})")
    files = _expand([Path(t) for t in targets or [] if Path(t).exists() and (Path(t).is_dir() or Path(t).suffix)])
    with Output(output_format, fail_on, stream=sys.stdout) as output:
        result, rules = _run(
            targets or [],
            files,
            channel,
            platform,
            tuple(product or ()) or None,
            output,
            changed,
            no_render,
            not no_ocr,
        )
        _emit(output, result, rules)
    if output.tally.failing or result.not_checked:
        raise FindingsError(
            f"{output.tally.failing} finding(s) at or above {fail_on}"
            + (f"; {len(result.not_checked)} variant(s) could not be checked" if result.not_checked else "")
        )


def _run(targets: list[str], files: list[str], channel: str | None, platform: str | None, products: Any,
         output: Any, changed: str | None, no_render: bool, ocr: bool = True) -> tuple[Any, dict[str, Any]]:  # fmt: skip
    """Check the files (ad hoc) or the project's items into `output`."""
    from mediactl.check.findings import SORT_KEY  # lazy: start-up
    from mediactl.check.runner import CheckResult, changed_items, check_files, ruleset_for  # lazy: start-up

    if files:
        named = [t for t in targets if Path(t).exists()]
        if len(named) != len(targets):
            missing = [t for t in targets if t not in named]
            raise UsageError(f"cannot mix item slugs and files, or file not found: {', '.join(missing)}")
        config = _optional_config()
        mode = check_files(files, platform=platform, products=products, config=config, output=output, ocr=ocr)
        return CheckResult(ocr=mode), ruleset_for(config).by_id()
    from mediactl import pipeline  # lazy: start-up, an ad hoc check does not pay for the project stages

    config = STATE.config()
    library = STATE.library()
    slugs = targets or None
    if changed:
        slugs = changed_items(config, library, changed)
        if not slugs:
            console.info(f"no item changed against {changed}")
    result = pipeline.check(
        config, library, slugs, channel, fail_on=output.fail_on, render_first=not no_render, ocr=ocr
    )
    output.add(sorted(result.findings, key=SORT_KEY))
    return result, ruleset_for(config).by_id()


def _expand(paths: list[Path]) -> list[str]:
    """Folders are checked recursively: every file whose format the extractor knows.

    Plain strings, not Path objects: a folder of thousands of files is listed in a few milliseconds
    (os.walk gives each entry's type with the listing; Path.rglob + is_file stats every file).
    """
    from mediactl.check.extract import FORMATS, suffix_of  # lazy: start-up
    from mediactl.check.ocr import IMAGE_SUFFIXES, VIDEO_SUFFIXES  # lazy: start-up (the engine loads on first use)

    known = {*FORMATS, *IMAGE_SUFFIXES, *VIDEO_SUFFIXES}
    out: list[str] = []
    for path in paths:
        if path.is_dir():
            found = []
            for folder, _, names in os.walk(path):
                found += [os.path.join(folder, n) for n in names if suffix_of(n).lower() in known]
            out.extend(sorted(found))
        else:
            out.append(os.fspath(path))
    return out


def _optional_config() -> Any:
    """Ad hoc checks work outside a content repository too (built-in packs only); inside one they need
    only its check settings, which are cached while mediactl.yaml is unchanged."""
    root = STATE.project_root()
    if root is None:  # built-in packs only, and the config stack (YAML) is never imported
        return None
    from mediactl.check.runner import check_settings  # lazy: start-up

    try:
        return check_settings(root, STATE.config)
    except NotFoundError:
        return None


def _emit(output: Any, result: Any, rules: dict[str, Any]) -> None:
    from mediactl.check import report as formats  # lazy: start-up

    notices = ocr_notices(result.ocr)
    if output.streamed:
        extra = {"variants": len(result.variants), "not_rendered": result.not_checked, "ocr": result.ocr}
        output.write(sys.stdout, {**extra, "notices": notices} if notices else extra)
        if output.fmt != "json":
            for notice in notices:
                console.warning(notice)
    elif output.fmt == "sarif":
        console.emit_json(formats.sarif_document(output.findings, rules, notices))
    elif output.fmt == "codeclimate":
        from mediactl.check import codeclimate  # lazy: start-up

        console.emit_json(codeclimate.document(output.findings))
    else:
        formats.render_text(output.findings, console.out)
        from rich.text import Text  # lazy: start-up, as render_text

        for notice in notices:  # in the report itself: a reader of the saved report must see it
            console.out.print(Text(f"warning: {notice}", style="yellow"))
        for entry in result.not_checked:
            console.error_line(f"not checked: {entry}")
        console.info(
            f"{output.tally.findings} finding(s), {output.tally.suppressed} allowed, "
            f"{len(result.variants)} variant(s) checked"
        )
    if output.fmt == "codeclimate":
        for notice in notices:
            console.warning(notice)


def ocr_notices(mode: str) -> list[str]:
    """What the report says when the words inside pictures were not read: findings there would be missing."""
    if mode == "off":
        return ["images and video frames were not read (--no-ocr, or compliance.ocr: false): words inside "
                "pictures are not checked"]  # fmt: skip
    if mode == "unavailable":
        from mediactl.check.ocr import unavailable  # lazy: start-up; cached, says why

        return [f"images and video frames were not read: {unavailable()}; words inside pictures are not checked"]
    return []


def rules_ls_cmd(
    json_output: Annotated[bool, typer.Option("--json", help="Print the rules as JSON.")] = False,
) -> None:
    """List the rules in force: built-in packs, the repository's compliance/ packs, after config disable/severity; sorted by id.

    Examples:

      $ mediactl rules ls

      $ mediactl rules ls --json
    """
    from mediactl.check.runner import ruleset_for  # lazy: start-up

    ruleset = ruleset_for(_optional_config())
    in_order = sorted(ruleset.rules, key=lambda rule: (rule.id, rule.source))  # a stable order, for diffs
    rows = [
        {"id": r.id, "kind": r.kind, "severity": r.severity, "message": r.message, "source": r.source,
         "pack": r.pack_file, "terms": len(r.terms) + len(r.trigger), "when": {k: list(v) for k, v in r.when.items()}}
        for r in in_order
    ]  # fmt: skip
    if json_output:
        console.emit_json(rows)
        return
    from rich.table import Table  # lazy: start-up
    from rich.text import Text  # lazy: start-up

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("id", "kind", "severity", "source"):
        table.add_column(column, overflow="fold")
    for r in in_order:
        table.add_row(Text(r.id), Text(r.kind), Text(r.severity), Text(r.source))
    console.out.print(table)
    console.info(f"{len(rows)} rules from {len(ruleset.files)} pack(s)")


def rules_test_cmd(
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Run every rule's self-tests (examples that must and must not match); exit 1 if any fails.

    Examples:

      $ mediactl rules test

      $ mediactl rules test --json
    """
    from mediactl.check.engine import self_test  # lazy: start-up
    from mediactl.check.runner import ruleset_for  # lazy: start-up

    ruleset = ruleset_for(_optional_config())
    problems = self_test(ruleset)
    examples = sum(len(r.match_examples) + len(r.no_match_examples) for r in ruleset.rules)
    if json_output:
        console.emit_json({"rules": len(ruleset.rules), "examples": examples, "failed": [str(p) for p in problems]})
    for problem in problems if not json_output else ():
        console.error_line(str(problem))
    if problems:
        raise FindingsError(f"{len(problems)} of {examples} rule examples failed")
    if not json_output:
        console.success(f"{examples} examples of {len(ruleset.rules)} rules pass")
