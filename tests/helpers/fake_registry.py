"""A real HTTP server on loopback posing as a container registry: it answers /v2/ and knows no manifest, and
records every request (request line, path, headers) the engine sends it, even ones it cannot parse."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class FakeRegistry:
    """Where it listens and what it was asked."""

    port: int
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def address(self) -> str:
        return f'127.0.0.1:{self.port}'

    def seen(self) -> str:
        """Everything received so far, as one text (request lines and headers)."""
        with self.lock:
            return '\n'.join(self.requests)

    def record(self, text: str) -> None:
        with self.lock:
            self.requests.append(text)


@contextlib.contextmanager
def fake_registry() -> Iterator[FakeRegistry]:
    registry = FakeRegistry(port=0)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'

        def parse_request(self) -> bool:
            # Recorded before parsing: a TLS hello or a malformed line is kept too.
            registry.record(self.raw_requestline.decode('latin-1', errors='replace'))
            ok = super().parse_request()
            if ok:
                registry.record(f'{self.command} {self.path}\n{self.headers}')
            return ok

        def _answer(self) -> None:
            if self.path.rstrip('/') == '/v2':
                body = b'{}'
                self.send_response(200)
            else:
                body = b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}'
                self.send_response(404)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Docker-Distribution-API-Version', 'registry/2.0')
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            if self.command != 'HEAD':
                self.wfile.write(body)

        do_GET = do_HEAD = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    registry.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name='fake-registry', daemon=True)
    thread.start()
    try:
        yield registry
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
