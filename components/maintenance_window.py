"""The Actions page's maintenance panel: the next window (or the one open now, until when), the actions that wait
for it, and when each schedule runs next; live from the window watch, the queue and the scheduler."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from nicegui import ui

from components.coalesced import Coalesced
from components.drift_badges import kind_badge
from components.listen import listen
from ops.maintenance.policy import AutoApproval
from ops.maintenance.schedules import Scheduler, ScheduleRan
from ops.maintenance.window_watch import WindowState, WindowWatch
from ops.store.models import Action
from ops.world.actions import ActionQueue, ActionUpdate

TASK_WORDS = {'image_check': 'image check', 'update_candidates': 'update candidates', 'prune': 'prune plan'}
WAITS_COLOR = 'deep-purple-5'


class maintenance_window(ui.card):
    """Next window and countdown, what waits for it (each badged), the schedules' next times; `tick` redraws the
    countdowns (the page's minute ticker), events redraw the rest."""

    def __init__(
        self,
        watch: WindowWatch,
        policy: AutoApproval,
        scheduler: Scheduler,
        queue: ActionQueue,
        *,
        on_waiting: Callable[[set[int]], object] | None = None,
    ) -> None:
        super().__init__()
        self.on_waiting = on_waiting  # told which actions wait (the board badges their cards)
        self.watch = watch
        self.windows = watch.windows
        self.policy = policy
        self.scheduler = scheduler
        self.waiting: list[Action] = []
        self._reload = Coalesced(self._load, name='maintenance-waiting')
        self.classes('w-full gap-2 min-w-0').props('flat bordered data-testid=maintenance-window')
        with self:
            with ui.row().classes('w-full items-center gap-2 no-wrap'):
                self.icon = ui.icon('schedule', size='sm').classes('opacity-80')
                self.headline = ui.label().classes('text-base font-semibold break-words min-w-0')
                self.headline.props('data-testid=window-next')
            self.hint = ui.label().classes('text-sm opacity-70 break-words')
            self.waiting_title = ui.label().classes('text-sm font-semibold pt-1')
            self.waiting_list = ui.column().classes('w-full gap-1 min-w-0').props('data-testid=window-waiting')
            ui.separator().classes('my-1')
            ui.label('Schedules').classes('text-sm font-semibold')
            self.schedules = ui.column().classes('w-full gap-1 min-w-0').props('data-testid=schedules')
        listen(watch.changed, self._window_changed, owner=self)
        listen(queue.changed, self._action_changed, owner=self)
        listen(scheduler.ran, self._schedule_ran, owner=self)
        self.tick()

    async def start(self) -> None:
        """Load what waits for the window."""
        await self._reload.run()

    def tick(self) -> None:
        """Redraw the countdowns (and whether a window is open: the clock moved on)."""
        now = self.windows.now()
        self._show_window(now)
        self._show_schedules(now)

    def _window_changed(self, state: WindowState) -> None:
        self.tick()
        self._reload.request()

    def _action_changed(self, update: ActionUpdate) -> None:
        self._reload.request()

    def _schedule_ran(self, ran: ScheduleRan) -> None:
        self._show_schedules(self.windows.now())

    async def _load(self) -> None:
        waiting = await self.policy.waiting()
        if not self.is_deleted:
            self.waiting = waiting
            self._show_waiting(self.windows.now())
            if self.on_waiting is not None:
                self.on_waiting({action.id for action in waiting})

    def _show_window(self, now: datetime) -> None:
        if not self.windows.configured:
            self.icon.set_name('schedule')
            self.headline.set_text('No maintenance windows')
            self.hint.set_text('Auto-approve policies act at any time. Set [maintenance] windows to keep them to the '
                               'night.')  # fmt: skip
        elif (opening := self.windows.inside(now)) is not None:
            self.icon.set_name('build_circle')
            self.headline.set_text(
                f'Inside the maintenance window {opening.window} until {opening.closes_at:%H:%M}'
                f' ({span_text(utc(opening.closes_at) - utc(now))} left)'
            )
            self.hint.set_text('Auto-approve policies act now; what waited for the window is approved in turn.')
        else:
            following = self.windows.next_opening(now)
            self.icon.set_name('schedule')
            if following is None:
                self.headline.set_text('No maintenance window opens in the next week')
            else:
                self.headline.set_text(
                    f'Next maintenance window: {following.window} (in {span_text(utc(following.opens_at) - utc(now))})'
                )
            self.hint.set_text('Until it opens, what an auto-approve policy covers waits here, pending; '
                               'you can still approve or reject it yourself.')  # fmt: skip
        self._show_waiting(now)

    def _show_waiting(self, now: datetime) -> None:
        visible = self.windows.configured
        self.waiting_title.set_visibility(visible)
        self.waiting_list.set_visibility(visible)
        if not visible:
            return
        count = len(self.waiting)
        self.waiting_title.set_text(f'Waiting for the window ({count})' if count else 'Nothing waits for the window.')
        inside = self.windows.inside(now) is not None
        self.waiting_list.clear()
        with self.waiting_list:
            for action in self.waiting:
                with ui.row().classes('w-full items-center gap-x-2 gap-y-1 min-w-0') as row:
                    row.props['data-waiting'] = str(action.id)
                    ui.badge('due now' if inside else 'waits for window', color=WAITS_COLOR).props('text-color=white')
                    kind_badge(action.kind)
                    ui.label(action.title).classes('text-sm font-semibold break-words min-w-0')
                    where = f'{action.stack} / {action.service}' if action.service else action.stack
                    ui.label(where).classes('text-xs font-mono opacity-70 break-all min-w-0')

    def _show_schedules(self, now: datetime) -> None:
        self.schedules.clear()
        runs = self.scheduler.next_runs(now)
        with self.schedules:
            if not self.scheduler.schedules:
                ui.label('No schedules. [schedules.NAME] runs the image check, update candidates or a prune plan at '
                         'chosen times; each only proposes.').classes('text-sm opacity-70 break-words')  # fmt: skip
            for run in runs:
                with ui.element('div').classes('w-full flex flex-wrap items-baseline gap-x-2 min-w-0') as row:
                    row.props['data-schedule'] = run.name
                    ui.label(run.name).classes('text-sm font-mono break-all')
                    ui.label(TASK_WORDS.get(run.task, run.task)).classes('text-sm opacity-80')
                    # Right-aligned; on a narrow screen it wraps onto its own line, still at the right.
                    when = f'{run.at:%a %H:%M} (in {span_text(utc(run.at) - utc(now))})'
                    ui.label(when).classes('text-sm ml-auto whitespace-nowrap')


def span_text(span: timedelta) -> str:
    """A time to go as an operator reads it: '2 d 4 h', '3 h 20 min', '12 min', 'under a minute'."""
    minutes = max(0, int(span.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f'{days} d {hours} h' if hours else f'{days} d'
    if hours:
        return f'{hours} h {minutes} min' if minutes else f'{hours} h'
    return f'{minutes} min' if minutes else 'under a minute'


def utc(moment: datetime) -> datetime:
    """In UTC: the difference of two local times is then the real time between them, across a DST change too."""
    return moment.astimezone(UTC)
