"""The facts of one alert as people read them: its severity badge, its evidence as key/value rows, and what its
messages did on each channel (by name: a channel's URL is a secret and never reaches a page)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from nicegui import ui

from components.state_looks import DELIVERY_LOOKS, severity_look
from ops.alerts.history import Delivery
from ops.alerts.rules import AlertSeverity
from ops.log_text import one_line


class severity_badge(ui.badge):
    """`critical` / `warning` / `info` in the colours every page uses."""

    def __init__(self, severity: AlertSeverity) -> None:
        look = severity_look(severity)
        super().__init__(look.label, color=look.color, text_color=look.text_color)
        self.props(f'data-severity={severity.value}')


class evidence_rows(ui.element):
    """The evidence as two columns of text, empty values left out; keys read as words ('exit code')."""

    def __init__(self, evidence: Mapping[str, Any]) -> None:
        super().__init__()
        self.classes('grid grid-cols-[max-content_minmax(0,1fr)] gap-x-3 gap-y-0 text-sm')
        blocks = {k: v for k, v in evidence.items() if isinstance(v, str) and '\n' in v}
        with self:
            for key, value in evidence.items():
                if value in (None, '', [], {}) or key in blocks:
                    continue
                ui.label(str(key).replace('_', ' ')).classes('opacity-70')
                ui.label(one_line(value, 300)).classes('font-mono text-xs break-all self-center')
            for key, text in blocks.items():  # a block of lines (a container's last words) under its name
                ui.label(str(key).replace('_', ' ')).classes('opacity-70 col-span-2')
                ui.label(text).classes(
                    'col-span-2 font-mono text-xs whitespace-pre-wrap break-all max-h-64 overflow-auto '
                    'rounded p-2 bg-black/5 dark:bg-white/5'
                ).props(f'data-evidence={key}')


class delivery_rows(ui.column):
    """One line per message and channel: channel, opened/resolved, state, attempts and the (scrubbed) last error."""

    def __init__(self, deliveries: Sequence[Delivery]) -> None:
        super().__init__()
        self.classes('gap-1 w-full')
        with self:
            if not deliveries:
                ui.label('No message sent about it (no channel, or snoozed).').classes('text-xs opacity-60')
            for delivery in deliveries:
                look = DELIVERY_LOOKS[delivery.state]
                with (
                    ui.row()
                    .classes('items-center gap-2 text-sm w-full min-w-0')
                    .props(f'data-delivery="{delivery.channel}:{delivery.kind}:{delivery.state.value}"')
                ):
                    ui.icon('send', size='xs').classes('opacity-60')
                    ui.label(delivery.channel).classes('font-medium')
                    ui.label(delivery.kind).classes('opacity-70')
                    ui.badge(look.label, color=look.color, text_color=look.text_color).props('outline')
                    ui.label(attempts_text(delivery.attempts)).classes('text-xs opacity-70')
                    if delivery.error:
                        ui.label(delivery.error).classes('text-xs text-negative break-words min-w-0')


def attempts_text(attempts: int) -> str:
    return f'{attempts} attempt{"" if attempts == 1 else "s"}'


def delivery_record(delivery: Delivery) -> dict[str, Any]:
    """A delivery as a table row's plain values (shown by Vue interpolation, as text)."""
    look = DELIVERY_LOOKS[delivery.state]
    return {
        'channel': delivery.channel,
        'kind': delivery.kind,
        'state': delivery.state.value,
        'state_words': look.label,
        'state_color': look.color,
        'attempts': attempts_text(delivery.attempts),
        'error': delivery.error or '',
    }
