"""The Actions page's drift section: one row per configured stack, what differs from its files, live."""

from __future__ import annotations

from nicegui import ui

from components.action_plan import ERROR_TEXT
from components.drift_badges import NOT_CHECKED, drift_badges, drift_key, kind_badge, kind_words, settling_text
from components.listen import listen
from components.ticker import every
from ops.clock import age_text, utc_from_timestamp, utc_now
from ops.world.drift import Drift
from ops.world.supervisor import StackReport, Supervisor

_PRE = 'font-mono text-xs whitespace-pre-wrap [overflow-wrap:anywhere]'


class stack_drift(ui.element):
    """A stack: its name, badges, when it was checked, and each difference in words."""

    def __init__(self, stack: str, report: StackReport | None, *, settle: float) -> None:
        super().__init__()
        self.stack = stack
        self.report: StackReport | None = None
        self._shown: object = NOT_CHECKED
        self.settle = settle
        self.classes('w-full flex flex-col gap-1 px-3 py-2 border-t border-gray-500/20')
        self.props['data-stack'] = stack
        with self:
            with ui.row().classes('w-full items-center gap-x-2 gap-y-1'):
                ui.icon('layers').classes('opacity-70')
                ui.label(stack).classes('text-base font-semibold break-all')
                self.badges = drift_badges(stack, settle=settle)
                ui.space()
                self.checked = ui.label().classes('text-xs opacity-70')
            self.details = ui.column().classes('w-full gap-1 pl-8 max-sm:pl-0')
        self.show(report)

    def show(self, report: StackReport | None) -> None:
        """Show this report; an equal one changes nothing (and sends nothing)."""
        self.report = report
        self.tick()
        key = drift_key(report)
        if key == self._shown:
            return
        self._shown = key
        self.badges.show(report)
        self.details.clear()
        with self.details:
            if report is None:
                ui.label('Not compared with its files yet.').classes('text-sm opacity-70')
                return
            settling = set(report.settling)
            for drift in report.drifts:
                _drift_line(drift, settling=drift in settling, settle=self.settle)
            for service, digest in report.pinned:
                _pin_line(service, digest)
        self.tick()

    def tick(self) -> None:
        """Let 'checked … ago' advance."""
        if self.report is None or not self.report.checked_at:
            self.checked.set_text('')
            return
        checked = utc_from_timestamp(self.report.checked_at)
        seconds = (utc_now() - checked).total_seconds()
        self.checked.set_text('checked just now' if seconds < 5 else f'checked {age_text(checked)} ago')


def _drift_line(drift: Drift, *, settling: bool, settle: float) -> None:
    if drift.kind == 'invalid':
        with ui.column().classes('w-full gap-1'):
            ui.label('The stack files cannot be read, so nothing in this stack is acted on:').classes('text-sm')
            error = ui.label(drift.detail).classes(f'{_PRE} w-full p-2 rounded bg-red-500/10 {ERROR_TEXT}')
            error.props('data-testid=invalid-files')
        return
    with ui.row().classes(f'w-full items-center gap-x-2 gap-y-0 {"opacity-60" if settling else ""}'):
        if settling:
            ui.badge(kind_words(drift.kind), color='grey-6').props('outline')
        else:
            kind_badge(drift.kind)
        ui.label(drift.subject).classes('text-sm font-medium break-all')
        ui.label(drift.detail).classes('text-sm opacity-80 break-words min-w-0')
        if settling:
            ui.label(settling_text(settle)).classes('text-xs italic')


def _pin_line(service: str, digest: str) -> None:
    with ui.row().classes('w-full items-center gap-x-2 gap-y-0').props(f'data-pinned={service}'):
        kind_badge('rollback', 'pinned by rollback')
        ui.label(service).classes('text-sm font-medium break-all')
        ui.label(f'runs {digest}; its update waits until the pin is released').classes(
            'text-sm opacity-80 [overflow-wrap:anywhere] min-w-0'
        )
        ui.link('Release pin…', '/maintenance#rollback-pins').classes('text-sm')


class drift_board(ui.column):
    """Every configured stack's drift, and a "Check now" that compares them all again (images too)."""

    def __init__(self, supervisor: Supervisor, stacks: list[str]) -> None:
        super().__init__()
        self.supervisor = supervisor
        self.classes('w-full gap-0')
        self._rows: dict[str, stack_drift] = {}
        with self:
            with ui.row().classes('w-full items-center gap-2 px-3 pb-2'):
                self.summary = ui.label().classes('text-sm opacity-80').props('data-testid=drift-summary')
                ui.space()
                self.check = ui.button('Check now', icon='refresh', on_click=self.check_now)
                self.check.props('flat dense no-caps data-testid=check-now')
            if not stacks:
                ui.label('No stacks are configured: add them under [stacks] in the configuration.').classes(
                    'text-sm opacity-70 px-3 pb-2'
                )
            for name in sorted(stacks):
                self._rows[name] = stack_drift(name, supervisor.reports.get(name), settle=supervisor.settle)
        self._summarize()
        listen(supervisor.changed, lambda _: self.refresh(), owner=self)
        every(30, self.tick)

    def refresh(self) -> None:
        """The supervisor's picture changed: update the rows whose report is another one."""
        for name, row in self._rows.items():
            row.show(self.supervisor.reports.get(name))
        self._summarize()

    def tick(self) -> None:
        for row in self._rows.values():
            row.tick()

    async def check_now(self) -> None:
        """Read the files again, ask the registries for new images, compare; the spinner runs meanwhile."""
        self.check.props('loading')
        try:
            await self.supervisor.evaluate(refresh_images=True, reread=True)
        except Exception as err:  # the page must say it, not swallow it
            ui.notify(f'The check failed: {err}', type='negative', multi_line=True)
        else:
            reachable = self.supervisor.observer.engine_state.reachable
            if reachable is not True:
                ui.notify('The engine does not answer: the last picture is kept.', type='warning')
        finally:
            self.check.props(remove='loading')
        if not self.is_deleted:  # the page may have gone while the check ran
            self.refresh()

    def _summarize(self) -> None:
        reports = [self.supervisor.reports.get(name) for name in self._rows]
        checked = [r for r in reports if r is not None]
        invalid = sum(1 for r in checked if not r.want.valid)
        drifting = sum(1 for r in checked if r.want.valid and r.drifts)
        total = len(self._rows)
        of_total = f'of {total} stack{"s" if total != 1 else ""}'
        parts = []
        if drifting:
            one = drifting == 1
            parts.append(f'{drifting} {of_total} differ{"s" if one else ""} from {"its" if one else "their"} files')
        if invalid:
            verb = 'has' if invalid == 1 else 'have'
            parts.append(f'{invalid} {"" if drifting else of_total + " "}{verb} invalid files')
        if not self._rows:
            text = ''
        elif not checked:
            text = 'Not compared yet.'
        elif parts:
            text = '; '.join(parts) + '.'
        else:
            text = f'Every stack is in line with its files ({len(checked)} checked).'
        self.summary.set_text(text)
