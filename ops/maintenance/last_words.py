"""Last words of a dead container: when one dies, the end of its log is kept (bounded) for its page and its alert.

A LogFollower follows every running container's log, keeping the raw bytes of its end (decoded only at a death).
When its stream read the run that died to its end, its tail is those last words: a restart that follows at once
cannot push them out. Otherwise the engine's log is read up to the moment of the die (`until`; without `tail` when
`tail` came short, since the engine takes the tail before it drops what is after `until`: first from the start of the
run that died, then from the log's start, REREAD_LIMIT seconds at most in all). A container being removed
(`docker rm -f`, `--rm`) refuses that read: its words then come from whatever its follower read. One record per death
(the observer publishes each engine event once); the store keeps a bounded number per container for the retention
window; for its alert only the tail is remembered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
from collections import OrderedDict
from typing import Any

from ops import clock
from ops.bus import Event
from ops.config import MaintenanceConfig, parse_duration
from ops.docker.containers import ContainerInfo, ContainerState
from ops.docker.engine import Engine, EngineError, engine_clock
from ops.log_text import one_line
from ops.maintenance.last_words_store import keep_words, prune, trim
from ops.maintenance.log_follower import LogFollower
from ops.maintenance.log_secrets import hidden, secret_values
from ops.maintenance.raw_tail import RawTail
from ops.maintenance.tail_ring import Words, bounded
from ops.world.observer import ContainerChange, Observer

log = logging.getLogger(__name__)

FOLLOWER_END = 5.0  # seconds a removed container's follower may take to read the rest of its log
PRUNE_EVERY = 3600.0
ALERT_LINES = 20  # lines an alert carries
ALERT_LINE_CHARS = 300
_ESCAPE = re.compile(r'\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?')
_CONTROL = re.compile(r'[\x00-\x08\x0a-\x1f\x7f]')
_REMEMBERED = 200  # deaths whose alert tail an alert may still ask for
LET_GO_AFTER = 30.0  # seconds an ended follower of a stopped or gone container is kept for a die still to come
REREAD_LIMIT = 10.0  # seconds the reads of a dead run's log (its tail came short) may take in all

Death = tuple[str, int | None]  # container id, the die's engine time (ns)


class LastWordsKeeper:
    """Follows every running container's log and keeps the last words of each death; `kept` publishes the name of
    each container whose words were stored."""

    def __init__(self, observer: Observer, engine: Engine, settings: MaintenanceConfig) -> None:
        self.observer = observer
        self.engine = engine
        self.max_lines = settings.last_words_lines
        self.max_bytes = settings.last_words_bytes
        self.keep = float(parse_duration(settings.last_words_keep))
        self.kept: Event[str] = Event()
        self._followers: dict[str, LogFollower] = {}
        # Each die or destroy with the follower of the run that ended (taken as the event arrives: a restart that
        # follows at once must not hand the next run's follower to this death, nor this one to the next death).
        self._queue: asyncio.Queue[tuple[dict[str, Any], LogFollower | None]] = asyncio.Queue()
        self._words: OrderedDict[Death, asyncio.Future[str | None]] = OrderedDict()  # each death's alert tail
        self._died_at: dict[str, int] = {}  # per container id: the engine time (ns) of its last die handled
        self._stopping = asyncio.Event()
        observer.learned.subscribe(self._heard_record)
        observer.container_changed.subscribe(self._changed)
        observer.reconciled.subscribe(lambda _: self._follow_running())

    def _heard_record(self, record: dict[str, Any]) -> None:
        if record.get('source') != 'engine' or record.get('action') not in ('die', 'destroy'):
            return
        container_id = str(record.get('id') or '')
        # A die takes its run's follower along: it serves no later death (a restart gets a follower of its own).
        follower = self._followers.pop(container_id, None) if record['action'] == 'die' else None
        self._queue.put_nowait((record, follower or self._followers.get(container_id)))

    async def run(self) -> None:
        """Follow the running containers and keep each death's words until stop(); prune now and then."""
        self._follow_running()
        next_prune = 0.0
        try:
            while not self._stopping.is_set():
                if clock.monotonic() >= next_prune:
                    await self._prune()
                    next_prune = clock.monotonic() + PRUNE_EVERY
                with contextlib.suppress(TimeoutError):
                    await self.handle(*await asyncio.wait_for(self._queue.get(), 10.0))
        finally:
            for follower in self._followers.values():
                follower.close()
            self._followers.clear()

    def stop(self) -> None:
        self._stopping.set()
        self._queue.put_nowait(({}, None))  # wakes run() now

    def following_of(self, container_id: str) -> bool:
        """Whether this container's log is being followed now (its stream is open and reading)."""
        follower = self._followers.get(container_id)
        return follower is not None and follower.opened.is_set() and not follower.ended.is_set()

    async def alert_tail(
        self, container_id: str, time_nano: int | None, *, wait: float = FOLLOWER_END + 5
    ) -> str | None:
        """The last lines of this death as its alert carries them (waiting up to `wait` seconds for them; None: none
        kept in time)."""
        if not container_id:
            return None
        future = self._future((container_id, time_nano))
        try:
            return await asyncio.wait_for(asyncio.shield(future), wait)
        except TimeoutError:
            return None

    async def handle(self, record: dict[str, Any], follower: LogFollower | None = None) -> None:
        """One die or destroy record (with the follower of the run that ended); a failure is logged, never raised."""
        try:
            if record.get('action') == 'die':
                await self._died(record, follower)
            elif record.get('action') == 'destroy':
                self._forget(str(record.get('id') or ''))
                self._died_at.pop(str(record.get('id') or ''), None)
        except Exception:
            log.exception('last words: failed on %r', record)

    # ---- following --------------------------------------------------------------------------------

    def _changed(self, change: ContainerChange) -> None:
        if change.info is not None and change.info.state == ContainerState.RUNNING:
            self._follow(change.info)
            return
        follower = self._followers.get(change.container_id)
        if follower is not None and follower.ended.is_set():
            # Gone or stopped without a die handled here (one the engine no longer replays, say): let it go once a
            # die still on its way has had the time to take it.
            asyncio.get_running_loop().call_later(LET_GO_AFTER, self._let_go, change.container_id, follower)

    def _let_go(self, container_id: str, follower: LogFollower) -> None:
        info = self.observer.containers.get(container_id)
        if self._followers.get(container_id) is follower and (info is None or info.state != ContainerState.RUNNING):
            self._forget(container_id)

    def _follow_running(self) -> None:
        for info in list(self.observer.containers.values()):
            self._follow(info)

    def _follow(self, info: ContainerInfo) -> None:
        """A running container gets a follower, unless one still reads or the engine refused its log."""
        if info.state != ContainerState.RUNNING or self._stopping.is_set():
            return
        follower = self._followers.get(info.id)
        if follower is not None and (not follower.ended.is_set() or follower.refused):
            return
        follower = LogFollower(self.engine, info.id, max_lines=self.max_lines, max_bytes=self.max_bytes)
        self._followers[info.id] = follower
        follower.start()

    def _forget(self, container_id: str) -> None:
        follower = self._followers.pop(container_id, None)
        if follower is not None:
            follower.close()

    # ---- a death ------------------------------------------------------------------------------------

    async def _died(self, record: dict[str, Any], follower: LogFollower | None) -> None:
        container_id = str(record.get('id') or '')
        name = str(record.get('name') or '')[:255]
        if not container_id or not name:
            return
        time_nano = record.get('time_nano') if isinstance(record.get('time_nano'), int) else None
        future = self._future((container_id, time_nano))
        previous = self._died_at.get(container_id)  # the run that died started after it
        if time_nano is not None:
            self._died_at[container_id] = time_nano
        try:
            words = await self._read_words(container_id, time_nano, follower, previous)
        except BaseException:
            if not future.done():
                future.set_result(None)
            raise
        if not future.done():
            future.set_result(tail_text(words))  # all an alert needs: the whole words go to the store only
        code = record.get('exit_code')
        ended_at = clock.utc_from_timestamp(time_nano / 1e9) if time_nano is not None else clock.utc_now()
        await keep_words(
            words,
            container_id=container_id,
            name=name,
            stack=record.get('stack'),
            service=record.get('service'),
            image=record.get('image'),
            exit_code=code if isinstance(code, int) else None,
            ended_at=ended_at,
        )
        log.info('last words of %s kept: %d lines (exit code %s)', one_line(name, 100), len(words.lines), code)
        self.kept.emit(name)

    async def _read_words(
        self, container_id: str, time_nano: int | None, follower: LogFollower | None, previous: int | None = None
    ) -> Words:
        """The follower's tail when it read the run that died to its end; else the engine's log up to the death, or
        what the follower read when the engine is removing the container. Either way the follower is done: its tail
        is let go (a restart starts a new one)."""
        seen: int | None
        try:
            if follower is not None and follower.opened_before(time_nano):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(follower.ended.wait(), FOLLOWER_END)
            if follower is not None and follower.read_run_to(time_nano):
                texts, seen = await asyncio.to_thread(follower.lines)
                secrets = follower.secrets
            else:
                try:
                    texts, secrets, seen = await asyncio.to_thread(
                        self._engine_words, container_id, time_nano, previous
                    )
                except EngineError as err:  # the container is being removed (or the engine is gone)
                    if follower is None:
                        log.info('last words of %s: none kept (%s)', container_id[:12], one_line(err, 200))
                        return Words(lines=())
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(follower.ended.wait(), FOLLOWER_END)
                    texts, seen = await asyncio.to_thread(follower.lines)
                    secrets = follower.secrets
        finally:
            if follower is not None:
                follower.close()
                if self._followers.get(container_id) is follower:
                    del self._followers[container_id]
                if container_id not in self._followers and (info := self.observer.containers.get(container_id)):
                    self._follow(info)  # already restarted: its new run is followed from now on
        # Thousands of lines through the secret patterns: off the event loop.
        return await asyncio.to_thread(self._bounded, texts, secrets, seen)

    def _bounded(self, texts: list[str], secrets: tuple[str, ...], seen: int | None) -> Words:
        return bounded(hidden(texts, secrets), max_lines=self.max_lines, max_bytes=self.max_bytes, seen=seen)

    def _engine_words(
        self, container_id: str, time_nano: int | None, previous: int | None = None
    ) -> tuple[list[str], tuple[str, ...], int | None]:
        """In a worker thread: the secrets to hide, the last lines before the die (all of them, without its time)
        and how many lines were read (None: as many as kept). `previous`: the engine time of the container's die
        before this one, if known.

        The engine takes `tail` from the whole log before it drops the lines after `until`: after a restart the
        next run's lines can push the dead run's out. A tail that comes short is read again without it: from the
        start of the run that died, then (when the run alone comes short too) the whole log before it; the stream's
        bytes kept bounded, decoded once at the end. Reads that take longer than REREAD_LIMIT in all (a huge log)
        are given up for what was read whole before."""
        secrets = secret_values(self.engine.running_config(container_id))
        if time_nano is None:
            with self.engine.logs(container_id, tail=self.max_lines) as stream:
                return [line.text for line in stream], secrets, None
        until = clock.docker_time(time_nano)
        with self.engine.logs(container_id, tail=self.max_lines, until=until) as stream:
            texts = [line.text for line in stream]
        if len(texts) >= self.max_lines:
            return texts, secrets, None
        deadline = clock.monotonic() + REREAD_LIMIT
        run = None
        since = self._run_start(container_id, time_nano, previous)
        if since is not None:
            run = self._read_since(container_id, since, until, deadline)
            # Enough when it filled the line bound, or the byte bound let lines go (long lines): an earlier run
            # would not add to what is kept.
            if run is not None and (len(run[0]) >= self.max_lines or (run[1] or 0) > len(run[0])):
                return run[0], secrets, run[1]
        # The run alone came short too (or its start is not known): the whole log before it, while time is left.
        whole = self._read_since(container_id, None, until, deadline)
        if whole is None:
            log.info('last words of %s: the log took too long to read, the end read is kept', container_id[:12])
            whole = run or (texts, None)
        return whole[0], secrets, whole[1]

    def _read_since(
        self, container_id: str, since: float | None, until: str, deadline: float
    ) -> tuple[list[str], int | None] | None:
        """The log's bounded end from `since` (unix s; None: its start) up to `until`, and how many lines were read;
        None when the read was not done by `deadline` (monotonic)."""
        left = deadline - clock.monotonic()
        if left <= 0:
            return None
        gave_up = threading.Event()
        with self.engine.logs(container_id, since=since, until=until) as stream:

            def give_up() -> None:
                gave_up.set()
                stream.close()

            timer = threading.Timer(left, give_up)
            timer.daemon = True
            timer.start()
            try:
                tail = RawTail(tty=stream.tty, max_lines=self.max_lines, max_bytes=self.max_bytes)
                for chunk in stream.raw():
                    tail.feed(chunk)
            finally:
                timer.cancel()
        return None if gave_up.is_set() else tail.lines()

    def _run_start(self, container_id: str, time_nano: int, previous: int | None) -> float | None:
        """When the run that died at `time_nano` started (unix s), as far as is known: its start as the engine tells
        it (unless a restart followed already), else the container's die before it; None: not known."""
        starts = [previous]
        with contextlib.suppress(EngineError):
            starts.append(engine_clock(self.engine.inspect(container_id).started_at or ''))
        known = [start for start in starts if start is not None and start < time_nano]
        return max(known) / 1e9 if known else None

    def _future(self, death: Death) -> asyncio.Future[str | None]:
        future = self._words.get(death)
        if future is None:
            future = self._words[death] = asyncio.get_running_loop().create_future()
            while len(self._words) > _REMEMBERED:
                _, old = self._words.popitem(last=False)
                if not old.done():
                    old.set_result(None)
        return future

    async def _prune(self) -> None:
        try:
            gone = await prune(self.keep) + await trim()
        except Exception:
            log.exception('last words: pruning failed')
            return
        if gone:
            log.info('last words: %d old records deleted', gone)


def tail_text(words: Words | None) -> str | None:
    """The last lines an alert carries (colour codes and control characters out, each cut); None without any."""
    if words is None or not words.lines:
        return None
    lines = [_CONTROL.sub('', _ESCAPE.sub('', line))[:ALERT_LINE_CHARS] for line in words.lines[-ALERT_LINES:]]
    return '\n'.join(lines)
