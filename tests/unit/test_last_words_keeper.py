"""The last words keeper without an engine: following keeps raw bytes and decodes nothing until a death, a death is
remembered for its alert only as the alert's tail, and a follower of a container gone or stopped is let go."""

from __future__ import annotations

import asyncio
import struct
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from ops.clock import utc_now
from ops.config import MaintenanceConfig
from ops.docker.containers import ContainerInfo
from ops.docker.engine import Engine, EngineError
from ops.docker.logstream import LogDecoder, LogStream
from ops.maintenance import last_words
from ops.maintenance.last_words import ALERT_LINE_CHARS, ALERT_LINES, LastWordsKeeper
from ops.maintenance.log_follower import LogFollower
from ops.maintenance.raw_tail import RawTail
from ops.maintenance.records import LastWords
from ops.world.observer import ContainerChange, Observer
from tests.helpers.waiting import wait_for_async

ID = 'd' * 64


def frames(texts: list[str]) -> bytes:
    """The engine's multiplexed stream: each line its own stdout frame."""
    return b''.join(struct.pack('>BxxxL', 1, len(data)) + data for data in (f'{t}\n'.encode() for t in texts))


class RemovingEngine:
    """A container being removed: its followed log is the given bytes; any other read of it is refused."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def running_config(self, container_id: str) -> dict[str, Any]:
        return {'Config': {'Env': ['DB_PASSWORD=hunter2-long']}}

    def logs(self, container_id: str, *, follow: bool = False, **_: Any) -> LogStream:
        if not follow:
            raise EngineError('can not get logs from container which is dead or marked for removal')
        return LogStream(self._chunks(), LogDecoder(tty=False, timestamps=False), lambda: None)

    def _chunks(self) -> Iterator[bytes]:
        for start in range(0, len(self.data), 1000):  # frames and lines cut anywhere between two chunks
            yield self.data[start : start + 1000]


def keeper_of(engine: Any, **settings: Any) -> LastWordsKeeper:
    observer = Observer(Engine('unix:///nonexistent/docker.sock'))
    return LastWordsKeeper(observer, engine, MaintenanceConfig(**settings))


def info(state: str) -> ContainerInfo:
    return ContainerInfo(
        id=ID, name='web', stack=None, service=None, state=state, health=None, image='busybox', status=state, created=0
    )


async def followed_to_its_end(keeper: LastWordsKeeper) -> LogFollower:
    keeper._follow(info('running'))
    follower = keeper._followers[ID]
    await wait_for_async(follower.ended.is_set, timeout=10, what='the followed log read to its end')
    return follower


def die(keeper: LastWordsKeeper, follower: LogFollower) -> tuple[dict[str, Any], LogFollower]:
    record = {'source': 'engine', 'action': 'die', 'id': ID, 'name': 'web', 'exit_code': 137}
    return {**record, 'time_nano': int(utc_now().timestamp() * 1e9)}, follower


@pytest.mark.parametrize(
    ('budget', 'kept'),
    [(256 * 1024, 1000), (4096, 4096 // len('line 5000 of the log DB_PASSWORD=(hidden)\n'))],
)
async def test_following_decodes_nothing_until_the_death_which_keeps_the_bounded_end(
    store: None, monkeypatch: pytest.MonkeyPatch, budget: int, kept: int
) -> None:
    decoded: list[int] = []
    feed = LogDecoder.feed

    def counting(self: LogDecoder, chunk: bytes) -> list[Any]:
        decoded.append(len(chunk))
        return feed(self, chunk)

    monkeypatch.setattr(LogDecoder, 'feed', counting)
    engine = RemovingEngine(frames([f'line {i} of the log DB_PASSWORD=hunter2-long' for i in range(1, 5001)]))
    keeper = keeper_of(engine, last_words_bytes=budget)
    follower = await followed_to_its_end(keeper)
    assert decoded == []  # 5,000 lines followed, none decoded
    await keeper.handle(*die(keeper, follower))
    row = await LastWords.get(name='web')
    lines = row.lines.split('\n')
    assert (row.line_count, row.dropped, row.exit_code) == (kept, 5000 - kept, 137)
    assert lines[-1] == 'line 5000 of the log DB_PASSWORD=(hidden)'
    assert lines[0] == f'line {5001 - kept} of the log DB_PASSWORD=(hidden)'
    assert len(row.lines.encode()) <= budget


async def test_a_death_is_remembered_for_its_alert_only_as_the_alert_tail(store: None) -> None:
    engine = RemovingEngine(frames([f'line {i} ' + 'x' * 500 for i in range(1, 1001)]))
    keeper = keeper_of(engine, last_words_bytes=1024 * 1024)
    follower = await followed_to_its_end(keeper)
    record, _ = die(keeper, follower)
    await keeper.handle(record, follower)
    assert (await LastWords.get(name='web')).line_count == 1000  # the store has them all
    remembered = [future.result() for future in keeper._words.values()]
    assert len(remembered) == 1 and isinstance(remembered[0], str)
    assert len(remembered[0]) <= ALERT_LINES * (ALERT_LINE_CHARS + 1)
    tail = await keeper.alert_tail(ID, record['time_nano'])
    assert tail is not None and tail.split('\n')[-1].startswith('line 1000 xxx')


async def test_a_follower_is_let_go_when_its_container_is_gone_or_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(last_words, 'LET_GO_AFTER', 0.0, raising=False)
    keeper = keeper_of(RemovingEngine(frames(['hello'])))
    for change in (ContainerChange(container_id=ID, info=None), ContainerChange(container_id=ID, info=info('exited'))):
        follower = await followed_to_its_end(keeper)
        keeper.observer.container_changed.emit(change)  # its die and destroy fell outside the engine's replay
        await wait_for_async(lambda: ID not in keeper._followers, timeout=5, what='its follower let go')
        assert follower.ended.is_set()


@pytest.mark.parametrize('tty', [True, False])
def test_the_raw_tail_keeps_whole_last_lines_however_the_chunks_fall(tty: bool) -> None:
    texts = [f'line {i} ' + 'é' * (i % 7) for i in range(1, 20001)]
    data = ''.join(f'{t}\n' for t in texts).encode() if tty else frames(texts)
    tail = RawTail(tty=tty, max_lines=1000, max_bytes=1024)
    for start in range(0, len(data), 7):  # frame headers and characters cut between two chunks
        tail.feed(data[start : start + 7])
    lines, seen = tail.lines()
    assert seen == 20000
    assert lines == texts[-len(lines) :]
    assert 1024 <= len(''.join(f'{t}\n' for t in lines).encode()) <= 1024 + tail.slack + 64


@pytest.mark.parametrize('tty', [True, False])
def test_an_endless_line_is_cut_inside_and_its_rest_counted_let_go(tty: bool) -> None:
    def raw(data: bytes) -> bytes:
        return data if tty else struct.pack('>BxxxL', 1, len(data)) + data

    tail = RawTail(tty=tty, max_lines=1000, max_bytes=1024)
    tail.feed(raw(b'first\n'))
    for _ in range(100):
        tail.feed(raw(b'x' * 10_000))  # a megabyte without a newline
    tail.feed(raw(b'\nlast\n'))
    lines, seen = tail.lines()
    assert (lines, seen) == (['last'], 3)


async def test_a_runs_follower_serves_its_own_death_only() -> None:
    """Two deaths heard before the first is handled (a quick crash loop, a busy console): the second never gets the
    first run's follower, whose lines end at the first death."""
    keeper = keeper_of(RemovingEngine(frames(['run 1 says goodbye'])))
    follower = await followed_to_its_end(keeper)
    first, _ = die(keeper, follower)
    keeper.observer.learned.emit(first)
    keeper.observer.learned.emit({**first, 'time_nano': first['time_nano'] + 10**9})
    heard = [keeper._queue.get_nowait() for _ in range(2)]
    assert [taken for _, taken in heard] == [follower, None]


