"""A container's history on its page: health (timeline, % healthy and up, restarts) and resource charts over
1 h, 24 h, 7 d or 30 d."""

from __future__ import annotations

from datetime import timedelta

from nicegui import ui

from components.coalesced import Coalesced
from components.health_timeline import health_shares, health_timeline
from components.stat_charts import stat_charts
from components.stat_shapes import SPANS, HealthHistorySource, Span, StatHistorySource, seconds
from components.ticker import every
from ops.clock import utc_now

SHARE_SPANS: tuple[Span, ...] = ('24h', '7d', '30d')
REFRESH_SECONDS = 60


class container_history(ui.card):
    """The span toggle, then health and resources; loads on open, on a new span and every minute."""

    def __init__(
        self, name: str, stats: StatHistorySource | None, health: HealthHistorySource | None, span: Span = '24h'
    ) -> None:
        super().__init__()
        self.name = name
        self.span: Span = span
        self._stats = stats
        self._health = health
        self.classes('w-full gap-2').props('flat bordered data-testid=container-history')
        with self:
            with ui.row().classes('w-full items-center gap-2'):
                ui.icon('query_stats').classes('opacity-70')
                ui.label('History').classes('text-base font-semibold')
                ui.space()
                ui.toggle({s: s.replace('h', ' h').replace('d', ' d') for s in SPANS}, value=span).props(
                    'dense no-caps size=sm data-testid=span'
                ).on_value_change(lambda event: self.choose(event.value))
            self.timeline = health_timeline() if health is not None else None
            self.shares = health_shares() if health is not None else None
            self.charts = stat_charts() if stats is not None else None
        self._loader = Coalesced(self.load, name=f'history of {name}')
        self._loader.request()
        every(REFRESH_SECONDS, self._loader.request)

    def choose(self, span: Span) -> None:
        self.span = span
        self._loader.request()

    async def load(self) -> None:
        """Ask the histories for the chosen span (and the fixed 24 h / 7 d / 30 d shares) and draw."""
        span = self.span
        if self._stats is not None and self.charts is not None:
            self.charts.show(await self._stats.series(self.name, span), span)
        if self._health is not None and self.timeline is not None and self.shares is not None:
            intervals = await self._health.timeline(self.name, span)
            ooms = [seconds(mark.at) for mark in await self._health.marks(self.name, span) if mark.kind == 'oom']
            self.timeline.show(intervals, span, ooms=ooms)
            healthy = {s: await self._health.healthy_share(self.name, s) for s in SHARE_SPANS}
            up = {s: await self._health.uptime_share(self.name, s) for s in SHARE_SPANS}
            week = utc_now() - timedelta(days=7)
            restarts = await self._health.restarts(self.name, week)
            self.shares.show({'Healthy': healthy, 'Up': up}, restarts, await self._health.oom_kills(self.name, week))
