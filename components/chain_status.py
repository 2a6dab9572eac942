"""The audit chain's health: checked when the page opens (off the hot path, with a spinner) and on demand."""

from __future__ import annotations

from datetime import datetime

from nicegui import background_tasks, ui

from ops.store.audit import ChainStatus, verify_chain


class chain_status(ui.card):
    """'Chain intact (N events)', or the first event that was edited, removed before or reordered."""

    def __init__(self) -> None:
        super().__init__()
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
        """Walk the whole chain once and show the verdict."""
        self.spinner.set_visibility(True)
        self.icon.set_visibility(False)
        self.button.disable()
        self.stale.set_visibility(False)
        self.headline.set_text('Checking the audit chain…')
        self.detail.set_text('Every event is re-hashed in order; this can take a moment on a long trail.')
        try:
            status = await verify_chain()
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
        """Say that events were added after the last check (re-walking a long chain on every event would be waste)."""
        if not self.is_deleted and self.button.enabled:
            self.stale.set_visibility(True)

    def _show(self, status: ChainStatus) -> None:
        self.icon.set_visibility(True)
        if status.ok:
            self.icon.props('name=verified color=positive')
            self.headline.set_text(f'Chain intact ({_events(status.checked)})')
            self.detail.set_text(f'No event was edited, removed or reordered (checked at {_now()}).')
        else:
            self.icon.props('name=gpp_bad color=negative')
            self.headline.set_text(f'Chain broken at event #{status.first_bad_id}')
            self.detail.set_text(
                f'Event #{status.first_bad_id} {status.problem}; the {_events(status.checked)} before it are intact.'
            )

    def _show_error(self, message: str) -> None:
        if self.is_deleted:
            return
        self.icon.set_visibility(True)
        self.icon.props('name=error color=warning')
        self.headline.set_text('Chain not checked')
        self.detail.set_text(message)


def _events(count: int) -> str:
    return f'{count} event' if count == 1 else f'{count} events'


def _now() -> str:
    return datetime.now().astimezone().strftime('%H:%M:%S')