class RestartedEngine:
    """A container that died and ran again (started at `started_at`): a read with `tail` ends in its new run, so the
    dead run's tail comes short; a read of the dead run without `tail` streams `chunks` of its old lines, each
    `pause` seconds apart (a multi-gigabyte log takes that long)."""

    def __init__(self, started_at: str, *, chunks: int, pause: float = 0.0) -> None:
        self.started_at = started_at
        self.chunks = chunks
        self.pause = pause
        self.reads: list[dict[str, Any]] = []

    def running_config(self, container_id: str) -> dict[str, Any]:
        return {'Config': {'Env': []}}

    def inspect(self, container_id: str) -> SimpleNamespace:
        return SimpleNamespace(started_at=self.started_at)

    def logs(self, container_id: str, **options: Any) -> LogStream:
        self.reads.append(options)
        if options.get('tail') is not None:
            chunks: Iterator[bytes] = iter([frames(['run 2 is dying too'])])
        else:
            chunks = self._whole_run()
        return LogStream(chunks, LogDecoder(tty=False, timestamps=False), lambda: None)

    def _whole_run(self) -> Iterator[bytes]:
        for number in range(self.chunks):
            time.sleep(self.pause)
            yield frames([f'run 2 line {number}'])


DIED = 1_800_000_000 * 10**9  # the die's engine time (ns)


