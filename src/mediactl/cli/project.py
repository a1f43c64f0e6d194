"""`mediactl init` and `mediactl config validate`."""

from pathlib import Path
from typing import Annotated

import typer

from mediactl.cli.base import STATE
from mediactl.core import console
from mediactl.core.errors import UsageError


def init_cmd(
    directory: Annotated[
        Path, typer.Argument(help="Folder for the new content repository (created if needed).")
    ] = Path("."),
    example: Annotated[
        bool,
        typer.Option(
            "--example",
            help="Also hand the example items over and approve them as wang.min with the demo "
            "key, so `mediactl run` publishes them at once (for trying mediactl; the records say so).",
        ),
    ] = False,
    brand: Annotated[bool, typer.Option("--brand", help="Ask for the bank's name, logo and colours.")] = False,
    brand_name: Annotated[str | None, typer.Option("--brand-name", help="The bank's name (brand.name).")] = None,
    logo: Annotated[
        Path | None, typer.Option("--logo", help="The bank's logo, SVG or PNG (copied to templates/brand/).")
    ] = None,
    primary: Annotated[str | None, typer.Option("--primary", help="Primary colour, e.g. #0B2A5B.")] = None,
    accent: Annotated[str | None, typer.Option("--accent", help="Accent colour, e.g. #C9A35B.")] = None,
) -> None:
    """Create a content repository: mediactl.yaml, content/, templates/, compliance/ and example items.

    The example items (an anti-fraud article, a wealth-product promotion with its risk disclosure, a festival video, a credit-card poster) show every feature and can be deleted. Two example people get demo SSH keys under .mediactl/keys/ (git-ignored), declared under people: in mediactl.yaml, so `mediactl approve … --as wang.min` signs at once; replace them with your team's own keys. The folder becomes a git repository (unless it is inside one that tracks it; if git is installed) with a .gitignore for build output, state and the demo keys, and gets examples to adapt: a GitHub Actions workflow and a .gitlab-ci.yml that run `mediactl check` with findings shown as annotations or a Code Quality report, and a .pre-commit-config.yaml using the mediactl-check hook.

    Examples:

      $ mediactl init bank-media

      $ cd bank-media && mediactl ls

      $ mediactl init demo --example && mediactl -C demo run --channel outbox
    """
    from mediactl.library.scaffold import DEMO_KEYS, init_project  # lazy: start-up

    branded = brand or any((brand_name, logo, primary, accent))
    if brand:  # ask for what the flags did not give; an empty answer keeps the example's
        brand_name = brand_name or typer.prompt("Bank name (brand.name)", default="", show_default=False) or None
        answer = (
            "" if logo else typer.prompt("Logo file, PNG (empty: keep the example's)", default="", show_default=False)
        )
        logo = logo or (Path(answer) if answer else None)
        primary = primary or typer.prompt("Primary colour (#RRGGBB)", default="", show_default=False) or None
        accent = accent or typer.prompt("Accent colour (#RRGGBB)", default="", show_default=False) or None
    if branded:
        from mediactl.library.brandinit import check_brand  # lazy: only a branded init

        check_brand(logo, primary, accent)  # before anything is created
        _check_svg_logo(logo)
    created = init_project(directory)
    created += _set_up_repository(directory)
    if branded:
        from mediactl.library.brandinit import apply_brand  # lazy: as above

        created += apply_brand(directory, brand_name, logo, primary, accent)
    console.success(f"created a mediactl project in {directory} ({len(created)} files)")
    keys = [path for path in created if f"/{DEMO_KEYS}/" in path]
    if keys:
        console.info(f"demo signing keys (git-ignored, for trying approvals only): {', '.join(keys)}")
    if example:
        _sign_examples(directory)
        console.info(f"next: `mediactl -C {directory} run --channel outbox` publishes the example items")
        return
    console.info("next: cd into it, run `mediactl ls`, then `mediactl new article SLUG --title 标题`")


def _check_svg_logo(logo: Path | None) -> None:
    """An SVG logo is drawn only when it stands on its own (graphics/svg.py): said before init creates anything."""
    if logo is None or logo.suffix.lower() != ".svg":
        return
    from mediactl.graphics.svg import refusal  # lazy: only a branded init with an SVG logo

    problem = refusal(logo.read_bytes())
    if problem:
        raise UsageError(f"--logo {logo}: this SVG cannot be drawn: {problem}")


