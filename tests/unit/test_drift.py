"""Drift detection and the config diff as pure functions: one case per drift kind, and the settings diff."""

from __future__ import annotations

from dataclasses import replace

from ops.docker.containers import ContainerInfo
from ops.world.config_diff import config_diff
from ops.world.desired import ServiceWant, StackWant
from ops.world.drift import ImageUpdate, find_drift

HASH_A = 'a' * 64
HASH_B = 'b' * 64


def _want(**services: str) -> StackWant:
    return StackWant(
        name='lab',
        files=('compose.yml',),
        services={name: ServiceWant(name=name, config_hash=h, image='busybox:1.36') for name, h in services.items()},
    )


def _container(service: str, *, state: str = 'running', config_hash: str = HASH_A, stack: str = 'lab') -> ContainerInfo:
    return ContainerInfo(
        id=f'{service}-id',
        name=f'{stack}-{service}-1',
        stack=stack,
        service=service,
        state=state,
        health=None,
        image='busybox:1.36',
        status='',
        created=0,
        config_hash=config_hash,
    )


def test_a_stack_in_line_has_no_drift() -> None:
    assert find_drift(_want(web=HASH_A), [_container('web')]) == []


def test_each_kind_is_found_with_its_subject() -> None:
    want = _want(web=HASH_A, db=HASH_A, cache=HASH_B, app=HASH_A)
    containers = [
        _container('web', state='exited'),  # stopped
        _container('cache'),  # runs HASH_A, the files say HASH_B
        _container('old'),  # not in the files: orphan
        _container('app'),
        _container('web', stack='other'),  # another project: ignored
    ]
    update = ImageUpdate(
        image='busybox:1.36', running_digest='sha256:' + '1' * 64, registry_digest='sha256:' + '2' * 64
    )
    drifts = find_drift(want, containers, {'app-id': update})
    found = {(d.kind, d.subject) for d in drifts}
    assert found == {
        ('stopped', 'web'),
        ('missing', 'db'),
        ('config', 'cache'),
        ('orphan', 'lab-old-1'),
        ('image', 'app'),
    }
    assert all(d.actionable for d in drifts)
    assert len({d.key for d in drifts}) == len(drifts)


def test_a_changed_drift_gets_a_new_key_and_the_same_drift_keeps_its_key() -> None:
    first = find_drift(_want(web=HASH_B), [_container('web')])
    again = find_drift(_want(web=HASH_B), [_container('web')])
    other = find_drift(_want(web='c' * 64), [_container('web')])
    assert first[0].key == again[0].key != other[0].key


def test_invalid_files_are_one_drift_that_is_never_acted_on() -> None:
    want = StackWant(name='lab', files=('compose.yml',), error='yaml: line 3: did not find expected node content')
    drifts = find_drift(want, [_container('web', state='exited')])
    assert [(d.kind, d.actionable) for d in drifts] == [('invalid', False)]
    assert 'yaml' in drifts[0].detail


def test_a_restarting_container_is_not_stopped() -> None:
    assert find_drift(_want(web=HASH_A), [replace(_container('web'), state='restarting')]) == []


def test_config_diff_names_each_changed_setting() -> None:
    running = {
        'Config': {
            'Image': 'busybox:1.36',
            'Cmd': ['sleep', '3600'],
            'Env': ['PATH=/bin', 'LEVEL=1', 'GONE=x'],
            'Labels': {'role': 'web'},
        },
        'HostConfig': {
            'RestartPolicy': {'Name': 'always'},
            'PortBindings': {'8080/tcp': [{'HostIp': '127.0.0.1', 'HostPort': '18080'}]},
        },
        'ImageEnv': ['PATH=/bin'],
    }
    wanted = {
        'image': 'busybox:1.37',
        'command': ['sleep', '3600'],
        'environment': {'LEVEL': '2', 'NEW': 'y'},
        'ports': [{'target': 8080, 'published': '18081', 'host_ip': '127.0.0.1', 'protocol': 'tcp'}],
        'restart': 'always',
        'labels': {'role': 'web'},
    }
    changes = {c.setting: (c.running, c.wanted) for c in config_diff(running, wanted)}
    assert changes == {
        'image': ('busybox:1.36', 'busybox:1.37'),
        'environment GONE': ('x', None),
        'environment LEVEL': ('1', '2'),
        'environment NEW': (None, 'y'),
        'ports': ('127.0.0.1:18080->8080/tcp', '127.0.0.1:18081->8080/tcp'),
    }
