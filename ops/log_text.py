"""Text for the server's own log: one line, bounded, so no run error or engine message can forge or flood lines."""

from __future__ import annotations

import re

_BREAKS = re.compile(r'[\x00-\x1f\x7f]+')


def one_line(text: object, limit: int = 200) -> str:
    """`text` on one line (control characters and line breaks become spaces), cut at `limit` characters."""
    flat = ' '.join(_BREAKS.sub(' ', str(text)).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + '…'