def _set_up_repository(directory: Path) -> list[str]:
    """Around the content: the CI and pre-commit examples, and a git repository (library/repository.py)."""
    from mediactl.library.repository import init_git, write_ci_examples  # lazy: start-up

    written = write_ci_examples(directory)
    console.info(init_git(directory))
    return written


def _sign_examples(directory: Path) -> None:
    """`init --example`: the example approvals, signed here with the demo key (mediactl/examples.py says why)."""
    from mediactl.config.model import CONFIG_NAME, load_config  # lazy: start-up
    from mediactl.examples import approve_examples  # lazy: start-up

    console.info("approving the example items as wang.min with the demo key (every variant is rendered first) …")
    approved = approve_examples(load_config(directory / CONFIG_NAME))
    for done in approved:
        console.success(f"{done.item}: example approval by {done.person} ({done.channels} channel(s), demo key): "
                        f"{done.file}")  # fmt: skip


def validate_cmd(
    json_output: Annotated[bool, typer.Option("--json", help="Print the problems as JSON.")] = False,
) -> None:
    """Validate mediactl.yaml and every item's front matter; list every problem at once.

    Each problem is one line `file:line:column: key.path: message`. Every other command runs the same validation first. Exit code 0 when valid (warnings allowed), 2 otherwise.

    Examples:

      $ mediactl config validate

      $ mediactl config validate --json
    """
    config = STATE.config()
    library = STATE.library()
    unset = _unset_credentials(config)
    store_warnings = _missing_for_state(config)
    for line in store_warnings:
        console.warning(line)
    if json_output:
        warnings = [*config.warnings, *library.warnings]
        console.emit_json(
            {
                "valid": True,
                "items": len(library.items),
                "channels": len(config.channels),
                "warnings": [str(p) for p in warnings] + store_warnings,
                "credentials_unset": [
                    {"channel": channel, "field": f"channels.{channel}.credentials.{key}", "variable": name}
                    for channel, key, name in unset
                ],
            }
        )
        return
    console.success(f"{config.file.name} and {len(library.items)} items are valid ({len(config.channels)} channels)")
    if unset:
        console.info(_unset_summary(unset))


def _unset_credentials(config: object) -> list[tuple[str, str, str]]:
    """(channel, credentials key, variable) of each ${VAR} reference not set here.

    Not a problem of the configuration: a fresh project, or an editor's machine, has no platform secrets (they live
    where `mediactl publish` runs), so `config validate` stays clean and says in one line what publishing will need;
    `mediactl doctor` checks each channel where it matters."""
    env = config.environment()  # type: ignore[attr-defined]
    return [
        (channel.name, key, name)
        for channel in config.channels.values()  # type: ignore[attr-defined]
        for key, value in channel.credentials.items()
        for name in env.missing(value)
    ]


def _unset_summary(unset: list[tuple[str, str, str]]) -> str:
    channels = sorted({channel for channel, _, _ in unset})
    names = sorted({name for _, _, name in unset})
    return (f"publishing to {len(channels)} channel(s) ({', '.join(channels)}) needs {len(names)} environment "
            f"variable(s) not set here: {', '.join(names)}; set them where mediactl publishes (environment or "
            ".env; `mediactl doctor` checks each channel)")  # fmt: skip


def _missing_for_state(config: object) -> list[str]:
    """Warnings for a shared state store's unset variables (its URL's, and MEDIACTL_STATE_KEY, which it requires):
    every command that reads the queue needs them, not only publishing."""
    url = config.project.state_url  # type: ignore[attr-defined]
    if url is None:
        return []
    env = config.environment()  # type: ignore[attr-defined]
    names = [*env.missing(url), *(["MEDIACTL_STATE_KEY"] if not env.get("MEDIACTL_STATE_KEY") else [])]
    return [f"{config.file.name}: project.state: environment variable {name} is not set (needed to use the shared "  # type: ignore[attr-defined]
            "state store) (warning)" for name in names]  # fmt: skip
