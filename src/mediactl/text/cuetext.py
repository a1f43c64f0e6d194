"""The visible text of a subtitle cue (SRT, WebVTT): what a viewer reads once the player has handled the markup.

Two readers must agree on it to the character: the compliance check (`mediactl.check.extract`, which also
keeps each character's position) and the video burn-in (`mediactl.video.cues`), so that what is burned
into a video is exactly what the check read. Both take the rules from here.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from mediactl.text.cjk import is_cjk

CUE_MARKUP = re.compile(r"<[^>\n]*>|\{\\[^}\n]*\}")  # <i>, <font …>, <v Name>, <00:01.000>, {\an8}


def cue_line_text(line: str, *, entities: bool) -> str:
    """One line of a cue, markup removed, stripped; WebVTT character references (`&amp;`) decoded when
    `entities`. Each run between tags is decoded on its own, as the check does."""
    runs = CUE_MARKUP.split(line)
    if entities:
        runs = [html.unescape(run) for run in runs]
    return "".join(runs).strip()


def join_cue_lines(lines: Iterable[str]) -> str:
    """A cue's lines as one text: a line break joins without a space when either side is CJK (新春/快乐 is
    新春快乐), with one space between Latin words. Empty lines (a line of tags only) add nothing."""
    text = ""
    for line in lines:
        if not line:
            continue
        if text and not (is_cjk(text[-1]) or is_cjk(line[0])):
            text += " "
        text += line
    return text
