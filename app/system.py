"""The composition root: builds the engine adapter, observer and store once, and starts/stops them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os

from app.settings import Settings, prepare_data_dir
from ops.config import HomelabConfig
from ops.docker.engine import Engine
from ops.store.db import close_store, open_store
from ops.world.observer import Observer

log = logging.getLogger(__name__)


class System:
    """Everything long-lived; pages receive it and subscribe to its events."""

    def __init__(self, settings: Settings, config: HomelabConfig | None = None) -> None:
        self.settings = settings
        self.config = config if config is not None else settings.load_config()
        self.engine = Engine(os.environ.get('DOCKER_HOST') or None)
        self.observer = Observer(self.engine)
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        prepare_data_dir(self.settings.data_dir)
        await open_store(self.settings.database_path)
        self._tasks.append(asyncio.create_task(self.observer.run(), name='observer'))

    async def stop(self) -> None:
        self.observer.stop()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        await asyncio.to_thread(self.engine.reset)
        await close_store()
