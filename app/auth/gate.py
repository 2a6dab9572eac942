"""The login gate: every route needs a session (or, for JSON routes, a bearer token) except the few listed here."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from nicegui import Client, app, ui
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from app.auth.oidc import OIDC_PATHS
from app.auth.sessions import COOKIE, SessionPolicy, Sessions
from app.auth.tokens import bearer, token_owner
from components.ticker import every

OPEN_PATHS = frozenset({'/login', '/healthz', '/auth/complete'}) | OIDC_PATHS
# NiceGUI's own static assets and its websocket; the websocket only serves pages already gated here.
OPEN_PREFIXES = ('/_nicegui/', '/_nicegui_ws/')
JSON_PREFIXES = ('/summary', '/api/')
# How often an open page re-checks its session, so a sign-out elsewhere or a timeout closes it too.
SESSION_RECHECK = 30.0

_sessions = Sessions()


def sessions() -> Sessions:
    return _sessions


def safe_redirect(target: str | None) -> str:
    """Only local paths: '/x' yes; '//evil', 'http://evil' or '/\\evil' fall back to '/'."""
    if not target or not target.startswith('/') or target.startswith(('//', '/\\')):
        return '/'
    return target


class LoginGate(BaseHTTPMiddleware):
    """Anonymous page requests go to /login; anonymous JSON requests get 401 unless they carry a valid token."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        path = request.url.path
        if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
            return await call_next(request)
        signed_in = await _sessions.check(request.cookies.get(COOKIE))
        if signed_in is not None:
            request.state.user = signed_in.username
            # Pages read who is signed in from NiceGUI's per-browser storage (kept in step with the session).
            app.storage.user.update(authenticated=True, username=signed_in.username)
            return await call_next(request)
        app.storage.user.pop('authenticated', None)
        if path.startswith(JSON_PREFIXES):
            token = bearer(request.headers.get('authorization'))
            owner = await token_owner(token) if token else None
            if owner is not None:
                request.state.user = f'token:{owner}'
                return await call_next(request)
            return JSONResponse({'error': 'authentication required'}, status_code=401)
        return RedirectResponse(f'/login?redirect_to={quote(path)}', status_code=303)


def install_gate(policy: SessionPolicy | None = None) -> None:
    global _sessions
    _sessions = Sessions(policy)
    app.add_middleware(LoginGate)

    watched: set[str] = set()

    @app.on_connect
    def watch_session(client: Client) -> None:
        request = client.request
        if request is None or request.url.path in OPEN_PATHS or client.id in watched:
            return
        watched.add(client.id)
        sid = request.cookies.get(COOKIE)

        async def recheck() -> None:
            if await _sessions.check(sid) is None:
                stop()
                with client:
                    ui.navigate.to('/login')

        with client:
            # An app-wide ticker, not a ui.timer: a closed page is let go at once, not at the next recheck.
            stop = every(SESSION_RECHECK, recheck)
        client.on_delete(lambda: watched.discard(client.id))

    @app.get('/auth/complete', include_in_schema=False)
    async def complete_sign_in(request: Request, ticket: str = '') -> Response:
        """Turn a one-time sign-in ticket into a brand-new session cookie (the id changes at every sign-in)."""
        redeemed = _sessions.redeem_ticket(ticket)
        if redeemed is None:
            return RedirectResponse('/login', status_code=303)
        username, client, target = redeemed
        sid = await _sessions.start(username, client)
        app.storage.user.update(authenticated=True, username=username)
        response = RedirectResponse(safe_redirect(target), status_code=303)
        secure = request.url.scheme == 'https' or request.headers.get('x-forwarded-proto', '').startswith('https')
        response.set_cookie(COOKIE, sid, httponly=True, samesite='lax', secure=secure, path='/')
        return response

    @app.get('/logout', include_in_schema=False)
    async def sign_out(request: Request) -> Response:
        """End the session on the server, forget it in the browser."""
        await _sessions.end(request.cookies.get(COOKIE))
        app.storage.user.clear()
        response = RedirectResponse('/login', status_code=303)
        response.delete_cookie(COOKIE, path='/')
        return response
