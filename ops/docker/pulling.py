"""Pulling one image for a run: per-layer progress, cancellation, and whether the image changed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from ops.docker.calls import blocking
from ops.docker.details import ImageRef
from ops.docker.layers import PullEvent
from ops.docker.streams import Cancel
from ops.run_context import RunContext


@dataclass(frozen=True, kw_only=True, slots=True)
class PullOutcome:
    """The image a reference pointed at before and after a pull."""

    image: str
    before: ImageRef | None
    after: ImageRef

    @property
    def changed(self) -> bool:
        """The reference now points at another image (or there was none before)."""
        return self.before is None or self.before.id != self.after.id

    def as_result(self) -> dict[str, Any]:
        """The JSON-ready part of a run's result."""
        return {
            'image': self.image,
            'changed': self.changed,
            'image_id_before': self.before.id if self.before else None,
            'image_id': self.after.id,
            'digest_before': self.before.digest_for(self.image) if self.before else None,
            'digest': self.after.digest_for(self.image),
        }


async def pull_image(ctx: RunContext, image: str, *, key_prefix: str = '') -> PullOutcome:
    """Pull `image` in a worker thread, reporting each layer as ctx.progress(key=key_prefix + layer id)."""
    engine = ctx.adapters.engine
    before = await blocking(engine.image_ref, image)
    ctx.log(f'pulling {image}')
    loop = asyncio.get_running_loop()
    layers = _LayerReport(ctx, key_prefix)
    cancel = Cancel()
    watcher = asyncio.create_task(_cancel_when_cancelled(ctx, cancel))
    try:
        after = await asyncio.to_thread(
            engine.pull, image, lambda event: loop.call_soon_threadsafe(layers.report, event), cancel=cancel
        )
    finally:
        # Also when this task is cancelled (timeout, cancel): the worker thread must not pull on.
        cancel.set()
        watcher.cancel()
    outcome = PullOutcome(image=image, before=before, after=after)
    ctx.log(f'{image}: {"new image " + after.id if outcome.changed else "already up to date"}')
    return outcome


async def _cancel_when_cancelled(ctx: RunContext, cancel: Cancel) -> None:
    await ctx.cancelled.wait()
    cancel.set()


@dataclass
class _LayerReport:
    """Turns pull events into progress bars (one per layer) and an output line per layer status change."""

    ctx: RunContext
    prefix: str
    totals: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)

    def report(self, event: PullEvent) -> None:
        if event.layer is None:
            self.ctx.log(event.status)
            return
        layer = event.layer
        if event.total:
            self.totals[layer] = event.total
        total = self.totals.get(layer)
        current = (total or 1) if event.done else (event.current or 0)
        self.ctx.progress(
            key=self.prefix + layer,
            label=f'layer {layer}',
            current=current,
            total=(total or 1) if event.done else total,
            status=event.status,
        )
        if self.statuses.get(layer) != event.status:
            self.statuses[layer] = event.status
            self.ctx.log(f'{layer}: {event.status}')
