"""The login gate: every route needs a session except the few listed here."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from nicegui import app
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

OPEN_PATHS = frozenset({'/login', '/healthz'})
# NiceGUI's own static assets and its websocket; the websocket only serves pages already gated here.
OPEN_PREFIXES = ('/_nicegui/', '/_nicegui_ws/')
JSON_PREFIXES = ('/summary', '/api/')


def is_signed_in() -> bool:
    return bool(app.storage.user.get('authenticated'))


def safe_redirect(target: str | None) -> str:
    """Only local paths: '/x' yes; '//evil', 'http://evil' or '/\\evil' fall back to '/'."""
    if not target or not target.startswith('/') or target.startswith(('//', '/\\')):
        return '/'
    return target


class LoginGate(BaseHTTPMiddleware):
    """Anonymous page requests go to /login; anonymous JSON requests get 401."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        path = request.url.path
        if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES) or is_signed_in():
            return await call_next(request)
        if path.startswith(JSON_PREFIXES):
            return JSONResponse({'error': 'authentication required'}, status_code=401)
        return RedirectResponse(f'/login?redirect_to={quote(path)}', status_code=303)


def install_gate() -> None:
    app.add_middleware(LoginGate)
