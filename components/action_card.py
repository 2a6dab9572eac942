"""One proposed action: what drifted, what approving it does (the plan), Approve / Reject, and once
approved its run, live, until it is done or failed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import background_tasks, ui

from components.action_plan import ERROR_TEXT, action_plan
from components.action_state import action_state_badge
from components.drift_badges import kind_badge
from components.run_view import run_view
from ops.clock import age_text
from ops.manager import Manager
from ops.runs import RunOutcome, RunState
from ops.store.history import run_by_id
from ops.store.models import Action
from ops.world.action_states import ActionState

Decide = Callable[['action_card'], Awaitable[None]]


class action_card(ui.card):
    """An action; `show` moves it through its states in place (only what changed is sent)."""

    def __init__(self, action: Action, manager: Manager, *, on_approve: Decide, on_reject: Decide) -> None:
        super().__init__()
        self.action = action
        self.manager = manager
        self.run: run_view | None = None
        self.classes('w-full gap-2 min-w-0').props('flat bordered')
        self.props['data-action'] = str(action.id)
        with self:
            with ui.row().classes('w-full items-center gap-x-2 gap-y-1'):
                kind_badge(action.kind).props['data-kind'] = action.kind
                where = f'{action.stack} / {action.service}' if action.service else action.stack
                ui.label(where).classes('text-sm font-mono break-all min-w-0')
                ui.space()
                self.waits = ui.badge('waits for window', color='deep-purple-5').props('text-color=white')
                self.waits.props['data-waits'] = str(action.id)
                self.waits.set_visibility(False)
                self.age = ui.label().classes('text-xs opacity-70')
                self.state = action_state_badge(action.id, action.state)
            # A digest or an image reference is one long word: it may break anywhere, or a phone scrolls sideways.
            ui.label(action.title).classes('text-lg font-semibold [overflow-wrap:anywhere]').props(
                'data-testid=action-title'
            )
            if action.detail:
                ui.label(action.detail).classes('text-sm opacity-80 [overflow-wrap:anywhere] whitespace-pre-wrap')
            with (
                ui.expansion('Plan preview', value=action.state is ActionState.PENDING)
                .classes('w-full rounded border border-gray-500/20')
                .props('dense header-class="text-sm"') as self.plan_box
            ):
                action_plan(action.plan or {})
            self.decided = ui.label().classes('text-xs opacity-70')
            self.error = ui.label().classes(f'text-sm {ERROR_TEXT} whitespace-pre-wrap break-words w-full')
            self.error.props('data-testid=action-error')
            with ui.row().classes('w-full justify-end gap-2') as self.buttons:
                ui.button('Reject', icon='block', on_click=lambda: on_reject(self)).props(
                    'flat no-caps color=negative data-testid=reject'
                ).mark(f'reject-{action.id}')
                ui.button('Approve', icon='check', on_click=lambda: on_approve(self)).props(
                    'no-caps color=primary data-testid=approve'
                ).mark(f'approve-{action.id}')
            self.runs = ui.column().classes('w-full gap-0')
        self.show(action.state, run_id=action.run_id, error=action.error, decided_by=action.decided_by)

    def show_waits(self, waits: bool) -> None:
        """Whether an auto-approve policy holds it for the next maintenance window."""
        self.waits.set_visibility(waits and self.pending)

    @property
    def action_id(self) -> int:
        return int(self.action.id)

    @property
    def pending(self) -> bool:
        return self.action.state is ActionState.PENDING

    def show(self, state: ActionState, *, run_id: int | None, error: str | None, decided_by: str | None = None) -> None:
        """The action is in this state now; with a run, its run is followed here."""
        self.action.state = state
        self.state.show(state)
        pending = state is ActionState.PENDING
        self.buttons.set_visibility(pending)
        if not pending:
            self.plan_box.set_value(False)
        if decided_by:
            self.action.decided_by = decided_by
        self.decided.set_text(f'approved by {self.action.decided_by}' if not pending else '')
        self.decided.set_visibility(bool(self.action.decided_by) and not pending)
        self.error.set_text(error or '')
        self.error.set_visibility(bool(error) and run_id is None)  # with a run, its view says why
        if run_id is not None and self.run is None:
            self.run = self._follow(run_id)
            background_tasks.create(self._catch_up(run_id), name=f'action-{self.action_id}-run')
        elif self.run is not None and not state.open:
            background_tasks.create(self._catch_up(self.run.run_id), name=f'action-{self.action_id}-run')
        self.tick()

    def tick(self) -> None:
        """Let the age advance."""
        self.age.set_text(f'{age_text(self.action.created_at)} ago')

    def _follow(self, run_id: int) -> run_view:
        self.action.run_id = run_id
        with self.runs:
            return run_view(self.manager, run_id, self.action.operation)

    async def _catch_up(self, run_id: int) -> None:
        """A run that changed (or was refused) before its view existed shows how it stands now."""
        run = await run_by_id(run_id)
        if run is None or self.run is None or self.is_deleted:
            return
        state = run.state
        if state.finished:
            self.run.finish(
                RunOutcome(
                    run_id=run.id,
                    operation=run.operation,
                    state=state,
                    error=run.error,
                    result=None,
                    output='',
                    dropped_lines=0,
                )
            )
        elif self.run.state is RunState.PENDING and state is not RunState.PENDING:
            self.run.badge.show(state)
            self.run.state = state
