"""Plain HTTP routes: liveness for health checks and proxies, the JSON summary for other dashboards and the
Prometheus metrics."""

from __future__ import annotations

from datetime import timedelta

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from nicegui import app

from app.system import System
from ops.clock import utc_now
from ops.maintenance.status import maintenance_status
from ops.stats.console_counts import outbox_by_state, runs_by_operation_and_state
from ops.stats.samples import ContainerSample
from ops.summary import build_summary

DEFAULT_INTERVAL = 10.0


def register_api(system: System) -> None:
    @app.get('/healthz', include_in_schema=False)
    def healthz() -> JSONResponse:
        # Liveness only: no data, no auth, answers even when the Docker engine is down.
        return JSONResponse({'status': 'ok'})

    @app.get('/summary', include_in_schema=False)
    async def summary() -> JSONResponse:
        # The gate lets this through only with a session or an `Authorization: Bearer` token.
        signals = getattr(system, 'host_signals', None)
        supervisor = system.supervisor
        return JSONResponse(
            await build_summary(
                system.observer,
                getattr(signals, 'report', None),
                drifts=supervisor.drifts,
                managed=sorted(system.config.stacks),
                alerts=system.alerts.open_alerts(),
                samples=usage_now(system),
                maintenance=await maintenance_status(system.auto_approval, system.scheduler),
            )
        )

    @app.get('/metrics', include_in_schema=False)
    async def metrics(request: Request) -> Response:
        # The gate lets this through only with a session or an `Authorization: Bearer` token (what a scraper sends).
        # prometheus-client is loaded at the first scrape: a console nobody scrapes does not carry it.
        from ops.stats.metrics import Scrape, exposition

        scrape = Scrape(
            containers=list(system.observer.containers.values()),
            samples=usage_now(system) or {},
            engine_reachable=system.observer.engine_state.reachable,
            host=system.sampler.last,
            filesystems=system.host_signals.report.filesystems,
            alerts=system.alerts.open_alerts(),
            runs=await runs_by_operation_and_state(),
            outbox=await outbox_by_state(),
            restarts=await restarts_today(system),
        )
        body, content_type = exposition(scrape, request.headers.get('accept'))
        return Response(body, headers={'Content-Type': content_type})


def usage_now(system: System) -> dict[str, ContainerSample] | None:
    """The stats collector's fresh samples of the running containers (None: no collector)."""
    return system.stats.current()


async def restarts_today(system: System) -> dict[str, int]:
    """Restarts in the last 24 h per container name, from the health history (one query, whatever changes meanwhile)."""
    counts = await system.health_history.restarts_since(utc_now() - timedelta(hours=24))
    return {info.name: counts.get(info.name, 0) for info in list(system.observer.containers.values())}
