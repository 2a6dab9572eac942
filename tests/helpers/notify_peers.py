"""Real receivers on 127.0.0.1 for the notification channels: an SMTP server (aiosmtpd) and an HTTP server that
keeps every POST (json:// and ntfy:// channels); both start, stop and start again on the same port."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.helpers.console import free_port
from tests.helpers.waiting import wait_for


@dataclass
class Post:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """Collects every POST and answers 200; `port` stays the same across stop() and start()."""

    port: int = field(default_factory=free_port)
    posts: list[Post] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def start(self) -> HttpReceiver:
        posts = self.posts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get('Content-Length') or 0)
                posts.append(Post(self.path, dict(self.headers.items()), self.rfile.read(length)))
                self.send_response(200)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', '2')
                self.end_headers()
                self.wfile.write(b'{}')

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(('127.0.0.1', self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait_for_posts(self, count: int, timeout: float = 30.0) -> list[Post]:
        wait_for(lambda: len(self.posts) >= count, timeout=timeout, what=f'{count} POST(s) at the receiver')
        return list(self.posts)


class _Keep:
    def __init__(self, mails: list[Message]) -> None:
        self.mails = mails

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        self.mails.append(message_from_bytes(content))
        return '250 OK'


@dataclass
class SmtpReceiver:
    """An aiosmtpd server on a free loopback port keeping every message it is given."""

    port: int = field(default_factory=free_port)
    mails: list[Message] = field(default_factory=list)
    _controller: Controller | None = None

    def start(self) -> SmtpReceiver:
        self._controller = Controller(_Keep(self.mails), hostname='127.0.0.1', port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for_mails(self, count: int, timeout: float = 30.0) -> list[Message]:
        wait_for(lambda: len(self.mails) >= count, timeout=timeout, what=f'{count} e-mail(s) at the receiver')
        return list(self.mails)
