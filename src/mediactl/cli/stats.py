"""`stats pull`, `stats` and `stats chart`: numbers back from the channels, tabled and drawn."""

import csv
import io
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from mediactl.cli.base import STATE
from mediactl.cli.publish import _per_job
from mediactl.core import console
from mediactl.core.errors import UsageError
from mediactl.core.times import moment


def stats_pull_cmd(
    slugs: Annotated[list[str] | None, typer.Argument(help="Items to ask about (default: every sent post).")] = None,
    channel: Annotated[str | None, typer.Option("--channel", "-c", help="Only this channel (default: all).")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print what was found per post as JSON.")] = False,
) -> None:
    """Ask every sent post's platform for its numbers once and keep them as a snapshot in the state store.

    Per post: the numbers kept, no numbers yet, the platform cannot be asked (hand-offs, outbox, webhooks,
    websites), the post is gone, or asking failed (nothing kept: try again). One stats.pulled audit record
    per run. Exit code 1 when asking failed for any post.

    Examples:

      $ mediactl stats pull

      $ mediactl stats pull anti-fraud-2026 --channel bank-weibo --json
    """
    from mediactl.pipeline import pull_stats  # lazy: start-up

    pulled = pull_stats(STATE.config(), list(slugs or []), channel)
    _per_job(pulled, json_output, lambda entry: entry.found)


def stats_cmd(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option("--since", help="Only growth since a date (2027-02-01) or a span back (12h, 7d, 2w).")
    ] = None,
    by: Annotated[str, typer.Option("--by", help="Group by channel, item, campaign or audience.")] = "channel",
    json_output: Annotated[bool, typer.Option("--json", help="Print the table as JSON.")] = False,
    csv_output: Annotated[bool, typer.Option("--csv", help="Print the table as CSV (UTF-8).")] = False,
) -> None:
    """Table the latest numbers of every post, summed per channel, item, campaign or audience; largest total first, then by name.

    With --since, each post counts what it gained since its first snapshot in the window. Numbers come
    from `mediactl stats pull`; campaign and audience from each item's front matter and its job.

    Examples:

      $ mediactl stats

      $ mediactl stats --since 7d --by campaign

      $ mediactl stats --by audience --csv > numbers.csv
    """
    if ctx.invoked_subcommand is not None:
        return
    if json_output and csv_output:
        raise UsageError("--json and --csv are two outputs of the same table: choose one")
    found = _report(since, by)
    if json_output:
        console.emit_json({"by": found.by, "since": moment(found.since), "counters": list(found.counters),
                           "rows": [row.to_dict(found.by) for row in found.rows]})  # fmt: skip
    elif csv_output:
        typer.echo(_csv(found), nl=False)
    elif not found.rows:
        console.info("no numbers yet: run `mediactl stats pull` after publishing")
    else:
        console.out.print(_table(found))


def stats_chart_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="The picture to write: FILE.png or FILE.svg.")],
    since: Annotated[str | None, typer.Option("--since", help="From a date (2027-02-01) or a span back (7d).")] = None,
    metric: Annotated[
        str, typer.Option("--metric", help="The counter drawn (reads, plays, views, likes …).")
    ] = "reads",
    width: Annotated[int, typer.Option("--width", help="Width in pixels.")] = 1600,
    height: Annotated[int, typer.Option("--height", help="Height in pixels.")] = 900,
) -> None:
    """Draw the trend of a counter per channel over time and the top items, with Chinese labels.

    Examples:

      $ mediactl stats chart --out numbers.png

      $ mediactl stats chart --out numbers.svg --since 30d --metric likes
    """
    from mediactl.publish import chart, metricstore  # lazy: start-up (matplotlib is imported when drawing)

    config = STATE.config()
    library = STATE.library()
    start = _since(since)
    with _store(config) as store:
        snapshots = metricstore.snapshots(store, since=start)
    titles = {slug: item.title for slug, item in library.items.items()}
    drawn = chart.draw(snapshots, metric, out, titles=titles, size=(width, height), title=config.project.name)
    console.success(f"wrote {out} ({drawn} posts)")


def _since(since: str | None) -> float | None:
    if since is None:
        return None
    from mediactl.publish.stats import parse_since  # lazy: start-up

    return parse_since(since, time.time(), STATE.config().project.tz)


def _report(since: str | None, by: str) -> Any:
    from mediactl.publish import stats  # lazy: start-up

    if by not in stats.GROUPS:
        raise UsageError(f"--by {by!r}: group by one of {', '.join(stats.GROUPS)}")
    start = _since(since)
    library = STATE.library()
    with _store(STATE.config()) as store:
        return stats.report(store, library, by=by, since=start)


class _store:
    """The project's store for reading numbers; a project that never published has none (and gets no new one)."""

    def __init__(self, config: Any) -> None:
        self.config = config
        self.store: Any = None

    def __enter__(self) -> Any:
        from mediactl.publish.store import open_store, store_exists  # lazy: start-up

        if not store_exists(self.config):
            raise UsageError("no state store yet: publish, then run `mediactl stats pull`")
        self.store = open_store(self.config)
        return self.store

    def __exit__(self, *exc: object) -> None:
        self.store.close()


def _table(found: Any) -> Any:
    from rich.table import Table  # lazy: start-up

    window = "" if found.since is None else " (growth in the window)"
    table = Table(title=f"numbers by {found.by}{window}", title_justify="left")
    table.add_column(found.by)
    table.add_column("posts", justify="right")
    for name in found.counters:
        table.add_column(name, justify="right")
    rated = _rated(found)
    if rated:
        table.add_column("click-through", justify="right")
    for row in found.rows:
        rate = [] if not rated else ["" if row.click_through is None else f"{row.click_through:.1%}"]
        table.add_row(row.group, str(row.posts), *(f"{row.counters.get(name, 0):,}" for name in found.counters), *rate)
    return table


def _rated(found: Any) -> bool:
    """Whether any group has a click-through (clicks and delivered): only then is the column shown."""
    return any(row.click_through is not None for row in found.rows)


def _csv(found: Any) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    rated = _rated(found)
    writer.writerow([found.by, "posts", *found.counters, *(["click_through"] if rated else [])])
    for row in found.rows:
        rate = [] if not rated else ["" if row.click_through is None else round(row.click_through, 4)]
        writer.writerow([row.group, row.posts, *(row.counters.get(name, 0) for name in found.counters), *rate])
    return buffer.getvalue()
