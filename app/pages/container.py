"""Container: one container's inspect summary, live state, the operations allowed on it, its health and resource
history, the last words of its last death and its live log; a removed container's page shows its last words."""

from __future__ import annotations

from nicegui import run, ui
from pydantic import TypeAdapter, ValidationError

from app.system import System
from components.actor import current_actor
from components.container_actions import container_actions
from components.container_badges import container_badges
from components.container_history import container_history
from components.container_summary import container_summary
from components.frame import frame
from components.known_good_states import known_good_states
from components.last_words_panel import earlier_words, last_words_panel
from components.log_pane import log_pane
from ops.docker.details import ContainerDetails
from ops.docker.engine import EngineError, EngineUnavailable
from ops.maintenance.last_words_store import last_words_of
from ops.maintenance.records import LastWords
from ops.params import ContainerName

_NAME = TypeAdapter(ContainerName)


def register(system: System) -> None:
    @ui.page('/containers/{name}', title='Container · Homelab')
    async def container_page(name: str) -> None:
        with frame('Container', system.manager):
            details = await _inspect(system, name)
            if isinstance(details, str):
                words = await last_words_of(name) if details == 'no such container' else None
                if words is not None:
                    _removed(system, words)
                else:
                    _missing(name, details)
                return
            name = details.name

            async def refresh() -> None:
                fresh = await _inspect(system, name)
                if isinstance(fresh, ContainerDetails):
                    summary.show(fresh)

            with ui.card().classes('w-full gap-2').props('flat bordered'):
                with ui.row().classes('w-full items-center no-wrap gap-3'):
                    ui.icon('widgets', size='md', color='primary')
                    ui.label(name).classes('text-xl font-semibold break-all grow min-w-0').props(
                        'data-testid=container-name'
                    )
                    ui.button(icon='refresh', on_click=refresh).props('flat round dense').tooltip('Inspect again')
                with ui.row().classes('w-full items-center gap-x-3 gap-y-1'):
                    container_badges(system.observer, name, on_change=refresh)
                    where = f'stack {details.stack} / service {details.service}' if details.stack else 'not in a stack'
                    ui.label(f'{where} · id {details.id[:12]}').classes('text-sm opacity-70 break-all')
                container_actions(system.manager, name, actor=current_actor(), on_done=refresh)
            if details.stack in system.config.stacks and details.service:
                limit = system.config.maintenance.known_good
                await known_good_states(
                    system.manager, details.stack, details.service, limit=limit, actor=current_actor()
                ).load()
            container_history(name, system.stat_history, system.health_history)
            summary = container_summary(details)
            earlier_words(system.last_words, name)
            with ui.card().classes('w-full gap-1 p-2').props('flat bordered'):
                ui.label('Live log').classes('font-semibold px-1')
                log_pane(system.adapters.loghub, name).classes('h-[60vh] min-h-[18rem]')


async def _inspect(system: System, name: str) -> ContainerDetails | str:
    """The container's details, or why there are none (in words for the page)."""
    try:
        _NAME.validate_python(name)
    except ValidationError:
        return 'no such container'
    try:
        details = await run.io_bound(system.engine.inspect, name)
    except EngineUnavailable as err:
        return f'the Docker engine is unreachable: {err}'
    except EngineError as err:
        return 'no such container' if 'no such container' in str(err).lower() else str(err)
    return details if details is not None else 'the page was closed'


def _removed(system: System, words: LastWords) -> None:
    """The page of a container the engine no longer knows, from its last words."""
    with ui.card().classes('w-full gap-2').props('flat bordered data-testid=removed-container'):
        with ui.row().classes('w-full items-center no-wrap gap-3'):
            ui.icon('widgets', size='md', color='grey')
            ui.label(words.name).classes('text-xl font-semibold break-all grow min-w-0').props(
                'data-testid=container-name'
            )
            ui.badge('removed', color='grey').props('data-testid=container-removed')
        where = f'stack {words.stack} / service {words.service}' if words.stack else 'not in a stack'
        image = f' · image {words.image}' if words.image else ''
        ui.label(f'{where} · id {words.container_id[:12]}{image}').classes('text-sm opacity-70 break-all')
        ui.label('The engine no longer knows this container; the console kept the end of its log.').classes('text-sm')
    last_words_panel(words)
    container_history(words.name, system.stat_history, system.health_history)


def _missing(name: str, why: str) -> None:
    with ui.card().classes('w-full gap-2').props('flat bordered data-testid=no-container'):
        with ui.row().classes('items-center gap-2'):
            ui.icon('help_outline', size='md', color='warning')
            ui.label('No such container' if why == 'no such container' else 'Cannot show this container').classes(
                'text-lg font-semibold'
            )
        ui.label(f'Asked for: {name[:200]}').classes('text-sm break-all')
        if why != 'no such container':
            ui.label(why).classes('text-sm text-negative break-all')
        ui.link('Back to the overview', '/')
