"""Engine.logs against a stand-in engine on a unix socket: the chunked body read in bulk, its end, a broken body."""

from __future__ import annotations

import json
import socket
import socketserver
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ops.docker.engine import Engine, EngineUnavailable


def frame(stream: int, payload: bytes) -> bytes:
    return struct.pack('>BxxxL', stream, len(payload)) + payload


def chunk(payload: bytes) -> bytes:
    return b'%x\r\n' % len(payload) + payload + b'\r\n'


LAST = b'0\r\n\r\n'
FLOOD = [frame(1 + n % 2, b'2026-11-30T20:00:00.%09dZ line %d\n' % (n, n)) for n in range(3000)]


class StandIn(socketserver.StreamRequestHandler):
    """Answers docker-py's version check, inspect and logs; the container's name says how the log body comes."""

    def handle(self) -> None:
        while request := self._request_line():
            path = request.split(b' ')[1].decode()
            if path.endswith('/version'):
                self._json({'ApiVersion': '1.41', 'Version': '20.10.24'})
            elif path.endswith('/json'):
                self._json({'Config': {'Tty': False}})
            elif '/logs' in path:
                self._logs(path.split('/containers/')[1].split('/')[0])
            else:
                self.wfile.write(b'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n')

    def _request_line(self) -> bytes:
        first = self.rfile.readline()
        while self.rfile.readline() not in (b'\r\n', b''):
            pass
        return first

    def _json(self, data: object) -> None:
        body = json.dumps(data).encode()
        self.wfile.write(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n' % len(body))
        self.wfile.write(body)

    def _logs(self, name: str) -> None:
        head = b'HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n'
        if name == 'plain':  # not chunked: a length-delimited body
            body = b''.join(FLOOD[:10])
            self.wfile.write(head + b'Content-Length: %d\r\n\r\n' % len(body) + body)
            return
        self.wfile.write(head + b'Transfer-Encoding: chunked\r\n\r\n')
        if name == 'flood':  # the engine ahead of its reader: thousands of chunks waiting in one read
            self.wfile.write(b''.join(chunk(f) for f in FLOOD) + LAST)
        elif name == 'cut':  # chunks, frame headers and lines cut in awkward places, in separate writes
            data = b''.join(chunk(f) for f in FLOOD[:50]) + LAST
            for start in range(0, len(data), 7):
                self.wfile.write(data[start : start + 7])
                self.wfile.flush()
        elif name == 'broken':  # the connection goes away in the middle of a chunk
            self.wfile.write(chunk(FLOOD[0]) + chunk(FLOOD[1])[:20])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        # Keep-alive: after the last chunk the connection stays open; the stream must end without waiting for it.


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    path = tmp_path / 'engine.sock'
    server = socketserver.ThreadingUnixStreamServer(str(path), StandIn)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    engine = Engine(f'unix://{path}', timeout=10)
    try:
        yield engine
    finally:
        engine.reset()
        server.shutdown()
        server.server_close()


def read(engine: Engine, name: str) -> tuple[list[str], int]:
    """The texts of a followed log and how many batches carried them; fails if the stream does not end."""
    result: list[tuple[list[str], int]] = []

    def run() -> None:
        texts: list[str] = []
        batches = 0
        with engine.logs(name, tail=0, follow=True, timestamps=True) as stream:
            for batch in stream.batches():
                texts += [line.text for line in batch]
                batches += 1
        result.append((texts, batches))

    reader = threading.Thread(target=run, daemon=True)
    reader.start()
    reader.join(timeout=20)
    assert result, 'the log stream did not end at its last chunk'
    return result[0]


def test_a_flood_waiting_in_the_socket_is_read_in_a_few_large_batches_and_ends_at_the_last_chunk(
    engine: Engine,
) -> None:
    texts, batches = read(engine, 'flood')
    assert texts == [f'line {n}' for n in range(3000)]
    assert batches <= 50  # one per large read, not one per engine chunk (3000)


def test_a_body_cut_anywhere_between_writes_gives_every_line(engine: Engine) -> None:
    texts, _ = read(engine, 'cut')
    assert texts == [f'line {n}' for n in range(50)]


def test_a_body_that_breaks_off_mid_chunk_is_an_engine_error_after_the_lines_before(engine: Engine) -> None:
    seen: list[str] = []
    stream = engine.logs('broken', tail=0, follow=True, timestamps=True)
    with pytest.raises(EngineUnavailable, match='stream broke off'), stream:
        for line in stream:
            seen.append(line.text)
    assert seen == ['line 0']


def test_a_body_with_a_length_instead_of_chunks_still_reads(engine: Engine) -> None:
    texts, _ = read(engine, 'plain')
    assert texts == [f'line {n}' for n in range(10)]
