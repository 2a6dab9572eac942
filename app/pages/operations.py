"""Operations: the allowlisted catalog as forms, a confirmation for changes, and the runs started here, live."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from app.system import System
from components.actor import current_actor
from components.frame import frame
from components.op_choices import WorldChoices
from components.op_confirm import confirm_run
from components.op_form import op_form
from components.run_view import run_view
from ops.descriptions import OperationGroup
from ops.registry import OperationSpec
from ops.runs import RunState


def register(system: System) -> None:
    @ui.page('/operations', title='Operations · Homelab')
    def operations_page() -> None:
        with frame('Operations', system.manager):
            OperationsPage(system)


class OperationsPage:
    """The catalog on the left, grouped as the specs say, the runs started from this page on the right (newest on
    top)."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.actor = current_actor()
        choices = WorldChoices(system.observer, system.config)
        specs = system.manager.registry.specs()
        with ui.element('div').classes('w-full grid grid-cols-1 lg:grid-cols-5 gap-4 items-start'):
            with ui.column().classes('lg:col-span-3 gap-4 min-w-0'):
                for group in OperationGroup:
                    members = [spec for spec in specs if spec.group is group]
                    if not members:
                        continue
                    ui.label(group.value).classes('text-lg font-semibold').props(f'data-group={group.value}')
                    with ui.element('div').classes('w-full grid grid-cols-1 xl:grid-cols-2 gap-3'):
                        for spec in members:
                            op_form(spec, choices, self.run)
            # On a phone the runs come first, above the catalog, so a started run is seen without scrolling.
            with ui.column().classes('lg:col-span-2 gap-3 min-w-0 lg:sticky lg:top-16 order-first lg:order-last'):
                ui.label('Runs started here').classes('text-lg font-semibold')
                self.refusal = ui.label().classes('text-sm text-negative whitespace-pre-wrap break-words')
                self.refusal.props('data-testid=refusal')
                self.refusal.set_visibility(False)
                self.placeholder = ui.label('Run an operation: its progress and output appear here.')
                self.placeholder.classes('text-sm opacity-70')
                self.runs = ui.column().classes('w-full gap-3')

    async def run(self, spec: OperationSpec[Any], values: dict[str, Any]) -> None:
        """Confirm a change, submit through the manager, and follow the run (or say why it was refused)."""
        if spec.mutating and not await confirm_run(spec, values, self.actor):
            return
        handle = await self.system.manager.submit(spec.name, values, actor=self.actor, origin='ui')
        self.placeholder.set_visibility(False)
        with self.runs:
            view = run_view(self.system.manager, handle.run_id, spec.name).classes('scroll-mt-16')
            view.move(self.runs, target_index=0)
        # On a phone the person clicked far below the runs column: bring the new run into view.
        ui.run_javascript(f'if (window.innerWidth < 1024) getHtmlElement({view.id}).scrollIntoView({{block: "start"}})')
        if handle.done.done():
            outcome = handle.done.result()
            view.finish(outcome)
            if outcome.state is RunState.REJECTED:
                self.refusal.set_text(f'{spec.name} refused: {outcome.error}')
                self.refusal.set_visibility(True)
                return
        self.refusal.set_visibility(False)
