"""A live log pane: one container's log (or a whole stack's, merged), fed by the shared log hub."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping

from nicegui import background_tasks, run, ui

from components.log_batches import MAX_LINES, FilterError, LogBatches, compile_filter, filtered_text
from components.log_view import log_view
from ops.clock import utc_now
from ops.docker.engine import EngineError
from ops.docker.loghub import LogHub

# A batch leaves FLUSH_DELAY after the first line that waits for it (lines read together travel together), and at
# least MIN_GAP after the batch before: at most BATCH_LIMIT / MIN_GAP lines a second reach the browser. Nothing is
# sent, and no timer runs, while no line arrives.
FLUSH_DELAY = 0.015
MIN_GAP = 0.05
TAILS = {0: 'no earlier lines', 100: 'last 100', 200: 'last 200', 1000: 'last 1000'}


class log_pane(ui.column):
    """Follow/pause, filter, tail, timestamps and download around the live lines of `sources`.

    `sources` is a container name, or {service: container} for a merged stack view with coloured prefixes.
    Leaving the page (or deleting the pane) ends its subscriptions; the hub closes a stream with its last viewer.
    """

    def __init__(self, hub: LogHub, sources: str | Mapping[str, str], *, tail: int = 200) -> None:
        super().__init__()
        self.classes('log-pane w-full gap-1 no-wrap').props('data-testid=log-pane')
        self._hub = hub
        self._sources = {'': sources} if isinstance(sources, str) else dict(sources)
        self._tail = tail
        self._batches = LogBatches()
        self._tasks: list[asyncio.Task[None]] = []
        self._ended: dict[str, str] = {}
        self._flush: asyncio.TimerHandle | None = None
        self._last_flush = 0.0
        with self:
            with ui.row().classes('w-full items-center gap-x-2 gap-y-1'):
                self._follow = (
                    ui.button(icon='pause', on_click=self._toggle_follow)
                    .props('flat dense round data-testid=log-follow')
                    .mark('log-follow')
                    .tooltip('Pause / follow')
                )
                self._new = ui.badge('', color='warning').props('data-testid=log-new-lines').mark('log-new-lines')
                self._new.set_visibility(False)
                self._filter = (
                    ui.input(placeholder='Filter', on_change=self._apply_filter)
                    .props('dense clearable outlined debounce=250 data-testid=log-filter')
                    .classes('grow min-w-[8rem]')
                    .mark('log-filter')
                )
                self._regex = ui.checkbox('regex', on_change=self._apply_filter).props('dense').mark('log-regex')
                self._timestamps = ui.switch('time', on_change=self._apply_filter).props('dense')
                ui.select(TAILS, value=tail, on_change=lambda e: self._restart(int(e.value))).props(
                    'dense options-dense borderless data-testid=log-tail'
                ).classes('w-32')
                ui.button(icon='download', on_click=self._download).props('flat dense round').mark(
                    'log-download'
                ).tooltip('Download the lines shown')
            self._problem = ui.label('').classes('text-negative text-xs').props('data-testid=log-problem')
            self._problem.set_visibility(False)
            self._view = log_view(max_lines=MAX_LINES).classes('w-full grow')
            self._status = ui.label('Connecting…').classes('text-xs opacity-70').props('data-testid=log-status')
        self._start()

    @property
    def status(self) -> str:
        """What the footer says (connecting, live, or why the stream ended)."""
        return str(self._status.text)

    @property
    def sources(self) -> dict[str, str]:
        """{prefix: container} this pane follows (the prefix is '' for a single container)."""
        return dict(self._sources)

    @property
    def sent_lines(self) -> int:
        """How many lines went to the browser (the view keeps the newest MAX_LINES of them)."""
        return self._batches.sent

    def visible_text(self) -> str:
        """The kept lines that pass the filter, as the download would contain them."""
        return self._batches.visible_text(self._pattern(), regex=self._regex.value, timestamps=self._timestamps.value)

    def _pattern(self) -> str:
        return '' if self._problem.visible else self._filter.value or ''

    def _start(self) -> None:
        for colour, (prefix, container) in enumerate(self._sources.items()):
            self._tasks.append(background_tasks.create(self._follow_one(prefix, container, colour), name='log pane'))

    def _stop(self) -> None:
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()

    def _restart(self, tail: int) -> None:
        self._stop()
        self._tail = tail
        paused = self._batches.paused
        self._batches.clear()
        self._batches.paused = paused
        self._ended.clear()
        self._view.forget()
        self._update_waiting()
        self._start()

    async def _follow_one(self, prefix: str, container: str, colour: int) -> None:
        try:
            async with self._hub.follow(container, tail=self._tail) as sub:
                await sub.ready()
                self._set_status('live')
                counted = 0
                async for line in sub:
                    if line.stream == 'marker':
                        self._batches.skip(sub.skipped - counted)
                        counted = sub.skipped
                    else:
                        self._batches.take(line, prefix, colour)
                    self._soon()
                self._batches.skip(sub.skipped - counted)
                self._soon()
            self._ended[container] = 'the container stopped; its log ended'
        except EngineError as err:
            self._ended[container] = str(err)
        if not self.is_deleted:
            self._set_status('live')

    def _soon(self) -> None:
        """Send the waiting lines soon (one batch: one websocket message, however many lines)."""
        if self._flush is None:
            loop = asyncio.get_running_loop()
            delay = max(FLUSH_DELAY, self._last_flush + MIN_GAP - loop.time())
            self._flush = loop.call_later(delay, self._send)

    def _send(self) -> None:
        self._flush = None
        if self.is_deleted:
            return
        self._last_flush = asyncio.get_running_loop().time()
        self._view.append(self._batches.flush())
        self._update_waiting()

    def _set_status(self, live: str) -> None:
        if self._ended:
            self._status.set_text('; '.join(f'{name}: {why}' for name, why in self._ended.items()))
        else:
            now = utc_now().strftime('%H:%M:%S')
            what = f'{len(self._sources)} containers' if len(self._sources) > 1 else next(iter(self._sources.values()))
            self._status.set_text(f'{live}: {what} · since {now} UTC · keeps the newest {MAX_LINES} lines')

    def _toggle_follow(self) -> None:
        if self._batches.paused:
            self._view.append(self._batches.resume())
            self._follow.props('icon=pause')
        else:
            self._batches.paused = True
            self._follow.props('icon=play_arrow')
        self._view.set_follow(not self._batches.paused)
        self._update_waiting()

    def _update_waiting(self) -> None:
        waiting = self._batches.waiting if self._batches.paused else 0
        self._new.set_visibility(self._batches.paused)
        text = f'{waiting} new lines'
        if self._new.text != text:
            self._new.set_text(text)

    def _apply_filter(self) -> None:
        pattern = self._filter.value or ''
        try:
            compile_filter(pattern, regex=self._regex.value)
        except FilterError as err:
            self._problem.set_text(
                f'Not a valid regular expression (RE2 syntax: no look-around or back-references): {err}'
            )
            self._problem.set_visibility(True)
            self._view.show(pattern='', timestamps=self._timestamps.value)
            return
        self._problem.set_visibility(False)
        self._view.show(pattern=pattern, regex=self._regex.value, timestamps=self._timestamps.value)

    async def _download(self) -> None:
        # Filtered off the event loop, on a snapshot of the kept lines: the page stays live meanwhile.
        kept, pattern = list(self._batches.kept), self._pattern()
        regex, timestamps = self._regex.value, self._timestamps.value
        text = await run.io_bound(lambda: filtered_text(kept, pattern, regex=regex, timestamps=timestamps))
        if text is None:  # the console is shutting down
            return
        name = '-'.join(self._sources.values()) if len(self._sources) == 1 else 'stack'
        with self:
            ui.download.content(text.encode(), f'{_safe_file_name(name)}.log', 'text/plain')

    def _handle_delete(self) -> None:
        self._stop()
        super()._handle_delete()


def _safe_file_name(name: str) -> str:
    return re.sub(r'[^A-Za-z0-9_.-]', '_', name)[:80] or 'log'
