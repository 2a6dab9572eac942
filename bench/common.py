"""What every benchmark shares: timing helpers, throwaway Docker resources, and the results writer.

A benchmark builds a Report, adds figures as it measures them (each is printed at once), and ends with
`finish(ratio, label, figure=..., met=...)`: the ratio line is printed last and bench/results/<id>.json is written
with the figures, the baseline, the ratio, the headline figure, whether the target is met, and the machine facts.
Figures are not pass/fail: nothing here asserts (`met` is what the summary table shows).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import secrets
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import docker
import docker.errors

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / 'bench' / 'results'
BASE_IMAGE = 'busybox:1.36'
# Every container of one `python -m bench` run carries this label, and a name starting with NAME_PREFIX.
RUN_TAG = secrets.token_hex(3)
NAME_PREFIX = f'hl-bench-{RUN_TAG}'
LABEL = 'homelab.bench'


# ---- figures and results ---------------------------------------------------------------------------


@dataclass
class Figure:
    name: str
    value: float | int | str | None
    unit: str = ''


@dataclass
class Report:
    """The figures of one benchmark; `finish()` prints the ratio last and writes the JSON file."""

    id: str
    title: str
    baseline: str
    target: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ratio: float | None = None
    ratio_label: str = ''
    headline: str = ''  # the figure the summary table shows (e.g. 'p95 41 ms at 1k/s')
    met: bool | None = None  # every part of the target reached (None: no verdict)
    measured: bool = True
    error: str | None = None
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec='seconds'))
    seconds: float = 0.0
    load_before: tuple[float, float, float] = field(default_factory=os.getloadavg)
    _t0: float = field(default_factory=time.monotonic, repr=False)

    def add(self, name: str, value: float | int | str | None, unit: str = '', *, show: bool = True) -> None:
        """Record a figure and print its line (`show=False`: only in the JSON)."""
        self.figures.append(Figure(name, value, unit))
        if show:
            print(f'{self.id:<4} {name:<58} {_show(value)} {unit}'.rstrip(), flush=True)

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f'{self.id:<4} note: {text}', flush=True)

    def finish(self, ratio: float | None, label: str, *, figure: str = '', met: bool | None = None) -> Report:
        """The ratio (this run's figure over its baseline) is the last line; then the JSON is written.

        `figure` is the headline for the summary table, `met` whether every part of the target is reached.
        """
        self.ratio, self.ratio_label, self.headline, self.met = ratio, label, figure, met
        self.seconds = round(time.monotonic() - self._t0, 1)
        shown = 'n/a' if ratio is None else f'{ratio:.3f}x'
        verdict = {True: 'met', False: 'NOT met', None: 'no verdict'}[met]
        print(f'{self.id:<4} RATIO {label:<52} {shown}   (target: {self.target}: {verdict})', flush=True)
        self.write()
        return self

    def fail(self, err: BaseException) -> Report:
        self.error = f'{type(err).__name__}: {err}'
        self.seconds = round(time.monotonic() - self._t0, 1)
        print(f'{self.id:<4} FAILED: {self.error}', flush=True)
        self.write()
        return self

    def write(self) -> Path:
        RESULTS.mkdir(parents=True, exist_ok=True)
        data = asdict(self)
        data.pop('_t0', None)
        data['machine'] = machine_facts()
        data['load_after'] = os.getloadavg()
        path = RESULTS / f'{self.id}.json'
        path.write_text(json.dumps(data, indent=2, default=str) + '\n', encoding='utf-8')
        return path


def not_measured(bench_id: str, title: str, target: str, why: str) -> Report:
    """A benchmark this package does not measure yet: one clear line, and a results file that says so."""
    report = Report(id=bench_id, title=title, baseline='-', target=target, measured=False)
    report.notes.append(why)
    print(f'{bench_id:<4} not measured yet: {title} -- {why}', flush=True)
    report.write()
    return report


def _show(value: float | int | str | None) -> str:
    if value is None:
        return 'n/a'
    if isinstance(value, float):
        return f'{value:,.3f}' if abs(value) < 100 else f'{value:,.0f}'
    if isinstance(value, int):
        return f'{value:,}'
    return value


_FACTS: dict[str, Any] | None = None


def machine_facts() -> dict[str, Any]:
    """CPU count, load, Python/SQLite/Docker versions and the commit: enough to compare two runs fairly."""
    global _FACTS
    if _FACTS is None:
        facts: dict[str, Any] = {
            'cpu_count': os.cpu_count(),
            'platform': platform.platform(),
            'python': sys.version.split()[0],
            'sqlite': sqlite3.sqlite_version,
            'docker_py': docker.__version__,
        }
        with contextlib.suppress(Exception):
            facts['memory_total_mb'] = round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**20)
        with contextlib.suppress(Exception):
            version = client().version()
            facts['docker_engine'] = version.get('Version')
            facts['docker_api'] = version.get('ApiVersion')
        facts['docker_cli'] = _output(['docker', 'version', '--format', '{{.Client.Version}}'])
        facts['git_commit'] = _output(['git', '-C', str(REPO), 'rev-parse', '--short', 'HEAD'])
        with contextlib.suppress(Exception):
            import nicegui

            facts['nicegui'] = nicegui.__version__
        _FACTS = facts
    return {**_FACTS, 'load_average': os.getloadavg()}


def _output(command: list[str]) -> str | None:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=10, check=False).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


# ---- timing ----------------------------------------------------------------------------------------


def percentile(values: Sequence[float], pct: float) -> float:
    """The pct-th percentile (nearest rank on the sorted values); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def cpu_seconds() -> float:
    """CPU time (user + system) of this process, all threads."""
    times = os.times()
    return times.user + times.system


@contextlib.contextmanager
def stopwatch() -> Iterator[list[float]]:
    """`with stopwatch() as t: ...` then t[0] is the wall time in seconds."""
    box: list[float] = []
    start = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)


