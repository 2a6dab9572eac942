"""The engine's chunked HTTP bodies undone in bulk: chunks cut anywhere between reads, the last chunk, bad input."""

from __future__ import annotations

import itertools
import random

import pytest

from ops.docker.chunked import ChunkedBody, ChunkError


def chunked(*payloads: bytes) -> bytes:
    return b''.join(b'%x\r\n' % len(p) + p + b'\r\n' for p in payloads) + b'0\r\n\r\n'


PAYLOADS = [b'\x01\x00\x00\x00\x00\x00\x00\x06hello\n', b'x' * 300, b'\r\n in the payload \r\n', b'0\r\n\r\n', b'y']


def feed_in(body: ChunkedBody, data: bytes, cuts: list[int]) -> bytes:
    edges = [0, *cuts, len(data)]
    return b''.join(body.feed(data[a:b]) for a, b in itertools.pairwise(edges))


def test_one_read_with_many_chunks_gives_their_payloads_joined_and_the_end() -> None:
    body = ChunkedBody()
    assert body.feed(chunked(*PAYLOADS)) == b''.join(PAYLOADS)
    assert body.done


@pytest.mark.parametrize('cut', range(1, len(chunked(*PAYLOADS))))
def test_a_body_cut_at_any_byte_gives_the_same_payload(cut: int) -> None:
    data = chunked(*PAYLOADS)
    body = ChunkedBody()
    first = body.feed(data[:cut])
    assert body.done == (cut >= len(data) - 2)  # done at the zero-size line (what may follow it is not needed)
    assert first + body.feed(data[cut:]) == b''.join(PAYLOADS)
    assert body.done


def test_a_body_fed_byte_by_byte_or_in_random_cuts_gives_the_same_payload() -> None:
    rng = random.Random(15)
    payloads = [bytes(rng.randrange(256) for _ in range(rng.randrange(0, 400))) or b'z' for _ in range(200)]
    data = chunked(*payloads)
    assert feed_in(ChunkedBody(), data, list(range(1, len(data)))) == b''.join(payloads)
    for _ in range(20):
        cuts = sorted(rng.sample(range(1, len(data)), 50))
        assert feed_in(ChunkedBody(), data, cuts) == b''.join(payloads)


def test_chunk_extensions_and_upper_case_sizes_are_read() -> None:
    body = ChunkedBody()
    assert body.feed(b'A;name=value\r\n0123456789\r\n0;last\r\n\r\n') == b'0123456789'
    assert body.done


def test_bytes_after_the_last_chunk_are_not_payload() -> None:
    body = ChunkedBody()
    assert body.feed(b'2\r\nab\r\n0\r\n\r\n') == b'ab'
    assert body.feed(b'3\r\nxyz\r\n') == b''
    assert body.done


@pytest.mark.parametrize(
    'data',
    [b'zz\r\nab\r\n', b'-2\r\nab\r\n', b'0x2\r\nab\r\n', b'\r\nab\r\n', b'2\r\nabXY3\r\nxyz\r\n', b'1_0\r\n'],
)
def test_a_body_that_is_not_chunked_coding_is_refused(data: bytes) -> None:
    with pytest.raises(ChunkError):
        ChunkedBody().feed(data)


def test_a_missing_chunk_end_is_refused_even_when_it_comes_in_a_later_read() -> None:
    body = ChunkedBody()
    assert body.feed(b'2\r\nab') == b'ab'
    with pytest.raises(ChunkError):
        body.feed(b'\rX')


def test_an_endless_size_line_is_refused_instead_of_kept() -> None:
    body = ChunkedBody()
    with pytest.raises(ChunkError, match='too long'):
        for _ in range(10):
            body.feed(b'1' * 1000)
