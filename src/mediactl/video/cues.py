"""Subtitle files (SRT, WebVTT) as timed cues, for burning into a video.

The compliance check reads the same file (`mediactl.check.extract.extract_subtitles`): a cue is a run of
non-blank lines, its text the lines after the timing line with markup removed and joined by
`mediactl.text.cuetext`, so each `Cue.text` is exactly one segment the check read. Where the check can
afford to skip what it does not understand, burning cannot: a block that is not a cue (a bad or missing
timing line, an end before the start, a cue with no text) or a file that is not UTF-8 or holds no cue is a
`SubtitleError` naming the file and line, before any encoding starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from mediactl.core.errors import MediactlError, Problem
from mediactl.text.cuetext import cue_line_text, join_cue_lines

FORMATS = {".srt": "srt", ".vtt": "vtt"}

# 00:00:01,000 (SRT; a '.' is common enough to accept) and [00:]00:01.000 (WebVTT: hours optional).
_STAMP = {
    "srt": r"(?P<{0}h>\d+):(?P<{0}m>\d\d):(?P<{0}s>\d\d)[,.](?P<{0}ms>\d\d\d)",
    "vtt": r"(?:(?P<{0}h>\d+):)?(?P<{0}m>\d\d):(?P<{0}s>\d\d)\.(?P<{0}ms>\d\d\d)",
}
_TIMING = {
    fmt: re.compile(rf"\s*(?P<a>{stamp.format('a')})[ \t]+-->[ \t]+(?P<b>{stamp.format('b')})(?:[ \t].*)?")
    for fmt, stamp in _STAMP.items()
}
_SHAPE = {"srt": "00:00:01,000 --> 00:00:02,500", "vtt": "00:01.000 --> 00:02.500"}
_VTT_BLOCKS = ("NOTE", "STYLE", "REGION")  # WebVTT blocks that are not cues


class SubtitleError(MediactlError):
    """A subtitle file that cannot be burned in as it is; `file` and `line` say where."""

    def __init__(self, file: str, line: int | None, message: str) -> None:
        super().__init__(str(Problem(file=file, line=line, message=message)))
        self.file = file
        self.line = line


@dataclass(frozen=True)
class Cue:
    """One subtitle: shown from `start` to `end` seconds of the source, `text` as the check read it.

    `index` counts the cues of the file from 1; `line` is the line of its timing line.
    """

    index: int
    start: float
    end: float
    text: str
    line: int


def read_cues(path: Path, display: str | None = None) -> list[Cue]:
    """The cues of an .srt or .vtt file; `display` names it in errors (default: the path)."""
    display = display or str(path)
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise SubtitleError(display, None, f"subtitles must be an .srt or .vtt file, not '{Path(path).suffix}'")
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SubtitleError(display, None, f"cannot read the subtitle file ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SubtitleError(display, line, f"not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    return parse_cues(text.removeprefix("\ufeff"), display, fmt)


def parse_cues(text: str, display: str, fmt: str) -> list[Cue]:
    """The cues of subtitle `text` in `fmt` ("srt" or "vtt"), in file order."""
    if fmt not in _TIMING:
        raise ValueError(f"subtitle format must be srt or vtt, not {fmt!r}")
    blocks = _blocks(text.replace("\r\n", "\n").replace("\r", "\n"))
    if fmt == "vtt":
        blocks = _vtt_cue_blocks(blocks, display)
    cues = [_cue(block, number, display, fmt) for number, block in enumerate(blocks, start=1)]
    if not cues:
        raise SubtitleError(display, None, "no subtitle cues in the file (it is empty)")
    return cues


def _blocks(src: str) -> list[list[tuple[int, str]]]:
    """Runs of non-blank lines, each line with its 1-based number (the check's paragraphs)."""
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for number, line in enumerate(src.split("\n"), start=1):
        if line.strip():
            current.append((number, line))
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _vtt_cue_blocks(blocks: list[list[tuple[int, str]]], display: str) -> list[list[tuple[int, str]]]:
    """The cue blocks of a WebVTT file: after the WEBVTT header, without NOTE, STYLE and REGION blocks."""
    first = blocks[0][0][1] if blocks else ""
    if not blocks or blocks[0][0][0] != 1 or not re.fullmatch(r"WEBVTT(?:[ \t].*)?", first):
        raise SubtitleError(display, 1, "not a WebVTT file: its first line must be WEBVTT")
    cues = []
    for block in blocks[1:]:
        keyword = block[0][1].split(maxsplit=1)[0]
        if keyword not in _VTT_BLOCKS:
            cues.append(block)
        elif any("-->" in line for _, line in block):  # the check would read it as a cue: not one here
            number = next(number for number, line in block if "-->" in line)
            raise SubtitleError(
                display, number, f"a {keyword} block cannot hold '-->'; end the block with a blank line"
            )
    return cues


def _cue(block: list[tuple[int, str]], index: int, display: str, fmt: str) -> Cue:
    """One cue block: an optional number or identifier line, the timing line, the text lines."""
    timing = next((at for at, (_, line) in enumerate(block) if "-->" in line), None)
    if timing is None or timing > 1:  # where the timing line belongs: after a cue number or identifier, if any
        numbered = len(block) > 1 and (timing is not None or block[0][1].strip().isdigit())
        number, line = block[1] if numbered else block[0]
        raise SubtitleError(display, number, f"expected a timing line such as {_SHAPE[fmt]}, got {line.strip()!r}")
    number, line = block[timing]
    match = _TIMING[fmt].fullmatch(line)
    if match is None:
        raise SubtitleError(display, number, f"bad timing line {line.strip()!r}; expected {_SHAPE[fmt]}")
    start, end = _seconds(match, "a"), _seconds(match, "b")
    if start is None or end is None:
        raise SubtitleError(display, number, f"bad time in {line.strip()!r}: minutes and seconds run from 00 to 59")
    if end <= start:
        raise SubtitleError(display, number, f"the cue ends at {match['b']}, not after it starts at {match['a']}")
    text = join_cue_lines(cue_line_text(text_line, entities=fmt == "vtt") for _, text_line in block[timing + 1 :])
    if not text:
        raise SubtitleError(display, number, "the cue has no text to show")
    return Cue(index, start, end, text, number)


def _seconds(match: re.Match[str], side: str) -> float | None:
    hours, minutes, seconds = (int(match[f"{side}{part}"] or 0) for part in ("h", "m", "s"))
    if minutes > 59 or seconds > 59:
        return None
    return hours * 3600 + minutes * 60 + seconds + int(match[f"{side}ms"]) / 1000
