"""The newest bytes of a container's raw log stream, kept undecoded, cut where a line ends, decoded when taken."""

from __future__ import annotations

import struct
import threading

from ops.docker.logstream import LogDecoder

_HEADER = struct.Struct('>BxxxL')  # a multiplexed frame's header: stream, payload length
_NEWLINE = 0x0A
_LEAST_SLACK = 64 * 1024


class RawTail:
    """Keeps about `max_bytes` of log text (plus a header per line when the stream is multiplexed), cut at the start of
    a line; counts the lines it let go. A reader thread feeds it while the event loop may take it at any time.

    Following costs a copy per chunk: frames are walked only when the front is let go (once every `slack` bytes),
    and lines are decoded only by lines()."""

    def __init__(self, *, tty: bool, max_lines: int, max_bytes: int) -> None:
        self.tty = tty
        self.budget = max_bytes + (0 if tty else _HEADER.size * max_lines)
        self.slack = max(self.budget // 4, _LEAST_SLACK)
        self._buffer = bytearray()
        self._let_go = 0  # lines cut off the front
        self._mid_line = False  # the front was cut inside a line (an endless one): its rest is let go too
        self._lock = threading.Lock()

    def feed(self, chunk: bytes) -> None:
        with self._lock:
            self._buffer += chunk
            if len(self._buffer) > self.budget + self.slack:
                self._trim()

    def lines(self) -> tuple[list[str], int]:
        """The lines kept now (the last one even without its newline) and how many lines were read in all."""
        with self._lock:
            data, let_go, mid_line = bytes(self._buffer), self._let_go, self._mid_line
        decoder = LogDecoder(tty=self.tty, timestamps=False)
        texts = [line.text for line in [*decoder.feed(data), *decoder.flush()]]
        if mid_line and texts:
            texts = texts[1:]
            let_go += 1
        return texts, let_go + len(texts)

    def _trim(self) -> None:
        target = len(self._buffer) - self.budget
        cut, mid_line, let_go = self._tty_cut(target) if self.tty else self._frame_cut(target)
        if cut <= 0:
            return
        del self._buffer[:cut]
        self._let_go += let_go
        self._mid_line = mid_line

    def _tty_cut(self, target: int) -> tuple[int, bool, int]:
        end = self._buffer.find(b'\n', target)
        if end < 0 or end - target > self.slack:  # a line without end: cut inside it
            return target, True, self._buffer.count(b'\n', 0, target)
        return end + 1, False, self._buffer.count(b'\n', 0, end + 1)

    def _frame_cut(self, target: int) -> tuple[int, bool, int]:
        """The first whole frame at or after `target` that starts a line (never inside a frame)."""
        buffer, size = self._buffer, len(self._buffer)
        pos, lines, ends_line, first = 0, 0, True, -1
        first_lines, first_mid = 0, False
        while pos + _HEADER.size <= size:
            if pos >= target:
                if first < 0:
                    first, first_lines, first_mid = pos, lines, not ends_line
                if ends_line:
                    return pos, False, lines
                if pos - target > self.slack:  # a line without end: cut inside it
                    return first, first_mid, first_lines
            _, length = _HEADER.unpack_from(buffer, pos)
            end = pos + _HEADER.size + length
            if end > size:
                break  # the frame still arriving
            if length:
                lines += buffer.count(b'\n', pos + _HEADER.size, end)
                ends_line = buffer[end - 1] == _NEWLINE
            pos = end
        if first >= 0:
            return first, first_mid, first_lines
        return pos, not ends_line, lines
