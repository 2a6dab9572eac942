"""Plain HTTP routes: liveness for health checks and proxies, and the JSON summary for other dashboards."""

from __future__ import annotations

from fastapi.responses import JSONResponse
from nicegui import app

from app.system import System
from ops.summary import build_summary


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
            )
        )
