"""The audit chain's health: checked when the page opens (off the hot path, with a spinner) and on demand.

The check is the console's ChainWatch: the first one walks the whole chain, later ones only the events added
since (plus the anchored head), so a visit costs the new events, not the whole trail.
"""

from __future__ import annotations

from nicegui import background_tasks, ui

from ops.clock import utc_now
from ops.store.chain_check import ChainStatus, ChainWatch


class chain_status(ui.card):
    """'Chain intact (N events)'; or the first event that was edited, removed before or reordered; or the newest
    events missing (the anchored head is gone), now or when an earlier event was written."""

    def __init__(self, watch: ChainWatch) -> None:
        super().__init__()
        self.watch = watch
        self.classes('w-full').props('flat bordered data-testid=chain-status')
        with self, ui.row().classes('w-full items-center gap-3 no-wrap'):
            self.spinner = ui.spinner(size='md')
            self.icon = ui.icon('verified', size='md')
            with ui.column().classes('gap-0 grow min-w-0'):
                self.headline = ui.label('Checking the audit chain…').classes('text-base font-semibold')
                self.headline.props('data-testid=chain-headline')
                self.detail = ui.label().classes('text-sm opacity-80 break-words')
                self.stale = ui.label('New events were added since this check.').classes('text-sm text-warning')
            self.button = ui.button('Verify again', icon='refresh', on_click=self.check).props('flat dense no-caps')
        self.icon.set_visibility(False)
        self.stale.set_visibility(False)
        background_tasks.create(self.check(), name='audit-chain-check')

    async def check(self) -> None:
        """Check the events added since the last check (all of them the first time) and show the verdict."""
        self.spinner.set_visibility(True)
        self.icon.set_visibility(False)
        self.button.disable()
        self.stale.set_visibility(False)
        self.headline.set_text('Checking the audit chain…')
        self.detail.set_text('Events are re-hashed in order; the first check after a start reads the whole trail.')
        try:
            status = await self.watch.check()
        except Exception as err:  # the store is unreadable: say so rather than leave a spinner
            self._show_error(f'The check could not run: {err}')
            return
        finally:
            if not self.is_deleted:
                self.spinner.set_visibility(False)
                self.button.enable()
        if not self.is_deleted:
            self._show(status)

    def outdated(self) -> None:
        """Say that events were added after the last check (re-checking on every event would be waste)."""
        if self.button.enabled:
            self.stale.set_visibility(True)

    def _show(self, status: ChainStatus) -> None:
        self.icon.set_visibility(True)
        if status.ok:
            self.icon.props('name=verified color=positive')
            self.headline.set_text(f'Chain intact ({_events(status.checked)})')
            self.detail.set_text(self._intact(status))
            return
        self.icon.props('name=gpp_bad color=negative')
        if status.first_bad_id is not None:
            self.headline.set_text(f'Chain broken at event #{status.first_bad_id}')
            self.detail.set_text(
                f'Event #{status.first_bad_id} {status.problem}; the {_events(status.checked)} before it are intact.'
            )
        elif status.missing:
            newest = 'The newest event is' if status.missing == 1 else f'The newest {status.missing} events are'
            self.headline.set_text(f'{newest} missing')
            self.detail.set_text(f'{_sentence(status.problem)}. Audit rows were deleted from the database.')
        else:
            self.headline.set_text('Audit events were deleted')
            self.detail.set_text(f'{_sentence(status.problem)}; the {_events(status.checked)} fit together.')

    def _intact(self, status: ChainStatus) -> str:
        if status.full:
            return f'No event was edited, removed or reordered (checked at {_now()}).'
        walked = self.watch.walked_at
        since = f'; the whole chain was checked at {walked.astimezone():%H:%M:%S}' if walked else ''
        return (
            f'Checked the {_events(status.read, "new ")} and the anchored head at {_now()}{since} '
            '(homelab audit verify checks it all again).'
        )

    def _show_error(self, message: str) -> None:
        if self.is_deleted:
            return
        self.icon.set_visibility(True)
        self.icon.props('name=error color=warning')
        self.headline.set_text('Chain not checked')
        self.detail.set_text(message)


def _events(count: int, adjective: str = '') -> str:
    return f'{count} {adjective}event' if count == 1 else f'{count} {adjective}events'


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _now() -> str:
    return utc_now().astimezone().strftime('%H:%M:%S')
