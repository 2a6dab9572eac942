"""Notification delivery: a message the sender gave up on raises an alert about its channel (with the scrubbed
error); the next message sent on that channel resolves it. Its own messages go to the rule's other channels."""

from __future__ import annotations

from ops.alerts.keeper import AlertKeeper, Condition
from ops.alerts.rules import Rule
from ops.alerts.watching import Watcher
from ops.log_text import one_line
from ops.notify.outbox import MessageState
from ops.notify.sender import Settled


class DeliveryWatch(Watcher[Settled]):
    """Hears the sender's settled messages."""

    name = 'delivery alert watch'

    def __init__(self, keeper: AlertKeeper) -> None:
        super().__init__()
        self.keeper = keeper

    async def handle(self, item: Settled) -> None:
        if item.state is MessageState.FAILED:
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
