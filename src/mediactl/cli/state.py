"""`state rebuild`, `state accept-loss`: what an operator does when the state store was lost or damaged."""

from typing import Annotated

import typer

from mediactl.cli.base import STATE
from mediactl.core import console


def state_rebuild_cmd() -> None:
    """Rebuild the state store from the audit log (and the outbox receipts) after it was lost, damaged or replaced.

    Jobs come back with the outcome the log holds: what was sent stays sent and is never sent again; a job whose time had come but whose outcome the log does not hold is reconciled by the next `publish --due` (the platform's status, the outbox receipt) or marked unknown for a person. Pause switches and approvals come back as the log last left them. A damaged store file is kept aside as queue.sqlite3.damaged-TIME. Recorded in the audit log.

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
    if done is None:
        console.success("the state store is whole and holds everything the audit log records: nothing to rebuild")
        return
    if done.kept_aside:
        console.info(f"the damaged store was kept aside as {done.kept_aside}")
    states = ", ".join(f"{count} {state}" for state, count in sorted(done.jobs.items()))
    console.success(
        f"rebuilt {name} from the audit log: {sum(done.jobs.values())} job(s)"
        + (f" ({states})" if states else "")
        + f"; paused: {', '.join(done.paused) or 'nothing'}; {done.approvals} approval(s)"
        + (f"; {done.from_receipts} job(s) from outbox receipts" if done.from_receipts else "")
        + (f"; {done.late_records} late audit record(s) written" if done.late_records else "")
    )
    if done.jobs.get("sending"):
        console.info(
            f"{done.jobs['sending']} job(s) may have gone out before the loss: the next publish --due reconciles them"
        )


def state_accept_loss_cmd(
    reason: Annotated[str, typer.Option("--reason", help="Why the loss is accepted (kept in the audit log).")],
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
    console.lines([f"  - {difference}" for difference in lost])
    console.success(f"accepted {len(lost)} difference(s) as lost, on the record; publishing may go on")
