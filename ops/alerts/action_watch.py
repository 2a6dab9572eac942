"""Alerts about actions, read from the store (decisions made with the CLI count too): an approved action that
failed, until a later action about the same stack and subject is done, superseded or rejected; and a proposed
action that waits for an operator longer than the rule's hold time, counted from its proposal (one waiting for a
maintenance window waits for the window, not for an operator)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ops.alerts.keeper import AlertKeeper, Condition
from ops.alerts.rules import Rule
from ops.alerts.watching import Watcher
from ops.log_text import one_line
from ops.store.models import Action
from ops.world.action_states import ActionState
from ops.world.actions import ActionUpdate

EVERY = 60.0  # seconds between looks (an action of this process wakes it at once)
# What ended an action's story: the last of these about a subject says whether its failure still stands.
ENDED = (ActionState.DONE, ActionState.FAILED, ActionState.REJECTED, ActionState.SUPERSEDED)


class ActionWatch(Watcher[None]):
    """Looks at the failed and the pending actions at start, every minute and whenever an action changes."""

    name = 'action alert watch'

    def __init__(
        self,
        keeper: AlertKeeper,
        *,
        every: float = EVERY,
        for_window: Callable[[], Awaitable[list[Action]]] | None = None,
    ) -> None:
        super().__init__()
        self.keeper = keeper
        self.every = every
        # The pending actions an auto-approve policy will approve in the next maintenance window: they wait for the
        # window, not for an operator.
        self.for_window = for_window

    def action_changed(self, update: ActionUpdate) -> None:
        """The action queue's subscriber."""
        self.wake()

    async def look(self) -> None:
        await self.look_at_failures()
        await self.look_at_waiting()

    async def look_at_failures(self) -> None:
        first = await Action.filter(state=ActionState.FAILED).order_by('id').first()
        # Every ending since the oldest failure: the last one per subject is what stands.
        last: dict[str, Action] = {}
        if first is not None:
            for action in await Action.filter(state__in=ENDED, id__gte=first.id).order_by('id'):
                last[subject_of(action)] = action
        failing = {target: action for target, action in last.items() if action.state is ActionState.FAILED}
        await self.keeper.sync(
            Rule.ACTION_FAILED, [action_failed(t, a) for t, a in failing.items()], resolution=what_became(last)
        )

    async def look_at_waiting(self) -> None:
        waiting: dict[str, list[Action]] = {}
        for_window = {action.id for action in await self.for_window()} if self.for_window else set()
        for action in await Action.filter(state=ActionState.PENDING).order_by('id'):
            if action.id not in for_window:
                waiting.setdefault(subject_of(action), []).append(action)
        ended = await self._latest_of({a.target for a in self.keeper.open_alerts() if a.rule is Rule.DRIFT_PENDING})
        await self.keeper.sync(
            Rule.DRIFT_PENDING,
            [drift_waiting(t, actions) for t, actions in waiting.items()],
            resolution=what_became(ended),
        )

    async def _latest_of(self, targets: set[str]) -> dict[str, Action]:
        """The newest action about each of these subjects."""
        if not targets:
            return {}
        stacks = {target.split('/', 1)[0] for target in targets}
        latest: dict[str, Action] = {}
        for action in await Action.filter(stack__in=sorted(stacks)).order_by('id'):
            latest[subject_of(action)] = action
        return latest


def subject_of(action: Action) -> str:
    """'media/jellyfin': the stack and what in it the action is about (service, container or the stack)."""
    return one_line(f'{action.stack}/{action.service or action.container or action.stack}', 255)


def became(action: Action) -> str:
    """What became of an action, in words."""
    by = one_line(action.decided_by or 'someone', 128)
    if action.state is ActionState.SUPERSEDED:
        return 'was superseded (the drift went away or changed)'
    if action.state is ActionState.REJECTED:
        return f'was rejected by {by}'
    if action.state is ActionState.DONE:
        return 'is done'
    if action.state is ActionState.PENDING:
        return 'waits for an operator'
    return f'was approved by {by}'


def action_failed(target: str, action: Action) -> Condition:
    error = one_line(action.error or 'the run did not succeed', 300)
    return Condition(
        rule=Rule.ACTION_FAILED,
        target=target,
        summary=f'{action.title} failed: {error}',
        evidence={'action_id': action.id, 'run_id': action.run_id, 'error': error, 'approved_by': action.decided_by},
        group=action.stack,
    )


def drift_waiting(target: str, actions: list[Action]) -> Condition:
    """One subject's proposed actions (usually one): the hold time counts from the oldest proposal."""
    first = actions[0]
    more = f' (and {len(actions) - 1} more)' if len(actions) > 1 else ''
    return Condition(
        rule=Rule.DRIFT_PENDING,
        target=target,
        summary=f'{first.title}{more}: proposed {first.created_at:%Y-%m-%d %H:%M} UTC, waiting for an operator',
        evidence={'action_ids': [a.id for a in actions], 'kinds': sorted({a.kind for a in actions})},
        group=first.stack,
        since=first.created_at,
    )


def what_became(last: dict[str, Action]) -> Callable[[str], str]:
    """A resolution saying what became of a subject's last action."""

    def said(target: str) -> str:
        action = last.get(target)
        return f'action #{action.id} {became(action)}' if action is not None else 'no action is left'

    return said
