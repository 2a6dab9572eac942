"""The sender: sends due outbox messages oldest first (a channel's held ones as one digest), retries with back-off
while a channel is down, gives up after the configured attempts or age, tells who listens of each message sent or
failed, and prunes old ones."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from ops.bus import Event
from ops.clock import utc_now
from ops.config import NotifyConfig, parse_duration
from ops.notify.channels import Outcome, send
from ops.notify.digest import digest_of
from ops.notify.outbox import MessageState, OutboxMessage, Severity, enqueue
from ops.notify.quiet_hours import QuietHours

log = logging.getLogger(__name__)

_BATCH = 20
_IDLE = 60.0  # the longest sleep without a wake-up (a message queued by another process is seen by then)
_PRUNE_EVERY = timedelta(hours=1)
_WAITING = (MessageState.PENDING, MessageState.HELD)


@dataclass(frozen=True)
class Settled:
    """A message that was sent or given up (state SENT or FAILED); `error` is scrubbed."""

    message_id: int
    channel: str
    dedup_key: str
    state: MessageState
    error: str | None = None

    def as_record(self) -> dict[str, object]:
        """The event journal's record of it (the channel by name, never its URL)."""
        return {
            'source': 'notify',
            'kind': self.state.value,
            'message_id': self.message_id,
            'channel': self.channel,
            'dedup_key': self.dedup_key,
            'error': self.error,
        }


def backoff(attempts: int, config: NotifyConfig) -> float:
    """Seconds before the next try after `attempts` failed ones: first_retry, doubling, at most max_retry."""
    return float(min(config.first_retry * 2 ** min(max(attempts - 1, 0), 40), config.max_retry))


