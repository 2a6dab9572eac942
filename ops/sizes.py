"""Sizes as an operator reads them, for run output and pages alike: 512 B, 1.5 KiB, 20.3 GiB."""

from __future__ import annotations


def size_text(size: float) -> str:
    """Bytes in binary units with one decimal: 512 B, 1.5 KiB, 20.3 GiB, 1.2 TiB."""
    value = float(size)
    for unit in ('B', 'KiB', 'MiB', 'GiB', 'TiB'):
        if value < 1024 or unit == 'TiB':
            return f'{value:.0f} {unit}' if unit == 'B' else f'{value:.1f} {unit}'
        value /= 1024
    return f'{value:.1f} TiB'  # pragma: no cover (the loop returns)
