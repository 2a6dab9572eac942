"""The login gate: every route needs a session (or, for the routes programs read, a bearer token) except the few
listed here."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from nicegui import app
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from app.auth.known_browsers import known_browsers
from app.auth.live_session import AuditAppend, LivePages
from app.auth.oidc_settings import OIDC_PATHS, START_PATH
from app.auth.sessions import COOKIE, SessionPolicy, Sessions
from app.auth.sign_in_browser import browser_mark, give_browser_cookie, is_https, prepare_browser_cookie
from app.auth.tokens import bearer, token_owner

OPEN_PATHS = frozenset({'/login', '/healthz', '/auth/complete'}) | OIDC_PATHS
# NiceGUI's own static assets and its websocket; the websocket only serves pages already gated here.
OPEN_PREFIXES = ('/_nicegui/', '/_nicegui_ws/')
# The routes programs read (JSON, Prometheus' /metrics): a session or an `Authorization: Bearer` token, else 401.
JSON_PREFIXES = ('/summary', '/metrics', '/api/')
# Where a sign-in starts: the browser gets its sign-in cookie here (app/auth/sign_in_browser.py).
SIGN_IN_STARTS = frozenset({'/login', START_PATH})
# How often open pages re-check their session, so an idle page of an ended session goes to /login by itself.
# (Every event re-checks at once, whatever this is: app/auth/live_session.py.)
SESSION_RECHECK = 30.0
# Sign-out by GET only asks; the POST that ends the session comes from this console's own page.
SIGN_OUT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign out · Homelab</title></head>
<body style="font-family: system-ui, sans-serif; display: grid; place-items: center; min-height: 90vh">
<form method="post" action="/logout"><p>Sign out of the Homelab console?</p>
<button type="submit" data-testid="sign-out">Sign out</button> <a href="/">Stay signed in</a></form>
</body></html>
"""

_sessions = Sessions()
_live = LivePages(lambda: _sessions, None, lambda path: path in OPEN_PATHS)


def sessions() -> Sessions:
    return _sessions


def safe_redirect(target: str | None) -> str:
    """A plain local path, else '/': exactly one leading '/', no backslash, no control character anywhere.

    Browsers drop TAB/CR/LF inside a URL and read '\\' as '/', so '/\\t/evil.example' would become '//evil.example'.
    """
    if not target or not target.startswith('/') or target.startswith('//') or '\\' in target:
        return '/'
    if any(char < ' ' or '\x7f' <= char <= '\x9f' for char in target):
        return '/'
    return target


def same_origin(request: Request) -> bool:
    """A browser request sent by a page of this console (not another site, nor a sibling port or subdomain).

    Browsers set Sec-Fetch-Site themselves and no page can change it, so it decides when present. Under our
    `Referrer-Policy: no-referrer` a form POST carries `Origin: null`, so Origin is only the fallback for
    browsers without Sec-Fetch-Site."""
    site = request.headers.get('sec-fetch-site')
    if site is not None:
        return site == 'same-origin'
    origin = request.headers.get('origin', 'null')
    return origin != 'null' and urlsplit(origin).netloc == request.headers.get('host', '')


class LoginGate(BaseHTTPMiddleware):
    """Anonymous page requests go to /login; anonymous JSON and /metrics requests get 401 unless they carry a valid
    token."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        path = request.url.path
        if path in SIGN_IN_STARTS:
            fresh = prepare_browser_cookie(request)
            response = await call_next(request)
            if fresh is not None:
                give_browser_cookie(response, fresh, secure=is_https(request))
            return response
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


def install_gate(policy: SessionPolicy | None = None, audit: AuditAppend | None = None) -> None:
    """The gate for HTTP, the session check for every browser event, sign-in completion and sign-out."""
    global _sessions, _live
    _sessions = Sessions(policy)
    _live = LivePages(lambda: _sessions, audit, lambda path: path in OPEN_PATHS)
    _live.install()
    app.add_middleware(LoginGate)
    app.on_connect(_live.watch)
    app.timer(SESSION_RECHECK, _live.recheck, immediate=False)

    @app.get('/auth/complete', include_in_schema=False)
    async def complete_sign_in(request: Request, ticket: str = '') -> Response:
        """Turn a one-time sign-in ticket into a brand-new session cookie (the id changes at every sign-in)."""
        redeemed = _sessions.redeem_ticket(ticket, browser_mark(request))
        if redeemed is None:
            return RedirectResponse('/login', status_code=303)
        username, client, target = redeemed
        sid = await _sessions.start(username, client)
        app.storage.user.update(authenticated=True, username=username)
        response = RedirectResponse(safe_redirect(target), status_code=303)
        response.set_cookie(COOKIE, sid, httponly=True, samesite='lax', secure=is_https(request), path='/')
        if ':' not in username:  # a password user: this browser is now known, the throttle lets it past a flood
            known_browsers().remember(response, username, secure=is_https(request))
        return response

    @app.get('/logout', include_in_schema=False)
    async def ask_to_sign_out() -> Response:
        """A link (from anywhere) only asks: the session ends by the POST this page's button sends."""
        return HTMLResponse(SIGN_OUT_PAGE)

    @app.post('/logout', include_in_schema=False)
    async def sign_out(request: Request) -> Response:
        """End the session on the server and forget it in the browser; its open pages go to /login now."""
        if not same_origin(request):
            return HTMLResponse('Sign-out must come from the console itself.', status_code=403)
        sid = request.cookies.get(COOKIE)
        await _sessions.end(sid)
        _live.end_session(sid)
        app.storage.user.clear()
        response = RedirectResponse('/login', status_code=303)
        response.delete_cookie(COOKIE, path='/')
        return response
