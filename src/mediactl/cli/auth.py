"""`mediactl auth CHANNEL`: authorise mediactl to publish on an OAuth platform's account (Weibo, Douyin, Kuaishou, Bilibili)."""

from datetime import datetime
from typing import Annotated, Any

import typer

from mediactl.cli.base import STATE
from mediactl.core import console
from mediactl.core.times import moment, zoned


def auth_cmd(
    channel: Annotated[str, typer.Argument(help="The channel to authorise (an OAuth platform's).")],
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the grant as JSON; the steps go to stderr.")
    ] = False,
) -> None:
    """Authorise a channel's account: open the URL printed, allow access, paste the address the browser lands on.

    The platform sends the browser to the channel's redirect_uri with a code; mediactl checks the address carries this run's random state, exchanges the code for tokens at the platform's token endpoint and keeps them in the state store, sealed (with MEDIACTL_STATE_KEY when set). Deliveries then renew the access token with the refresh token by themselves; when that is no longer possible they fail saying to run this again. The code, the tokens and the client secret are never printed. Exit 2 on a configuration problem or an address from another authorisation, 1 when the platform refuses the code.

    Examples:

      $ mediactl auth bank-douyin

      $ mediactl auth bank-kuaishou
    """
    from mediactl.publish.adapters import oauth  # lazy: start-up
    from mediactl.publish.runner import Publisher  # lazy: start-up

    config = STATE.config()
    target = config.channel(channel)
    adapter = oauth.OAuthAdapter(target, config)
    publisher = Publisher(config, command="auth")
    adapter.store = publisher.store
    try:
        grant = oauth.authorize(
            adapter,
            _ask(target.name, on_stderr=json_output),
            lambda grant: publisher.audited(
                "auth.granted",
                channel=target.name,
                platform=target.platform,
                account=grant.account or None,
                scope=grant.scope or None,
                expires_at=_iso(grant.expires_at),
                refresh_expires_at=_iso(grant.refresh_expires_at) if grant.refresh_expires_at else None,
            ),
        )
    finally:
        adapter.close()
        publisher.close()
    if json_output:
        console.emit_json({"channel": target.name, "platform": target.platform, "account": grant.account or None,
                           "scope": grant.scope or None, "expires_at": moment(grant.expires_at),
                           "refresh_expires_at": moment(grant.refresh_expires_at or None), "renews": bool(grant.refresh_token)})  # fmt: skip
        return
    tz = config.project.tz
    until = datetime.fromtimestamp(grant.expires_at, tz).strftime("%Y-%m-%d %H:%M %Z")
    whose = f" (account {grant.account})" if grant.account else ""
    console.success(f"{target.name} is authorised{whose}: the access token is valid until {until}")
    if grant.refresh_token and grant.refresh_expires_at is not None:
        ends = datetime.fromtimestamp(grant.refresh_expires_at, tz).strftime("%Y-%m-%d %H:%M %Z")
        console.info(
            f"deliveries renew it with the refresh token until {ends}; run `mediactl auth {target.name}` again before then"
        )
    elif grant.refresh_token:
        console.info(
            f"deliveries renew it with the refresh token; when the platform refuses, run `mediactl auth {target.name}` again"
        )
    else:
        console.info(f"the platform gives no refresh token: run `mediactl auth {target.name}` again before {until}")


def _ask(channel: str, *, on_stderr: bool) -> Any:
    """The steps for the person, on stdout; on stderr when stdout carries the JSON result (`--json`)."""
    say = console.error_line if on_stderr else console.info

    def ask(started: Any) -> str:
        say(f"Authorise {channel}: open this address in a browser, signed in as the account that publishes, "
            "and allow access:")  # fmt: skip
        say(f"  {started.url}")
        say(f"The browser is then sent to {started.redirect_uri}?code=…&state=… (that page need not load). "
            "Copy the whole address from the address bar.")  # fmt: skip
        return str(typer.prompt("Paste the address (or only the code)", hide_input=True, err=on_stderr))

    return ask


def _iso(moment: float) -> str:
    return zoned(moment, STATE.config().project.tz)