def env_int(name: str, default: int) -> int:
    """A size knob from the environment (BENCH_...), so a quick run can shrink a benchmark."""
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


# ---- throwaway Docker resources ---------------------------------------------------------------------

_CLIENT: docker.DockerClient | None = None
_counter = 0


def client() -> docker.DockerClient:
    """One docker-py client for the bench's own set-up and baselines (DOCKER_HOST is respected)."""
    global _CLIENT
    if _CLIENT is None:
        _CLIENT = docker.from_env(timeout=120)
    return _CLIENT


def bench_name(kind: str) -> str:
    global _counter
    _counter += 1
    return f'{NAME_PREFIX}-{kind}-{_counter}'


def container_kwargs(kind: str, command: list[str], **extra: Any) -> dict[str, Any]:
    """create_container arguments for a throwaway busybox container of this run."""
    host_config = client().api.create_host_config(init=True, **extra.pop('host_config', {}))
    return {
        'image': BASE_IMAGE,
        'command': command,
        'name': bench_name(kind),
        'labels': {LABEL: RUN_TAG},
        'host_config': host_config,
        **extra,
    }


def create_container(kind: str, command: list[str], *, start: bool = True, **extra: Any) -> str:
    """A throwaway container (removed by cleanup_containers); returns its name."""
    kwargs = container_kwargs(kind, command, **extra)
    client().api.create_container(**kwargs)
    if start:
        client().api.start(kwargs['name'])
    return str(kwargs['name'])


def create_many(kind: str, count: int, command: list[str], *, start: bool, workers: int = 8) -> list[str]:
    """`count` throwaway containers, made in parallel."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda _: create_container(kind, command, start=start), range(count)))


def remove_containers(names: Sequence[str], workers: int = 8) -> None:
    def remove(name: str) -> None:
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
            client().api.remove_container(name, force=True)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(remove, names))


def cleanup_containers() -> int:
    """Remove every container of this run (found by label and name prefix); returns how many."""
    try:
        found = client().api.containers(all=True, filters={'label': f'{LABEL}={RUN_TAG}'})
    except Exception as err:
        print(f'bench: could not list containers for clean-up: {err}', file=sys.stderr)
        return 0
    names = [
        name.lstrip('/')
        for summary in found
        for name in (summary.get('Names') or [])[:1]
        if name.lstrip('/').startswith(NAME_PREFIX)
    ]
    remove_containers(names)
    return len(names)


def exec_in(name: str, command: list[str]) -> None:
    """Run a command in a running container and wait for it."""
    exec_id = client().api.exec_create(name, command)['Id']
    client().api.exec_start(exec_id)


# ---- processes started by a benchmark -----------------------------------------------------------------

_PROCESSES: list[subprocess.Popen[bytes]] = []


def spawn(command: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    """Start a process in its own process group; kill_processes() ends it (and its children) if still alive."""
    proc: subprocess.Popen[bytes] = subprocess.Popen(command, start_new_session=True, **kwargs)
    _PROCESSES.append(proc)
    return proc


def stop_process(proc: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """SIGTERM to its process group, SIGKILL after `grace` seconds."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
    # Whatever else is left in its group (a child that ignored SIGTERM) goes too.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    if proc in _PROCESSES:
        _PROCESSES.remove(proc)


def kill_processes() -> None:
    for proc in list(_PROCESSES):
        with contextlib.suppress(Exception):
            stop_process(proc, grace=2.0)


def cleanup() -> None:
    """Everything this run started: processes first, then containers."""
    kill_processes()
    removed = cleanup_containers()
    if removed:
        print(f'bench: removed {removed} leftover container(s) of this run', flush=True)


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


class DieEventsCli:
    """`docker events` for die events of this run's containers; records when each line arrived."""

    def __init__(self) -> None:
        self.proc = spawn(
            [
                'docker',
                'events',
                '--filter',
                'type=container',
                '--filter',
                'event=die',
                '--format',
                '{{.ID}} {{.TimeNano}}',
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.seen: dict[str, tuple[int, float]] = {}  # id -> (engine timeNano, received at, unix s)
        self._thread = threading.Thread(target=self._read, name='docker-events-cli', daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            received = time.time()
            parts = raw.decode().split()
            if len(parts) == 2 and parts[1].isdigit():
                self.seen.setdefault(parts[0], (int(parts[1]), received))

    def close(self) -> None:
        stop_process(self.proc)


async def wait_async(condition: Callable[..., object], timeout: float, interval: float = 0.01) -> bool:
    """Whether `condition` came true within `timeout` seconds (checked every `interval` on the loop)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(interval)
    return bool(condition())
