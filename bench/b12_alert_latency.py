"""B12 alert latency: an unplanned `docker stop` -> the alert's message received by a loopback apprise receiver.

The pipeline is the console's own, built here as System wires it: Observer -> ContainerWatch -> AlertKeeper ->
Messenger -> Sender -> apprise json:// -> a small HTTP receiver in this benchmark that records when each POST
arrived and its title. The store is a temporary SQLite database (no runs in it: every stop is unplanned), the
grouping window is 0 s and the container_exited rule's hold time is 0 s, so no hold is measured.
With N throwaway busybox containers running, K of them are stopped one at a time, each message awaited before the
next stop. Latency is measured from the engine's own `die` event time (timeNano) to:
  - the receiver getting the "Unplanned stop: <name>" message, and
  - the baseline: a `docker events` CLI process printing that event (as in B5).
Where the time goes is split at the observer publishing the event, the alert opening and the message being sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shutil
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from app.system import changing_operations
from bench.common import (
    NAME_PREFIX,
    DieEventsCli,
    Report,
    client,
    create_many,
    env_int,
    ms,
    percentile,
    remove_containers,
    wait_async,
)
from ops.alerts.container_watch import ContainerWatch
from ops.alerts.keeper import AlertChange, AlertKeeper, Change
from ops.alerts.messages import Messenger
from ops.alerts.planned import PlannedWork
from ops.alerts.rules import Rule, RuleBook
from ops.config import AlertsConfig, ChannelConfig, NotifyConfig, RuleConfig
from ops.docker.engine import Engine
from ops.notify.sender import Sender
from ops.store.db import close_store, open_store
from ops.world.observer import Observer

ID = 'B12'
TITLE = 'alert latency: docker stop -> message at a loopback apprise receiver'
CHANNEL = 'bench'
LABEL = 'Unplanned stop: '
TARGET_P95 = 2.0


@dataclass(frozen=True)
class _Post:
    received: float  # unix seconds, when the request reached the handler
    title: str


class _Receiver:
    """An HTTP server on 127.0.0.1 (a free port) that keeps the arrival time and JSON title of every POST."""

    def __init__(self) -> None:
        self.posts: list[_Post] = []
        posts = self.posts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                received = time.time()
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length)
                try:
                    title = str(json.loads(body).get('title') or '')
                except (ValueError, AttributeError):
                    title = ''
                posts.append(_Post(received, title))
                self.send_response(200)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', '2')
                self.end_headers()
                self.wfile.write(b'{}')

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, name='b12-receiver', daemon=True)
        self._thread.start()

    def titled(self, title: str) -> list[_Post]:
        return [post for post in list(self.posts) if post.title == title]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def run() -> Report:
    return asyncio.run(_run())


async def _run() -> Report:
    report = Report(
        id=ID,
        title=TITLE,
        baseline='`docker events` CLI receiving the same die event (engine timeNano -> line read)',
        target='p95 < 2 s, hold time excluded',
    )
    count = env_int('BENCH_B12_CONTAINERS', 20)
    stops = min(env_int('BENCH_B12_STOPS', 10), count)
    wait_each = 15.0
    started = time.monotonic()
    names = await asyncio.to_thread(create_many, 'alert', count, ['sleep', '3600'], start=True)
    report.add('throwaway containers running', count)
    report.add('time to create and start them', round(time.monotonic() - started, 1), 's')
    total = len(await asyncio.to_thread(client().api.containers, all=True))
    report.add('containers on the engine (all)', total)

    quiet = logging.getLogger('ops')
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # each opened alert logs a warning; failures still show
    directory = Path(tempfile.mkdtemp(prefix='hl-bench-b12-'))
    receiver = _Receiver()
    cli = DieEventsCli()
    engine = Engine()
    notify = NotifyConfig(channels={CHANNEL: ChannelConfig(url=SecretStr(f'json://127.0.0.1:{receiver.port}/b12'))})
    rules = RuleBook(
        AlertsConfig(group_window='0s', rules={Rule.CONTAINER_EXITED.value: RuleConfig(after='0s')}), [CHANNEL]
    )
    observer = Observer(engine)
    sender = Sender(notify)
    keeper = AlertKeeper(rules)
    messenger = Messenger(rules, sender)
    watch = ContainerWatch(observer, keeper, PlannedWork(changing_operations()), inspect=engine.inspect)
    keeper.changed.subscribe(messenger.heard)
    died: dict[str, float] = {}  # container name -> when the observer published its die event
    opened: dict[str, float] = {}  # -> when its alert opened (stored)
    alert_names: dict[int, str] = {}

    def heard_die(record: dict[str, Any]) -> None:
        name = str(record.get('name') or '')
        if record.get('source') == 'engine' and record.get('action') == 'die' and name.startswith(NAME_PREFIX):
            died.setdefault(name, time.time())

    def heard_alert(change: AlertChange) -> None:
        if change.change is Change.OPENED and change.rule is Rule.CONTAINER_EXITED:
            alert_names[change.alert_id] = change.target
            opened.setdefault(change.target, time.time())

    observer.learned.subscribe(heard_die)
    keeper.changed.subscribe(heard_alert)
    tasks: list[asyncio.Task[None]] = []
    pipeline: list[float] = []
    baseline: list[float] = []
    stages: dict[str, list[float]] = {'observer': [], 'alert': [], 'message': []}
    stopped: list[str] = []
    try:
        await open_store(directory / 'homelab.sqlite3')
        tasks.append(asyncio.create_task(observer.run(), name='bench-observer'))
        tasks.append(asyncio.create_task(sender.run(), name='bench-notify-sender'))
        await keeper.load()
        await messenger.catch_up()
        tasks.append(asyncio.create_task(keeper.run(), name='bench-alert-keeper'))
        tasks.append(asyncio.create_task(messenger.run(), name='bench-alert-messages'))
        ready = await wait_async(
            lambda: observer.engine_state.reachable is True and len(observer.containers) >= count, 30
        )
        if not ready:
            raise RuntimeError('the observer did not see the throwaway containers within 30 s')
        tasks.append(asyncio.create_task(watch.run(), name='bench-container-alerts'))
        ids = {info.name: cid for cid, info in observer.containers.items() if info.name in set(names)}
        await asyncio.sleep(1.0)  # the observer's event stream is open and quiet, the watch knows what runs

        for name in names[:stops]:
            cid = ids.get(name, '')
            await asyncio.to_thread(client().api.stop, name, timeout=5)
            stopped.append(name)
            await wait_async(
                lambda name=name, cid=cid: bool(receiver.titled(LABEL + name)) and cid in cli.seen, wait_each
            )
            await asyncio.sleep(0.05)
        await asyncio.sleep(2.0)  # a late duplicate would arrive by now

        missing: list[str] = []
        duplicated: dict[str, int] = {}
        for name in stopped:
            cid = ids.get(name, '')
            posts = receiver.titled(LABEL + name)
            if len(posts) > 1:
                duplicated[name] = len(posts)
            if not posts or cid not in cli.seen:
                missing.append(name)
                continue
            engine_time = cli.seen[cid][0] / 1e9
            arrived = posts[0].received
            pipeline.append(arrived - engine_time)
            baseline.append(cli.seen[cid][1] - engine_time)
            if name in died and name in opened:
                stages['observer'].append(died[name] - engine_time)
                stages['alert'].append(opened[name] - died[name])
                stages['message'].append(arrived - opened[name])
        ours = sum(1 for post in receiver.posts if post.title.startswith(LABEL + NAME_PREFIX))
        others = Counter(post.title for post in receiver.posts if not post.title.startswith(LABEL + NAME_PREFIX))

        report.add('containers stopped one at a time', len(stopped))
        report.add('messages received for them', ours)
        report.add('stops without a message (or no CLI event)', len(missing))
        report.add('stops with more than one message', len(duplicated))
        if missing:
            report.note(f'no message within the run for: {", ".join(missing)}')
        if duplicated:
            report.note('duplicated: ' + ', '.join(f'{name} x{n}' for name, n in duplicated.items()))
        report.add('pipeline: die -> message received, p50', ms(percentile(pipeline, 50)), 'ms')
        report.add('pipeline: die -> message received, p95', ms(percentile(pipeline, 95)), 'ms')
        report.add('pipeline: die -> message received, max', ms(max(pipeline, default=0.0)), 'ms')
        if pipeline:
            report.add('pipeline: the first stop of the run', ms(pipeline[0]), 'ms')
        report.add('baseline docker events CLI: die -> line read, p50', ms(percentile(baseline, 50)), 'ms')
        report.add('baseline docker events CLI: die -> line read, p95', ms(percentile(baseline, 95)), 'ms')
        report.add('baseline docker events CLI: die -> line read, max', ms(max(baseline, default=0.0)), 'ms')
        for stage, what in (
            ('observer', 'die -> observer published it'),
            ('alert', 'observer -> alert opened (planned? + stored)'),
            ('message', 'alert opened -> message received'),
        ):
            values = stages[stage]
            report.add(f'  {what}, p50', ms(percentile(values, 50)), 'ms')
            report.add(f'  {what}, p95', ms(percentile(values, 95)), 'ms')
        p95 = percentile(pipeline, 95)
        met = bool(pipeline) and not missing and not duplicated and p95 < TARGET_P95
        report.add('target p95 < 2 s met', 'yes' if met else 'no')
        if others:
            report.note(
                f'{sum(others.values())} other message(s) went through the same sender during the run '
                f'(containers not of this run, e.g. the dev stack): ' + ', '.join(sorted(others)[:5])
            )
    finally:
        watch.stop()
        observer.stop()
        keeper.stop()
        with contextlib.suppress(Exception):
            await messenger.stop()
        sender.stop()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, 10)
        cli.close()
        receiver.close()
        await asyncio.to_thread(engine.reset)
        await close_store()
        shutil.rmtree(directory, ignore_errors=True)
        quiet.setLevel(level)
        await asyncio.to_thread(remove_containers, names)
    p95_pipe, p95_base = percentile(pipeline, 95), percentile(baseline, 95)
    ratio = round(p95_pipe / p95_base, 3) if p95_base > 0 else None
    return report.finish(
        ratio,
        'p95 latency, alert message / docker events CLI',
        figure=f'p95 {ms(p95_pipe):.0f} ms die -> message, {len(pipeline)} stops, {len(missing)} missing',
        met=met,
    )
