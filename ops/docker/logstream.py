"""Container log lines from the engine's raw log stream: TTY (plain bytes) or multiplexed (8-byte frame headers).

The bytes arrive in whatever chunks the socket gives; frames and lines may be cut anywhere between two chunks.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

MAX_LINE = 4096
# A UTF-8 character is at most 4 bytes: keeping this many bytes of an endless line is enough for MAX_LINE.
_MAX_LINE_BYTES = 4 * MAX_LINE
FRAME_HEADER = struct.Struct('>BxxxL')  # a multiplexed frame's header: stream, payload length (big-endian)
_STREAMS: dict[int, Stream] = {0: 'stdout', 1: 'stdout', 2: 'stderr'}

Stream = Literal['stdout', 'stderr', 'marker']


@dataclass(frozen=True, kw_only=True, slots=True)
class LogLine:
    """One line a container wrote (or, with stream 'marker', a note from the console such as skipped lines)."""

    stream: Stream
    text: str
    timestamp: str | None = None


class LineSplitter:
    """Bytes in, complete lines out; a line longer than MAX_LINE is cut and marked with what was left out."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._overflow = 0  # bytes of the current line thrown away beyond _MAX_LINE_BYTES

    def feed(self, data: bytes) -> list[str]:
        """The lines completed by `data` (split and decoded in bulk: a read often carries hundreds of lines)."""
        last = data.rfind(b'\n')
        if last < 0:
            self._append(data)
            return []
        lines: list[str] = []
        start = 0
        if self._buffer or self._overflow:  # the line an earlier chunk began ends here
            start = data.find(b'\n') + 1
            self._append(data[: start - 1])
            lines.append(self._take())
        if start <= last:
            lines += self._whole(data[start:last])
        self._append(data[last + 1 :])
        return lines

    def flush(self) -> list[str]:
        """The last, unterminated line (at the end of the stream), if any."""
        return [self._take()] if self._buffer or self._overflow else []

    def _append(self, piece: bytes) -> None:
        room = _MAX_LINE_BYTES - len(self._buffer)
        if len(piece) > room:
            self._overflow += len(piece) - max(room, 0)
            piece = piece[: max(room, 0)]
        self._buffer += piece

    def _whole(self, block: bytes) -> list[str]:
        """`block` is whole lines joined by newlines (nothing buffered before it): decoded once, then split.

        A newline byte never sits inside a UTF-8 sequence, so this is the same text as decoding line by line.
        """
        text = block.decode('utf-8', errors='replace')
        texts = text.split('\n')
        if len(text) > MAX_LINE and max(map(len, texts)) > MAX_LINE:  # a long line: bounded one by one
            return [self._bounded(piece) for piece in block.split(b'\n')]
        if '\r' in text:
            return [line.rstrip('\r') for line in texts]
        return texts

    def _bounded(self, piece: bytes) -> str:
        self._append(piece)
        return self._take()

    def _take(self) -> str:
        text = self._buffer.decode('utf-8', errors='replace').rstrip('\r')
        extra = self._overflow
        self._buffer.clear()
        self._overflow = 0
        if len(text) > MAX_LINE or extra:
            extra += len(text) - MAX_LINE if len(text) > MAX_LINE else 0
            text = text[:MAX_LINE] + f' … [{extra} more characters]'
        return text


class LogDecoder:
    """Turns raw log-stream chunks into LogLines, per stream (stdout and stderr lines never mix)."""

    def __init__(self, *, tty: bool, timestamps: bool) -> None:
        self._tty = tty
        self._timestamps = timestamps
        self._header = b''  # multiplexed: the start of a frame header cut off at the end of a chunk
        self._left = 0  # payload bytes of the current frame still to come
        self._stream: Stream = 'stdout'  # the current frame's stream
        self._splitters: dict[Stream, LineSplitter] = {'stdout': LineSplitter(), 'stderr': LineSplitter()}

    @property
    def tty(self) -> bool:
        """Plain bytes (True) or multiplexed frames with 8-byte headers."""
        return self._tty

    def feed(self, chunk: bytes) -> list[LogLine]:
        """The lines completed by `chunk` (a chunk may end inside a frame header, a payload or a line)."""
        if self._tty:
            return self._lines('stdout', chunk)
        data = self._header + chunk if self._header else chunk
        self._header = b''
        lines: list[LogLine] = []
        run: list[bytes] = []  # payloads of consecutive frames of one stream, split into lines together
        pos, size = 0, len(data)
        while pos < size:
            if not self._left:
                if size - pos < FRAME_HEADER.size:
                    self._header = data[pos:]
                    break
                kind, length = FRAME_HEADER.unpack_from(data, pos)
                pos += FRAME_HEADER.size
                stream = _STREAMS.get(kind, 'stdout')
                if stream != self._stream and run:
                    lines += self._lines(self._stream, b''.join(run))
                    run = []
                self._stream, self._left = stream, length
                continue
            end = min(size, pos + self._left)
            run.append(data[pos:end])
            self._left -= end - pos
            pos = end
        if run:
            lines += self._lines(self._stream, b''.join(run))
        return lines

    def flush(self) -> list[LogLine]:
        """Lines left without a final newline when the stream ended."""
        return [self._line(stream, text) for stream, splitter in self._splitters.items() for text in splitter.flush()]

    def _lines(self, stream: Stream, data: bytes) -> list[LogLine]:
        texts = self._splitters[stream].feed(data)
        if not self._timestamps:
            return [LogLine(stream=stream, text=text) for text in texts]
        lines: list[LogLine] = []
        for text in texts:  # _line's work, inlined: this runs once per line of a flood
            stamp, sep, rest = text.partition(' ')
            if sep and stamp[:4].isdigit():
                lines.append(LogLine(stream=stream, text=rest, timestamp=stamp))
            else:
                lines.append(LogLine(stream=stream, text=text))
        return lines

    def _line(self, stream: Stream, text: str) -> LogLine:
        if self._timestamps:
            stamp, sep, rest = text.partition(' ')
            if sep and stamp[:4].isdigit():
                return LogLine(stream=stream, text=rest, timestamp=stamp)
        return LogLine(stream=stream, text=text)


class LogStream:
    """An engine log stream as batches of lines (one batch per socket read); close() works from any thread."""

    def __init__(self, chunks: Iterable[bytes], decoder: LogDecoder, closer: Callable[[], None]) -> None:
        self._chunks = chunks
        self._decoder = decoder
        self._closer = closer
        self._lock = threading.Lock()
        self.closed = False

    def batches(self) -> Iterator[list[LogLine]]:
        """The lines grouped as they arrived; ends at the end of the stream or quietly after close()."""
        try:
            for chunk in self._chunks:
                if self.closed:
                    return
                if lines := self._decoder.feed(chunk):
                    yield lines
            if rest := self._decoder.flush():
                yield rest
        except Exception:
            # Reading a stream that close() shut under our feet fails in transport-specific ways: that is an end.
            if not self.closed:
                raise

    @property
    def tty(self) -> bool:
        return self._decoder.tty

    def raw(self) -> Iterator[bytes]:
        """The stream's bytes as they arrive, undecoded (frame headers and all); ends as batches() does."""
        try:
            for chunk in self._chunks:
                if self.closed:
                    return
                yield chunk
        except Exception:
            if not self.closed:
                raise

    def __iter__(self) -> Iterator[LogLine]:
        for batch in self.batches():
            yield from batch

    def close(self) -> None:
        """Stop the stream; a thread blocked reading it wakes up and its iteration ends."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
        self._closer()

    def __enter__(self) -> LogStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
