"""Is a reboot pending? Debian's update-notifier hooks leave /run/reboot-required and the packages behind it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ops.adapters import Adapters
from ops.clock import utc_from_timestamp

# /var/run is an absolute symlink to /run on the host; under a host mount it would resolve inside the container,
# so the canonical /run path is tried first and the traditional one second.
FLAG_PATHS = ('/run/reboot-required', '/var/run/reboot-required')
MAX_PACKAGES = 1000


@dataclass(frozen=True, kw_only=True, slots=True)
class RebootStatus:
    """Whether the host asks for a reboot, since when, and which packages asked."""

    required: bool
    since: datetime | None
    packages: tuple[str, ...]
    flag_file: str | None


def read_reboot_status(adapters: Adapters) -> RebootStatus:
    """Read the flag and its package list (blocking: call it off the event loop)."""
    for flag in FLAG_PATHS:
        path = adapters.host_path(flag)
        try:
            stat = path.stat()
        except OSError:
            continue
        try:
            text = path.with_name(path.name + '.pkgs').read_text(encoding='utf-8', errors='replace')
        except OSError:
            text = ''
        names = (line.strip() for line in text.splitlines())
        # Several upgrades append the same package again; each is worth naming once.
        packages = tuple(dict.fromkeys(name for name in names if name))[:MAX_PACKAGES]
        return RebootStatus(required=True, since=utc_from_timestamp(stat.st_mtime), packages=packages, flag_file=flag)
    return RebootStatus(required=False, since=None, packages=(), flag_file=None)
