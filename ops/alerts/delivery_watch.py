"""Notification delivery: a message the sender gave up on raises an alert about its channel (with the scrubbed
error); the next message sent on that channel resolves it. Its own messages go to the rule's other channels."""

from __future__ import annotations

from collections.abc import Collection

from ops.alerts.keeper import AlertKeeper, Condition
from ops.alerts.rules import Rule
from ops.alerts.watching import Watcher
from ops.log_text import one_line
from ops.notify.outbox import MessageState
from ops.notify.sender import Settled


class DeliveryWatch(Watcher[Settled]):
    """Hears the sender's settled messages; `channels`: the configured ones (a message to another one, left in the
    outbox from an older config, fails for good: no alert that nothing could resolve)."""

    name = 'delivery alert watch'

    def __init__(self, keeper: AlertKeeper, channels: Collection[str]) -> None:
        super().__init__()
        self.keeper = keeper
        self.channels = frozenset(channels)

    async def look(self) -> None:
        """At start: the alerts of channels no longer configured are over."""
        for alert in self.keeper.open_alerts():
            if alert.rule is Rule.DELIVERY_FAILED and alert.target not in self.channels:
                await self.keeper.clear(alert.rule, alert.target, resolution=f'{alert.target} is no longer configured')

    async def handle(self, item: Settled) -> None:
        if item.state is MessageState.FAILED and item.channel in self.channels:
            error = one_line(item.error or 'no reason given', 300)
            await self.keeper.hold(
                Condition(
                    rule=Rule.DELIVERY_FAILED,
                    target=item.channel,
                    summary=f'a message to {item.channel} was given up: {error}',
                    evidence={'message_id': item.message_id, 'error': error},
                )
            )
        elif item.state is MessageState.SENT:
            await self.keeper.clear(
                Rule.DELIVERY_FAILED, item.channel, resolution=f'message {item.message_id} reached {item.channel}'
            )
