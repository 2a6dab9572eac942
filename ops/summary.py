"""The JSON summary other dashboards read (`GET /summary`): engine, containers (each with its CPU and memory), stacks
(with their totals), actions, host, runs, the open alerts and the maintenance windows and schedules."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, is_dataclass
from typing import Any

from ops.alerts.records import Alert
from ops.alerts.rules import DEFAULTS
from ops.docker.containers import ContainerInfo, ContainerState, Health
from ops.stats.samples import ContainerSample
from ops.stats.usage import stack_usage
from ops.store.models import Action, Run
from ops.world.action_states import ActionState
from ops.world.drift import Drift
from ops.world.observer import Observer

# Additions keep the version (schema 1 gained containers.items and the stacks' cpu_percent and memory_bytes); a
# change that breaks a reader bumps it.
SCHEMA_VERSION = 1


async def build_summary(
    observer: Observer,
    host: object | None = None,
    *,
    drifts: Sequence[Drift] = (),
    managed: Sequence[str] = (),
    alerts: Sequence[Alert] = (),
    samples: Mapping[str, ContainerSample] | None = None,
    maintenance: Mapping[str, Any] | None = None,
    last_runs: int = 10,
) -> dict[str, Any]:
    """`managed` are the configured stacks (listed even with no container); `drifts` the supervisor's picture;
    `alerts` the open ones (the keeper's, worst first); `samples` the stats collector's fresh samples of the running
    containers by id (None: no collector, so no numbers: null); `maintenance` the windows, what waits for the next
    and the schedules (ops.maintenance.status; None: null)."""
    containers = list(observer.containers.values())
    stacks: dict[str, dict[str, Any]] = {}

    def entry_of(name: str) -> dict[str, Any]:
        return stacks.setdefault(
            name,
            {
                'managed': name in managed,
                'containers': 0,
                'running': 0,
                'unhealthy': 0,
                'drift': [],
                'cpu_percent': None if samples is None else 0.0,
                'memory_bytes': None if samples is None else 0,
            },
        )

    for name in managed:
        entry_of(name)
    for info in containers:
        if info.stack:
            entry = entry_of(info.stack)
            entry['containers'] += 1
            entry['running'] += info.state == ContainerState.RUNNING
            entry['unhealthy'] += info.health == Health.UNHEALTHY
    for drift in drifts:
        entry_of(drift.stack)['drift'].append(drift.as_json())
    if samples is not None:
        for stack, usage in stack_usage(containers, samples).items():
            entry_of(stack).update(cpu_percent=round(usage.cpu_percent, 2), memory_bytes=usage.memory_bytes)
    pending = await Action.filter(state=ActionState.PENDING).order_by('id')
    runs = await Run.all().order_by('-id').limit(last_runs)
    engine = observer.engine_state
    return {
        'schema': SCHEMA_VERSION,
        'engine': {'reachable': engine.reachable, 'version': engine.version or None, 'error': engine.error or None},
        'containers': {
            'total': len(containers),
            'by_state': dict(Counter(c.state for c in containers)),
            'by_health': dict(Counter(c.health or 'none' for c in containers)),
            'items': [container_entry(c, samples) for c in sorted(containers, key=lambda c: c.name)],
        },
        'stacks': dict(sorted(stacks.items())),
        'drift': [drift.as_json() for drift in drifts],
        'pending_actions': len(pending),
        'actions': [
            {'id': a.id, 'stack': a.stack, 'kind': a.kind, 'title': a.title, 'created_at': a.created_at.isoformat()}
            for a in pending
        ],
        'host': _plain(host),
        'last_runs': [
            {
                'id': r.id,
                'operation': r.operation,
                'state': r.state,
                'actor': r.actor,
                'created_at': r.created_at.isoformat(),
                'finished_at': r.finished_at.isoformat() if r.finished_at else None,
            }
            for r in runs
        ],
        'alerts': [open_alert(alert) for alert in alerts],
        'maintenance': dict(maintenance) if maintenance is not None else None,
    }


def container_entry(info: ContainerInfo, samples: Mapping[str, ContainerSample] | None) -> dict[str, Any]:
    """One container as the summary lists it: CPU (percent of one core) and memory are null without a fresh sample
    (not running, or no collector)."""
    sample = samples.get(info.id) if samples is not None else None
    return {
        'id': info.short_id,
        'name': info.name,
        'stack': info.stack,
        'service': info.service,
        'state': info.state,
        'health': info.health,
        'cpu_percent': round(sample.cpu_percent, 2) if sample else None,
        'memory_bytes': sample.memory_bytes if sample else None,
        'memory_limit_bytes': sample.memory_limit_bytes if sample else None,
    }


def open_alert(alert: Alert) -> dict[str, Any]:
    """An open alert as the summary lists it: what, about what, since when, who is on it (nothing secret)."""
    return {
        'id': alert.id,
        'rule': alert.rule.value,
        'label': DEFAULTS[alert.rule].label,
        'target': alert.target,
        'severity': alert.severity.value,
        'since': alert.opened_at.isoformat(),
        'summary': alert.summary,
        'acknowledged_by': alert.acknowledged_by,
        'snoozed_until': alert.snoozed_until.isoformat() if alert.snoozed_until else None,
    }


def _plain(value: object | None) -> Any:
    if value is None:
        return None
    if is_dataclass(value) and not isinstance(value, type):
        return _jsonable(asdict(value))
    return None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
