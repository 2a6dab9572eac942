"""A unix-socket forwarder to the real engine that a test can open and shut, to play 'engine down / back'."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
from pathlib import Path


class EngineProxy:
    """Listens on `path` and forwards every connection to the real Docker socket while started."""

    def __init__(self, path: Path, target: str = '/var/run/docker.sock', *, refuse: tuple[str, ...] = ()) -> None:
        self.path = path
        self.target = target
        self.refuse = refuse  # API paths (without the /vX.Y prefix) answered 403, as docker-socket-proxy does
        self._server: socket.socket | None = None
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f'unix://{self.path}'

    def start(self) -> None:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(self.path))
        server.listen(16)
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def stop(self) -> None:
        """Close the listener and cut every open connection, as a dying engine would."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        if self.path.exists():
            os.unlink(self.path)

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(self.target)
            with self._lock:
                self._connections += [client, upstream]
            threading.Thread(target=self._requests, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    def _requests(self, client: socket.socket, upstream: socket.socket) -> None:
        """The client's requests to the engine, except the refused ones, answered 403 here (a client sends its
        next request on a connection only once it has the answer to the last)."""
        if not self.refuse:
            return self._pipe(client, upstream)
        try:
            while data := client.recv(65536):
                _, _, path = data.split(b'\r\n', 1)[0].partition(b' ')
                path = re.sub(rb'^/v[0-9.]+', b'', path.partition(b' ')[0].partition(b'?')[0])
                if path.decode(errors='replace') in self.refuse:
                    body = b'Request forbidden by administrative rules.'
                    head = f'HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n\r\n'
                    client.sendall(head.encode() + body)
                else:
                    upstream.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (client, upstream):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
