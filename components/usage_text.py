"""CPU, memory and rates as a homelab owner reads them: '12.5 %', '512 MiB / 2.0 GiB', '1.2 MiB/s'."""

from __future__ import annotations

UNITS = ('B', 'KiB', 'MiB', 'GiB', 'TiB')


def cpu_text(percent: float | None) -> str:
    """Percent of one core, one decimal below 100 ('0.4 %', '12.5 %', '180 %'); a dash when unknown."""
    if percent is None:
        return '—'
    return f'{percent:.1f} %' if percent < 100 else f'{percent:.0f} %'


def bytes_text(size: float | None) -> str:
    """Bytes in at most three digits: '900 B', '9.8 MiB', '512 MiB', '1.2 GiB'; a dash when unknown."""
    if size is None:
        return '—'
    value = float(size)
    for unit in UNITS:
        if abs(value) < 1000 or unit == UNITS[-1]:
            if unit == 'B':
                return f'{value:.0f} B'
            return f'{value:.1f} {unit}' if abs(value) < 10 else f'{value:.0f} {unit}'
        value /= 1024
    return f'{value:.0f} {UNITS[-1]}'  # pragma: no cover (the loop returns)


def memory_text(used: float | None, limit: float | None) -> str:
    """'512 MiB / 2.0 GiB' with a limit, '512 MiB' without."""
    if used is None:
        return '—'
    return f'{bytes_text(used)} / {bytes_text(limit)}' if limit else bytes_text(used)


def rate_text(per_second: float) -> str:
    """Bytes per second: '0 B/s', '1.2 MiB/s'."""
    return f'{bytes_text(per_second)}/s'
