"""B5's outage case: the observer's engine connection is cut while more events happen than the engine can replay.

The observer talks to the engine through a socket forwarder (the tests' own, tests/helpers/socket_proxy.py). The cut
closes the listener and every open connection, as an engine restart or a dropped tunnel does: the observer's event
stream breaks and its retries are refused. While cut, the bench (on its own connection) starts, stops, pauses,
renames, removes and creates throwaway containers until the engine's 256-event replay buffer no longer reaches back
to the cut. Then the forwarder opens again and the observer's world is compared with `docker ps -a` (presence,
state, name, health of every container on the engine) until it is equal, and again once the observer has gone quiet.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import (
    LABEL,
    NAME_PREFIX,
    Report,
    client,
    create_container,
    env_int,
    ms,
    remove_containers,
    wait_async,
)
from ops.docker.containers import container_from_summary
from ops.docker.engine import Engine
from ops.world.engine_events import engine_holds
from ops.world.observer import ContainerChange, EngineState, Observer
from tests.helpers.socket_proxy import EngineProxy

Facts = tuple[str, str, str | None]  # name, state, health: what the comparison looks at besides presence
_HEALTHCHECK = {
    'test': ['CMD-SHELL', 'test ! -f /tmp/sick'],
    'interval': 1_000_000_000,
    'timeout': 1_000_000_000,
    'retries': 1,
}


@dataclass(slots=True)
class Outage:
    """What happened around one cut: the events it hid, and how the observer came back to the truth."""

    events: int = 0
    ours: int = 0
    replay_covers_cut: bool = True
    cut_seconds: float = 0.0
    reconnected_after: float | None = None
    exact_after: float | None = None
    connected_after: float | None = None
    final_mismatches: list[str] = field(default_factory=list)
    regressions: int = 0
    stale: list[str] = field(default_factory=list)
    regressed: list[str] = field(default_factory=list)
    replay_done_after: float | None = None
    full_listings: int = 0
    single_listings: int = 0
    replayed: int = 0
    gaps: int = 0
    changes: int = 0
    names: list[str] = field(default_factory=list)


def truth() -> dict[str, Facts]:
    """Every container on the engine as `docker ps -a` shows it (the bench's own connection)."""
    infos = (container_from_summary(s) for s in client().api.containers(all=True))
    return {info.id: (info.name, info.state, info.health) for info in infos}


def mismatches(seen: dict[str, Facts], before: dict[str, Facts], after: dict[str, Facts]) -> list[str]:
    """What the observer has wrong: a container counts only when it matches neither the truth listed just before
    nor the one listed just after (a container changing in between may show either)."""
    wrong = []
    for cid in sorted(set(seen) | set(before) | set(after)):
        got = seen.get(cid)
        if got == before.get(cid) or got == after.get(cid):
            continue
        want = after.get(cid)
        if got is None:
            wrong.append(f'{cid[:12]} missing (engine: {want})')
        elif want is None:
            wrong.append(f'{cid[:12]} {got[0]} still shown but gone from the engine')
        else:
            wrong.append(f'{cid[:12]} {want[0]}: observer {got[1:]} name {got[0]!r}, engine {want[1:]}')
    return wrong


def _ours(world: dict[str, Facts]) -> dict[str, Facts]:
    return {cid: facts for cid, facts in world.items() if facts[0].startswith(NAME_PREFIX)}


def observed(observer: Observer) -> dict[str, Facts]:
    return {cid: (i.name, i.state, i.health) for cid, i in observer.containers.items()}


class EventCounter:
    """Counts the engine's container events live on the bench's own connection (a replay would stop at 256)."""

    def __init__(self) -> None:
        self.stream = Engine().events(since=time.time())
        self.times: list[tuple[int, bool]] = []  # (timeNano, on one of our containers)
        self.thread = threading.Thread(target=self._read, name='b5-event-counter', daemon=True)
        self.thread.start()

    def _read(self) -> None:
        with contextlib.suppress(Exception):
            for event in self.stream:
                ours = bool((event.get('Actor', {}).get('Attributes') or {}).get(LABEL))
                self.times.append((int(event.get('timeNano') or 0), ours))

    def between(self, since_ns: int, until_ns: int, *, ours: bool = False) -> int:
        return sum(1 for t, mine in list(self.times) if since_ns <= t < until_ns and (mine or not ours))

    def close(self) -> None:
        self.stream.close()


def churn(names: list[str], healthy: list[str], enough: Callable[[], bool]) -> list[str]:
    """Engine events on our containers until `enough()`, then leave them in every kind of state; returns the
    names of containers created here."""
    api = client().api
    made: list[str] = []
    rounds = 0
    while not enough() and rounds < 100:
        for name in names[:12]:
            api.pause(name)
            api.unpause(name)
        rounds += 1
    quarter = max(1, len(names) // 4)
    for name in names[:quarter]:
        api.stop(name, timeout=0)  # kill, die, stop: exited
    for name in names[quarter : 2 * quarter]:
        api.rename(name, f'{name}-renamed')
    for name in names[2 * quarter : 2 * quarter + quarter // 2]:
        api.remove_container(name, force=True)  # gone
    for name in names[-3:]:
        api.pause(name)  # left paused
    for name in names[-6:-3]:
        api.restart(name, timeout=0)
    for index in range(4):
        made.append(create_container('outage-new', ['sleep', '3600'], start=index % 2 == 0))
    exec_id = api.exec_create(healthy[1], ['touch', '/tmp/sick'])['Id']
    api.exec_start(exec_id)  # its next probe fails: unhealthy
    api.stop(healthy[2], timeout=0)
    return made


async def measure_outage(report: Report) -> Outage:
    """Cut, churn, restore, compare; adds its figures to `report`."""
    size = env_int('BENCH_B5_OUTAGE_CONTAINERS', 24)
    want_events = env_int('BENCH_B5_OUTAGE_EVENTS', 400)
    result = Outage()
    names = [await asyncio.to_thread(create_container, 'outage', ['sleep', '3600'], start=True) for _ in range(size)]
    healthy = [
        await asyncio.to_thread(create_container, 'outage-health', ['sleep', '3600'], healthcheck=_HEALTHCHECK)
        for _ in range(3)
    ]
    result.names = names + healthy
    with tempfile.TemporaryDirectory(prefix='b5-outage-') as scratch:
        proxy = EngineProxy(Path(scratch) / 'engine.sock')
        proxy.start()
        engine = Engine(proxy.url)
        observer = Observer(engine)  # the server's own retry timing
        restored_ns = 0
        restored = 0.0
        reconnected: list[float] = []
        changes: list[float] = []

        replayed_at: list[float] = []

        def on_learned(record: dict[str, Any]) -> None:
            if record.get('kind') == 'gap':
                result.gaps += 1
            stamp = record.get('time_nano')
            if record.get('source') == 'engine' and isinstance(stamp, int) and restored_ns and stamp < restored_ns:
                result.replayed += 1
                replayed_at.append(time.monotonic())

        def on_engine(state: EngineState) -> None:
            if state.reachable and restored_ns:
                reconnected.append(time.monotonic())

        ours_changed: list[tuple[float, str]] = []

        named: dict[str, str] = {}

        def on_change(change: ContainerChange) -> None:
            changes.append(time.monotonic())
            info = change.info
            if info is not None:
                named[change.container_id] = info.name
            if named.get(change.container_id, '').startswith(NAME_PREFIX):
                shown = 'removed' if info is None else f'{info.name} {info.state} {info.health}'
                ours_changed.append((time.monotonic(), f'{change.container_id[:12]} {shown}'))

        observer.learned.subscribe(on_learned)
        observer.engine_changed.subscribe(on_engine)
        observer.container_changed.subscribe(on_change)
        task = asyncio.create_task(observer.run(), name='bench-outage-observer')
        counter = EventCounter()
        try:
            await wait_async(lambda: all(h[2] == 'healthy' for h in _health(healthy)), 30, interval=0.2)
            await _wait_exact(observer, 30)
            cut_ns = time.time_ns()
            cut_started = time.monotonic()
            proxy.stop()
            await wait_async(lambda: observer.engine_state.reachable is False, 10)

            def enough() -> bool:
                return counter.between(cut_ns, time.time_ns(), ours=True) >= want_events

            result.names += await asyncio.to_thread(churn, names, healthy, enough)
            await wait_async(lambda: _health(healthy)[1][2] == 'unhealthy', 15, interval=0.2)
            result.replay_covers_cut = await asyncio.to_thread(engine_holds, Engine(), cut_ns)
            restored_ns = time.time_ns()
            restored = time.monotonic()
            result.events = counter.between(cut_ns, restored_ns)
            result.ours = counter.between(cut_ns, restored_ns, ours=True)
            sent = len(proxy.requests)
            result.cut_seconds = restored - cut_started
            accepted = len(proxy.accepted)
            proxy.start()
            exact_at = await _wait_exact(observer, 60)
            if exact_at is not None:
                result.exact_after = exact_at - restored
            if reconnected:
                result.reconnected_after = reconnected[0] - restored
            if len(proxy.accepted) > accepted:
                result.connected_after = proxy.accepted[accepted] - restored
            # Keep comparing until the observer has been quiet for 2 s: a world that is right once and then
            # goes wrong again (a late replay) is not exact. Only our containers here: others on the engine (other
            # tests', the dev stack's crash loop) change on their own, and a live die shows until its restart.
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and (not changes or time.monotonic() - changes[-1] < 2.0):
                before = await asyncio.to_thread(truth)
                seen = observed(observer)
                after = await asyncio.to_thread(truth)
                if exact_at is not None and (wrong := mismatches(*(_ours(world) for world in (seen, before, after)))):
                    result.regressions += 1
                    result.regressed.extend(wrong[:3])
                await asyncio.sleep(0.05)
            before = await asyncio.to_thread(truth)
            seen = observed(observer)
            after = await asyncio.to_thread(truth)
            result.final_mismatches = mismatches(seen, before, after)
            lists = [r for r in proxy.requests[sent:] if r.split('?')[0].endswith('/containers/json')]
            result.single_listings = sum(1 for r in lists if 'filters=' in r)
            result.full_listings = len(lists) - result.single_listings
            result.changes = sum(1 for t in changes if t >= restored)
            if exact_at is not None:
                result.stale = [text for t, text in ours_changed if t > exact_at]
            if replayed_at:
                result.replay_done_after = replayed_at[-1] - restored
        finally:
            counter.close()
            observer.stop()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 10)
            proxy.stop()
            engine.reset()
            await asyncio.to_thread(remove_containers, result.names)
    _add_figures(report, result)
    return result


def _health(names: list[str]) -> list[Facts]:
    found = {info.name: info for info in map(container_from_summary, client().api.containers(all=True))}
    return [(n, found[n].state, found[n].health) if n in found else (n, 'gone', None) for n in names]


async def _wait_exact(observer: Observer, timeout: float) -> float | None:
    """When the observer's world first equalled the engine's (monotonic), or None within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = await asyncio.to_thread(truth)
        seen = observed(observer)
        at = time.monotonic()
        after = await asyncio.to_thread(truth)
        if not mismatches(seen, before, after):
            return at
        await asyncio.sleep(0.02)
    return None


def _add_figures(report: Report, r: Outage) -> None:
    report.add('outage: engine container events while cut (all)', r.events)
    report.add('outage:   of which on our throwaway containers', r.ours)
    report.add('outage: engine replay buffer still reaches back to the cut', str(r.replay_covers_cut))
    report.add('outage: length of the cut', round(r.cut_seconds, 1), 's')
    connected = None if r.connected_after is None else round(r.connected_after, 2)
    report.add('outage: restore -> observer connects again (its retry back-off)', connected, 's')
    shown = None if r.reconnected_after is None else round(r.reconnected_after, 2)
    report.add('outage: restore -> observer reachable again (after its full listing)', shown, 's')
    exact = None if r.exact_after is None else round(r.exact_after, 2)
    report.add('outage: restore -> world equals docker ps -a', exact, 's')
    resync = None if r.exact_after is None or r.connected_after is None else ms(r.exact_after - r.connected_after)
    report.add('outage: observer connects -> world equals docker ps -a', resync, 'ms')
    report.add('outage: mismatches once quiet (exact = 0)', len(r.final_mismatches))
    for line in r.final_mismatches[:10]:
        report.note(f'outage mismatch: {line}')
    report.add('outage: comparisons wrong again after first equal', r.regressions)
    for line in r.regressed[:6]:
        report.note(f'outage: wrong again: {line}')
    report.add('outage: changes to our containers published after first equal', len(r.stale))
    for line in r.stale[:6]:
        report.note(f'outage: published after first equal: {line}')
    done = None if r.replay_done_after is None else round(r.replay_done_after, 2)
    report.add('outage: restore -> last replayed event applied', done, 's')
    report.add('outage: full container listings after restore', r.full_listings)
    report.add('outage: single-container listings after restore', r.single_listings)
    report.add('outage: outage events replayed to the observer', r.replayed)
    report.add('outage: gaps the observer journaled', r.gaps)
    report.add('outage: world changes published after restore', r.changes)
