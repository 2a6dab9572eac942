"""One line for a config file or HOMELAB_* value that stops a command: the key and the rule, never a traceback."""

from __future__ import annotations

import re

from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsError

from ops.config import ConfigError, rule_of
from ops.store.db import StoreProblem

_FIELD = re.compile(r'field "([^"]+)"')


def problem_line(err: Exception) -> str | None:
    """`homelab: ...` for a config or settings problem; None for anything else (a bug keeps its traceback)."""
    if isinstance(err, ConfigError | StoreProblem):
        return _one_line(f'homelab: {err}')
    if isinstance(err, SettingsError):
        field = match.group(1) if (match := _FIELD.search(str(err))) else ''
        return _one_line(f'homelab: environment {_env_name(field)}: not valid JSON (a list is written ["a", "b"])')
    if isinstance(err, ValidationError) and (prefix := _settings_prefix(err.title)) is not None:
        problems = err.errors(include_input=False)
        item = problems[0]
        field = str(item['loc'][0]) if item['loc'] else ''
        more = f' (and {len(problems) - 1} more problem(s))' if len(problems) > 1 else ''
        return _one_line(f'homelab: environment {(prefix + field).upper()}: {rule_of(item)}{more}')
    return None


def _settings_prefix(title: str) -> str | None:
    """The env prefix of the settings class that raised (None: the error is not about the environment)."""
    for cls in _settings_classes(BaseSettings):
        if cls.__name__ == title:
            return str(cls.model_config.get('env_prefix', ''))
    return None


def _env_name(field: str) -> str:
    for cls in _settings_classes(BaseSettings):
        if field in cls.model_fields:
            return (str(cls.model_config.get('env_prefix', '')) + field).upper()
    return f'the value for {field!r}'


def _settings_classes(base: type[BaseSettings]) -> list[type[BaseSettings]]:
    found = []
    for cls in base.__subclasses__():
        found += [cls, *_settings_classes(cls)]
    return found


def _one_line(text: str) -> str:
    return ' '.join(text.split())
