"""`preview`: the gallery of rendered variants as the checker sees them, written to build/preview/ and served."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mediactl.cli.base import STATE
from mediactl.core import console
from mediactl.core.errors import UsageError, relpath

if TYPE_CHECKING:  # annotations only (helpers, not commands: typer never reads them)
    from mediactl.preview.server import PreviewServer


def preview_cmd(
    slugs: Annotated[list[str] | None, typer.Argument(help="Items to show (default: all).")] = None,
    channel: Annotated[str | None, typer.Option("--channel", "-c", help="Only this channel's variants.")] = None,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the gallery in the web browser.")] = False,
    port: Annotated[
        int | None,
        typer.Option("--port", help="Serve build/ on 127.0.0.1 at this port (0: any free port) until Ctrl-C."),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print where the gallery is and every variant's state as JSON.")
    ] = False,
) -> None:
    """Write a gallery of the rendered variants to build/preview/: each in a frame like its platform's.

    Every variant shows its texts with the check findings highlighted in place, its images and video (only
    bytes that still hash to its manifest), its limits ("标题 14/32"), its content hash, who approved it and
    the command that approves it. The index lists items × channels, filterable by state, channel and
    severity. Offline: nothing loads from the network. Nothing is rendered: run mediactl render first.

    Examples:

      $ mediactl preview --open

      $ mediactl preview anti-fraud-2026 --port 8000

      $ mediactl preview --channel bank-douyin --json
    """
    # lazy: start-up, the gallery imports the check, render and approval stacks
    from mediactl.preview import gallery, page
    from mediactl.publish.metricstore import read_latest_numbers  # lazy: start-up, as above

    if port is not None and not 0 <= port <= 65535:
        raise UsageError(f"--port {port}: a port is 0 (any free port) to 65535")
    config = STATE.config()
    views = gallery.collect(config, STATE.library(), slugs or None, channel)
    index = page.write_gallery(config, views, read_latest_numbers(config), whole=not slugs and channel is None)
    server = _server(config.build_path, port) if port is not None else None
    url = server.url(f"{page.PREVIEW}/index.html") if server else None
    if json_output:
        console.emit_json(page.to_dict(views, index, config.root, url))
    else:
        changed = sum(v.state == "modified" for v in views)
        note = f"; {changed} changed since render" if changed else ""
        console.success(
            f"wrote {relpath(index, config.root)}: {len(views)} variant(s) of {len({v.item for v in views})} item(s){note}"
        )
    if open_browser:
        import webbrowser  # lazy: start-up, only --open uses it

        webbrowser.open(url or index.resolve().as_uri())
    if server is not None:
        _serve(server, url or "")


def _server(folder: Path, port: int) -> "PreviewServer":
    from mediactl.preview.server import PreviewServer  # lazy: start-up

    try:
        return PreviewServer(folder, port)
    except OSError as exc:
        raise UsageError(f"--port {port}: cannot listen on 127.0.0.1:{port}: {exc.strerror}",
                         hint="choose another port, or --port 0 for any free one") from None  # fmt: skip


def _serve(server: "PreviewServer", url: str) -> None:
    console.info(f"serving {url} (127.0.0.1 only); Ctrl-C stops")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        console.info("stopped")
    finally:
        server.server_close()
