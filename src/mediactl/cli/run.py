"""`mediactl run`: the whole pipeline in one command, for cron and CI."""

import os
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from mediactl.cli.base import STATE
from mediactl.cli.check import ocr_notices
from mediactl.cli.publish import report_outcomes
from mediactl.core import console, filelock
from mediactl.core.errors import FindingsError

if TYPE_CHECKING:  # the pipeline is imported when the command runs, not when the CLI starts
    from mediactl.config.model import Config
    from mediactl.pipeline import RunReport

RUN_LOCK = "run.lock"  # in the state folder: held while a run of this project works, so runs never overlap


def run_cmd(
    channel: Annotated[str | None, typer.Option("--channel", "-c", help="Only this channel.")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Render and check, then show what would be queued and sent; send nothing.")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the run's summary as JSON.")] = False,
    no_ocr: Annotated[
        bool,
        typer.Option("--no-ocr", help="Do not read the words inside images and video frames (the report says so)."),
    ] = False,
) -> None:
    """Render what changed, check it, queue what is approved and due, deliver every due job.

    What cron runs every few minutes, and CI after a merge. A variant is queued when its item's status allows publishing, a person approved exactly its current bytes, and its schedule for the channel has come (or it has none); the gate still checks its report and the frequency caps (a cap defers it to the next free slot). Variants that wait (scheduled later, not approved as they are now) are listed, not failed. Exit code 1 when a variant fails to render, a finding fails the check, or a delivery is refused or fails; 2 on configuration errors.

    Examples:

      $ mediactl run

      $ mediactl run --channel bank-weibo --dry-run

      $ mediactl run --json
    """
    from mediactl import pipeline  # lazy: start-up
    from mediactl.config.transport import sandbox_url  # lazy: start-up
    from mediactl.render.runner import RenderDisplay  # lazy: start-up

    sandbox_url()  # a sandbox off this machine would receive every credential: refused before anything starts
    config = STATE.config()
    try:
        with filelock.held_or_refused(config.state_path / RUN_LOCK, _holder(config)):
            bar = console.progress("rendering", enabled=not json_output)
            with bar as (advance, set_total):  # as `mediactl render` shows it: the count and a bar per encode
                display = RenderDisplay(advance, set_total, bar.part if bar.enabled else None)
                report = pipeline.run(config, STATE.library(), channel=channel, dry_run=dry_run, display=display,
                                      ocr=not no_ocr)  # fmt: skip
    except filelock.Held as held:
        _overlapping(held.holder, json_output)
        return
    if json_output:
        console.emit_json(report.to_dict())
    else:
        _print(report, dry_run)
    if not report.ok:
        raise FindingsError("the run found problems (above); everything else went through")


def _holder(config: "Config") -> str:
    """Who holds the run lock, for the message of a run that finds it held."""
    import socket  # lazy: ~5 ms of every command's start-up (`check` too), for the one that takes the run lock

    started = datetime.now(config.project.tz).strftime("%Y-%m-%d %H:%M:%S")
    return f"pid {os.getpid()} on {socket.gethostname()}, since {started}"


def _overlapping(holder: str, json_output: bool) -> None:
    """Another run of this project is still going (cron every few minutes, a long video encode): this one does
    nothing and exits 0, since the next one picks up whatever it would have done; the queue is safe either way."""
    reason = f"another `mediactl run` of this project is in progress ({holder or 'its holder unknown'})"
    if json_output:
        console.emit_json({"ran": False, "reason": reason})
    else:
        console.info(f"{reason}: this run did nothing; the next one picks up what is due")


def _print(report: "RunReport", dry_run: bool) -> None:
    data = report.to_dict()
    rendered, checked = data["render"], data["check"]
    for line in rendered["failed"] + checked["not_checked"]:
        console.error_line(f"✗ {line}")
    console.info(f"render: {rendered['rendered']} rendered, {rendered['unchanged']} unchanged, "
                 f"{len(rendered['failed'])} failed")  # fmt: skip
    console.info(f"check: {checked['variants']} variant(s), {checked['findings']} finding(s), "
                 f"{checked['failing']} failing")  # fmt: skip
    for notice in ocr_notices(checked["ocr"]):  # as `mediactl check` says it: words inside pictures were not checked
        console.warning(f"check: {notice}")
    for wait in data["waiting"]:
        console.info(f"… {wait['channel']}/{wait['item']}: waiting — {wait['reason']}")
    report_outcomes(report.outcomes, False, dry_run=dry_run)
