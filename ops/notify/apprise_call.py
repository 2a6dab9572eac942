"""The one place apprise is called: send one message to one URL and say whether it went, with apprise's reason."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from ops.notify.scrub import scrub

# Apprise's own log lines can carry a channel's URL: they do not propagate to the console's log handlers (and are
# scrubbed, below, for any handler attached to them); what they say comes back (scrubbed by ops.notify.channels)
# as the reason of a failed send.
logging.getLogger('apprise').propagate = False
logging.getLogger('apprise').addHandler(logging.NullHandler())

_in_flight: list[str] = []  # the URL being sent right now (one at a time)


class _Redact(logging.Filter):
    """Scrubs the URL being sent out of what apprise and the HTTP libraries log meanwhile (their debug lines hold
    request paths, and a channel's token is often part of the path), whoever listens to those loggers."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _in_flight:
            text = record.getMessage()
            clean = text
            for url in list(_in_flight):
                clean = scrub(clean, url)
            if clean != text:
                record.msg, record.args = clean, None
        return True


for _name in (
    'apprise',
    'urllib3.connectionpool',
    'urllib3.connection',
    'urllib3.poolmanager',
    'urllib3.util.retry',
    'urllib3.response',
    'requests',
):
    logging.getLogger(_name).addFilter(_Redact())

# Plugins only from apprise itself (no directories searched for more), nothing persisted to disk, secrets masked
# in what apprise writes.
_ASSET_OPTIONS: dict[str, Any] = {'plugin_paths': [], 'storage_mode': 'memory', 'secure_logging': True}
_KINDS = {'info': 'INFO', 'warning': 'WARNING', 'failure': 'FAILURE', 'critical': 'FAILURE'}  # apprise.NotifyType
_one_at_a_time = threading.Lock()


@dataclass(frozen=True)
class Delivery:
    """What apprise said: sent or not, and its last warning or error (unscrubbed: may hold the URL)."""

    sent: bool
    said: str = ''


def deliver(url: str, *, title: str, body: str, severity: str) -> Delivery:
    """Blocking: one notify() of one URL (call it in a thread; one send at a time)."""
    with _one_at_a_time:
        _in_flight.append(url)
        try:
            return _deliver(url, title=title, body=body, severity=severity)
        finally:
            _in_flight.remove(url)


def _deliver(url: str, *, title: str, body: str, severity: str) -> Delivery:
    # Imported at the first send, not at start: apprise and its ~100 plugins cost a few MB a console that sends
    # nothing never needs.
    import apprise

    said: list[str] = []

    def heard(entry: Any, service: Any) -> None:
        if str(getattr(entry, 'level', '')) in ('WARNING', 'ERROR', 'CRITICAL'):
            said.append(str(getattr(entry, 'message', '')))

    sender = apprise.Apprise(
        asset=apprise.AppriseAsset(**_ASSET_OPTIONS), log_callback=heard, log_level=logging.WARNING
    )
    if not sender.add(url):
        return Delivery(False, 'not a URL apprise knows')
    result = sender.notify(
        body=body,
        title=title,
        body_format=apprise.NotifyFormat.TEXT,
        notify_type=apprise.NotifyType[_KINDS.get(severity, 'INFO')],
    )
    return Delivery(bool(result), said[-1] if said and not result else '')
