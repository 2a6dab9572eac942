"""The notification channels by name, each with a Send test button: a test message sent now, the same way as
`homelab notify test`, audited with the person; the outcome is shown beside it (a reason is already scrubbed)."""

from __future__ import annotations

from nicegui import ui

from ops.config import NotifyConfig
from ops.notify.test_message import send_test
from ops.store.audit import AuditLog, AuditUnavailable

BODY = 'A test of this notification channel, sent from the Alerts page of the console. Nothing is wrong.'


class channel_tests(ui.column):
    """One row per configured channel (its name only: a channel's URL is a secret)."""

    def __init__(self, notify: NotifyConfig, audit: AuditLog, actor: str) -> None:
        super().__init__()
        self.notify = notify
        self.audit = audit
        self.actor = actor
        self.outcomes: dict[str, ui.label] = {}
        self.classes('w-full gap-2').props('data-testid=channels')
        with self:
            if not notify.channels:
                ui.label('No channels configured ([notify.channels.NAME] in the config): alerts show here only.')\
                    .classes('text-sm opacity-70')  # fmt: skip
            for name in sorted(notify.channels):
                with ui.row().classes('w-full items-center gap-2 no-wrap').props(f'data-channel={name}'):
                    ui.icon('campaign').classes('opacity-70')
                    ui.label(name).classes('font-medium break-all min-w-0')
                    ui.space()
                    button = ui.button('Send test', icon='send').props(f'outline dense no-caps data-testid=test-{name}')
                    button.mark(f'test-{name}').on_click(lambda b=button, n=name: self.send(n, b))
                self.outcomes[name] = ui.label().classes('text-sm break-words w-full').props(f'data-outcome={name}')
                self.outcomes[name].set_visibility(False)

    async def send(self, name: str, button: ui.button) -> None:
        """Send the test message to one channel and say how it went."""
        button.disable()
        outcome = self.outcomes[name]
        outcome.set_visibility(True)
        outcome.set_text('Sending…')
        outcome.classes(remove='text-positive text-negative')
        try:
            sent = (await send_test(self.notify, [name], audit=self.audit, actor=self.actor, origin='ui', body=BODY))[
                name
            ]
        except AuditUnavailable as err:
            outcome.set_text(f'Sent, but not recorded in the audit trail: {err}')
            outcome.classes('text-negative')
            return
        finally:
            button.enable()
        if sent.sent:
            outcome.set_text(f'Sent: {name} took the test message.')
            outcome.classes('text-positive')
        else:
            outcome.set_text(f'Not sent: {sent.reason}')
            outcome.classes('text-negative')
