"""A run as it happens: state badge, one progress bar per item, streaming output and a Cancel button."""

from __future__ import annotations

from collections import deque

from nicegui import ui

from components.listen import listen
from components.run_state import run_state_badge
from ops.manager import Manager
from ops.run_context import Progress, RunContext
from ops.runs import RunOutcome, RunState, RunUpdate

SHOWN_LINES = 500  # lines kept in the page; the full (capped) output is on the run's detail page
FLUSH_SECONDS = 0.25  # output and progress reach the browser in batches, not one message per line


class run_view(ui.card):
    """Follows one run through its own events (the manager's stream of that run); stops when it ends or the view
    goes away."""

    def __init__(self, manager: Manager, run_id: int, operation: str, *, state: RunState = RunState.PENDING) -> None:
        super().__init__()
        self.manager = manager
        self.run_id = run_id
        self.operation = operation
        self.state = state
        self._lines: deque[str] = deque(maxlen=SHOWN_LINES)
        self._skipped = 0
        self._progress: dict[str, Progress] = {}
        self._bars: dict[str, tuple[ui.label, ui.linear_progress]] = {}
        self.classes('w-full gap-2').props(f'flat bordered data-run={run_id}')
        with self:
            with ui.row().classes('w-full items-center gap-2 no-wrap'):
                ui.link(f'#{run_id}', f'/runs/{run_id}').classes('font-mono')
                label = manager.registry.label_of(operation)
                with ui.column().classes('gap-0 min-w-0'):
                    ui.label(label).classes('font-semibold break-words')
                    if label != operation:
                        ui.label(operation).classes('font-mono text-xs opacity-60 break-all')
                ui.space()
                self.badge = run_state_badge(state)
                self.cancel_button = ui.button('Cancel', icon='stop', on_click=self._cancel)
                self.cancel_button.props('flat dense no-caps color=negative data-testid=cancel-run')
            self.error = ui.label().classes('text-sm text-negative break-words whitespace-pre-wrap')
            self.error.props('data-testid=run-error')
            self.bars = ui.column().classes('w-full gap-1')
            self.skipped = ui.label().classes('text-xs opacity-70')
            self.output = ui.log(max_lines=SHOWN_LINES).classes('w-full h-36 text-xs')
            self.output.props('data-testid=run-output')
            self._timer = ui.timer(FLUSH_SECONDS, self._flush, active=False)
        self.error.set_visibility(False)
        self.skipped.set_visibility(False)
        self.output.set_visibility(False)
        live = live_context(manager, run_id)
        if live is not None:
            for line in live.lines:
                self._on_line(line)
            for item in live.progress_items.values():
                self._on_progress(item)
        stream = manager.stream(run_id)  # None: the run ended (or never ran here), nothing more will come
        self._stops = (
            [
                listen(stream.changed, self._on_change, owner=self),
                listen(stream.line, self._on_line, owner=self),
                listen(stream.progress, self._on_progress, owner=self),
            ]
            if stream is not None
            else []
        )
        self._show_state(state, None)

    def finish(self, outcome: RunOutcome) -> None:
        """Show how the run ended (for runs refused or finished before this view existed)."""
        self._show_state(outcome.state, outcome.error)

    def _on_change(self, update: RunUpdate) -> None:
        self._show_state(update.state, update.error)

    def _on_line(self, line: str) -> None:
        if len(self._lines) == SHOWN_LINES:
            self._skipped += 1
        self._lines.append(line)
        self._timer.activate()

    def _on_progress(self, item: Progress) -> None:
        self._progress[item.key] = item
        self._timer.activate()

    def _flush(self) -> None:
        self._timer.deactivate()
        if self._lines:
            self.output.set_visibility(True)
            self.output.push('\n'.join(self._lines), classes='whitespace-pre-wrap break-all')
            self._lines.clear()
        if self._skipped:
            self.skipped.set_text(f'{self._skipped} lines skipped here (too fast to show); the run keeps its output')
            self.skipped.set_visibility(True)
        for key, item in self._progress.items():
            self._show_progress(key, item)
        self._progress.clear()

    def _show_progress(self, key: str, item: Progress) -> None:
        if key not in self._bars:
            with self.bars, ui.column().classes('w-full gap-0') as item_box:
                item_box.props['data-progress'] = key  # set as a value, never parsed: keys come from the engine
                label = ui.label().classes('text-xs break-all')
                bar = ui.linear_progress(value=0, show_value=False, size='10px').props('rounded')
            self._bars[key] = (label, bar)
        label, bar = self._bars[key]
        fraction = item.fraction
        percent = f'{fraction * 100:.0f}%' if fraction is not None else ''
        label.set_text(' · '.join(part for part in (item.label, item.status, percent) if part))
        bar.set_value(fraction if fraction is not None else 0)
        done = fraction is not None and fraction >= 1
        bar.props(f'data-percent={percent.rstrip("%") or "none"} color={"positive" if done else "primary"}')

    def _show_state(self, state: RunState, error: str | None) -> None:
        self.state = state
        self.badge.show(state)
        self.cancel_button.set_visibility(not state.finished)
        if error:
            self.error.set_text(error)
            self.error.set_visibility(True)
        if state.finished:
            self._flush()
            self._stop_following()

    def _cancel(self) -> None:
        if not self.manager.cancel(self.run_id):
            ui.notify(f'run #{self.run_id} is not running any more', type='info')

    def _stop_following(self) -> None:
        for stop in self._stops:
            stop()
        self._stops = []


def live_context(manager: Manager, run_id: int) -> RunContext | None:
    """The context of a run this manager is running now (its lines and progress so far), if any."""
    return manager.live(run_id)
