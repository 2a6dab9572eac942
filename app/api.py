"""Plain HTTP routes: liveness for health checks and proxies."""

from __future__ import annotations

from fastapi.responses import JSONResponse
from nicegui import app


def register_api() -> None:
    @app.get('/healthz', include_in_schema=False)
    def healthz() -> JSONResponse:
        # Liveness only: no data, no auth, answers even when the Docker engine is down.
        return JSONResponse({'status': 'ok'})
