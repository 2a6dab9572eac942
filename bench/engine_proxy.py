"""A unix-socket forwarder to the engine that a benchmark cuts and restores, to make a real engine outage."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from pathlib import Path

_METHODS = {b'GET', b'POST', b'PUT', b'DELETE', b'HEAD'}


class EngineProxy:
    """Forwards every connection on `path` to the engine's socket while open; cut() closes them all and the
    listener (a client sees its stream break, then 'connection refused' / no socket) until restore()."""

    def __init__(self, path: Path, target: str = '/var/run/docker.sock') -> None:
        self.path = path
        self.target = target
        self._server: socket.socket | None = None
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        self.accepted: list[float] = []  # when each connection came in (monotonic)
        self.requests: list[str] = []  # the request line of every request a client sent (METHOD PATH?QUERY)

    @property
    def url(self) -> str:
        return f'unix://{self.path}'

    def restore(self) -> None:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(self.path))
        server.listen(64)
        self._server = server
        threading.Thread(target=self._accept, args=(server,), name='engine-proxy', daemon=True).start()

    def cut(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        with self._lock:
            connections, self._connections = self._connections, []
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
                self._connections += [client, upstream]
            for source, sink, seen in ((client, upstream, self.requests), (upstream, client, None)):
                threading.Thread(target=_pipe, args=(source, sink, seen), name='engine-proxy-pipe', daemon=True).start()


def _pipe(source: socket.socket, sink: socket.socket, requests: list[str] | None) -> None:
    try:
        while data := source.recv(65536):
            if requests is not None and data[:8].split(b' ')[0] in _METHODS:
                requests.append(data.split(b'\r\n', 1)[0].decode('latin-1').rsplit(' ', 1)[0])
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