async def test_a_short_tail_is_read_again_only_from_the_start_of_the_run_that_died() -> None:
    engine = RestartedEngine('2027-01-15T08:00:00.5Z', chunks=3)  # 2027-01-15T08:00:00.5Z: 1_800_000_000.5
    texts, _, seen = await asyncio.to_thread(keeper_of(engine)._engine_words, ID, DIED - 10**9, None)
    assert texts == ['run 2 line 0', 'run 2 line 1', 'run 2 line 2'] and seen == 3
    assert engine.reads[1].get('since') is None  # the run the engine tells of started after this die: not known
    engine.reads.clear()
    await asyncio.to_thread(keeper_of(engine)._engine_words, ID, DIED + 60 * 10**9, None)
    assert engine.reads[1].get('tail') is None and engine.reads[1].get('since') == 1_800_000_000.5
    assert engine.reads[2].get('since') is None  # the run alone came short too: the log before it, within the time
    engine.reads.clear()
    # Restarted already (the engine tells the new run's start): the run began after the container's die before.
    await asyncio.to_thread(keeper_of(engine)._engine_words, ID, DIED - 10**9, DIED - 20 * 10**9)
    assert engine.reads[1].get('since') == 1_799_999_980


async def test_reading_a_huge_log_again_is_given_up_after_a_time_for_the_short_tail(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(last_words, 'REREAD_LIMIT', 0.5)
    engine = RestartedEngine('2027-01-15T08:00:00.5Z', chunks=200, pause=0.05)  # 10 s of reading
    started = time.monotonic()
    texts, _, seen = await asyncio.wait_for(
        asyncio.to_thread(keeper_of(engine)._engine_words, ID, DIED + 60 * 10**9, None), 5
    )
    assert (texts, seen) == (['run 2 is dying too'], None)
    assert time.monotonic() - started < 3


async def test_a_run_whose_long_lines_filled_the_byte_bound_is_not_read_again_from_the_log_start() -> None:
    # The dead run alone had more than the bytes keep (long lines): what is kept is its end either way, so the whole
    # log before it is not read as well (on a huge log that read costs up to REREAD_LIMIT at every death).
    engine = RestartedEngine('2027-01-15T08:00:00.5Z', chunks=0)  # 400 lines of about 1 KiB each
    engine._whole_run = lambda: iter([frames([f'run 2 line {n} ' + 'x' * 1024 for n in range(400)])])  # type: ignore[method-assign]
    keeper = keeper_of(engine, last_words_bytes=8 * 1024)
    texts, _, seen = await asyncio.to_thread(keeper._engine_words, ID, DIED + 60 * 10**9, None)
    assert len(texts) < 400 and seen == 400 and texts[-1].startswith('run 2 line 399 ')
    assert [read.get('since') for read in engine.reads[1:]] == [1_800_000_000.5]  # the run, not the log before it
