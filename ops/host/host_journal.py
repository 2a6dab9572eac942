"""host_journal: the last lines of an allowlisted systemd unit's journal, read from the host's journal files."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ops.adapters import Adapters
from ops.checks import unit_allowed
from ops.clock import since_timestamp
from ops.descriptions import Description, OperationGroup
from ops.host.systemd_journal import JournalEntry, read_journal
from ops.params import Since, StrictParams, UnitName
from ops.registry import Result, operation
from ops.run_context import RunContext
from ops.supervision import reading

JournalLines = Annotated[int, Field(ge=1, le=5000)]
TIMEOUT = 60.0


class Params(StrictParams):
    """Which unit ([journal] units), how many lines, and optionally since when (unix time, or 10m / 2h / 1d ago)."""

    unit: UnitName
    lines: JournalLines = 200
    since: Since | None = None


async def check(params: Params, adapters: Adapters, mutating: bool) -> None:
    """Only units on the journal allowlist."""
    unit_allowed(params.unit, adapters)


@operation(
    'host_journal',
    summary='The last lines of an allowlisted unit from the host journal',
    params=Params,
    described=Description('Unit journal', OperationGroup.HOST, 'article'),
    supervised=reading(timeout=TIMEOUT),
    check=check,
)
async def host_journal(params: Params, ctx: RunContext) -> Result:
    """Entries oldest first, each also logged as a line of the run's output."""
    config = ctx.adapters.config.journal

    def show(entry: JournalEntry) -> None:
        ctx.log(entry.as_text())

    journal = await read_journal(
        ctx.adapters.host_path(config.directory),
        unit=params.unit,
        lines=params.lines,
        since=since_timestamp(params.since) if params.since is not None else None,
        # Leave the run's own timeout the last word: journalctl is stopped first, with a clear message.
        timeout=TIMEOUT - 5,
        on_entry=show,
    )
    for note in journal.notes:
        ctx.log(f'journalctl: {note}')
    entries = [
        {
            'time': entry.time.isoformat() if entry.time is not None else None,
            'unit': entry.unit,
            'priority': entry.priority,
            'identifier': entry.identifier,
            'message': entry.message,
        }
        for entry in journal.entries
    ]
    return {'unit': params.unit, 'count': len(entries), 'entries': entries, 'notes': list(journal.notes)}
