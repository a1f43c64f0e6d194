"""`state rebuild`, `state accept-loss`: what an operator does when the state store was lost or damaged;
`state migrate`, `state export`, `state import`: its schema, and moving it (SQLite to PostgreSQL)."""

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from mediactl.cli.base import STATE
from mediactl.core import console


def state_rebuild_cmd(
    json_output: Annotated[bool, typer.Option("--json", help="Print what was rebuilt, as JSON.")] = False,
) -> None:
    """Rebuild the state store from the audit log (and the outbox receipts) after it was lost, damaged or replaced.

    Jobs come back with the outcome the log holds: what was sent stays sent and is never sent again; a job whose time had come but whose outcome the log does not hold is reconciled by the next `publish --due` (the platform's status, the outbox receipt) or marked unknown for a person. Pause switches come back as the log last left them; approvals need no rebuilding (they are signed files in the repository, approvals/). A damaged store file is kept aside as queue.sqlite3.damaged-TIME. Recorded in the audit log.

    Examples:

      $ mediactl state rebuild

      $ mediactl doctor && mediactl state rebuild
    """
    from mediactl.publish import recovery  # lazy: start-up
    from mediactl.publish.runner import QUEUE_FILE, Publisher  # lazy: start-up

    config = STATE.config()
    kept = recovery.keep_damaged_aside(config.state_path / QUEUE_FILE) if config.project.state_url is None else None
    publisher = Publisher(config, command="state rebuild")
    name = publisher.store.name
    try:
        done = recovery.rebuild(publisher, kept_aside=kept)
    finally:
        publisher.close()
    if json_output:
        console.emit_json({"rebuilt": False, "store": name} if done is None
                          else {"rebuilt": True, "store": name, **asdict(done)})  # fmt: skip
        return
    if done is None:
        console.success("the state store is whole and holds everything the audit log records: nothing to rebuild")
        return
    if done.kept_aside:
        console.info(f"the damaged store was kept aside as {done.kept_aside}")
    states = ", ".join(f"{count} {state}" for state, count in sorted(done.jobs.items()))
    console.success(
        f"rebuilt {name} from the audit log: {sum(done.jobs.values())} job(s)"
        + (f" ({states})" if states else "")
        + f"; paused: {', '.join(done.paused) or 'nothing'}"
        + (f"; {done.from_receipts} job(s) from outbox receipts" if done.from_receipts else "")
        + (f"; {done.late_records} late audit record(s) written" if done.late_records else "")
    )
    if done.jobs.get("sending"):
        console.info(
            f"{done.jobs['sending']} job(s) may have gone out before the loss: the next publish --due reconciles them"
        )


def state_accept_loss_cmd(
    reason: Annotated[str, typer.Option("--reason", help="Why the loss is accepted (kept in the audit log).")],
    json_output: Annotated[bool, typer.Option("--json", help="Print the differences accepted, as JSON.")] = False,
) -> None:
    """Go on without what the state store lost, on the record: for when it cannot be rebuilt (the audit log is lost or damaged too).

    Every difference between the store and the audit log (and the outbox receipts) is written into the audit log with the reason and your name; checking starts again after that record. Job numbers in the log are never handed out again. Prefer `mediactl state rebuild` wherever the log is whole.

    Examples:

      $ mediactl state accept-loss --reason "存储盘故障，已与平台后台核对，无待发内容"
    """
    from mediactl.publish import recovery  # lazy: start-up
    from mediactl.publish.runner import QUEUE_FILE, Publisher  # lazy: start-up

    config = STATE.config()
    local = config.project.state_url is None  # a server's database is not a file to keep aside
    kept = recovery.keep_damaged_aside(config.state_path / QUEUE_FILE) if reason.strip() and local else None
    publisher = Publisher(config, command="state accept-loss")
    try:
        lost = recovery.accept_loss(publisher, reason, kept_aside=kept)
    finally:
        publisher.close()
    if json_output:
        console.emit_json({"lost": [str(difference) for difference in lost]})
        return
    console.lines([f"  - {difference}" for difference in lost])
    console.success(f"accepted {len(lost)} difference(s) as lost, on the record; publishing may go on")


