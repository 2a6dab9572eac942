"""The raw tail of a multiplexed log (stdout and stderr frames) keeps the newest words however its front is cut: an
endless newest line keeps its end, and a cut inside one stream's line never passes that line's rest off as whole."""

from __future__ import annotations

import random
import struct

import pytest

from ops.docker.logstream import LogDecoder
from ops.maintenance.raw_tail import RawTail


def frame(stream: int, data: bytes) -> bytes:
    return struct.pack('>BxxxL', stream, len(data)) + data


def fed(data: bytes, *, chunk: int = 4096, max_bytes: int = 1024, max_lines: int = 10) -> RawTail:
    tail = RawTail(tty=False, max_lines=max_lines, max_bytes=max_bytes)
    for start in range(0, len(data), chunk):
        tail.feed(data[start : start + chunk])
    return tail


def test_a_newest_line_without_end_longer_than_the_slack_keeps_its_end() -> None:
    data = frame(1, b'started\n') + b''.join(frame(1, b'x' * 30_000) for _ in range(5)) + frame(1, b'the end')
    lines, seen = fed(data).lines()
    assert len(lines) == 1 and lines[0].startswith('x' * 4000)  # its rest, as long as a line is shown
    assert seen == 2


def test_one_huge_frame_still_arriving_is_cut_inside_and_keeps_its_end() -> None:
    payload = 'é'.encode() * 200_000 + b'!'  # one frame, the cut inside a character
    lines, seen = fed(frame(2, payload), chunk=10_000).lines()
    assert len(lines) == 1 and lines[0].startswith('é' * 4000)  # never starts inside a character
    assert seen == 1


def test_a_cut_after_a_stderr_line_does_not_start_on_the_rest_of_an_unfinished_stdout_line() -> None:
    data = (
        frame(1, b'stdout begins a long line ' + b'p' * 70_000)
        + frame(2, b'an error\n')
        + frame(1, b' and ends it\n')
        + frame(2, b'last\n')
    )
    lines, seen = fed(data, chunk=len(data)).lines()
    assert ' and ends it' not in lines
    assert lines == ['an error', 'last']
    assert seen == 3


def full_decode(data: bytes) -> list[str]:
    decoder = LogDecoder(tty=False, timestamps=False)
    return [line.text for line in [*decoder.feed(data), *decoder.flush()]]


def random_log(rng: random.Random, raw: list[str]) -> bytes:
    """Lines of stdout and stderr, frames cut anywhere in them, at times a very long one, the last maybe without end;
    each line's text goes to `raw`."""
    out = bytearray()
    count = rng.randint(1, 60)
    for number in range(count):
        stream = rng.choice((1, 2))
        size = rng.choice((rng.randint(0, 40), rng.randint(100, 2_000), rng.randint(50_000, 120_000)))
        text = (f'{stream}:{len(out)}:' + rng.choice('abcdé') * size).encode()
        raw.append(text.decode())
        if number < count - 1 or rng.random() < 0.5:
            text += b'\n'
        while text:
            piece = rng.randint(1, 40_000)
            out += frame(stream, text[:piece])
            text = text[piece:]
    return bytes(out)


@pytest.mark.parametrize('seed', range(120))
def test_the_tail_matches_a_full_decode_of_the_log(seed: int) -> None:
    rng = random.Random(seed)
    raw: list[str] = []
    data = random_log(rng, raw)
    tail = fed(data, chunk=rng.randint(1, 70_000), max_bytes=rng.choice((512, 1024, 4096)))
    lines, seen = tail.lines()
    full = full_decode(data)
    assert seen == len(full)
    assert lines, 'the newest words were all cut'
    newest = lines[-1].split(' … [')[0]
    assert lines[-1] == full[-1] or any(newest in text for text in raw)  # the newest line, or a line cut in front
    at = 0
    for line in lines[:-1]:  # the full log's lines in order (the newest may be cut in front)
        while at < len(full) and full[at] != line:
            at += 1
        assert at < len(full), f'a line of the tail is no line of the log: {line[:60]!r}'
        at += 1
    assert len('\n'.join(lines).encode()) <= tail.budget + tail.slack + 2 * 120_000
