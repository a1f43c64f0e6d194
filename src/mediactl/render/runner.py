"""Render orchestration: plan, skip what is fresh, render the rest in parallel, remember hashes.

Only changed variants reach the workers; the no-op path computes input hashes
and stats files, nothing more. Workers render all variants of one item (items
are independent; Pillow and Jinja work is CPU-bound, so processes, not threads).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mediactl.config.model import Config
from mediactl.core.errors import MediactlError
from mediactl.library.scan import Library
from mediactl.render import manifest as manifest_io
from mediactl.render.errors import VariantError
from mediactl.render.index import InputHasher, RenderIndex
from mediactl.render.plan import Planned, plan_variants

Progress = Callable[[int], None]
EncodeProgress = Callable[[str, float | None], None]  # variant key, fraction encoded (None: finished)


@dataclass(frozen=True)
class VariantResult:
    key: str
    item: str
    channel: str
    status: str  # rendered | unchanged | failed
    path: str = ""
    error: str = ""
    input_hash: str = ""
    content_hash: str = ""
    warnings: tuple[str, ...] = ()  # rendered, but something to look at (a field cut mid-sentence)


@dataclass(frozen=True)
class RenderDisplay:
    """What shows a render under way (a command's progress bars): finished variants, their total, each encode."""

    progress: Progress | None = None
    on_total: Callable[[int], None] | None = None
    on_encode: EncodeProgress | None = None


@dataclass
class RenderSummary:
    results: list[VariantResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def failed(self) -> list[VariantResult]:
        return [r for r in self.results if r.status == "failed"]


def variant_folder(config: Config, planned: Planned) -> Path:
    return config.build_path / planned.channel.name / planned.item.slug


def shown_folder(config: Config, planned: Planned) -> str:
    """The variant folder as printed, relative to the project (no filesystem calls)."""
    return f"{config.render.output}/{planned.channel.name}/{planned.item.slug}"


def render(
    config: Config,
    library: Library,
    slugs: list[str] | None = None,
    channel: str | None = None,
    *,
    force: bool = False,
    jobs: int = 0,
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
    on_encode: EncodeProgress | None = None,
) -> RenderSummary:
    """Render what changed; `progress` counts finished variants, `on_encode(key, fraction)` follows each encode."""
    planned, refused = plan_variants(library, config, slugs, channel)
    summary = RenderSummary([_failed(p, error) for p, error in refused])
    index = RenderIndex.load(config)
    hasher = InputHasher(config, index)
    todo: dict[str, list[tuple[str, str]]] = {}
    if on_total:
        on_total(len(planned))
    for item_plan in planned:
        input_hash = hasher.input_hash(item_plan)
        if not force and index.fresh(item_plan.key, input_hash, f"{config.build_path}/{item_plan.key}"):
            entry = index.variants[item_plan.key]
            summary.results.append(
                VariantResult(
                    item_plan.key,
                    item_plan.item.slug,
                    item_plan.channel.name,
                    "unchanged",
                    shown_folder(config, item_plan),
                    input_hash=input_hash,
                    content_hash=entry["content"],
                )
            )
            if progress:
                progress(1)
            continue
        todo.setdefault(item_plan.item.slug, []).append((item_plan.channel.name, input_hash))
    for result in _run(config, library, todo, jobs, progress, on_encode):
        summary.results.append(result)
        if result.status == "rendered":
            index.record(result.key, result.input_hash, result.content_hash)
        else:
            index.forget(result.key)
    index.save()
    summary.results.sort(key=lambda r: (r.item, r.channel))
    return summary


def _run(config: Config, library: Library, todo: dict[str, list[tuple[str, str]]], jobs: int,
         progress: Progress | None, on_encode: EncodeProgress | None) -> list[VariantResult]:  # fmt: skip
    workers = min(jobs or os.cpu_count() or 1, len(todo))
    if workers > 1:
        from mediactl.render.workers import run_parallel  # lazy: the pool's machinery only for a parallel render

        return run_parallel(config, library, todo, workers, progress, on_encode)
    results: list[VariantResult] = []
    for slug, variants in todo.items():
        done = render_item(config, library, slug, variants, on_encode)
        results.extend(done)
        if progress:
            progress(len(done))
    return results


def render_item(config: Config, library: Library, slug: str, variants: list[tuple[str, str]],
                on_encode: EncodeProgress | None = None) -> list[VariantResult]:  # fmt: skip
    """Render the item's variants one after the other; `on_encode` hears each encode's progress, and (key, None)
    when its variant is finished, whatever the outcome, so a display can take its bar away."""
    item = library.get(slug)
    results = []
    for name, input_hash in variants:
        planned = Planned(item, config.channel(name))
        encoding = functools.partial(on_encode, planned.key) if on_encode else None
        try:
            results.append(render_variant(config, planned, input_hash, encoding))
        finally:
            if on_encode:
                on_encode(planned.key, None)
    return results


def render_variant(
    config: Config, planned: Planned, input_hash: str, progress: Callable[[float], None] | None = None
) -> VariantResult:
    """Render one variant completely, or return why not; never leaves partial files."""
    from mediactl.render.build import build_variant  # lazy: start-up, a no-op render never imports jinja2 or Pillow

    folder = variant_folder(config, planned)
    try:
        files, manifest, staged = build_variant(config, planned, input_hash, progress)
        manifest_io.write_variant(folder, files, manifest, staged)
    except VariantError as exc:
        return _failed(planned, exc)
    except MediactlError as exc:  # layout, font and image errors name their own file
        return _failed(planned, VariantError(planned.item.file, exc.message))
    return VariantResult(
        planned.key, planned.item.slug, planned.channel.name, "rendered", shown_folder(config, planned),
        input_hash=input_hash, content_hash=manifest["content_hash"], warnings=tuple(manifest["warnings"]),
    )  # fmt: skip


def _failed(planned: Planned, error: VariantError) -> VariantResult:
    return VariantResult(planned.key, planned.item.slug, planned.channel.name, "failed", error=error.message)
