"""The parsers at the Docker boundary: log frames and lines, pull progress, inspect output, operation params."""

from __future__ import annotations

import itertools
import json
import random
import struct

import pytest
from pydantic import ValidationError

from ops.clock import since_timestamp
from ops.docker.details import details_from_inspect, repository_of
from ops.docker.docker_logs import stamp_key
from ops.docker.docker_pull import Params as PullParams
from ops.docker.layers import PullFailed, pull_event, pull_messages
from ops.docker.logstream import MAX_LINE, LineSplitter, LogDecoder, LogLine


def frame(stream: int, payload: bytes) -> bytes:
    return struct.pack('>BxxxL', stream, len(payload)) + payload


def feed_bytewise(decoder: LogDecoder, data: bytes) -> list[LogLine]:
    lines: list[LogLine] = []
    for i in range(len(data)):
        lines += decoder.feed(data[i : i + 1])
    return lines + decoder.flush()


def test_lines_cut_anywhere_between_chunks_come_out_whole() -> None:
    splitter = LineSplitter()
    assert splitter.feed(b'first li') == []
    assert splitter.feed(b'ne\r\nsecond\nthi') == ['first line', 'second']
    assert splitter.flush() == ['thi']
    assert splitter.flush() == []


def test_an_endless_line_is_capped_with_a_marker_and_the_next_line_is_intact() -> None:
    splitter = LineSplitter()
    lines = []
    for _ in range(10):
        lines += splitter.feed(b'x' * 10000)
    lines += splitter.feed(b'\nnext\n')
    assert len(lines) == 2
    assert lines[0].startswith('x' * MAX_LINE + ' … [')
    assert lines[0].endswith(f'{100000 - MAX_LINE} more characters]')
    assert lines[1] == 'next'


def test_multiplexed_frames_split_into_stdout_and_stderr_even_byte_by_byte() -> None:
    data = frame(1, b'out one\nout ') + frame(2, b'err one\n') + frame(1, b'two\n') + frame(2, b'no newline')
    lines = feed_bytewise(LogDecoder(tty=False, timestamps=False), data)
    assert lines == [
        LogLine(stream='stdout', text='out one'),
        LogLine(stream='stderr', text='err one'),
        LogLine(stream='stdout', text='out two'),
        LogLine(stream='stderr', text='no newline'),
    ]


def test_a_tty_stream_is_plain_stdout_bytes_with_utf8_cut_between_chunks() -> None:
    decoder = LogDecoder(tty=True, timestamps=False)
    snowman = '☃'.encode()
    assert decoder.feed(b'a ' + snowman[:1]) == []
    assert decoder.feed(snowman[1:] + b' b\n') == [LogLine(stream='stdout', text='a ☃ b')]


def test_timestamps_are_taken_off_the_line() -> None:
    decoder = LogDecoder(tty=False, timestamps=True)
    lines = decoder.feed(frame(1, b'2026-11-25T01:26:07.8438Z hello world\n'))
    assert lines == [LogLine(stream='stdout', text='hello world', timestamp='2026-11-25T01:26:07.8438Z')]


def feed_cut(decoder: LogDecoder, data: bytes, cuts: list[int]) -> list[LogLine]:
    edges = [0, *cuts, len(data)]
    lines: list[LogLine] = []
    for a, b in itertools.pairwise(edges):
        lines += decoder.feed(data[a:b])
    return lines + decoder.flush()


MIXED = (
    frame(1, b'2026-11-25T01:26:07.1Z one\n2026-11-25T01:26:07.2Z two\n')
    + frame(2, b'2026-11-25T01:26:07.3Z err \xe2\x98')
    + frame(2, b'\x83 snowman\n')
    + frame(1, b'2026-11-25T01:26:07.4Z three\r\n')
    + frame(0, b'')
    + frame(2, b'no stamp\n' * 3)
    + frame(1, b'tail without newline')
)


@pytest.mark.parametrize('cut', range(1, len(MIXED)))
def test_frames_and_headers_cut_at_any_byte_give_the_same_lines(cut: int) -> None:
    whole = feed_cut(LogDecoder(tty=False, timestamps=True), MIXED, [])
    assert feed_cut(LogDecoder(tty=False, timestamps=True), MIXED, [cut]) == whole
    assert whole == [
        LogLine(stream='stdout', text='one', timestamp='2026-11-25T01:26:07.1Z'),
        LogLine(stream='stdout', text='two', timestamp='2026-11-25T01:26:07.2Z'),
        LogLine(stream='stderr', text='err ☃ snowman', timestamp='2026-11-25T01:26:07.3Z'),
        LogLine(stream='stdout', text='three', timestamp='2026-11-25T01:26:07.4Z'),
        *[LogLine(stream='stderr', text='no stamp')] * 3,
        LogLine(stream='stdout', text='tail without newline'),
    ]


