"""The Maintenance page's update candidates: per pinned service its tag, the newer tags (newest first) with their
changelog links, and each one's git change to copy or download. Live through the candidates' `changed` event."""

from __future__ import annotations

import re

from nicegui import background_tasks, ui

from components.action_plan import ERROR_TEXT
from components.listen import listen
from components.ticker import every
from ops.clock import age_text, utc_from_timestamp, utc_now
from ops.maintenance.candidates import Candidate, CandidateReport, ServiceCandidates, UpdateCandidates

_MONO = 'font-mono text-xs whitespace-pre-wrap [overflow-wrap:anywhere]'
_NOTE_TEXT = 'text-amber-800 dark:text-amber-300'  # not an error: something for the owner to do by hand
_LINE_LOOKS = {'+': 'text-green-800 dark:text-green-300', '-': 'text-red-700 dark:text-red-300'}


class update_candidates(ui.column):
    """A "Check now" over every configured stack, then one row per service of each stack."""

    def __init__(self, candidates: UpdateCandidates, actor: str) -> None:
        super().__init__()
        self.candidates = candidates
        self.actor = actor
        self.classes('w-full gap-2').props('data-testid=update-candidates')
        with self:
            with ui.row().classes('w-full items-center gap-x-2 gap-y-1'):
                ui.label('Update candidates').classes('text-lg font-semibold')
                ui.space()
                self.checked = ui.label().classes('text-xs opacity-70').props('data-testid=candidates-checked')
                self.check = ui.button('Check now', icon='refresh', on_click=self.check_now)
                self.check.props('flat dense no-caps data-testid=candidates-check-now')
            self.summary = ui.label().classes('text-sm font-medium').props('data-testid=candidates-summary')
            ui.label(
                'Newer version tags of the images your stacks pin. Nothing changes here: each candidate is a change '
                'to your repository; commit it and the console proposes the update as usual.'
            ).classes('text-sm opacity-80')
            self.card = ui.card().classes('w-full p-0 gap-0').props('flat bordered')
        self.show(candidates.report)
        listen(candidates.changed, self.show, owner=self)
        every(30, self.tick)

    async def start(self) -> None:
        """No check yet since the console started: run one now (cached answers are fine), the page stays live."""
        if self.candidates.report is None and not self.candidates.checking:
            self.check.props('loading')
            background_tasks.create(self._first_check(), name='update-candidates')

    async def _first_check(self) -> None:
        try:
            await self.candidates.refresh(self.actor, force=False)
        finally:  # its report arrives through `changed`; a failure must not leave the spinner running
            if not self.is_deleted:
                self.check.props(remove='loading')

    def show(self, report: CandidateReport | None) -> None:
        if self.is_deleted:
            return
        self.report = report
        self.card.clear()
        with self.card:
            if report is None:
                ui.label('Not checked yet.').classes('text-sm opacity-70 px-3 py-2')
            elif not report.services:
                ui.label('No stacks are configured: add them under [stacks] in the configuration.').classes(
                    'text-sm opacity-70 px-3 py-2'
                )
            for stack in sorted({s.stack for s in report.services} if report else ()):
                _stack_rows(stack, [s for s in report.services if s.stack == stack] if report else [])
        if report is not None:
            self.check.props(remove='loading')
        self.summary.set_text(_summary(report))
        self.tick()

    def tick(self) -> None:
        if self.report is None:
            self.checked.set_text('')
            return
        checked = utc_from_timestamp(self.report.checked_at)
        seconds = (utc_now() - checked).total_seconds()
        self.checked.set_text('checked just now' if seconds < 5 else f'checked {age_text(checked)} ago')
        self.checked.tooltip(f'by {self.report.actor}')

    async def check_now(self) -> None:
        """Ask every registry again (nothing cached); the spinner runs meanwhile."""
        self.check.props('loading')
        try:
            await self.candidates.refresh(self.actor)
        except Exception as err:  # the page must say it, not swallow it
            ui.notify(f'The check failed: {err}', type='negative', multi_line=True)
        finally:
            if not self.is_deleted:
                self.check.props(remove='loading')


def _stack_rows(stack: str, services: list[ServiceCandidates]) -> None:
    with ui.column().classes('w-full gap-1 px-3 py-2 border-t border-gray-500/20 first:border-t-0'):
        with ui.row().classes('w-full items-center gap-2').props(f'data-stack={stack}'):
            ui.icon('layers').classes('opacity-70')
            ui.label(stack).classes('text-base font-semibold break-all')
        with ui.column().classes('w-full gap-2 pl-8 max-sm:pl-0'):
            for service in sorted(services, key=_order):
                _service_row(service)


def _order(row: ServiceCandidates) -> tuple[int, str]:
    """Newer versions first, then the ones the registry did not answer for, up to date, not compared."""
    rank = 0 if row.candidates else 1 if row.error else 3 if row.note else 2
    return (rank, row.service)


