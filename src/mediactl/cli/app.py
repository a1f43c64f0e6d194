"""The `mediactl` command: a root group with global options and one line per command.

Commands are thin: each parses options, calls one library function, prints its
result. Modules are imported inside the commands so that start-up stays fast.
The CLI modules do without `from __future__ import annotations`: typer reads every
command's annotations at every start, and as strings it compiles and evaluates each
one (~17 ms of each run of mediactl).
"""

from pathlib import Path
from typing import Annotated

import typer

from mediactl import __version__
from mediactl.cli import auth, check, doctor, items, plan, preview, project, publish, render, run, state, stats
from mediactl.cli.base import STATE, MediactlGroup, leave

app = typer.Typer(
    cls=MediactlGroup,
    name="mediactl",
    help="Content operations for a regulated new-media team: new → render → check → publish.",
    no_args_is_help=True,
    add_completion=True,  # `mediactl --install-completion` for bash, zsh, fish, PowerShell
    pretty_exceptions_show_locals=False,
    rich_markup_mode="rich",
)
config_app = typer.Typer(help="Inspect and validate mediactl.yaml.", no_args_is_help=True)
queue_app = typer.Typer(help="The delivery queue: list, inspect, cancel, retry, resolve, sync.", no_args_is_help=True)
log_app = typer.Typer(help="The audit trail and its integrity.")
rules_app = typer.Typer(help="The compliance rules in force and their self-tests.", no_args_is_help=True)
plan_app = typer.Typer(help="Planning around the calendar: what the month leaves unused.", no_args_is_help=True)
stats_app = typer.Typer(help="Numbers back from the channels: pull them, table them, chart them.")
state_app = typer.Typer(help="The state store: rebuild, accept-loss (after a loss); migrate, export, import.",
                        no_args_is_help=True)  # fmt: skip


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mediactl {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    project_dir: Annotated[
        Path | None,
        typer.Option(
            "--project",
            "-C",
            help="Project folder (default: nearest folder with mediactl.yaml).",
            envvar="MEDIACTL_PROJECT",
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """mediactl: one original-content library, one variant per channel, every word checked."""
    STATE.project = project_dir
    STATE.debug = debug
    STATE._config = None


app.command("init")(project.init_cmd)
app.command("new")(items.new_cmd)
app.command("ls")(items.ls_cmd)
app.command("show")(items.show_cmd)
app.command("render")(render.render_cmd)
app.command("check")(check.check_cmd)
app.command("preview")(preview.preview_cmd)
app.command("review")(publish.review_cmd)
app.command("approve")(publish.approve_cmd)
app.command("publish")(publish.publish_cmd)
app.command("run")(run.run_cmd)
app.command("recall")(publish.recall_cmd)
app.command("drift")(publish.drift_cmd)
app.command("auth")(auth.auth_cmd)
app.command("pause")(publish.pause_cmd)
app.command("resume")(publish.resume_cmd)
app.command("doctor")(doctor.doctor_cmd)
app.command("sandbox")(doctor.sandbox_cmd)
app.command("calendar")(plan.calendar_cmd)
plan_app.command("suggest")(plan.plan_suggest_cmd)
app.add_typer(plan_app, name="plan")
config_app.command("validate")(project.validate_cmd)
app.add_typer(config_app, name="config")
rules_app.command("ls")(check.rules_ls_cmd)
rules_app.command("test")(check.rules_test_cmd)
app.add_typer(rules_app, name="rules")
for name, command in (("ls", publish.queue_ls_cmd), ("show", publish.queue_show_cmd), ("cancel", publish.queue_cancel_cmd),
                      ("retry", publish.queue_retry_cmd), ("resolve", publish.queue_resolve_cmd),
                      ("sync", publish.queue_sync_cmd)):  # fmt: skip
    queue_app.command(name)(command)
app.add_typer(queue_app, name="queue")
log_app.callback(invoke_without_command=True)(publish.log_cmd)
log_app.command("verify")(publish.log_verify_cmd)
log_app.command("anchor")(publish.log_anchor_cmd)
app.add_typer(log_app, name="log")
state_app.command("rebuild")(state.state_rebuild_cmd)
state_app.command("accept-loss")(state.state_accept_loss_cmd)
state_app.command("migrate")(state.state_migrate_cmd)
state_app.command("export")(state.state_export_cmd)
state_app.command("import")(state.state_import_cmd)
app.add_typer(state_app, name="state")
stats_app.callback(invoke_without_command=True)(stats.stats_cmd)
stats_app.command("pull")(stats.stats_pull_cmd)
stats_app.command("chart")(stats.stats_chart_cmd)
app.add_typer(stats_app, name="stats")


def main() -> None:
    app(prog_name="mediactl")


def script() -> None:
    """The console script (and `python -m mediactl`): `main`, then out of the process without tearing the
    interpreter down (cli/base.py `leave`). Code that calls `main` itself gets its SystemExit as before."""
    try:
        main()
    except SystemExit as done:
        leave(done)
