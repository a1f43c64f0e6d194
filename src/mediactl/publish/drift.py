"""Drift: the live post, read back from the platform, compared with the variant a person approved.

What was approved is the sealed variant (its content hash); what the audience reads is what the
platform shows. They can part: a review that edits a caption, a platform that cuts a title, a
colleague who edits the post in the platform's console afterwards. Where an adapter can read a post
back (`Adapter.read_back`, or a receipt's `live` texts from the answer that ended the publish), the
texts are compared field by field, and a difference is reported as drift: it does not undo the
publish (the post is out), it tells a person to look, and `mediactl recall` takes the post back.

Only what a reader sees is compared: HTML is read as its text (a platform rewrites attributes and
image addresses: WeChat hosts every image itself), runs of white space count as one space, and on
platforms that replace links with their own short links (the facts file says `links: shortened`)
a link compares equal to any link. Characters are compared as they are, after NFC: a platform that
turns full-width punctuation into half-width has changed what the reader sees.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from typing import Any

from mediactl.config.platforms import get_platform
from mediactl.publish.adapters.base import Receipt, Variant

#: Characters of context shown on each side of the first difference.
CONTEXT = 16
_SPACE = re.compile(r"\s+")
_LINK = re.compile(r"https?://[!-~]+")  # a link in Chinese copy ends at the first character that is not ASCII
_BLOCKS = {"p", "div", "br", "li", "section", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "td", "th"}


@dataclass(frozen=True)
class Difference:
    """One text field that reads differently on the platform: the first difference, in context."""

    field: str
    approved: str  # excerpt of the approved text around the first difference
    live: str  # the same place in the live text
    at: int  # the character (of the normalised text) where they part

    def describe(self) -> str:
        return f"{self.field} at character {self.at + 1}: approved «{self.approved}», live «{self.live}»"

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "at": self.at, "approved": self.approved, "live": self.live}


def differences(variant: Variant, live: dict[str, str]) -> list[Difference]:
    """The fields of `live` (variant text field → the text the platform shows) that differ from the variant.

    A field the variant does not have is not compared (a platform may show more than we sent).
    """
    readback = get_platform(variant.channel.platform).facts.get("readback") or {}
    links_shortened = readback.get("links") == "shortened"
    found = []
    for name in sorted(live):
        if name not in variant.document.get("texts", {}):
            continue
        html = str(variant.document.get("files", {}).get(name, "")).endswith((".html", ".htm"))
        approved = readable(variant.text(name), html=html, links_shortened=links_shortened)
        shown = readable(str(live[name] or ""), html=html, links_shortened=links_shortened)
        if approved != shown:
            found.append(_difference(name, approved, shown))
    return found


def summary(found: list[Difference]) -> str:
    """One paragraph for the job's note, the run's report and the audit log."""
    return (
        "the live post differs from the approved variant (drift): "
        + "; ".join(d.describe() for d in found)
        + ". The post is out: look at it on the platform, and `mediactl recall` it if it must not stand"
    )


def checked(variant: Variant | None, receipt: Receipt) -> tuple[Receipt, dict[str, Any]]:
    """A final receipt read against the approved variant: unchanged when it matches (or carries no live texts),
    else with a note that needs a person's attention. Also the fields the delivery's audit record gets."""
    if variant is None or receipt.state != "sent" or not receipt.live:
        return receipt, {}
    found = differences(variant, receipt.live)
    if not found:
        return receipt, {"read_back": "matches"}
    note = "; ".join(part for part in (receipt.note, summary(found)) if part)
    return replace(receipt, note=note, attention=True), {"read_back": "drift", "drift": [d.to_dict() for d in found]}


def readable(text: str, *, html: bool = False, links_shortened: bool = False) -> str:
    """What a reader sees of `text`: HTML as its text, white space runs as one space, NFC."""
    if html:
        text = _html_text(text)
    if links_shortened:
        text = _LINK.sub("🔗", text)
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def _difference(name: str, approved: str, shown: str) -> Difference:
    at = next(
        (i for i, (a, b) in enumerate(zip(approved, shown, strict=False)) if a != b), min(len(approved), len(shown))
    )
    start = max(0, at - CONTEXT)

    def excerpt(text: str) -> str:
        part = text[start : at + CONTEXT]
        return ("…" if start else "") + part + ("…" if at + CONTEXT < len(text) else "")

    return Difference(name, excerpt(approved), excerpt(shown), at)


class _TextOfHtml(HTMLParser):
    """The characters of an HTML body as a reader sees them; block elements end with a space."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _html_text(markup: str) -> str:
    parser = _TextOfHtml()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts)
