"""The observer across an engine outage longer than the engine's 256-event replay, against a stand-in engine."""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

import docker.errors
import pytest
import requests

from ops.docker.containers import ContainerInfo
from ops.docker.engine import Engine, EngineUnavailable, EventStream, engine_clock
from ops.world.observer import ContainerChange, Observer
from tests.helpers.waiting import wait_for_async

REPLAY = 256  # what Docker 20.10 keeps for a `since=` replay
_CUT = object()
_CLOSED = object()


def box(name: str, state: str = 'running') -> ContainerInfo:
    return ContainerInfo(
        id=name * 8,
        name=name,
        stack=None,
        service=None,
        state=state,
        health=None,
        image='busybox',
        status='',
        created=0,
    )


class _Live:
    """One event stream: the held events from `since` on, then live ones until closed or cut."""

    def __init__(self, held: list[dict[str, Any]]) -> None:
        self.held = held
        self.inbox: queue.Queue[object] = queue.Queue()

    def __iter__(self) -> Iterator[dict[str, Any]]:
        yield from self.held
        while True:
            item = self.inbox.get()
            if item is _CLOSED:
                return
            if item is _CUT:
                raise EngineUnavailable('the engine stream broke off')
            assert isinstance(item, dict)
            yield item

    def close(self) -> None:
        self.inbox.put(_CLOSED)


class StandInEngine(Engine):
    """Containers, an event clock and the newest REPLAY events, as the engine keeps them; down() cuts every
    stream and refuses every call until up()."""

    def __init__(self) -> None:
        super().__init__('unix:///nonexistent/docker.sock')
        self.boxes: dict[str, ContainerInfo] = {}
        self.held: list[dict[str, Any]] = []
        self.now = time.time_ns()  # the observer resumes by its own clock: the engine runs on the same host
        self.reachable = True
        self.streams: list[_Live] = []
        self._lock = threading.Lock()

    def happen(self, info: ContainerInfo | None, container_id: str, action: str) -> None:
        with self._lock:
            self.now = max(self.now + 1_000, time.time_ns())
            if info is None:
                self.boxes.pop(container_id, None)
            else:
                self.boxes[container_id] = info
            event = {'id': container_id, 'Action': action, 'timeNano': self.now, 'Actor': {'Attributes': {}}}
            self.held = [*self.held, event][-REPLAY:]
            if self.reachable:
                for stream in self.streams:
                    stream.inbox.put(event)

    def down(self) -> None:
        with self._lock:
            self.reachable = False
            streams, self.streams = self.streams, []
        for stream in streams:
            stream.inbox.put(_CUT)

    def up(self) -> None:
        self.reachable = True

    def _answer(self) -> None:
        if not self.reachable:
            raise EngineUnavailable('Connection refused')

    def version(self) -> str:
        self._answer()
        return '20.10.24'

    def about(self) -> tuple[str, int]:
        self._answer()
        with self._lock:
            return '20.10.24', self.now

    def list_containers(self, **filters: str) -> list[ContainerInfo]:
        self._answer()
        with self._lock:
            return list(self.boxes.values())

    def find_container(self, container_id: str) -> ContainerInfo | None:
        self._answer()
        with self._lock:
            return self.boxes.get(container_id)

    def events(self, since: float | str | None = None, until: float | str | None = None) -> EventStream:
        self._answer()
        since_nano, until_nano = _nano(since), _nano(until)
        with self._lock:
            held = [e for e in self.held if e['timeNano'] >= since_nano]
            if until is not None:
                return EventStream(iter([e for e in held if e['timeNano'] <= until_nano]), self)
            stream = _Live(held)
            self.streams.append(stream)
        return EventStream(stream, self)


def _nano(value: float | str | None) -> int:
    if value is None:
        return 0
    seconds, _, fraction = str(value).partition('.')
    return int(seconds) * 1_000_000_000 + int(fraction.ljust(9, '0')[:9] or 0)


class _RefusedInfo:
    """A docker-py client behind a socket proxy that allows /version but refuses /info (docker-socket-proxy's
    default INFO=0)."""

    def info(self) -> dict[str, Any]:
        response = requests.Response()
        response.status_code = 403
        raise docker.errors.APIError('403 Client Error: Forbidden', response=response)

    def version(self) -> dict[str, Any]:
        return {'Version': '20.10.24'}


class _BehindSocketProxy(StandInEngine):
    about = Engine.about
    version = Engine.version

    def client(self) -> Any:
        self._answer()
        return _RefusedInfo()


@pytest.fixture(params=[StandInEngine, _BehindSocketProxy], ids=['engine', 'behind a proxy refusing info'])
async def watched(request: pytest.FixtureRequest) -> AsyncIterator[tuple[StandInEngine, Observer]]:
    engine: StandInEngine = request.param()
    for name in 'abc':
        engine.happen(box(name), name * 8, 'start')
    observer = Observer(engine, retry_min=0.01, retry_max=0.05)
    task = asyncio.create_task(observer.run())
    try:
        await wait_for_async(lambda: engine.streams and len(observer.containers) == 3, timeout=10, what='following')
        yield engine, observer
    finally:
        observer.stop()
        await asyncio.wait_for(task, timeout=10)