def test_a_frame_header_cut_across_three_reads_is_put_back_together() -> None:
    data = frame(2, b'first\n') + frame(1, b'second\n')
    header = len(frame(2, b'first\n'))
    lines = feed_cut(LogDecoder(tty=False, timestamps=False), data, [header + 2, header + 5])
    assert lines == [LogLine(stream='stderr', text='first'), LogLine(stream='stdout', text='second')]


def test_many_frames_in_one_chunk_keep_their_order_and_streams() -> None:
    data = b''.join(frame(1 + n % 3 // 2, b'line %d\n' % n) for n in range(3000))
    lines = LogDecoder(tty=False, timestamps=False).feed(data)
    assert [line.text for line in lines] == [f'line {n}' for n in range(3000)]
    assert [line.stream for line in lines] == ['stderr' if n % 3 == 2 else 'stdout' for n in range(3000)]


def test_a_frame_is_split_into_lines_before_all_of_it_has_come() -> None:
    decoder = LogDecoder(tty=False, timestamps=False)
    data = frame(1, b'early\n' + b'x' * 100000 + b'\n')
    assert decoder.feed(data[:20]) == [LogLine(stream='stdout', text='early')]


def test_a_huge_line_among_short_ones_in_one_chunk_is_capped_and_its_neighbours_are_intact() -> None:
    for tty in (False, True):
        payload = b'before\n' + b'y' * 50000 + b'\nafter\r\n'
        data = payload if tty else frame(1, payload)
        lines = LogDecoder(tty=tty, timestamps=False).feed(data)
        assert [line.text[:6] for line in lines] == ['before', 'y' * 6, 'after']
        assert lines[1].text == 'y' * MAX_LINE + f' … [{50000 - MAX_LINE} more characters]'
        assert lines[2].text == 'after'


def test_a_line_of_carriage_returns_past_the_cap_keeps_its_count_of_what_was_left_out() -> None:
    lines = LineSplitter().feed(b'a' * 10 + b'\r' * 20000 + b'\nnext\n')
    # What was cut off counts in bytes (the kept carriage returns, then stripped, are not counted)
    assert lines == ['a' * 10 + f' … [{10 + 20000 - 4 * MAX_LINE} more characters]', 'next']


def test_tty_lines_lose_every_carriage_return_before_their_newline_and_keep_the_others() -> None:
    decoder = LogDecoder(tty=True, timestamps=False)
    lines = decoder.feed(b'a\r\nb\r\r\nprogress 10%\rprogress 90%\r\n\r\nlast')
    assert [line.text for line in lines] == ['a', 'b', 'progress 10%\rprogress 90%', '']
    assert [line.text for line in decoder.flush()] == ['last']


def test_broken_utf8_at_line_ends_reads_the_same_in_one_chunk_as_line_by_line() -> None:
    data = b'cut \xe2\x98\nbad \xff byte\n\xf0\x9f\x98\nok \xe2\x98\x83\n'
    one = LineSplitter().feed(data)
    assert one == ['cut \ufffd', 'bad \ufffd byte', '\ufffd', 'ok ☃']
    bytewise = LineSplitter()
    assert [line for i in range(len(data)) for line in bytewise.feed(data[i : i + 1])] == one


def test_random_streams_give_the_same_lines_in_big_chunks_as_byte_by_byte() -> None:
    rng = random.Random(15)
    pieces = [b'a', b' ', b'\n', b'\r', b'\r\n', '☃'.encode(), b'\xe2\x98', b'\xff', b'2026-11-25T01:26:07Z ']
    pieces += [b'x' * 5000, b'y' * 17000]
    for _ in range(60):
        tty, timestamps = rng.random() < 0.5, rng.random() < 0.5
        payloads = [b''.join(rng.choice(pieces) for _ in range(rng.randrange(8))) for _ in range(rng.randrange(1, 20))]
        data = b''.join(payloads) if tty else b''.join(frame(rng.choice((1, 2)), p) for p in payloads)
        expected = feed_bytewise(LogDecoder(tty=tty, timestamps=timestamps), data)
        cuts = sorted(rng.sample(range(1, len(data)), min(max(len(data) - 1, 0), rng.choice((0, 2, 10)))))
        assert feed_cut(LogDecoder(tty=tty, timestamps=timestamps), data, cuts) == expected


def test_timestamps_with_trailing_zeros_dropped_still_sort_in_time_order() -> None:
    earlier, later = '2026-11-25T01:26:07.8438Z', '2026-11-25T01:26:07.84381Z'
    assert earlier > later  # as plain text they do not
    assert stamp_key(earlier) < stamp_key(later)
    assert stamp_key('2026-11-25T01:26:07Z') < stamp_key(earlier)


def test_since_is_a_unix_time_or_a_duration_back_from_now() -> None:
    assert since_timestamp('1700000000', now=1800000000.5) == 1700000000
    assert since_timestamp('10m', now=1800000000.5) == 1800000000 - 600
    assert since_timestamp('2h', now=1800000000) == 1800000000 - 7200


def test_pull_messages_become_layer_events() -> None:
    downloading = pull_event(
        {'status': 'Downloading', 'progressDetail': {'current': 512, 'total': 2048}, 'progress': '[=>  ]', 'id': 'ab12'}
    )
    assert (downloading.layer, downloading.current, downloading.total, downloading.done) == ('ab12', 512, 2048, False)
    assert pull_event({'status': 'Pull complete', 'progressDetail': {}, 'id': 'ab12'}).done
    assert pull_event({'status': 'Already exists', 'progressDetail': {}, 'id': 'cd34'}).done
    header = pull_event({'status': 'Pulling from homelab-dev/app', 'id': 'stable'})
    assert header.layer is None
    assert pull_event({'status': 'Digest: sha256:' + 'a' * 64}).layer is None


def test_an_error_in_the_pull_stream_raises() -> None:
    with pytest.raises(PullFailed, match='manifest unknown'):
        pull_event({'errorDetail': {'message': 'manifest unknown'}, 'error': 'manifest unknown'})


def test_pull_messages_are_found_across_chunk_boundaries() -> None:
    body = b''.join(json.dumps({'status': f's{i}', 'id': str(i)}).encode() + b'\r\n' for i in range(5))
    chunks = [body[i : i + 7] for i in range(0, len(body), 7)]
    assert [m['status'] for m in pull_messages(chunks)] == [f's{i}' for i in range(5)]


@pytest.mark.parametrize(
    ('reference', 'repository'),
    [
        ('localhost:5000/homelab-dev/app:stable', 'localhost:5000/homelab-dev/app'),
        ('localhost:5000/homelab-dev/app', 'localhost:5000/homelab-dev/app'),
        ('busybox:1.36', 'busybox'),
        ('busybox@sha256:' + 'a' * 64, 'busybox'),
    ],
)
def test_repository_of_a_reference_keeps_the_registry_port(reference: str, repository: str) -> None:
    assert repository_of(reference) == repository


def test_inspect_output_becomes_details() -> None:
    data = {
        'Id': 'f' * 64,
        'Name': '/homelab-dev-web-1',
        'Image': 'sha256:' + '1' * 64,
        'RestartCount': 2,
        'Config': {'Image': 'busybox:1.36', 'Tty': False, 'Labels': {'com.docker.compose.project': 'homelab-dev'}},
        'HostConfig': {'RestartPolicy': {'Name': 'always'}},
        'State': {
            'Status': 'running',
            'StartedAt': '2026-11-25T00:52:21.9Z',
            'FinishedAt': '0001-01-01T00:00:00Z',
            'Health': {
                'Status': 'unhealthy',
                'FailingStreak': 3,
                'Log': [{'Start': 's', 'End': 'e', 'ExitCode': 1, 'Output': 'dependency unreachable\n'}],
            },
        },
        'Mounts': [{'Type': 'volume', 'Name': 'data', 'Source': '/var/lib/x', 'Destination': '/data', 'RW': False}],
        'NetworkSettings': {
            'Ports': {'8080/tcp': [{'HostIp': '127.0.0.1', 'HostPort': '18080'}], '9090/tcp': None},
            'Networks': {'homelab-dev_default': {'IPAddress': '172.18.0.3', 'Aliases': ['web']}},
        },
    }
    details = details_from_inspect(data, None)
    assert (details.name, details.stack, details.image, details.restart_count) == (
        'homelab-dev-web-1',
        'homelab-dev',
        'busybox:1.36',
        2,
    )
    assert details.finished_at is None
    assert details.health.status == 'unhealthy'
    assert details.health.log[0].output == 'dependency unreachable'
    assert [(p.container_port, p.host_port) for p in details.ports] == [('8080/tcp', '18080'), ('9090/tcp', None)]
    assert details.mounts[0].source == 'data' and details.mounts[0].read_only
    assert details.networks[0].aliases == ('web',)


def test_a_container_without_healthcheck_reports_none() -> None:
    details = details_from_inspect({'Id': 'a' * 64, 'State': {'Status': 'exited'}}, None)
    assert details.health.status == 'none'


@pytest.mark.parametrize(
    'arguments',
    [
        {},
        {'container': 'web', 'stack': 'homelab-dev', 'service': 'web'},
        {'container': 'web', 'service': 'web'},
        {'stack': 'homelab-dev'},
        {'service': 'web'},
        {'container': 'web;rm -rf /'},
        {'stack': 'Homelab', 'service': 'web'},
    ],
)
def test_docker_pull_takes_exactly_one_valid_form(arguments: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        PullParams(**arguments)


def test_docker_pull_forms() -> None:
    assert PullParams(container='homelab-dev-web-1').target == 'container homelab-dev-web-1'
    assert PullParams(stack='homelab-dev', service='web').target == 'service homelab-dev/web'
