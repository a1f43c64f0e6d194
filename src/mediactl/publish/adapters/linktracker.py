"""Clicks on a post's tracked link, from the bank's own link tracker (`channels.<c>.link_tracker`).

A platform that tells an app who received a post but not who opened its link (a WeCom 1-to-1 push)
leaves the clicks to the bank: the link a variant carries has the channel's UTM parameters
(`tracking`), and the bank's link tracker counts the visits to it. The setting names that
tracker's click-count endpoint and its token:

    link_tracker:
      url: https://t.bank.example/api/clicks     # GET ?link=<the tracked link> → {"link", "clicks"}
      token: ${BANK_LINK_TRACKER_TOKEN}           # sent as "Authorization: Bearer …"

The call is a safe step through the adapter's own `send`, so a 429, a 5xx or a refused token are
classified as for any platform call (Transient, Rejected) and the pull says to ask again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mediactl.publish.adapters.base import Transient
from mediactl.publish.adapters.http import json_object

if TYPE_CHECKING:  # annotations only
    from mediactl.publish.adapters.http import HttpAdapter


def clicks(adapter: HttpAdapter, link: str) -> int:
    """The clicks the channel's link tracker has counted on `link` so far."""
    tracker = adapter.channel.link_tracker
    where = f"channels.{adapter.channel.name}.link_tracker"
    environment = adapter.config.environment()
    url = environment.interpolate(tracker["url"], where=f"{where}.url", secret=True)
    headers = {}
    if tracker.get("token"):
        headers["Authorization"] = "Bearer " + environment.interpolate(tracker["token"], where=f"{where}.token",
                                                                       secret=True)  # fmt: skip
    response = adapter.send("GET", url, step="link tracker", mutating=False, params={"link": link}, headers=headers)
    answer = json_object(response, step="link tracker", mutating=False, who="the link tracker")
    try:
        return int(answer["clicks"])
    except (KeyError, TypeError, ValueError):
        raise Transient(f"the link tracker's answer has no whole number `clicks` for {link}") from None
