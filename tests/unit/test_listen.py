"""The page adapter for core events: a handler runs while its element lives, in its page, and is let go after."""

from __future__ import annotations

import asyncio

from nicegui import ui
from nicegui.testing.user_simulation import user_simulation

from components.listen import listen
from ops.bus import Event


async def test_a_handler_runs_while_its_element_lives_and_is_dropped_after_its_deletion() -> None:
    event: Event[str] = Event()
    seen: list[str] = []
    labels: list[ui.label] = []

    def page() -> None:
        label = ui.label('nothing yet')
        labels.append(label)

        def show(text: str) -> None:
            seen.append(text)
            label.set_text(text)

        listen(event, show, owner=label)

    async with user_simulation(page) as user:
        await user.open('/')
        event.emit('first')
        await user.should_see('first')
        labels[0].delete()
        event.emit('second')
        assert seen == ['first']
        assert event.subscriber_count == 0  # the first value after the deletion ended the subscription


async def test_an_async_handler_runs_in_the_page_it_was_subscribed_from() -> None:
    event: Event[str] = Event()

    def page() -> None:
        async def add(text: str) -> None:
            await asyncio.sleep(0)
            ui.label(f'heard {text}')  # no `with`: lands where the handler was subscribed

        with ui.card():
            listen(event, add)

    async with user_simulation(page) as user:
        await user.open('/')
        event.emit('news')
        await user.should_see('heard news')
        (card,) = user.find(ui.card).elements
        assert [label.text for label in card if isinstance(label, ui.label)] == ['heard news']


async def test_the_subscription_ends_with_the_page_and_can_end_earlier() -> None:
    event: Event[str] = Event()
    stops: list[object] = []

    def page() -> None:
        listen(event, lambda text: ui.label(text))
        stops.append(listen(event, lambda text: ui.label(f'also {text}')))

    async with user_simulation(page) as user:
        await user.open('/')
        assert event.subscriber_count == 2
        assert user.client is not None
        client = user.client
        handlers = len(client.delete_handlers)
        stop = stops[0]
        assert callable(stop)
        stop()
        assert event.subscriber_count == 1
        assert len(client.delete_handlers) == handlers - 1  # what stops early takes its delete handler with it
        event.emit('once')
        await user.should_see('once')
        await user.should_not_see('also once')
        client.delete()
        assert event.subscriber_count == 0