def state_migrate_cmd(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List the steps that would run; change nothing.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the version and the steps, as JSON.")] = False,
) -> None:
    """Bring the state store's schema up to this mediactl's version.

    A shared PostgreSQL store is migrated by this command only, once, from any host: the steps run in one transaction that holds every other writer off. An embedded SQLite store is upgraded whenever it is opened; here it is only reported. A store newer than this mediactl is refused: upgrade mediactl instead.

    Examples:

      $ mediactl state migrate --dry-run

      $ mediactl state migrate
    """
    from mediactl.publish import schema  # lazy: start-up
    from mediactl.publish.store import open_store  # lazy: start-up

    store = open_store(STATE.config(), check_schema=False)
    try:
        found, steps = schema.migrate(store.database, dry_run=dry_run)
    finally:
        store.close()
    if json_output:
        console.emit_json({"store": store.name, "version": found, "dry_run": dry_run,
                           "steps": [{"version": step.version, "description": step.description} for step in steps]})  # fmt: skip
        return
    for step in steps:
        console.info(f"{'would apply' if dry_run else 'applied'} version {step.version}: {step.description}")
    if not steps:
        console.success(f"{store.name}: the schema is up to date (version {found})")
    elif dry_run:
        console.success(f"{store.name}: at version {found}; {len(steps)} step(s) to run: nothing was changed")
    else:
        console.success(f"{store.name}: migrated from version {found} to {steps[-1].version}")


def state_export_cmd(
    file: Annotated[Path, typer.Argument(help="The file to write (JSON lines; it holds the queue: keep it private).")],
    json_output: Annotated[bool, typer.Option("--json", help="Print what was exported, as JSON.")] = False,
) -> None:
    """Write the state store's rows (jobs, pause switches, approvals, sealed tokens, bookkeeping), its audit log and its vault's blobs to a portable file.

    For moving a team from the embedded SQLite store to PostgreSQL: export here, point project.state at the new database, `mediactl state migrate`, then `mediactl state import FILE`. Stop cron first, so nothing is published between the two.

    Examples:

      $ mediactl state export state.jsonl
    """
    from mediactl.publish import backends, transfer  # lazy: start-up
    from mediactl.publish.store import open_store  # lazy: start-up

    config = STATE.config()
    store = open_store(config)
    try:
        moved = transfer.export(store, file, log=backends.audit_log(config, store), vault=backends.vault(config, store))
    finally:
        store.close()
    if json_output:
        console.emit_json({"store": store.name, "file": str(file), "counted": _counted_json(moved.counted())})
        return
    console.success(f"exported {_counted(moved.counted())} from {store.name} to {file}")


def state_import_cmd(
    file: Annotated[Path, typer.Argument(help="A file written by `mediactl state export`.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print what was imported, as JSON.")] = False,
) -> None:
    """Import an export into this project's state store, which must be empty; job numbers and idempotency keys are kept.

    A store or audit log that holds anything is refused (merging two queues could send a post twice), as is a file cut short or exported at another schema version. The audit log comes across record for record, its chain checked (with MEDIACTL_AUDIT_KEY when it is keyed), followed by a `state.imported` record; every blob is re-hashed. All rows and records or none are written.

    Examples:

      $ mediactl state import state.jsonl

      $ mediactl state migrate && mediactl state import state.jsonl && mediactl doctor
    """
    from mediactl.core.identity import current_user  # lazy: start-up
    from mediactl.publish import audit, backends, transfer  # lazy: start-up
    from mediactl.publish.store import open_store  # lazy: start-up

    config = STATE.config()
    audit.use_project_key(config)  # the imported chain is checked, and the import's own record keyed, with it
    store = open_store(config)
    log = backends.audit_log(config, store)
    try:
        moved = transfer.import_into(store, file, log=log, vault=backends.vault(config, store), actor=current_user())
    finally:
        store.close()
        log.close()
    if json_output:
        console.emit_json({"store": store.name, "file": str(file), "counted": _counted_json(moved.counted())})
        return
    console.success(f"imported {_counted(moved.counted())} into {store.name}")


def _counted_json(counts: dict[str, int]) -> list[dict[str, Any]]:
    """As a list of {what, count}: a key named `tokens` would be taken for a secret, and its count redacted."""
    return [{"what": name, "count": count} for name, count in counts.items()]


def _counted(counts: dict[str, int]) -> str:
    return ", ".join(f"{count} {name}" for name, count in counts.items())
