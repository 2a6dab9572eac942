"""Secrets taken out of a container's last words: its own secret-looking environment values, URL passwords and
`NAME=value` pairs whose name looks secret (a dump of the environment in a crash report)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ops.masking import HIDDEN, looks_secret, shown_value

_SHORTEST = 4  # a shorter value (a port, "true") would hide too much ordinary text
# NAME=value first, then `name: value` (a pass each, so `env: SMTP_PASS=x` hides x).
_PAIRS = tuple(
    re.compile(rf'(?P<name>\b[A-Za-z_][A-Za-z0-9_.-]{{0,80}})(?P<sep>{sep})(?P<value>"[^"]*"|\'[^\']*\'|[^\s,;&"\']+)')
    for sep in ('=', ': ?')
)


def secret_values(running_config: Mapping[str, Any]) -> tuple[str, ...]:
    """The values of the secret-looking variables a container runs with (its own and its image's), longest first."""
    config = running_config.get('Config') or {}
    entries = [*(config.get('Env') or []), *(running_config.get('ImageEnv') or [])]
    values = set()
    for entry in entries:
        name, sep, value = str(entry).partition('=')
        if sep and looks_secret(name) and len(value) >= _SHORTEST:
            values.add(value)
    return tuple(sorted(values, key=len, reverse=True))


def hidden(lines: Iterable[str], secrets: Sequence[str]) -> list[str]:
    """Each line with the known secret values, URL passwords and secret-looking pairs replaced by (hidden)."""
    return [_hide(line, secrets) for line in lines]


def _hide(line: str, secrets: Sequence[str]) -> str:
    for value in secrets:
        if value in line:
            line = line.replace(value, HIDDEN)
    line = shown_value('', line) or ''
    for pair, mark in zip(_PAIRS, '=:', strict=True):
        if mark in line:
            line = pair.sub(_pair, line)
    return line


def _pair(match: re.Match[str]) -> str:
    name = match['name']
    if not looks_secret(name) or match['value'] == HIDDEN:
        return match[0]
    if match['sep'] != '=' and name.islower() and len(name) <= 4:  # prose ("the key: ...") rather than a setting
        return match[0]
    return f'{match["name"]}{match["sep"]}{HIDDEN}'
