"""host_disk_report's Docker part against the real engine (the rig)."""

from __future__ import annotations

import os
from pathlib import Path

from ops.docker.engine import Engine
from tests.helpers.host_ops import host_services, run_operation
from tests.helpers.rig import require_engine


async def test_docker_disk_use_from_the_real_engine(tmp_path: Path) -> None:
    require_engine()
    engine = Engine(os.environ.get('DOCKER_HOST') or None)
    services = host_services(tmp_path, engine=engine)

    result, ctx = await run_operation('host_disk_report', services)

    docker = result['docker']
    assert docker['available'] is True and docker['error'] is None
    # The engine's df lists the images `docker images` shows (not the classic builder's intermediate layers).
    assert docker['images']['count'] == len(engine.client().api.images()) > 0
    assert docker['images']['size_bytes'] > 0
    assert docker['containers']['count'] == len(engine.list_containers())
    for part in ('images', 'containers', 'volumes', 'build_cache'):
        assert (
            0 <= docker[part]['reclaimable_bytes'] <= max(docker[part]['size_bytes'], docker[part]['reclaimable_bytes'])
        )
    assert 'docker images:' in ctx.output
