"""Every cookie Secure when the request came over HTTPS (directly, or through a trusted proxy)."""

from __future__ import annotations

from nicegui import app
from nicegui.storage import RequestTrackingMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class SecureCookies:
    """Plain ASGI middleware: adds `Secure` to each Set-Cookie of an https response that lacks it."""

    def __init__(self, asgi: ASGIApp) -> None:
        self.app = asgi

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The scheme is the proxy's X-Forwarded-Proto only when uvicorn trusts that proxy (HOMELAB_TRUSTED_PROXIES).
        if scope['type'] != 'http' or scope.get('scheme') != 'https':
            await self.app(scope, receive, send)
            return

        async def send_secure(message: Message) -> None:
            if message['type'] == 'http.response.start':
                message['headers'] = [
                    (name, secure(value) if name.lower() == b'set-cookie' else value)
                    for name, value in message.get('headers', [])
                ]
            await send(message)

        await self.app(scope, receive, send_secure)


def secure(cookie: bytes) -> bytes:
    attributes = [part.strip().lower() for part in cookie.split(b';')[1:]]
    return cookie if b'secure' in attributes else cookie + b'; Secure'


def install_session_cookie(storage_secret: str) -> None:
    """NiceGUI's own `session` cookie, wrapped by SecureCookies. NiceGUI adds these two middlewares itself when
    the server starts, outside everything added before; added here first (same order), it only appends one more
    request tracker inside, and SecureCookies can sit outside the session middleware that sets the cookie."""
    app.add_middleware(RequestTrackingMiddleware)
    app.add_middleware(SessionMiddleware, secret_key=storage_secret)
    app.add_middleware(SecureCookies)
