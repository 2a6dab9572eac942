"""Engine container events as the journal keeps them: the record, its identity across replays, what is left out."""

from __future__ import annotations

from typing import Any

from ops.clock import docker_time
from ops.docker.containers import ContainerInfo
from ops.docker.engine import Engine
from ops.docker.labels import CONFIG_HASH_LABEL, PROJECT_LABEL, SERVICE_LABEL

# Healthcheck probes (exec_create/exec_start/exec_die) arrive every few seconds per checked container; their
# outcome is journaled as health_status, so the probes themselves are applied but not journaled.
UNJOURNALED_ACTIONS = ('exec_create', 'exec_start', 'exec_die')
EventKey = tuple[int, str, str]


def journaled(action: str) -> bool:
    """Whether an engine event with this Action goes into the journal (healthcheck probes do not)."""
    return not action.startswith(UNJOURNALED_ACTIONS)


def event_key(event: dict[str, Any]) -> EventKey | None:
    """What identifies an engine event across replays: (timeNano, container id, Action)."""
    container_id = str(event.get('id') or event.get('Actor', {}).get('ID') or '')
    time_nano = _int(event.get('timeNano'))
    if not container_id or time_nano is None:
        return None
    return time_nano, container_id, str(event.get('Action') or '')


def record_key(record: dict[str, Any]) -> EventKey | None:
    """The event_key() of a journaled engine event record."""
    time_nano = record.get('time_nano')
    if record.get('source') != 'engine' or not isinstance(time_nano, int) or not record.get('id'):
        return None
    action = str(record.get('action') or '')
    if action == 'health_status':
        action = f'health_status: {record.get("health")}'
    elif record.get('detail'):
        action = f'{action}: {record.get("detail")}'
    return time_nano, str(record['id']), action


def event_record(event: dict[str, Any], known: ContainerInfo | None = None) -> dict[str, Any]:
    """The journal record of one engine container event (`known`: the container as the world had it)."""
    attributes = event.get('Actor', {}).get('Attributes') or {}
    action, _, detail = str(event.get('Action') or '').partition(': ')
    record: dict[str, Any] = {
        'source': 'engine',
        'type': 'container',
        'action': action,
        'id': str(event.get('id') or event.get('Actor', {}).get('ID') or ''),
        'name': attributes.get('name') or (known.name if known else None),
        'stack': attributes.get(PROJECT_LABEL) or (known.stack if known else None),
        'service': attributes.get(SERVICE_LABEL) or (known.service if known else None),
        'image': attributes.get('image') or event.get('from') or (known.image if known else None),
        'config_hash': attributes.get(CONFIG_HASH_LABEL) or (known.config_hash if known else None),
        'time_nano': _int(event.get('timeNano')),
    }
    if action == 'die':
        record['exit_code'] = _int(attributes.get('exitCode'))
    elif action == 'health_status':
        record['health'] = detail
    elif detail:
        record['detail'] = detail
    if action == 'rename':
        record['old_name'] = (attributes.get('oldName') or '').lstrip('/') or None
    return record


def _int(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lstrip('-').isdigit():
        return int(value)
    return None


def engine_holds(engine: Engine, time_nano: int) -> bool:
    """Whether the engine can still replay the event at `time_nano` (its buffer reaches back that far)."""
    stream = engine.events(since='1.000000000', until=docker_time(time_nano))
    try:
        for _event in stream:
            return True
        return False
    finally:
        stream.close()
