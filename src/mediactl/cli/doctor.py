"""`mediactl doctor`: is this machine and project ready to render, check and publish?"""

import shutil
from typing import Annotated, Any

import typer

from mediactl.cli.base import STATE
from mediactl.core import console
from mediactl.core.errors import FindingsError, MediactlError, UsageError


def doctor_cmd(json_output: Annotated[bool, typer.Option("--json", help="Print the checks as JSON.")] = False) -> None:
    """Check config, credentials for each channel, adapters, fonts, ffmpeg, rule packs, the state store and the audit chain.

    Each line says ok or what is wrong and how to fix it; a missing credential names the environment variable, never its value. The checks come in the order above, channels as mediactl.yaml lists them, so two runs compare line by line. Exit code 1 if anything needed is missing.

    Examples:

      $ mediactl doctor

      $ mediactl doctor --json
    """
    config = STATE.config()
    results = [*_config(config), *_channels(config), _fonts(), _ffmpeg(), _rules(config), *_state(config)]
    if json_output:
        console.emit_json([{"check": name, "ok": ok is not False, "status": STATUS[ok], "detail": detail}
                           for name, ok, detail in results])  # fmt: skip
    else:
        for name, ok, detail in results:
            (console.error_line if ok is False else console.info)(f"{MARK[ok]} {name}: {detail}")
    failed = [name for name, ok, _ in results if ok is False]
    if failed:
        raise FindingsError(f"{len(failed)} check(s) need attention: {', '.join(failed)}")


#: (name, ok, detail); ok is None for something optional that is absent: not a failure, and never ticked.
Check = tuple[str, bool | None, str]
MARK = {True: "✓", False: "✗", None: "–"}
STATUS = {True: "ok", False: "failed", None: "absent"}


def _config(config: Any) -> list[Check]:
    library = STATE.library()
    return [("config", True, f"{config.file.name} valid; {len(library.items)} items, {len(config.channels)} channels")]


def _channels(config: Any) -> list[Check]:
    from mediactl.publish.adapters import registry  # lazy: start-up

    env = config.environment()
    adapters = registry()
    out: list[Check] = []
    for channel in config.channels.values():
        missing = [name for value in channel.credentials.values() for name in env.missing(value)]
        if channel.migrated_to:
            out.append((f"channel {channel.name}", True, f"retired: publishes as {channel.migrated_to}"))
        elif missing:
            out.append((f"channel {channel.name}", False, f"set {', '.join(missing)} in the environment or .env"))
        elif channel.platform not in adapters:
            out.append(
                (
                    f"channel {channel.name}",
                    True,
                    f"no adapter for {channel.platform} installed yet: render and check only",
                )
            )
        else:
            out.append((f"channel {channel.name}", True, f"{channel.platform} adapter ready"))
    return out


def _fonts() -> Check:
    try:
        # lazy: start-up; inside the try, so a broken font install is this check's answer
        from mediactl.graphics.fonts import default_font_path, load_font

        load_font(24)
        return ("fonts", True, f"Noto Sans CJK SC (mediactl's subset) at {default_font_path().parent}")
    except Exception as exc:
        return ("fonts", False, f"{exc} (reinstall mediactl: its font files are missing)")


def _ffmpeg() -> Check:
    found = shutil.which("ffmpeg")
    if found:
        return ("ffmpeg", True, found)
    try:
        import imageio_ffmpeg  # lazy: an optional dependency, absent on most machines

        return ("ffmpeg", True, imageio_ffmpeg.get_ffmpeg_exe())
    except Exception:
        return ("ffmpeg", None, "not found; only needed to transcode video (pip install imageio-ffmpeg)")


def _rules(config: Any) -> Check:
    try:
        from mediactl.check.runner import prepared  # lazy: start-up; inside the try, as in _fonts

        ruleset, _ = prepared(config, config.state_path)
        return ("rule packs", True, f"{len(ruleset.rules)} rules from {len(ruleset.files)} pack(s), self-tests pass")
    except Exception as exc:
        return ("rule packs", False, str(getattr(exc, "message", exc)))


