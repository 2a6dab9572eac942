"""Backup freshness: when did the host-owned backup unit last succeed, according to systemd's own journal entries.

Success is what systemd (PID 1) logs about the unit, never what the backup program prints about itself:
- "<unit>: Deactivated successfully." (MESSAGE_ID UNIT_SUCCESS): the unit's process exited cleanly;
- "Finished <unit>" (MESSAGE_ID JOB_DONE, JOB_TYPE=start, JOB_RESULT=done): a oneshot unit's start completed.
  (A simple unit's JOB_DONE is "Started <unit>", logged when it starts, so only "Finished" counts.)
Failure is "Failed with result ..." (UNIT_FAILURE_RESULT) or a start job whose JOB_RESULT is not "done".
When the host script ran a configured command instead of a unit, its result file is the other witness.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from ops.host.systemd_journal import JournalEntry

JOB_DONE = '39f53479d3a045ac8e11786248231fbf'
UNIT_SUCCESS = '7ad2d189f7e94e70a38c781354912448'
UNIT_FAILURE_RESULT = 'd9b373ed55a64feb8242e02dbe79a49c'
# systemd's entries about the unit: PID 1 only, so a backup script cannot fake its own success.
SYSTEMD_MATCHES = ('_PID=1',)
# A start job that was skipped (unmet condition) or cancelled did not run the backup, so it did not fail either.
_FAILED_JOBS = frozenset({'failed', 'timeout', 'dependency'})

Outcome = Literal['success', 'failure']
Freshness = Literal['fresh', 'stale', 'never', 'unknown', 'not_configured']


@dataclass(frozen=True, kw_only=True, slots=True)
class BackupEvent:
    """A finished backup run: when, how it ended, and the words that said so."""

    time: datetime
    outcome: Outcome
    message: str
    source: Literal['journal', 'result_file']


def classify(entry: JournalEntry) -> Outcome | None:
    """Success, failure, or neither for one of systemd's journal entries about the backup unit."""
    if entry.pid != 1:
        return None
    message_id = entry.fields.get('MESSAGE_ID')
    if message_id == UNIT_SUCCESS:
        return 'success'
    if message_id == UNIT_FAILURE_RESULT:
        return 'failure'
    if message_id == JOB_DONE and entry.fields.get('JOB_TYPE', 'start') == 'start':
        result = entry.fields.get('JOB_RESULT')
        if result in _FAILED_JOBS:
            return 'failure'
        return 'success' if result == 'done' and entry.message.startswith('Finished ') else None
    if message_id is None:  # an old or foreign journal without catalog ids: the words systemd uses
        if entry.message.endswith('Deactivated successfully.') or entry.message.startswith('Finished '):
            return 'success'
        if 'Failed with result' in entry.message or entry.message.startswith('Failed to start '):
            return 'failure'
    return None


def last_events(entries: Iterable[JournalEntry]) -> tuple[BackupEvent | None, BackupEvent | None]:
    """The newest success and the newest failure among journal entries."""
    success: BackupEvent | None = None
    failure: BackupEvent | None = None
    for entry in entries:
        outcome = classify(entry)
        if outcome is None or entry.time is None:
            continue
        event = BackupEvent(time=entry.time, outcome=outcome, message=entry.message, source='journal')
        if outcome == 'success' and (success is None or event.time >= success.time):
            success = event
        elif outcome == 'failure' and (failure is None or event.time >= failure.time):
            failure = event
    return success, failure


def event_from_result(result: dict[str, Any] | None) -> BackupEvent | None:
    """The host script's result file as a finished run, when it finished (and not just started)."""
    if not result or result.get('status') not in ('succeeded', 'failed'):
        return None
    try:
        finished = datetime.fromisoformat(str(result.get('finished')))
    except ValueError:
        return None
    if finished.tzinfo is None:
        return None  # the script writes UTC with an offset; anything else is not ours to guess
    outcome: Outcome = 'success' if result['status'] == 'succeeded' else 'failure'
    return BackupEvent(time=finished, outcome=outcome, message=str(result.get('message', '')), source='result_file')


def newest(*events: BackupEvent | None) -> BackupEvent | None:
    """The latest of the given events, ignoring the missing ones."""
    present = [event for event in events if event is not None]
    return max(present, key=lambda event: event.time) if present else None


def freshness(last_success: BackupEvent | None, now: datetime, max_age_seconds: int, *, known: bool) -> Freshness:
    """fresh / stale against max_age; never without any success; unknown when nothing could be read."""
    if last_success is None:
        return 'never' if known else 'unknown'
    return 'fresh' if (now - last_success.time).total_seconds() <= max_age_seconds else 'stale'
