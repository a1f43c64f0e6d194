"""`mediactl init` and `mediactl config validate`."""

from pathlib import Path
from typing import Annotated

import typer

from mediactl.cli.base import STATE
from mediactl.core import console


def init_cmd(
    directory: Annotated[
        Path, typer.Argument(help="Folder for the new content repository (created if needed).")
    ] = Path("."),
    brand: Annotated[bool, typer.Option("--brand", help="Ask for the bank's name, logo and colours.")] = False,
    brand_name: Annotated[str | None, typer.Option("--brand-name", help="The bank's name (brand.name).")] = None,
    logo: Annotated[Path | None, typer.Option("--logo", help="The bank's logo, PNG (copied to templates/brand/).")] = None,
    primary: Annotated[str | None, typer.Option("--primary", help="Primary colour, e.g. #0B2A5B.")] = None,
    accent: Annotated[str | None, typer.Option("--accent", help="Accent colour, e.g. #C9A35B.")] = None,
) -> None:
    """Create a content repository: mediactl.yaml, content/, templates/, compliance/ and example items.

    The example items (an anti-fraud article, a wealth-product promotion with its risk disclosure, a festival video, a credit-card poster) show every feature and can be deleted. Two example people get demo SSH keys under .mediactl/keys/ (git-ignored), declared under people: in mediactl.yaml, so `mediactl approve … --as wang.min` signs at once; replace them with your team's own keys.

    Examples:

      $ mediactl init bank-media

      $ cd bank-media && mediactl ls
    """
    from mediactl.library.scaffold import DEMO_KEYS, init_project  # lazy: start-up

    branded = brand or any((brand_name, logo, primary, accent))
    if brand:  # ask for what the flags did not give; an empty answer keeps the example's
        brand_name = brand_name or typer.prompt("Bank name (brand.name)", default="", show_default=False) or None
        answer = "" if logo else typer.prompt("Logo file, PNG (empty: keep the example's)", default="", show_default=False)
        logo = logo or (Path(answer) if answer else None)
        primary = primary or typer.prompt("Primary colour (#RRGGBB)", default="", show_default=False) or None
        accent = accent or typer.prompt("Accent colour (#RRGGBB)", default="", show_default=False) or None
    if branded:
        from mediactl.library.brandinit import check_brand  # lazy: only a branded init

        check_brand(logo, primary, accent)  # before anything is created
    created = init_project(directory)
    if branded:
        from mediactl.library.brandinit import apply_brand  # lazy: as above

        created += apply_brand(directory, brand_name, logo, primary, accent)
    console.success(f"created a mediactl project in {directory} ({len(created)} files)")
    keys = [path for path in created if f"/{DEMO_KEYS}/" in path]
    if keys:
        console.info(f"demo signing keys (git-ignored, for trying approvals only): {', '.join(keys)}")
    console.info("next: cd into it, run `mediactl ls`, then `mediactl new article SLUG --title 标题`")


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
    missing = _missing_credentials(config)
    for line in missing:
        console.warning(line)
    if json_output:
        warnings = [*config.warnings, *library.warnings]
        console.emit_json(
            {
                "valid": True,
                "items": len(library.items),
                "channels": len(config.channels),
                "warnings": [str(p) for p in warnings] + missing,
            }
        )
        return
    console.success(f"{config.file.name} and {len(library.items)} items are valid ({len(config.channels)} channels)")


def _missing_credentials(config: object) -> list[str]:
    """Warnings for ${VAR} references that are unset: publishing to that channel would fail."""
    env = config.environment()  # type: ignore[attr-defined]
    lines = []
    for channel in config.channels.values():  # type: ignore[attr-defined]
        for key, value in channel.credentials.items():
            for name in env.missing(value):
                lines.append(
                    f"{config.file.name}: channels.{channel.name}.credentials.{key}: "  # type: ignore[attr-defined]
                    f"environment variable {name} is not set (needed to publish to {channel.name}) (warning)"
                )
    return lines + _missing_for_state(config)


def _missing_for_state(config: object) -> list[str]:
    """The same for a shared state store: its URL's variables, and MEDIACTL_STATE_KEY, which it requires."""
    url = config.project.state_url  # type: ignore[attr-defined]
    if url is None:
        return []
    env = config.environment()  # type: ignore[attr-defined]
    names = [*env.missing(url), *(["MEDIACTL_STATE_KEY"] if not env.get("MEDIACTL_STATE_KEY") else [])]
    return [f"{config.file.name}: project.state: environment variable {name} is not set (needed to use the shared "  # type: ignore[attr-defined]
            "state store) (warning)" for name in names]  # fmt: skip
