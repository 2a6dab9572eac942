"""A stack's drift as badges: how many differences of each kind, 'in line' when none, 'invalid files' when
the stack's files cannot be read, and muted ones for differences still settling."""

from __future__ import annotations

from collections import Counter

from nicegui import ui

from ops.world.drift import KIND_LABELS, Drift
from ops.world.supervisor import StackReport

KIND_COLORS = {
    'missing': 'deep-orange-8',
    'stopped': 'negative',
    'config': 'amber-8',
    'image': 'info',
    'orphan': 'purple-6',
    'invalid': 'negative',
    'rollback': 'deep-orange-10',
}
_DARK_TEXT = {'amber-8'}  # yellow needs black text to be read
NOT_CHECKED = object()  # what a fresh drift_badges "shows", so the first show() always draws


def kind_color(kind: str) -> str:
    """The Quasar colour of a drift kind."""
    return KIND_COLORS.get(kind, 'grey-7')


def kind_words(kind: str) -> str:
    """A drift kind as a person says it ('update available', not 'image')."""
    return KIND_LABELS.get(kind, kind)


def kind_badge(kind: str, text: str | None = None) -> ui.badge:
    """One badge in the colour of a drift kind."""
    color = kind_color(kind)
    badge = ui.badge(text if text is not None else kind_words(kind), color=color)
    badge.props(f'text-color={"black" if color in _DARK_TEXT else "white"}')
    return badge


def settling_text(settle: float) -> str:
    """Why a difference is not acted on yet."""
    return f'waiting {settle:g} s to be sure'


class drift_badges(ui.row):
    """The badges of one stack's last report; `show` redraws only when the report is another one."""

    def __init__(self, stack: str, report: StackReport | None = None, *, settle: float = 0.0) -> None:
        super().__init__()
        self.stack = stack
        self.settle = settle
        self._shown: object = NOT_CHECKED
        self.classes('items-center gap-1')
        self.props['data-drift-stack'] = stack
        self.show(report)

    def show(self, report: StackReport | None) -> None:
        """Draw the badges of this report (None: the stack has not been checked yet)."""
        key = drift_key(report)
        if key == self._shown:
            return
        self._shown = key
        self.clear()
        with self:
            if report is None:
                ui.badge('not checked yet', color='grey-7').props('outline data-drift=unchecked')
                return
            settling = set(report.settling)
            counts: Counter[str] = Counter(d.kind for d in report.drifts if d not in settling)
            waiting: Counter[str] = Counter(d.kind for d in report.drifts if d in settling)
            if not counts and not waiting:
                ui.badge('in line', color='positive').props('data-drift=in-line')
            for kind in KIND_LABELS:
                if counts[kind]:
                    text = kind_words(kind) if kind == 'invalid' else f'{counts[kind]} {kind_words(kind)}'
                    badge = kind_badge(kind, text)
                    badge.props['data-drift'] = f'{kind}:{counts[kind]}'
                    if kind == 'invalid':
                        badge.tooltip(_first(report.drifts, 'invalid'))
                if waiting[kind]:
                    badge = ui.badge(f'{waiting[kind]} {kind_words(kind)}', color='grey-6').props('outline')
                    badge.props['data-drift'] = f'settling:{kind}:{waiting[kind]}'
                    badge.tooltip(f'Settling: {settling_text(self.settle)}')
            for service, digest in report.pinned:
                badge = kind_badge('rollback', f'{service} pinned by rollback')
                badge.props['data-drift'] = f'pinned:{service}'
                badge.tooltip(
                    f'Held on {digest} by a rollback: no update of {service} is proposed until the pin is released'
                )


def drift_key(report: StackReport | None) -> object:
    """What the badges show of a report: its differences, not when it was made (each check makes a new one)."""
    return None if report is None else (report.drifts, report.settling, report.pinned)


def _first(drifts: tuple[Drift, ...], kind: str) -> str:
    return next((d.detail for d in drifts if d.kind == kind), '')