async def test_after_an_outage_beyond_the_replay_the_world_never_goes_back_to_an_outage_state(
    watched: tuple[StandInEngine, Observer],
) -> None:
    engine, observer = watched
    engine.down()
    await wait_for_async(lambda: observer.engine_state.reachable is False, timeout=10, what='the cut noticed')
    # While cut: more events than the engine keeps for a replay. a is paused and unpaused 150 times, then dies and
    # is started again; b is stopped; c is renamed; d is started. The replay has lost the first of them.
    a, b, c = (box(name) for name in 'abc')
    for _ in range(150):
        engine.happen(replace(a, state='paused'), a.id, 'pause')
        engine.happen(a, a.id, 'unpause')
    engine.happen(replace(a, state='exited'), a.id, 'die')
    engine.happen(a, a.id, 'start')
    engine.happen(replace(b, state='exited'), b.id, 'die')
    engine.happen(replace(c, name='c-renamed'), c.id, 'rename')
    engine.happen(box('d'), 'd' * 8, 'start')
    truth = dict(engine.boxes)

    published: list[ContainerChange] = []
    observer.container_changed.subscribe(published.append)
    engine.up()
    await wait_for_async(lambda: observer.engine_state.reachable, timeout=10, what='the engine back')
    # A live event after the replay: once the world has it, every replayed event before it is handled too.
    engine.happen(box('e'), 'e' * 8, 'start')
    truth = dict(engine.boxes)
    await wait_for_async(lambda: 'e' * 8 in observer.containers, timeout=10, what='the live event after the replay')

    assert observer.containers == truth
    # Everything published after the engine came back is the engine's present, never a state of the outage.
    stale = [
        (ch.container_id[:1], ch.info and ch.info.state) for ch in published if truth.get(ch.container_id) != ch.info
    ]
    assert stale == []
    assert len(engine.held) == REPLAY


def test_the_engine_clock_is_read_to_the_nanosecond() -> None:
    assert engine_clock('2026-11-30T20:04:38.001647209Z') == 1_796_069_078_001_647_209
    assert engine_clock('2026-11-30T21:04:38.5+01:00') == 1_796_069_078_500_000_000
    assert engine_clock('2026-11-30T20:04:38Z') == 1_796_069_078_000_000_000
    assert engine_clock('') is None


async def test_a_local_engine_back_after_a_long_outage_is_seen_within_seconds() -> None:
    engine = StandInEngine()
    engine.happen(box('a'), 'a' * 8, 'start')
    observer = Observer(engine)  # the server's own retry timing
    task = asyncio.create_task(observer.run())
    try:
        await wait_for_async(lambda: engine.streams, timeout=10, what='following')
        engine.down()
        await asyncio.sleep(7.6)  # the outage: long enough for the retries to back off to their longest wait
        engine.happen(box('b'), 'b' * 8, 'start')
        engine.up()
        back = time.monotonic()
        await wait_for_async(lambda: observer.engine_state.reachable, timeout=15, what='the engine back')
        assert time.monotonic() - back < 3.0  # at most 2 s between tries (was 10 s)
        assert set(observer.containers) == {'a' * 8, 'b' * 8}
    finally:
        observer.stop()
        await asyncio.wait_for(task, timeout=10)


def _live(engine: StandInEngine, container_id: str, action: str, time_nano: int, exit_code: int) -> None:
    """An event the engine sends as it happens, dated `time_nano` by the engine's clock."""
    event = {
        'id': container_id,
        'Action': action,
        'timeNano': time_nano,
        'Actor': {'Attributes': {'exitCode': str(exit_code)}},
    }
    for stream in engine.streams:
        stream.inbox.put(event)


class _SteppedBack(StandInEngine):
    """The engine's clock said 1000 ns when the world was listed, then stepped back (an NTP step, a VM resume)."""

    def about(self) -> tuple[str, int]:
        self._answer()
        return '20.10.24', 1000


async def test_a_live_exit_dated_before_the_listing_by_a_clock_stepped_back_still_shows() -> None:
    engine = _SteppedBack()
    a = box('a')
    engine.happen(a, a.id, 'start')
    observer = Observer(engine, retry_min=0.01, retry_max=0.05)
    task = asyncio.create_task(observer.run())
    try:
        await wait_for_async(lambda: engine.streams and a.id in observer.containers, timeout=10, what='following')
        engine.boxes[a.id] = replace(a, state='exited', exit_code=1)
        _live(engine, a.id, 'die', 999, exit_code=1)
        await wait_for_async(
            lambda: observer.containers[a.id].state == 'exited', timeout=5, what='the exit in the world'
        )
    finally:
        observer.stop()
        await asyncio.wait_for(task, timeout=10)


async def test_a_live_exit_of_a_container_already_restarted_shows_as_an_exit(
    watched: tuple[StandInEngine, Observer],
) -> None:
    engine, observer = watched
    a = observer.containers['a' * 8]
    published: list[ContainerChange] = []
    observer.container_changed.subscribe(published.append)
    _live(
        engine, a.id, 'die', max(engine.now + 1_000, time.time_ns()), exit_code=3
    )  # its restart policy has it running again already
    await wait_for_async(lambda: published, timeout=5, what='the exit published')
    assert published[0].info is not None and (published[0].info.state, published[0].info.exit_code) == ('exited', 3)


def test_behind_a_proxy_that_refuses_info_the_engine_still_says_its_version() -> None:
    assert _BehindSocketProxy().about() == ('20.10.24', None)


async def test_behind_a_proxy_that_refuses_info_the_world_is_listed() -> None:
    engine = _BehindSocketProxy()
    a = box('a')
    engine.happen(a, a.id, 'start')
    observer = Observer(engine, retry_min=0.01, retry_max=0.05)
    task = asyncio.create_task(observer.run())
    try:
        await wait_for_async(lambda: engine.streams, timeout=5, what='following')
        assert observer.engine_state.reachable and observer.engine_state.version == '20.10.24'
        assert observer.containers == {a.id: a}
    finally:
        observer.stop()
        await asyncio.wait_for(task, timeout=10)
