"""The console's own counts for /metrics: stored runs by operation and state, outbox messages by state (one
grouped query each)."""

from __future__ import annotations

from tortoise.functions import Count

from ops.notify.outbox import MessageState, OutboxMessage
from ops.store.models import Run


async def runs_by_operation_and_state() -> dict[tuple[str, str], int]:
    rows = await Run.annotate(n=Count('id')).group_by('operation', 'state').values_list('operation', 'state', 'n')
    return {(str(operation), str(state)): int(n) for operation, state, n in rows}


async def outbox_by_state() -> dict[str, int]:
    """Every state, none left out (a state with no message is 0)."""
    rows = await OutboxMessage.annotate(n=Count('id')).group_by('state').values_list('state', 'n')
    counted = {str(state): int(n) for state, n in rows}
    return {state.value: counted.get(state.value, 0) for state in MessageState}
