"""HTTP/1.1 chunked transfer coding undone in bulk: the engine sends every log frame as a chunk of its own."""

from __future__ import annotations

_CRLF = b'\r\n'
_HEX = b'0123456789abcdefABCDEF'
_MAX_SIZE_LINE = 4096  # a chunk-size line (hex size and any extensions); the engine's are a few bytes


class ChunkError(ValueError):
    """The body is not valid chunked transfer coding."""


class ChunkedBody:
    """Raw body bytes in, cut anywhere; the payload out. `done` once the last (zero-size) chunk has come.

    One call handles every chunk a read brought (hundreds when the engine is ahead of us), instead of one
    chunk per read call as http.client's reader does.
    """

    def __init__(self) -> None:
        self._pending = b''  # the start of a chunk-size line cut off at the end of the data
        self._left = 0  # payload bytes of the current chunk still to come
        self._crlf = 0  # bytes of the CRLF that closes the current chunk still to come
        self.done = False

    def feed(self, data: bytes) -> bytes:
        """The payload bytes in `data`; bytes after the last chunk are ignored (the body is over)."""
        if self._pending:
            data, self._pending = self._pending + data, b''
        out: list[bytes] = []
        pos, size = 0, len(data)
        while pos < size and not self.done:
            if self._left:
                end = min(size, pos + self._left)
                out.append(data[pos:end])
                self._left -= end - pos
                pos = end
            elif self._crlf:
                if data[pos] != _CRLF[2 - self._crlf]:
                    raise ChunkError('a chunk does not end with CRLF')
                self._crlf -= 1
                pos += 1
            else:
                pos = self._size_line(data, pos, out)
        return b''.join(out)

    def _size_line(self, data: bytes, pos: int, out: list[bytes]) -> int:
        """Read the chunk-size line at `pos` (and the whole chunk, when it is all there); the new position."""
        eol = data.find(b'\n', pos)
        if eol < 0:
            if len(data) - pos > _MAX_SIZE_LINE:
                raise ChunkError('a chunk-size line is too long')
            self._pending = data[pos:]
            return len(data)
        line = data[pos:eol].split(b';', 1)[0].strip()
        if not line or line.strip(_HEX):
            raise ChunkError(f'not a chunk size: {line[:20]!r}')
        length = int(line, 16)
        pos = eol + 1
        if length == 0:
            self.done = True  # trailer fields, if any, are not needed
            return pos
        end = pos + length
        if data[end : end + 2] == _CRLF:  # the whole chunk is here: the common case
            out.append(data[pos:end])
            return end + 2
        self._left, self._crlf = length, 2
        return pos
