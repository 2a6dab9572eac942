"""Last words as the store keeps them: one row per death, a bounded number per container, for `keep` seconds."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from ops.clock import utc_now
from ops.maintenance.records import LastWords
from ops.maintenance.tail_ring import Words

KEEP_NEWEST = 20  # besides each name's newest death, the newest deaths of any name (a crash loop fills only these)
MOST_ROWS = 500  # never more than this many rows, however many names came and went
_ID = re.compile(r'^[0-9a-f]{12,64}$')


async def keep_words(
    words: Words,
    *,
    container_id: str,
    name: str,
    stack: str | None,
    service: str | None,
    image: str | None,
    exit_code: int | None,
    ended_at: datetime,
) -> LastWords:
    """Store one death's words, then let go of the rows beyond the bounds."""
    row = await LastWords.create(
        container_id=container_id[:64],
        name=name[:255],
        stack=stack[:64] if stack else None,
        service=service[:128] if service else None,
        image=image[:512] if image else None,
        exit_code=exit_code,
        ended_at=ended_at,
        lines=words.text,
        line_count=len(words.lines),
        dropped=words.dropped,
    )
    await trim()
    return row


async def trim() -> int:
    """Keep each name's newest row and the KEEP_NEWEST newest of all, at most MOST_ROWS; delete the rest."""
    rows = await LastWords.all().order_by('-ended_at', '-id').values_list('id', 'name')
    keep: set[int] = set()
    names: set[str] = set()
    for position, (row_id, name) in enumerate(rows):
        if position < KEEP_NEWEST or name not in names:
            keep.add(int(row_id))
        names.add(str(name))
    ordered = set([int(row_id) for row_id, _ in rows if int(row_id) in keep][:MOST_ROWS])
    gone = [int(row_id) for row_id, _ in rows if int(row_id) not in ordered]
    if not gone:
        return 0
    return int(await LastWords.filter(id__in=gone).delete())


async def prune(keep_seconds: float) -> int:
    """Delete the words of deaths older than the retention window."""
    return int(await LastWords.filter(ended_at__lt=utc_now() - timedelta(seconds=keep_seconds)).delete())


async def last_words_of(container: str) -> LastWords | None:
    """The newest words of a container by name (or by full or short id, once it is gone)."""
    row = await LastWords.filter(name=container).order_by('-ended_at', '-id').first()
    if row is None and _ID.match(container):
        row = await LastWords.filter(container_id__startswith=container).order_by('-ended_at', '-id').first()
    return row