def _state(config: Any) -> list[Check]:
    from mediactl.publish import audit, backends  # lazy: start-up

    audit.use_project_key(config)
    try:
        with backends.opened_log(config) as log:
            count, broken = audit.verify(log, audit.read_anchor(config.root))
            found = (
                (True, f"{count} records intact")
                if broken is None
                else (False, f"broken {log.place(broken.line)}: {broken.reason}")
            )
    except MediactlError as exc:  # keyed records and no key, an unreadable anchor, a server out of reach: say so
        found = (False, exc.message)
    return [_store(config), ("audit log", *found)]


def _store(config: Any) -> Check:
    """The store whole (SQLite's full integrity check; a server's indexes valid), level with the audit log,
    nothing left unresolved."""
    from mediactl.publish import backends, integrity  # lazy: start-up
    from mediactl.publish.store import open_store  # lazy: start-up

    try:
        store = open_store(config)
    except MediactlError as exc:
        return ("state store", False, exc.message)
    path = store.name
    log = backends.audit_log(config, store)
    try:
        damage = store.integrity_problems()
        if damage:
            return ("state store", False, f"{path} is damaged (integrity check: {'; '.join(damage[:3])}); "
                                          "run mediactl state rebuild")  # fmt: skip
        level = integrity.inspect(store, log, config)
        if level.problems:
            return ("state store", False, f"{path} lacks what the audit log records ({len(level.problems)} "
                                          f"difference(s): {level.problems[0]}); run mediactl state rebuild")  # fmt: skip
        pending, unknown = len(store.jobs(state="pending")), len(store.jobs(state="unknown"))
        paused, unlogged = store.paused(), len(store.unlogged())
    except MediactlError as exc:
        return ("state store", False, exc.message)
    finally:
        store.close()
    detail = f"{pending} pending, {unknown} unknown" + (f"; paused: {', '.join(paused)}" if paused else "")
    detail += "; whole and level with the audit log"
    if unknown:
        detail += "; resolve unknown jobs with queue retry/resolve"
    if unlogged:
        detail += f"; {unlogged} audit record(s) waiting for the log to take them (the next publish writes them)"
    return ("state store", unknown == 0 and unlogged == 0, detail)


def sandbox_cmd(
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1.")] = 8765,
    fail_rate: Annotated[
        float, typer.Option("--fail-rate", help="Share of requests (0-1) answered with a transient failure.")
    ] = 0.0,
    latency: Annotated[int, typer.Option("--latency", help="Milliseconds added to every platform answer.")] = 0,
    fault: Annotated[
        list[str] | None,
        typer.Option(
            "--fault",
            help="A fault to inject once, in order: 500, 429, expired-token, drop, timeout, reject, publish-fail (WeChat: accepted, then refused by review).",
        ),
    ] = None,
    token_ttl: Annotated[int, typer.Option("--token-ttl", help="Seconds an access token lives.")] = 7200,
    verbose: Annotated[bool, typer.Option("--verbose", help="One line per request on stderr.")] = False,
) -> None:
    """Serve the platform sandbox on 127.0.0.1: every platform API mediactl speaks, a webhook receiver and a link tracker.

    Real paths, request validation, response shapes and error codes; tokens that expire; uploads, drafts, asynchronous publish with status polling; rate limits and content rejection on demand. What arrives is listed at GET /_sandbox/posts; an OAuth channel is authorised with `mediactl auth CHANNEL` against it (its consent page allows at once and redirects with the code). Point every channel at it with MEDIACTL_SANDBOX_URL=http://127.0.0.1:PORT (each platform is served at {sandbox}/{platform}). Stop with Ctrl-C.

    Examples:

      $ mediactl sandbox

      $ mediactl sandbox --port 9000 --latency 20 --fail-rate 0.1

      $ mediactl sandbox --fault drop --fault 429
    """
    from mediactl.sandbox import SandboxOptions, serve  # lazy: start-up

    try:
        options = SandboxOptions(fail_rate=fail_rate, latency_ms=latency, faults=tuple(fault or ()), token_ttl=token_ttl,
                                 verbose=verbose)  # fmt: skip
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    serve(options, port=port)
