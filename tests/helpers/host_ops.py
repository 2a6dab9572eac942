"""Run host operations the way the manager does (schema, world check, handler) against fixture host files."""

from __future__ import annotations

import asyncio
import importlib
import json
from pathlib import Path
from typing import Any

from app.system import adapters_for
from ops.adapters import Adapters
from ops.config import HomelabConfig
from ops.docker.engine import Engine
from ops.registry import CATALOG
from ops.run_context import RunContext

HOST_OPERATIONS = (
    'host_disk_report',
    'host_network_probe',
    'host_reboot_required',
    'host_unattended_upgrades',
    'host_journal',
    'host_reboot',
    'backup_run',
    'backup_status',
)
for _name in HOST_OPERATIONS:
    importlib.import_module(f'ops.host.{_name}')


def host_services(tmp_path: Path, config: HomelabConfig | None = None, engine: Engine | None = None) -> Adapters:
    """Adapters whose host root is tmp_path/'host' and whose engine, unless given, is unreachable."""
    return adapters_for(
        engine or Engine('unix:///nonexistent'),
        config or HomelabConfig(),
        data_dir=tmp_path / 'data',
        repo_dir=tmp_path,
        host_root=tmp_path / 'host',
    )


async def run_operation(name: str, adapters: Adapters, **args: Any) -> tuple[dict[str, Any], RunContext]:
    """Validate, check against the world, run under the spec's timeout; the result must survive JSON."""
    spec = CATALOG.get(name)
    assert spec is not None, f'{name} is not in the catalog'
    params = spec.params(**args)
    if spec.check is not None:
        await spec.check(params, adapters, spec.mutating)
    ctx = RunContext(run_id=1, adapters=adapters)
    result = await asyncio.wait_for(spec.handler(params, ctx), timeout=spec.timeout)
    json.dumps(result)  # a run's result is stored and published as JSON
    return result, ctx
