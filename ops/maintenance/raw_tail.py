"""The newest bytes of a container's raw log stream, kept undecoded, cut where a line ends, decoded when taken."""

from __future__ import annotations

import threading

from ops.docker.logstream import FRAME_HEADER, LogDecoder, Stream

_HEADER = FRAME_HEADER  # a multiplexed frame's header: stream, payload length
_NEWLINE = 0x0A
_LEAST_SLACK = 64 * 1024
_STREAMS: dict[int, Stream] = {2: 'stderr'}  # any other frame is stdout's, as the decoder reads it


class RawTail:
    """Keeps about `max_bytes` of log text (plus a header per line when the stream is multiplexed), cut at the start of
    a line where one starts near the cut; counts the lines it let go. A reader thread feeds it while the event loop may
    take it at any time.

    Following costs a copy per chunk: frames are walked only when the front is let go (once every `slack` bytes),
    and lines are decoded only by lines()."""

    def __init__(self, *, tty: bool, max_lines: int, max_bytes: int) -> None:
        self.tty = tty
        self.budget = max_bytes + (0 if tty else _HEADER.size * max_lines)
        self.slack = max(self.budget // 4, _LEAST_SLACK)
        self._buffer = bytearray()
        self._let_go = 0  # lines cut off the front
        # The streams (stdout, stderr) whose front was cut inside a line: the rest of that line is let go too, unless
        # it is the newest line of all (then its end is all that is left of it).
        self._mid_line: frozenset[Stream] = frozenset()
        self._lock = threading.Lock()

    def feed(self, chunk: bytes) -> None:
        with self._lock:
            self._buffer += chunk
            if len(self._buffer) > self.budget + self.slack:
                self._trim()

    def lines(self) -> tuple[list[str], int]:
        """The lines kept now (the last one even without its newline) and how many lines were read in all."""
        with self._lock:
            data, let_go, mid_line = bytes(self._buffer), self._let_go, set(self._mid_line)
        decoder = LogDecoder(tty=self.tty, timestamps=False)
        ended, unended = decoder.feed(data), decoder.flush()
        newest = len(ended) - 1 if not unended else -1
        texts: list[str] = []
        for index, line in enumerate(ended):
            if line.stream in mid_line:
                mid_line.discard(line.stream)
                if index != newest:
                    let_go += 1
                    continue
            texts.append(line.text)
        texts += [line.text for line in unended]
        mid_line -= {line.stream for line in unended}
        let_go += len(mid_line)  # a line whose every byte kept was cut off (the rest still to come)
        return texts, let_go + len(texts)

    def _trim(self) -> None:
        target = len(self._buffer) - self.budget
        if self.tty:
            cut, mid_line, let_go = self._tty_cut(target)
            head, streams = b'', frozenset[Stream](('stdout',) if mid_line else ())
        else:
            cut, head, streams, let_go = self._frame_cut(target)
        if cut <= len(head):
            return
        self._buffer[:cut] = head
        self._let_go += let_go
        self._mid_line = streams

    def _tty_cut(self, target: int) -> tuple[int, bool, int]:
        end = self._buffer.find(b'\n', target)
        if end < 0 or end - target > self.slack or end + 1 >= len(self._buffer):
            # A line without end, or the newest line, longer than the budget: cut inside it (its end is kept).
            target = self._character_start(target, len(self._buffer))
            return target, True, self._buffer.count(b'\n', 0, target)
        return end + 1, False, self._buffer.count(b'\n', 0, end + 1)

    def _frame_cut(self, target: int) -> tuple[int, bytes, frozenset[Stream], int]:
        """Where to cut (the first frame at or after `target`, or inside the frame holding it), the frame header to
        put in front of the part of a frame kept, the streams then cut inside a line, and the lines let go."""
        buffer, size = self._buffer, len(self._buffer)
        pos, lines, mid_line = 0, 0, set(self._mid_line)
        while pos + _HEADER.size <= size:
            if pos >= target:
                return pos, b'', frozenset(mid_line), lines
            kind, length = _HEADER.unpack_from(buffer, pos)
            stream = _STREAMS.get(kind, 'stdout')
            start, end = pos + _HEADER.size, pos + _HEADER.size + length
            if end > target:  # the target falls in this frame (whole or still arriving): cut inside its payload
                arrived = min(end, size)
                cut = self._character_start(max(target, start), arrived)
                newline = buffer.find(b'\n', cut, min(arrived, cut + self.slack))
                if 0 <= newline < size - 1:  # never the whole newest line: its end is kept
                    cut = newline + 1
                if cut > start:
                    (mid_line.discard if buffer[cut - 1] == _NEWLINE else mid_line.add)(stream)
                head = _HEADER.pack(kind, end - cut) if cut < end else b''
                return cut, head, frozenset(mid_line), lines + buffer.count(b'\n', start, cut)
            if length:
                lines += buffer.count(b'\n', start, end)
                (mid_line.discard if buffer[end - 1] == _NEWLINE else mid_line.add)(stream)
            pos = end
        return 0, b'', self._mid_line, 0

    def _character_start(self, pos: int, end: int) -> int:
        """`pos`, or the start of the next character when it falls inside one (UTF-8 continuation bytes)."""
        while pos < end and self._buffer[pos] & 0xC0 == 0x80:
            pos += 1
        return pos
