"""The open actions: pending ones to decide (Approve asks first, Reject asks why) and under-way ones
(approved, running, or ended while the page was open), each updated in place from the queue's events."""

from __future__ import annotations

from nicegui import background_tasks, ui

from components.action_card import action_card
from components.action_dialogs import ask_reject_reason, confirm_approve
from ops.manager import Manager
from ops.store.models import Action
from ops.world.action_states import OPEN, ActionState
from ops.world.actions import ActionError, ActionQueue, ActionUpdate

GONE = {ActionState.REJECTED, ActionState.SUPERSEDED}  # ended without a run: the card goes


def _section(title: str) -> tuple[ui.label, ui.badge]:
    with ui.row().classes('items-center gap-2'):
        label = ui.label(title).classes('text-lg font-semibold')
        badge = ui.badge('0', color='grey-7')
    return label, badge


class action_board(ui.column):
    """The open actions: pending ones (to decide) and under-way ones (approved, running, just ended here)."""

    def __init__(self, queue: ActionQueue, manager: Manager, actor: str) -> None:
        super().__init__()
        self.queue = queue
        self.manager = manager
        self.actor = actor
        self.cards: dict[int, action_card] = {}
        self.for_window: set[int] = set()  # the pending actions that wait for the maintenance window
        self.classes('w-full gap-4 min-w-0')
        with self:
            _, self.count = _section('Pending')
            self.count.props('data-testid=pending-count')
            self.empty = ui.label('Nothing to decide: no action is waiting for approval.').classes('text-sm opacity-70')
            self.pending = ui.column().classes('w-full gap-3 min-w-0').props('data-testid=pending-actions')
            self.underway_title = ui.label('Under way').classes('text-lg font-semibold')
            self.underway = ui.column().classes('w-full gap-3 min-w-0').props('data-testid=underway-actions')
        self._recount()

    async def start(self) -> None:
        """Show the open actions (oldest first: the order they were proposed in)."""
        for action in await Action.filter(state__in=OPEN).order_by('id'):
            if action.id not in self.cards:  # an event may have brought it while the query ran
                self._add(action)

    def changed(self, update: ActionUpdate) -> None:
        """One action changed: add, move, update or drop its card, nothing else."""
        card = self.cards.get(update.action_id)
        if card is None:
            if update.state.open:
                background_tasks.create(self._load(update.action_id), name=f'action-{update.action_id}')
            return
        if update.state in GONE:
            self._drop(card)
            return
        card.show(update.state, run_id=update.run_id, error=update.error, decided_by=update.actor)
        card.show_waits(update.action_id in self.for_window)
        if (
            update.state is not ActionState.PENDING
            and card.parent_slot is not None
            and card.parent_slot.parent is self.pending
        ):
            card.move(self.underway, target_index=0)
        self._recount()

    async def approve(self, card: action_card) -> None:
        """Ask, then approve through the queue (exactly once, however many approve at the same time)."""
        with self:  # the dialog belongs to the page, not to the card that moves when it is approved
            if not await confirm_approve(card.action, self.actor):
                return
        try:
            await self.queue.approve(card.action_id, actor=self.actor, origin='ui')
        except ActionError as err:
            ui.notify(f'Not approved: {_sentence(err)}. It was decided elsewhere; this page shows where it stands.',
                      type='warning', multi_line=True)  # fmt: skip
            await self._refresh(card.action_id)

    async def reject(self, card: action_card) -> None:
        """Ask why (optional), then reject through the queue."""
        with self:
            reason = await ask_reject_reason(card.action)
        if reason is None:
            return
        try:
            await self.queue.reject(card.action_id, actor=self.actor, origin='ui', reason=reason)
        except ActionError as err:
            ui.notify(f'Not rejected: {_sentence(err)}. It was decided elsewhere; this page shows where it stands.',
                      type='warning', multi_line=True)  # fmt: skip
            await self._refresh(card.action_id)

    def show_waiting(self, action_ids: set[int]) -> None:
        """Badge the pending actions an auto-approve policy holds for the next maintenance window."""
        self.for_window = action_ids
        for card in self.cards.values():
            card.show_waits(card.action_id in action_ids)

    def tick(self) -> None:
        for card in self.cards.values():
            card.tick()

    async def _load(self, action_id: int) -> None:
        action = await Action.get_or_none(id=action_id)
        if action is None or self.is_deleted or action_id in self.cards:
            return
        if action.state.open:
            self._add(action)

    async def _refresh(self, action_id: int) -> None:
        """Bring a card in line with the store (after a decision made elsewhere that this page missed)."""
        action = await Action.get_or_none(id=action_id)
        card = self.cards.get(action_id)
        if card is None or self.is_deleted:
            return
        if action is None or action.state in GONE:
            self._drop(card)
            return
        self.changed(
            ActionUpdate(
                action_id=action.id,
                state=action.state,
                stack=action.stack,
                kind=action.kind,
                subject=action.service or action.container or action.stack,
                actor=action.decided_by or '',
                run_id=action.run_id,
                error=action.error,
            )
        )

    def _add(self, action: Action) -> None:
        target = self.pending if action.state is ActionState.PENDING else self.underway
        with target:
            card = action_card(action, self.manager, on_approve=self.approve, on_reject=self.reject)
        self.cards[action.id] = card
        card.show_waits(action.id in self.for_window)
        if action.state is ActionState.PENDING:
            ids = sorted(other.action_id for other in self.pending if isinstance(other, action_card))
            card.move(self.pending, target_index=ids.index(action.id))
        else:
            card.move(self.underway, target_index=0)
        self._recount()

    def _drop(self, card: action_card) -> None:
        self.cards.pop(card.action_id, None)
        card.delete()
        self._recount()

    def _recount(self) -> None:
        pending = sum(isinstance(card, action_card) for card in self.pending)
        underway = sum(isinstance(card, action_card) for card in self.underway)
        self.count.set_text(str(pending))
        self.count.props(f'color={"warning" if pending else "grey-7"} text-color={"black" if pending else "white"}')
        self.empty.set_visibility(not pending)
        self.pending.set_visibility(bool(pending))
        self.underway_title.set_visibility(bool(underway))
        self.underway.set_visibility(bool(underway))


def _sentence(err: Exception) -> str:
    return str(err).rstrip('.')
