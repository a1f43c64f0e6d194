"""`mediactl stats chart`: a counter's trend per channel over time, and the top items, as PNG or SVG.

Drawn with matplotlib (Agg: no display needed), its labels in the project's bundled CJK font (the Noto
Sans CJK collection graphics/fonts.py resolves), registered with matplotlib's font manager, so item
titles and channel names render as Chinese and never as boxes. The trend of a channel at a time is the
sum over its posts of each post's latest number at that time (a post asked at 09:00 and not again
still counts at 10:00); the bars are the items' latest numbers over all their channels.
"""

from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediactl.core.errors import UsageError
from mediactl.graphics.fonts import default_font_path

if TYPE_CHECKING:  # annotations only
    from mediactl.publish.metricstore import Snapshot

FORMATS = (".png", ".svg")
FAMILY = "Noto Sans CJK SC"
DPI = 100
TOP_ITEMS = 8


def draw(snapshots: list[Snapshot], metric: str, out: Path, *, titles: dict[str, str], size: tuple[int, int],
         title: str) -> int:  # fmt: skip
    """Write the chart of `metric` to `out` (.png at `size` pixels, or .svg); how many posts it shows."""
    if out.suffix.lower() not in FORMATS:
        raise UsageError(f"--out {out}: write a .png or an .svg picture")
    if not all(100 <= side <= 10_000 for side in size):
        raise UsageError(f"--width/--height {size[0]}×{size[1]}: each between 100 and 10000 pixels")
    wanted = [s for s in snapshots if metric in s.counters]
    if not wanted:
        raise UsageError(f"no snapshot holds {metric!r} in that time: run `mediactl stats pull`, or choose --metric "
                         f"from those kept: {', '.join(sorted({n for s in snapshots for n in s.counters})) or 'none'}")  # fmt: skip
    pyplot = _pyplot()
    figure, (trend, top) = pyplot.subplots(1, 2, figsize=(size[0] / DPI, size[1] / DPI), dpi=DPI,
                                           gridspec_kw={"width_ratios": [3, 2]})  # fmt: skip
    try:
        _trend(trend, wanted, metric)
        _top(top, wanted, metric, titles)
        figure.suptitle(f"{title}：{metric}")
        figure.tight_layout()
        out.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(out, dpi=DPI, format=out.suffix.lower().lstrip("."))
    finally:
        pyplot.close(figure)
    return len({s.job_id for s in wanted})


@functools.cache
def _pyplot() -> Any:
    """matplotlib's pyplot on the Agg backend, with the bundled CJK font registered and made the default."""
    import matplotlib  # lazy: ~0.3 s, only when a chart is drawn

    matplotlib.use("Agg", force=True)
    from matplotlib import font_manager, pyplot  # lazy: as matplotlib above, and after choosing the backend

    font_manager.fontManager.addfont(str(default_font_path()))
    matplotlib.rcParams["font.family"] = [FAMILY]
    matplotlib.rcParams["axes.unicode_minus"] = False  # U+2212 is in the font, but the hyphen reads the same
    matplotlib.rcParams["svg.fonttype"] = "path"  # an SVG that shows the same glyphs without the font installed
    return pyplot


def _trend(axes: Any, snapshots: list[Snapshot], metric: str) -> None:
    latest: dict[int, int] = {}
    channel_of: dict[int, str] = {}
    series: dict[str, dict[float, int]] = {}
    for snapshot in snapshots:  # oldest first; one pull's posts share a time: its channel's point is their sum
        latest[snapshot.job_id] = snapshot.counters[metric]
        channel_of[snapshot.job_id] = snapshot.channel
        total = sum(v for job, v in latest.items() if channel_of[job] == snapshot.channel)
        series.setdefault(snapshot.channel, {})[snapshot.taken_at] = total
    for channel, points in sorted(series.items()):
        times = sorted(points)
        axes.plot([datetime.fromtimestamp(t) for t in times], [points[t] for t in times], marker="o", label=channel)
    axes.set_title(f"各渠道趋势（{metric}）")
    axes.set_ylabel(metric)
    axes.legend(loc="upper left")
    axes.grid(alpha=0.3)
    axes.figure.autofmt_xdate()


def _top(axes: Any, snapshots: list[Snapshot], metric: str, titles: dict[str, str]) -> None:
    latest: dict[int, tuple[str, int]] = {}
    for snapshot in snapshots:
        latest[snapshot.job_id] = (snapshot.item, snapshot.counters[metric])
    per_item: dict[str, int] = {}
    for item, value in latest.values():
        per_item[item] = per_item.get(item, 0) + value
    ranked = sorted(per_item.items(), key=lambda pair: (-pair[1], pair[0]))[:TOP_ITEMS][::-1]
    labels = [_short(titles.get(item, item)) for item, _ in ranked]
    axes.barh(labels, [value for _, value in ranked], color="#c0392b")
    axes.set_title(f"热门内容（{metric}）")
    axes.grid(axis="x", alpha=0.3)


def _short(text: str, limit: int = 14) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
