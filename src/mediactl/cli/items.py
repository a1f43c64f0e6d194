"""`mediactl new`, `mediactl ls` and `mediactl show`: creating and looking at items."""

from typing import Annotated, Any

import typer

from mediactl.cli.base import STATE
from mediactl.core import console
from mediactl.core.controls import escape
from mediactl.core.errors import UsageError


def new_cmd(
    kind: Annotated[str, typer.Argument(help="article, video or graphic.")],
    slug: Annotated[str, typer.Argument(help="Folder and URL name: lowercase letters, digits, '-' and '_'.")],
    title: Annotated[str | None, typer.Option("--title", "-t", help="The item's title (default: the slug).")] = None,
    channels: Annotated[
        str | None, typer.Option("--channels", "-c", help="Comma-separated target channels (default: outbox).")
    ] = None,
) -> None:
    """Create content/KIND/SLUG/index.md from the kind's scaffold.

    Refuses a slug that already exists anywhere in content/, or one that is not a safe folder name (path separators, '..', empty, non-ASCII).

    Examples:

      $ mediactl new article fanzha-2026 --title 防范电信网络诈骗

      $ mediactl new video chunjie --channels bank-douyin,bank-channels
    """
    from mediactl.library.scaffold import NewItem, create_item  # lazy: start-up

    config = STATE.config()
    names = tuple(c.strip() for c in (channels or "").split(",") if c.strip())
    path = create_item(config, NewItem(kind=kind, slug=slug, title=title, channels=names))
    console.success(f"created {path.relative_to(config.root).as_posix()}")


def ls_cmd(
    kind: Annotated[str | None, typer.Option("--kind", "-k", help="Only items of this kind.")] = None,
    status: Annotated[str | None, typer.Option("--status", "-s", help="Only items with this status.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print a JSON list (see README: JSON output).")] = False,
) -> None:
    """List the items of the library with kind, title, status, approval, channels and last change; sorted by slug.

    The approval column says who approved each item and whether the approval still holds: an approval is for the exact content of each rendered variant, so "void" means the variant changed since (approve again).

    Examples:

      $ mediactl ls

      $ mediactl ls --kind article --status review

      $ mediactl ls --json
    """
    from mediactl.config.model import STATUSES  # lazy: start-up
    from mediactl.config.schema import did_you_mean  # lazy: start-up
    from mediactl.library.content import KINDS  # lazy: start-up

    if kind is not None and kind not in KINDS:
        raise UsageError(f"unknown kind '{kind}'{did_you_mean(kind, KINDS)} (one of: {', '.join(KINDS)})")
    if status is not None and status not in STATUSES:
        raise UsageError(f"unknown status '{status}'{did_you_mean(status, STATUSES)} (one of: {', '.join(STATUSES)})")
    items = [
        item
        for item in STATE.library().select(None)
        if (kind is None or item.kind == kind) and (status is None or item.status == status)
    ]
    from mediactl.publish.approvals import approval_views  # lazy: start-up

    approvals = approval_views(STATE.config(), items)
    if json_output:
        console.emit_json([{**item_summary(item), "approval": approvals[item.slug]} for item in items])
        return
    _print_table(items, approvals)


def show_cmd(
    slug: Annotated[str, typer.Argument(help="The item's slug (its folder name).")],
    json_output: Annotated[bool, typer.Option("--json", help="Print the whole item as JSON.")] = False,
) -> None:
    """Show one item: every front-matter field, its assets and the start of its body.

    Examples:

      $ mediactl show anti-fraud-2026

      $ mediactl show anti-fraud-2026 --json
    """
    item = STATE.library().get(slug)
    if json_output:
        console.emit_json(item_detail(item))
        return
    _print_item(item)


def item_summary(item: Any) -> dict[str, Any]:
    """The stable JSON shape of one item in `ls --json` (documented in the README)."""
    return {
        "slug": item.slug,
        "kind": item.kind,
        "title": item.title,
        "status": item.status,
        "author": item.author,
        "campaign": item.campaign,
        "channels": list(item.channels),
        "updated": item.updated,  # a moment: JSON output shows it in the project's zone
        "path": item.file,
    }


def item_detail(item: Any) -> dict[str, Any]:
    """`show --json`: the summary plus every field, assets with sizes, and the body."""
    return {
        **item_summary(item),
        "summary": item.summary,
        "tags": list(item.tags),
        "audience": list(item.audience),
        "products": list(item.products),
        "schedule": dict(item.schedule),  # moments under channel names
        "overrides": item.overrides,
        "assets": [
            {"path": a.path, "role": a.role, "alt": a.alt, "bytes": item.asset_path(a).stat().st_size}
            for a in item.assets
        ],
        "extra": item.extra,
        "body": item.body,
    }


def _print_table(items: list[Any], approvals: dict[str, dict[str, Any]]) -> None:
    from rich.table import Table  # lazy: start-up

    from mediactl.publish.approvals import approval_text  # lazy: start-up

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("slug", "kind", "title", "status", "approval", "channels", "updated"):
        # identifiers never break; prose and lists fold, but keep room to be read on an 80-column screen
        table.add_column(column, overflow="fold", no_wrap=column in ("slug", "kind", "status"),
                         min_width={"title": 10, "approval": 9, "channels": 10, "updated": 10}.get(column))  # fmt: skip
    for item in items:  # rows are plain Text: titles may contain [brackets]
        _add_row(
            table,
            item.slug,
            item.kind,
            item.title,
            item.status,
            approval_text(approvals[item.slug]),
            ", ".join(item.channels),
            item.updated.strftime("%Y-%m-%d %H:%M"),
        )
    console.out.print(table)
    console.out.print(f"{len(items)} item{'s' if len(items) != 1 else ''}", style="dim")


def _print_item(item: Any) -> None:
    from rich.table import Table  # lazy: start-up

    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    detail = item_detail(item)
    for key in ("slug", "kind", "title", "summary", "status", "author", "campaign", "path"):
        _add_row(table, key, str(detail[key]))
    _add_row(table, "updated", detail["updated"].isoformat())
    for key in ("channels", "tags", "audience", "products"):
        _add_row(table, key, ", ".join(detail[key]))
    for name, when in detail["schedule"].items():
        _add_row(table, "schedule", f"{name} at {when.isoformat()}")
    for asset in detail["assets"]:
        _add_row(table, "asset", f"{asset['path']} ({asset['bytes']:,} bytes)")
    for target in detail["overrides"]:
        _add_row(table, "override", f"{target}: {', '.join(detail['overrides'][target])}")
    console.out.print(table)
    preview = item.body.strip().splitlines()[:8]
    console.out.print(escape("\n".join(preview)), markup=False, style="dim")


def _add_row(table: Any, *cells: str) -> None:
    """Cells as plain Text: a title such as 【活动】[限时] must not be read as rich markup,
    nor a control character reach the terminal (escaped: a reviewer sees that it is there)."""
    from rich.text import Text  # lazy: start-up

    table.add_row(*(Text(escape(cell)) for cell in cells))
