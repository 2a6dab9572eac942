"""Browser hardening: security headers on every response, and no websocket from a foreign Origin."""

from __future__ import annotations

from nicegui import app, core
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# NiceGUI needs inline scripts (its page bootstrap, no nonces) and eval (Vue's runtime template compiler,
# run_javascript, ':'-props); 'self' still keeps every script of another origin out.
CSP = (
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "frame-ancestors 'none'; object-src 'none'; base-uri 'none'; form-action 'self'"
)
HEADERS = (
    (b'x-content-type-options', b'nosniff'),
    (b'referrer-policy', b'no-referrer'),
    (b'content-security-policy', CSP.encode()),
    (b'x-frame-options', b'DENY'),
    (b'cross-origin-opener-policy', b'same-origin'),
)
STATIC_PREFIX = '/_nicegui/'


class SecurityHeaders:
    """Plain ASGI middleware (cheap on every response): adds the headers; pages are never cached."""

    def __init__(self, asgi: ASGIApp) -> None:
        self.app = asgi

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http':
            await self.app(scope, receive, send)
            return
        is_page = not str(scope.get('path', '')).startswith(STATIC_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message['type'] == 'http.response.start':
                headers = [(k, v) for k, v in message.get('headers', []) if k.lower() not in _REPLACED]
                headers.extend(HEADERS)
                if is_page:
                    headers = [(k, v) for k, v in headers if k.lower() != b'cache-control']
                    headers.append((b'cache-control', b'no-store'))
                message['headers'] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


_REPLACED = {name for name, _ in HEADERS}


def install_hardening(expected_hosts: list[str]) -> None:
    """Security headers, and 400 for any other Host than `expected_hosts` (forwarding.expected_hosts): on pages,
    the socket.io polling path and the websocket alike, so a DNS-rebinding page gets neither page nor socket."""
    app.add_middleware(SecurityHeaders)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=expected_hosts, www_redirect=False)
    # NiceGUI allows any Origin on its socket.io endpoint; None means "same origin only" (the Host we serve).
    core.sio.eio.cors_allowed_origins = None
