"""Request files: how the console asks the host for an action, and how the host answers.

The console writes `$DATA/requests/<kind>.request` atomically and never overwrites a pending one; a host-owned
systemd path unit runs `homelab-request.sh <kind>`, which writes `<kind>.result` and removes the request.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ops.clock import utc_now
from ops.errors import OperationFailed

if TYPE_CHECKING:
    from ops.run_context import RunContext

RequestKind = Literal['reboot', 'backup']
MAX_FILE_BYTES = 64 * 1024


@dataclass(frozen=True, kw_only=True, slots=True)
class HostRequest:
    """A request the console left for the host."""

    kind: RequestKind
    id: str
    requested_at: datetime
    path: Path

    def as_result(self, **more: object) -> dict[str, Any]:
        """The result of the run that queued it (`more` after its id): queued, not yet done."""
        return {
            'queued': True,
            'kind': self.kind,
            'id': self.id,
            **more,
            'requested_at': self.requested_at.isoformat(),
            'request_file': str(self.path),
        }


def request_path(requests_dir: Path, kind: RequestKind) -> Path:
    """Where the host's path unit looks for a request of this kind."""
    return requests_dir / f'{kind}.request'


def result_path(requests_dir: Path, kind: RequestKind) -> Path:
    """Where the host's script leaves the outcome of the last request of this kind."""
    return requests_dir / f'{kind}.result'


def write_request(requests_dir: Path, kind: RequestKind, details: dict[str, Any]) -> HostRequest:
    """Write the request atomically: a temporary file, fsync, then a no-clobber rename (blocking)."""
    requests_dir.mkdir(parents=True, exist_ok=True)
    request = HostRequest(kind=kind, id=uuid.uuid4().hex, requested_at=utc_now(), path=request_path(requests_dir, kind))
    body = {'id': request.id, 'kind': kind, 'requested_at': request.requested_at.isoformat(), **details}
    temporary = requests_dir / f'.{kind}.request.{request.id}.tmp'
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(descriptor, 'w', encoding='utf-8') as stream:
            stream.write(json.dumps(body, sort_keys=True) + '\n')
            stream.flush()
            os.fsync(stream.fileno())
        _publish(temporary, request.path)
    except FileExistsError as err:
        raise OperationFailed(f'a {kind} request is already pending ({request.path})') from err
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
    _fsync_directory(requests_dir)
    return request


def requester(ctx: RunContext) -> str:
    """Who asked, for the request file: the run's actor when the manager provides one, else the run itself."""
    return ctx.actor or f'run:{ctx.run_id}'


def read_pending(requests_dir: Path, kind: RequestKind) -> dict[str, Any] | None:
    """The pending request of this kind, or None when there is none (blocking)."""
    path = request_path(requests_dir, kind)
    if not path.exists():
        return None
    return _read_json(path) or {'id': None, 'note': 'unreadable request file'}


def read_result(requests_dir: Path, kind: RequestKind) -> dict[str, Any] | None:
    """What the host reported for the last request of this kind, or None (blocking)."""
    return _read_json(result_path(requests_dir, kind))


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        with path.open('rb') as stream:
            data = json.loads(stream.read(MAX_FILE_BYTES))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _publish(temporary: Path, final: Path) -> None:
    # link() is a rename() that refuses to replace: a pending request is never lost to a second one.
    try:
        os.link(temporary, final)
    except FileExistsError:
        raise
    except OSError:
        # A filesystem without hard links: check, then rename (the run's lock keeps this race theoretical).
        if final.exists():
            raise FileExistsError(final) from None
        os.replace(temporary, final)


def _fsync_directory(directory: Path) -> None:
    # The new name is durable only once the directory itself is on disk.
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
