"""The config diff of a plan preview: what a recreate would change, setting by setting.

The running side comes from the container's inspect (and its image's environment, which is not the
stack's doing); the wanted side is the service as `compose config --format json` renders it. Values of
secret-looking environment variables and labels never leave this module: their rows say `changed`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ops.masking import shown_change


@dataclass(frozen=True, kw_only=True, slots=True)
class SettingChange:
    """One setting that differs; None on a side means it is not set there."""

    setting: str
    running: str | None
    wanted: str | None

    def as_json(self) -> dict[str, str | None]:
        return {'setting': self.setting, 'running': self.running, 'wanted': self.wanted}


def config_diff(running: dict[str, Any], wanted: dict[str, Any]) -> list[SettingChange]:
    """Compare image, command, entrypoint, environment, ports, restart policy, healthcheck and labels."""
    config = running.get('Config') or {}
    host = running.get('HostConfig') or {}
    changes: list[SettingChange] = []

    def compare(setting: str, have: str | None, want: str | None) -> None:
        if have != want:
            changes.append(SettingChange(setting=setting, running=have, wanted=want))

    def compare_masked(setting: str, name: str, have: str | None, want: str | None) -> None:
        # A secret-looking value is compared in full but shown only as `changed` (see ops.masking).
        if have != want:
            shown_have, shown_want = shown_change(name, have, want)
            changes.append(SettingChange(setting=setting, running=shown_have, wanted=shown_want))

    compare('image', _text(config.get('Image')), _text(wanted.get('image')))
    # Without a command (entrypoint) in the files, the image's own applies: nothing to compare.
    if 'command' in wanted:
        compare('command', _words(config.get('Cmd')), _words(wanted.get('command')))
    if 'entrypoint' in wanted:
        compare('entrypoint', _words(config.get('Entrypoint')), _words(wanted.get('entrypoint')))
    have_env = _environment(config.get('Env'), running.get('ImageEnv'))
    want_env = {str(k): (None if v is None else str(v)) for k, v in (wanted.get('environment') or {}).items()}
    for key in sorted(set(have_env) | set(want_env)):
        compare_masked(f'environment {key}', key, have_env.get(key), want_env.get(key))
    compare('ports', _host_ports(host.get('PortBindings')), _wanted_ports(wanted.get('ports')))
    compare('restart', (host.get('RestartPolicy') or {}).get('Name') or 'no', str(wanted.get('restart') or 'no'))
    if 'healthcheck' in wanted:
        compare(
            'healthcheck',
            _words((config.get('Healthcheck') or {}).get('Test')),
            _words((wanted.get('healthcheck') or {}).get('test')),
        )
    have_labels = config.get('Labels') or {}
    for key, value in sorted((wanted.get('labels') or {}).items()):
        compare_masked(f'label {key}', str(key), _text(have_labels.get(key)), _text(value))
    return changes


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _words(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return json.dumps([str(v) for v in value], ensure_ascii=False)
    return json.dumps([str(value)], ensure_ascii=False)


def _environment(env: object, image_env: object) -> dict[str, str | None]:
    inherited = set(image_env) if isinstance(image_env, list) else set()
    found: dict[str, str | None] = {}
    for entry in env if isinstance(env, list) else []:
        if entry in inherited:
            continue
        key, sep, value = str(entry).partition('=')
        found[key] = value if sep else None
    return found


def _host_ports(bindings: object) -> str | None:
    items: list[str] = []
    if isinstance(bindings, dict):
        for container_port, published in bindings.items():
            for binding in published or []:
                host_ip = binding.get('HostIp') or ''
                prefix = f'{host_ip}:' if host_ip else ''
                items.append(f'{prefix}{binding.get("HostPort") or ""}->{container_port}')
    return ', '.join(sorted(items)) or None


def _wanted_ports(ports: object) -> str | None:
    items: list[str] = []
    for port in ports if isinstance(ports, list) else []:
        if not isinstance(port, dict) or not port.get('published'):
            continue
        host_ip = port.get('host_ip') or ''
        prefix = f'{host_ip}:' if host_ip else ''
        items.append(f'{prefix}{port["published"]}->{port.get("target")}/{port.get("protocol") or "tcp"}')
    return ', '.join(sorted(items)) or None
