"""The sender: sends due outbox messages oldest first, retries with back-off while a channel is down, gives up
after the configured attempts or age, and tells who listens of each message sent or failed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from ops.bus import Event
from ops.clock import utc_now
from ops.config import NotifyConfig, parse_duration
from ops.notify.channels import Outcome, send
from ops.notify.outbox import MessageState, OutboxMessage, Severity, enqueue

log = logging.getLogger(__name__)

_BATCH = 20
_IDLE = 60.0  # the longest sleep without a wake-up (a message queued by another process is seen by then)


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
    """Delivers at least once: a message is marked sent only after apprise reported success."""

    def __init__(self, config: NotifyConfig) -> None:
        self.config = config
        self.settled: Event[Settled] = Event()
        self._wake = asyncio.Event()
        self._stopping = False

    async def enqueue(
        self, channel: str, dedup_key: str, *, title: str, body: str, severity: Severity = Severity.INFO
    ) -> tuple[OutboxMessage, bool]:
        """Queue one message (a second one with the same channel and dedup key is not queued) and wake the sender."""
        queued = await enqueue(channel, dedup_key, title=title, body=body, severity=severity)
        self._wake.set()
        return queued

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        while not self._stopping:
            self._wake.clear()  # before looking: a wake-up (enqueue, stop) during the sends is not lost
            try:
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
        """Send every message due now, oldest first; returns how many were tried."""
        tried = 0
        while not self._stopping:
            due = (
                await OutboxMessage.filter(state=MessageState.PENDING, next_attempt_at__lte=utc_now())
                .order_by('id')
                .limit(_BATCH)
            )
            for message in due:
                if self._stopping:
                    break
                await self._try(message)
            tried += len(due)
            if len(due) < _BATCH:
                break
        return tried

    async def _until_next(self) -> float:
        """Seconds until the earliest pending message is due (at most _IDLE)."""
        first = await OutboxMessage.filter(state=MessageState.PENDING).order_by('next_attempt_at').first()
        if first is None:
            return _IDLE
        return max(0.0, min(_IDLE, (first.next_attempt_at - utc_now()).total_seconds()))

    async def _try(self, message: OutboxMessage) -> None:
        channel = self.config.channels.get(message.channel)
        if channel is None:
            outcome = Outcome(False, f'no channel named {message.channel} in the config')
        else:
            outcome = await send(
                channel,
                title=message.title,
                body=message.body,
                severity=message.severity.value,
                timeout=self.config.timeout,
            )
        now = utc_now()
        message.attempts += 1
        if outcome.sent:
            message.state = MessageState.SENT
            message.sent_at = now
            message.last_error = None
        else:
            message.last_error = outcome.reason
            too_old = now - message.created_at >= timedelta(seconds=parse_duration(self.config.give_up_after))
            if channel is None or message.attempts >= self.config.max_attempts or too_old:
                message.state = MessageState.FAILED
            else:
                message.next_attempt_at = now + timedelta(seconds=backoff(message.attempts, self.config))
        await message.save(update_fields=['attempts', 'state', 'sent_at', 'last_error', 'next_attempt_at'])
        if message.state == MessageState.PENDING:
            log.info(
                'notification %d to %s not sent (attempt %d): %s',
                message.id,
                message.channel,
                message.attempts,
                outcome.reason,
            )
            return
        if message.state == MessageState.FAILED:
            log.warning(
                'notification %d to %s failed after %d attempt(s): %s',
                message.id,
                message.channel,
                message.attempts,
                outcome.reason,
            )
        self.settled.emit(Settled(message.id, message.channel, message.dedup_key, message.state, message.last_error))
