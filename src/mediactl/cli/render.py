"""`mediactl render`: a variant of every item for every target channel."""

from typing import Annotated, Any

import typer

from mediactl.cli.base import STATE
from mediactl.core import console
from mediactl.core.errors import FindingsError


def render_cmd(
    slugs: Annotated[list[str] | None, typer.Argument(help="Items to render (default: all).")] = None,
    channel: Annotated[str | None, typer.Option("--channel", "-c", help="Only this channel.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Re-render even variants whose inputs are unchanged.")] = False,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", help="Parallel workers (default: render.jobs, 0 = CPU count).")
    ] = -1,
    json_output: Annotated[bool, typer.Option("--json", help="Print a JSON summary for CI.")] = False,
) -> None:
    """Render each item for each of its channels into build/CHANNEL/SLUG/: texts, images and manifest.json.

    Only variants whose inputs changed are rendered (item files, templates, layouts, platform facts, channel config); --force renders all. A variant that breaks a platform limit or a template fails alone, with the file, field and limit; the others still render, and the exit code is 1.

    Examples:

      $ mediactl render

      $ mediactl render anti-fraud-2026 --channel bank-weibo

      $ mediactl render --force --jobs 4 --json
    """
    from mediactl.render.runner import render  # lazy: start-up

    config = STATE.config()
    library = STATE.library()
    workers = config.render.jobs if jobs < 0 else jobs
    bar = console.progress("rendering", enabled=not json_output)
    with bar as (advance, set_total):  # and a bar per video encode under way, by ffmpeg's own progress
        summary = render(config, library, slugs or None, channel, force=force, jobs=workers, progress=advance,
                         on_total=set_total, on_encode=bar.part if bar.enabled else None)  # fmt: skip
    if json_output:
        console.emit_json(_as_json(summary))
    else:
        _print_summary(summary)
    if summary.failed:
        raise FindingsError(f"{len(summary.failed)} variant(s) failed to render; the others were written.")


def _as_json(summary: Any) -> dict[str, Any]:
    return {
        "rendered": summary.count("rendered"),
        "unchanged": summary.count("unchanged"),
        "failed": summary.count("failed"),
        "variants": [
            {
                "item": r.item,
                "channel": r.channel,
                "status": r.status,
                "path": r.path or None,
                "content_hash": r.content_hash or None,
                "error": r.error or None,
                "warnings": list(r.warnings),
            }
            for r in summary.results
        ],
    }


def _print_summary(summary: Any) -> None:
    for result in summary.results:
        for warning in result.warnings:
            console.warning(f"{result.channel}/{result.item}: {warning}")
    for result in summary.failed:
        console.error_line(f"{result.channel}/{result.item}: {result.error}")
    rendered, unchanged, failed = (summary.count(s) for s in ("rendered", "unchanged", "failed"))
    console.info(f"{rendered} rendered, {unchanged} unchanged, {failed} failed")
