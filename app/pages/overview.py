"""Overview: open alerts, host signals, every stack with its containers live, pending actions and the latest runs."""

from __future__ import annotations

from nicegui import app, ui

from app.system import System
from components.alert_banner import alert_banner
from components.engine_banner import engine_banner
from components.frame import frame
from components.pending_actions import pending_actions
from components.recent_runs import recent_runs
from components.signal_strip import signal_strip
from components.stack_cards import ORDERS, Order, stack_cards
from components.stat_shapes import StatsFeed


def register(system: System) -> None:
    @ui.page('/', title='Overview · Homelab')
    def overview_page() -> None:
        with frame('Overview', system.manager):
            engine_banner(system.observer)
            alert_banner(system.alerts)
            signal_strip(system.host_signals)
            with ui.element().classes('w-full grid grid-cols-1 lg:grid-cols-3 gap-4 items-start'):
                with ui.column().classes('w-full gap-2 lg:col-span-2 min-w-0'):
                    stats: StatsFeed | None = system.stats
                    stored = app.storage.user.get('overview_order')
                    order: Order = stored if stored in ORDERS else 'name'
                    with ui.row().classes('w-full items-center gap-2'):
                        ui.label('Containers').classes('text-lg font-semibold')
                        ui.space()
                        sorter = ui.toggle(ORDERS, value=order).props('dense no-caps size=sm data-testid=sort-rows')
                        sorter.set_visibility(stats is not None)
                    board = stack_cards(
                        system.observer, system.container_facts, system.supervisor, system.alerts, stats, order
                    )
                    sorter.on_value_change(lambda event: _sort(board, event.value))
                with ui.column().classes('w-full gap-2 min-w-0'):
                    ui.label('Actions').classes('text-lg font-semibold')
                    with ui.card().classes('w-full').props('flat bordered'):
                        pending_actions(system.actions)
                    ui.label('Recent runs').classes('text-lg font-semibold')
                    with ui.card().classes('w-full p-0 gap-0').props('flat bordered'):
                        recent_runs(system.manager)


def _sort(board: stack_cards, order: Order) -> None:
    board.sort_by(order)
    app.storage.user['overview_order'] = order  # the next visit sorts the same way