class Sender:
    """Delivers at least once: a message is marked sent only after apprise reported success. During a channel's
    quiet hours its messages but critical ones are held (in the outbox, so a restart loses none) until they end.
    `now` is the clock (tests move it)."""

    def __init__(self, config: NotifyConfig, now: Callable[[], datetime] = utc_now) -> None:
        self.config = config
        self.settled: Event[Settled] = Event()
        self._now = now
        self._quiet = {
            name: QuietHours.parse(channel.quiet_hours)
            for name, channel in config.channels.items()
            if channel.quiet_hours is not None
        }
        self._wake = asyncio.Event()
        self._stopping = False
        self._pruned_at: datetime | None = None

    async def enqueue(
        self, channel: str, dedup_key: str, *, title: str, body: str, severity: Severity = Severity.INFO
    ) -> tuple[OutboxMessage, bool]:
        """Queue one message (a second one with the same channel and dedup key is not queued) and wake the sender;
        during the channel's quiet hours a message that is not critical is held until they end."""
        now = self._now()
        quiet = self._quiet.get(channel)
        held_until = quiet.until(now) if quiet is not None and severity != Severity.CRITICAL else None
        queued = await enqueue(
            channel, dedup_key, title=title, body=body, severity=severity, now=now, held_until=held_until
        )
        self._wake.set()
        return queued

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        while not self._stopping:
            self._wake.clear()  # before looking: a wake-up (enqueue, stop) during the sends is not lost
            try:
                await self._prune_when_due()
                await self.send_due()
                pause = await self._until_next()
            except Exception:
                log.exception('the notification sender failed; trying again')
                pause = 5.0
            if self._stopping:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), pause)

    async def send_due(self) -> int:
        """Send every message due now: each channel's due held ones as one digest, then the others oldest first;
        returns how many messages were tried."""
        tried = 0
        channels = await (
            OutboxMessage.filter(state=MessageState.HELD, next_attempt_at__lte=self._now())
            .distinct()
            .values_list('channel', flat=True)
        )
        for channel in sorted(str(name) for name in channels):
            if self._stopping:
                return tried
            tried += await self._send_digest(channel)
        while not self._stopping:
            due = (
                await OutboxMessage.filter(state=MessageState.PENDING, next_attempt_at__lte=self._now())
                .order_by('id')
                .limit(_BATCH)
            )
            for message in due:
                if self._stopping:
                    break
                outcome, known = await self._send(message.channel, message.title, message.body, message.severity)
                await self._record([message], outcome, known)
            tried += len(due)
            if len(due) < _BATCH:
                break
        return tried

    async def prune(self) -> int:
        """Delete sent messages older than keep_sent and failed ones older than keep_failed (never a pending or
        held one); returns how many."""
        now = self._now()
        sent_before = now - timedelta(seconds=parse_duration(self.config.keep_sent))
        failed_before = now - timedelta(seconds=parse_duration(self.config.keep_failed))
        deleted = await OutboxMessage.filter(state=MessageState.SENT, created_at__lt=sent_before).delete()
        deleted += await OutboxMessage.filter(state=MessageState.FAILED, created_at__lt=failed_before).delete()
        if deleted:
            log.info('pruned %d old notification(s) from the outbox', deleted)
        return deleted

    async def _prune_when_due(self) -> None:
        now = self._now()
        if self._pruned_at is None or now - self._pruned_at >= _PRUNE_EVERY:
            self._pruned_at = now
            await self.prune()

    async def _until_next(self) -> float:
        """Seconds until the earliest waiting message is due, or the next pruning (at most _IDLE)."""
        now = self._now()
        pause = _IDLE
        if self._pruned_at is not None:
            pause = min(pause, (self._pruned_at + _PRUNE_EVERY - now).total_seconds())
        first = await OutboxMessage.filter(state__in=_WAITING).order_by('next_attempt_at').first()
        if first is not None:
            pause = min(pause, (first.next_attempt_at - now).total_seconds())
        return max(0.0, pause)

    async def _send_digest(self, channel: str) -> int:
        """One digest of the channel's due held messages; they are sent, retried or failed together."""
        held = await OutboxMessage.filter(
            channel=channel, state=MessageState.HELD, next_attempt_at__lte=self._now()
        ).order_by('id')
        if held:
            digest = digest_of(held)
            outcome, known = await self._send(channel, digest.title, digest.body, digest.severity)
            await self._record(held, outcome, known)
        return len(held)

    async def _send(self, name: str, title: str, body: str, severity: Severity) -> tuple[Outcome, bool]:
        """How sending went, and whether the channel is in the config at all."""
        channel = self.config.channels.get(name)
        if channel is None:
            return Outcome(False, f'no channel named {name} in the config'), False
        outcome = await send(channel, title=title, body=body, severity=severity.value, timeout=self.config.timeout)
        return outcome, True

    async def _record(self, messages: list[OutboxMessage], outcome: Outcome, known: bool) -> None:
        """Store how one send of `messages` went (all of them alike) and tell of each one settled; a failed send is
        given up when its channel is gone, or after max_attempts, or once the youngest message is too old."""
        now = self._now()
        attempts = max(message.attempts for message in messages) + 1
        youngest = max(message.created_at for message in messages)
        too_old = now - youngest >= timedelta(seconds=parse_duration(self.config.give_up_after))
        if outcome.sent:
            state = MessageState.SENT
        elif not known or attempts >= self.config.max_attempts or too_old:
            state = MessageState.FAILED
        else:
            state = messages[0].state
        # One transaction: a digest's messages are recorded sent (or not) together, never half (a stop midway would
        # send the other half again as a second digest).
        async with in_transaction():
            for message in messages:
                message.attempts = attempts
                message.state = state
                message.last_error = None if outcome.sent else outcome.reason
                if outcome.sent:
                    message.sent_at = now
                elif state != MessageState.FAILED:
                    message.next_attempt_at = now + timedelta(seconds=backoff(attempts, self.config))
                await message.save(update_fields=['attempts', 'state', 'sent_at', 'last_error', 'next_attempt_at'])
        first, count = messages[0], len(messages)
        what = f'notification {first.id}' if count == 1 else f'digest of {count} held notifications'
        if state in _WAITING:
            log.info('%s to %s not sent (attempt %d): %s', what, first.channel, attempts, outcome.reason)
            return
        if state == MessageState.FAILED:
            log.warning('%s to %s failed after %d attempt(s): %s', what, first.channel, attempts, outcome.reason)
        for message in messages:
            self.settled.emit(
                Settled(message.id, message.channel, message.dedup_key, message.state, message.last_error)
            )
