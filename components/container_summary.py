"""What `docker inspect` says about one container, as cards: image, ports, mounts, networks, health, environment."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from nicegui import ui

from ops.docker.containers import ContainerState
from ops.docker.details import ContainerDetails, EnvSetting, HealthReport

PROBES_SHOWN = 5


class container_summary(ui.element):
    """A grid of small cards; show() replaces them with a fresh inspect."""

    def __init__(self, details: ContainerDetails) -> None:
        super().__init__('div')
        self.classes('w-full grid gap-3 grid-cols-1 md:grid-cols-2 xl:grid-cols-3 items-start').props(
            'data-testid=summary'
        )
        self.show(details)

    def show(self, details: ContainerDetails) -> None:
        """Render `details` (all text goes through labels: names and outputs are untrusted)."""
        self.clear()
        with self:
            with _card('Image', 'inventory_2'):
                _fact('Reference', details.image)
                _fact('Image id', details.image_id.removeprefix('sha256:')[:12] or '—')
                for digest in details.repo_digests or ('none (built locally or never pushed)',):
                    _fact('Digest', digest)
            with _card('Process', 'restart_alt'):
                _fact('Started', _when(details.started_at))
                if details.state != ContainerState.RUNNING:
                    _fact('Finished', _when(details.finished_at))
                    _fact('Exit code', str(details.exit_code))
                _fact('Restarts', f'{details.restart_count} (policy: {details.restart_policy})')
                _fact('Terminal', 'TTY' if details.tty else 'no TTY')
            with _card('Ports', 'lan'):
                _lines(
                    (
                        f'{p.host_ip or "all addresses"}:{p.host_port} → {p.container_port}'
                        if p.host_port
                        else f'{p.container_port} (exposed only)'
                    )
                    for p in details.ports
                )
            with _card('Mounts', 'folder'):
                _lines(
                    f'{m.source or "(anonymous)"} → {m.destination} ({m.type}{", read-only" if m.read_only else ""})'
                    for m in details.mounts
                )
            with _card('Networks', 'hub'):
                _lines(f'{n.name}: {n.ip_address or "no address"}' for n in details.networks)
            with _card('Health check', 'monitor_heart'):
                _health(details.health)
            with _card('Environment', 'tune'):
                _environment(details.environment)


def _health(health: HealthReport) -> None:
    if health.status == 'none':
        ui.label('No health check is defined for this container.').classes('text-sm opacity-70')
        return
    _fact('Status', f'{health.status} (failing streak {health.failing_streak})')
    if not health.log:
        ui.label('No probe has run yet.').classes('text-sm opacity-70')
    for probe in health.log[-PROBES_SHOWN:][::-1]:
        with ui.row().classes('w-full no-wrap items-start gap-2').props('data-testid=health-probe'):
            ui.icon('check_circle' if probe.exit_code == 0 else 'error', size='xs').classes(
                'mt-1 ' + ('text-positive' if probe.exit_code == 0 else 'text-negative')
            )
            with ui.column().classes('gap-0 min-w-0'):
                ui.label(f'{_when(probe.start)} · exit {probe.exit_code}').classes('text-xs opacity-70')
                ui.label(probe.output or '(no output)').classes('text-xs font-mono break-all whitespace-pre-wrap')


def _environment(settings: Sequence[EnvSetting]) -> None:
    # Secret-looking values arrive masked already (ops.docker.details): the page never holds them.
    if not settings:
        ui.label('None.').classes('text-sm opacity-70')
    for setting in settings:
        with ui.row().classes('w-full no-wrap gap-1 items-baseline').props('data-testid=env-setting'):
            ui.label(setting.name).classes('text-xs font-mono font-semibold break-all shrink-0 max-w-[45%]')
            if setting.value is None:
                ui.label('(no value)').classes('text-xs italic opacity-70')
                continue
            ui.label('=').classes('text-xs font-mono opacity-60')
            value = ui.label(setting.value).classes('text-xs font-mono break-all min-w-0 flex-1')
            if setting.hidden:
                value.classes('italic opacity-70').tooltip('a secret-looking value: not shown')


def _card(title: str, icon: str) -> ui.card:
    card = ui.card().classes('w-full gap-1 min-w-0').props('flat bordered')
    with card, ui.row().classes('items-center gap-2'):
        ui.icon(icon, size='xs').classes('opacity-70')
        ui.label(title).classes('font-semibold')
    return card


def _fact(name: str, value: str) -> None:
    with ui.row().classes('w-full no-wrap gap-2 items-baseline'):
        ui.label(name).classes('text-xs opacity-70 w-20 shrink-0')
        ui.label(value).classes('text-sm break-words min-w-0')


def _lines(texts: Iterable[str]) -> None:
    shown = list(texts)
    if not shown:
        ui.label('None.').classes('text-sm opacity-70')
    for text in shown:
        ui.label(text).classes('text-sm break-all')


def _when(stamp: str | None) -> str:
    """`2026-11-25T01:46:51.123456789Z` -> `2026-11-25 01:46:51 UTC`."""
    if not stamp:
        return 'never'
    day, _, clock = stamp.partition('T')
    return f'{day} {clock[:8]} UTC' if clock else stamp
