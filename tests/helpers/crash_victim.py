"""A process that starts a run and then waits to be SIGKILLed (see test_crash_recovery.py).

Usage: python -m tests.helpers.crash_victim DATA_DIR
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from app.system import adapters_for
from ops.config import HomelabConfig
from ops.docker.engine import Engine
from ops.manager import Manager
from ops.store.db import open_store
from ops.store.models import Run
from ops.store.owners import OwnerLock
from tests.helpers.practice_catalog import Rehearsal, practice_catalog


async def main(data: Path) -> None:
    await open_store(data / 'homelab.sqlite3')
    adapters = adapters_for(Engine('unix:///nonexistent'), HomelabConfig(), data_dir=data, repo_dir=data)
    manager = Manager(adapters, owner=OwnerLock(data / 'state' / 'owners'), registry=practice_catalog(Rehearsal()))
    handle = await manager.submit('test_restart', {'container': 'web'}, actor='cli:victim', origin='cli')
    while (await Run.get(id=handle.run_id)).state != 'running':
        await asyncio.sleep(0.01)
    print(f'running {handle.run_id}', flush=True)
    await asyncio.Event().wait()


if __name__ == '__main__':
    asyncio.run(main(Path(sys.argv[1])))