def _summary(report: CandidateReport | None) -> str:
    if report is None or not report.services:
        return ''
    newer = sum(1 for s in report.services if s.candidates)
    failed = sum(1 for s in report.services if s.error)
    parts = [
        f'{newer} service{"s have" if newer != 1 else " has"} a newer version'
        if newer
        else 'Every pinned service is on its newest version'
    ]
    if failed:
        parts.append(f'{failed} could not be checked')
    return '; '.join(parts) + '.'


def _service_row(row: ServiceCandidates) -> None:
    with ui.column().classes('w-full gap-1 min-w-0').props(f'data-service={row.service}'):
        with ui.row().classes('w-full items-center gap-x-2 gap-y-1 min-w-0'):
            if row.service:
                ui.label(row.service).classes('text-sm font-medium break-all')
            if row.current:
                ui.badge(row.current, color='grey-7').props('outline data-testid=current-tag').tooltip('running tag')
            if row.image:
                ui.label(row.image).classes(f'{_MONO} opacity-70 min-w-0')
        if row.error:
            ui.label(row.error).classes(f'text-sm {ERROR_TEXT} break-words').props('data-testid=candidates-error')
        elif row.note:
            ui.label(f'Not compared: {row.note}.').classes('text-sm opacity-70 break-words')
        elif not row.candidates:
            ui.label('No newer version.').classes('text-sm opacity-70').props('data-testid=no-candidates')
        else:
            _candidate_badges(row)


def _candidate_badges(row: ServiceCandidates) -> None:
    with ui.row().classes('w-full items-center gap-x-2 gap-y-1'):
        ui.icon('arrow_upward', size='xs').classes('opacity-70')
        for index, candidate in enumerate(row.candidates):
            chip = ui.button(candidate.tag, on_click=lambda c=candidate: diff_dialog(row, c))
            chip.props(
                f'dense rounded no-caps size=sm {"unelevated color=positive" if index == 0 else "outline"}'
                f' data-testid=candidate data-tag={candidate.tag}'
            ).classes('px-2')
            chip.tooltip(f'{candidate.tag}: see the change to the stack file')
        if row.more:
            ui.label(f'and {row.more} older').classes('text-xs opacity-70')
    newest = row.candidates[0]
    if newest.links or newest.version:
        _links(newest)


def _links(candidate: Candidate) -> None:
    with ui.row().classes('items-center gap-x-3 gap-y-0 text-sm'):
        if candidate.version:
            ui.label(f'{candidate.tag} says it is version {candidate.version}').classes('opacity-80 break-all')
        for what, address in candidate.links:
            link = ui.link(f'{"changes" if what == "source" else what} ↗', address, new_tab=True)
            link.props(f'rel=noopener data-testid=changelog-{what}').tooltip(address)


async def diff_dialog(row: ServiceCandidates, candidate: Candidate) -> None:
    """The git change that moves the service to `candidate`: its diff (escaped), Copy and Download as a .patch."""
    change = candidate.change
    with ui.dialog() as dialog, ui.card().classes('w-[44rem] max-w-full gap-3').props('data-testid=candidate-dialog'):
        ui.label(f'{row.stack} / {row.service}: {row.current} → {candidate.tag}').classes(
            'text-lg font-semibold break-all'
        )
        _links(candidate)
        if change.problem:
            ui.label(f'No change to show: {change.problem}.').classes(f'text-sm {_NOTE_TEXT} break-words').props(
                'data-testid=candidate-problem'
            )
        else:
            ui.label(
                f'Apply it in your repository (git apply {_patch_name(row, candidate)}), commit and push; once the '
                'console sees the commit it proposes pulling and recreating the service.'
            ).classes('text-sm opacity-80 break-words')
            with ui.column().classes('w-full gap-0 p-2 rounded bg-gray-500/10 max-h-80 overflow-auto'):
                for line in change.diff.splitlines():
                    looks = _LINE_LOOKS.get(line[:1], '') if not line.startswith(('+++', '---')) else 'opacity-70'
                    ui.label(line or ' ').classes(f'{_MONO} {looks} w-full').props('data-testid=diff-line')
        with ui.row().classes('w-full justify-end gap-2'):
            if change.diff:
                ui.button('Copy', icon='content_copy', on_click=lambda: _copy(change.diff)).props(
                    'flat no-caps data-testid=copy-diff'
                )
                ui.button(
                    'Download',
                    icon='download',
                    on_click=lambda: ui.download.content(
                        change.diff.encode(), _patch_name(row, candidate), 'text/x-diff'
                    ),
                ).props('flat no-caps data-testid=download-diff')
            ui.button('Close', on_click=dialog.close).props('no-caps color=primary')
    try:
        await dialog
    finally:
        dialog.delete()


def _copy(text: str) -> None:
    ui.clipboard.write(text)
    ui.notify('The change is copied.', type='positive')


def _patch_name(row: ServiceCandidates, candidate: Candidate) -> str:
    name = re.sub(r'[^A-Za-z0-9_.-]', '_', f'{row.stack}-{row.service}-{candidate.tag}')[:100]
    return f'{name}.patch'
