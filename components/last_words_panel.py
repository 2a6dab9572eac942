"""A container's last words: how it ended (exit code, when), the lines kept and let go, the lines themselves in a
scroll box (as text, colour codes taken out) and a download."""

from __future__ import annotations

import re

from nicegui import background_tasks, ui

from components.ansi import plain
from components.listen import listen
from components.run_table import local_time
from ops.clock import age_text
from ops.maintenance.last_words import LastWordsKeeper
from ops.maintenance.last_words_store import last_words_of
from ops.maintenance.records import LastWords


class last_words_panel(ui.card):
    """One death's words (`words`), open or folded away behind its heading."""

    def __init__(self, words: LastWords, *, heading: str = 'Last words', opened: bool = True) -> None:
        super().__init__()
        self.words = words
        self.classes('w-full gap-2 p-2').props('flat bordered data-testid=last-words')
        with self, ui.expansion(value=opened).classes('w-full').props('dense header-class="px-1"') as self.expansion:
            with self.expansion.add_slot('header'), ui.row().classes('w-full items-center gap-x-3 gap-y-1 no-wrap'):
                ui.icon('history_edu', size='sm', color='primary')
                ui.label(heading).classes('font-semibold')
                ui.label(ended_text(words)).classes('text-sm opacity-70 min-w-0 break-words').props('data-field=ended')
            with ui.row().classes('w-full items-center gap-x-3 gap-y-1 px-1'):
                ui.label(kept_text(words)).classes('text-sm opacity-70 grow').props('data-field=kept')
                if words.line_count:
                    ui.button('Download', icon='download', on_click=self._download).props(
                        'flat dense no-caps data-testid=last-words-download'
                    ).mark('last-words-download')
            if words.line_count:
                # Reversed flex: the box opens scrolled to its end, where the last words are.
                with ui.element('div').classes(
                    'w-full flex flex-col-reverse overflow-auto max-h-[50vh] rounded bg-slate-900 text-slate-200'
                ):
                    ui.label(plain_lines(words.lines)).classes(
                        'w-full font-mono text-xs whitespace-pre-wrap break-words p-2'
                    ).props('data-testid=last-words-lines')
            else:
                ui.label(
                    'No lines were kept: the engine had removed its log before the console could read it, or it '
                    'wrote none.'
                ).classes('text-sm opacity-70 px-1')

    def _download(self) -> None:
        ended = self.words.ended_at.strftime('%Y%m%d-%H%M%S')
        name = re.sub(r'[^A-Za-z0-9_.-]', '_', self.words.name)[:80] or 'container'
        ui.download.content(plain_lines(self.words.lines).encode(), f'{name}-last-words-{ended}.log', 'text/plain')


def ended_text(words: LastWords) -> str:
    code = 'no exit code' if words.exit_code is None else f'exit code {words.exit_code}'
    return f'{code} · {local_time(words.ended_at)} ({age_text(words.ended_at)} ago)'


def kept_text(words: LastWords) -> str:
    kept = f'{words.line_count:,} line{"" if words.line_count == 1 else "s"} kept'
    return f'{kept}, {words.dropped:,} earlier not kept' if words.dropped else kept


def plain_lines(text: str) -> str:
    """The lines without colour codes or other escape sequences (shown as text, never markup)."""
    return '\n'.join(plain(line) for line in text.split('\n'))


class earlier_words(ui.column):
    """The newest last words of a container that is still there (folded), shown again when it dies once more."""

    def __init__(self, keeper: LastWordsKeeper, name: str) -> None:
        super().__init__()
        self.name = name
        self.classes('w-full gap-0')
        listen(keeper.kept, self._kept, owner=self)
        background_tasks.create(self.show(), name='last words')

    async def show(self) -> None:
        words = await last_words_of(self.name)
        if self.is_deleted:
            return
        self.clear()
        if words is not None:
            with self:
                last_words_panel(words, heading='Last words of its last death', opened=False)

    async def _kept(self, name: str) -> None:
        if name == self.name:
            await self.show()
