"""The server's own log on stderr (`docker compose logs`): the app's INFO lines, everything else from WARNING."""

from __future__ import annotations

import logging

FORMAT = '%(asctime)s %(levelname)s %(name)s: %(message)s'
APP_LOGGERS = ('app', 'ops', 'components')


def configure_server_log() -> None:
    """Runs, action decisions, drift, engine changes and the config at INFO; libraries only from WARNING."""
    logging.basicConfig(format=FORMAT, level=logging.WARNING)
    for name in APP_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
