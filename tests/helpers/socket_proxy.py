"""A unix-socket forwarder to the real engine that a test (or a benchmark) opens and shuts, to play 'engine down /
back', and that can refuse chosen API paths as docker-socket-proxy does."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
import time
from pathlib import Path

_METHODS = {b'GET', b'POST', b'PUT', b'DELETE', b'HEAD'}
_FORBIDDEN = b'Request forbidden by administrative rules.'
_FORBIDDEN_HEAD = f'HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: {len(_FORBIDDEN)}\r\n\r\n'


class EngineProxy:
    """Listens on `path` and forwards every connection to the real Docker socket while started; stop() closes the
    listener and every open connection (a client sees its stream break, then no socket) until start() again.

    `accepted` holds when each connection came in (monotonic), `requests` the request line of every request a client
    sent (METHOD PATH?QUERY); paths in `refuse` (without the /vX.Y prefix) are answered 403 here."""

    def __init__(self, path: Path, target: str = '/var/run/docker.sock', *, refuse: tuple[str, ...] = ()) -> None:
        self.path = path
        self.target = target
        self.refuse = refuse
        self.accepted: list[float] = []
        self.requests: list[str] = []
        self._server: socket.socket | None = None
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f'unix://{self.path}'

    def start(self) -> None:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(self.path))
        server.listen(64)
        self._server = server
        threading.Thread(target=self._accept, args=(server,), name='engine-proxy', daemon=True).start()

    def stop(self) -> None:
        """Close the listener and cut every open connection, as a dying engine would."""
        with self._lock:
            server, self._server = self._server, None
            connections, self._connections = self._connections, []
        if server is not None:
            server.close()
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            self.accepted.append(time.monotonic())
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                upstream.connect(self.target)
            except OSError:
                client.close()
                upstream.close()
                continue
            with self._lock:
                if self._server is not server:  # stop() came while this one connected: it is cut too, never kept
                    _shut(client, upstream)
                    client.close()
                    upstream.close()
                    return
                self._connections += [client, upstream]
            threading.Thread(target=self._requests, args=(client, upstream), daemon=True).start()
            threading.Thread(target=_pipe, args=(upstream, client), daemon=True).start()

    def _requests(self, client: socket.socket, upstream: socket.socket) -> None:
        """The client's requests to the engine, noted, and forwarded unless refused (a client sends its next request
        on a connection only once it has the answer to the last)."""
        try:
            while data := client.recv(65536):
                if data[:8].split(b' ')[0] in _METHODS:
                    line = data.split(b'\r\n', 1)[0]
                    self.requests.append(line.decode('latin-1').rsplit(' ', 1)[0])
                    if self.refuse and _api_path(line) in self.refuse:
                        client.sendall(_FORBIDDEN_HEAD.encode() + _FORBIDDEN)
                        continue
                upstream.sendall(data)
        except OSError:
            pass
        finally:
            _shut(client, upstream)


def _api_path(request_line: bytes) -> str:
    """'GET /v1.41/info?x HTTP/1.1' -> '/info'."""
    _, _, rest = request_line.partition(b' ')
    path = re.sub(rb'^/v[0-9.]+', b'', rest.partition(b' ')[0].partition(b'?')[0])
    return path.decode(errors='replace')


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        _shut(source, sink)


def _shut(*socks: socket.socket) -> None:
    for sock in socks:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
