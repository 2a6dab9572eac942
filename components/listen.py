"""Core events on a page: a handler runs in its page's context for as long as its element (or page) lives."""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable
from typing import TypeVar

from nicegui import background_tasks, context
from nicegui.element import Element

from ops.bus import Event

T = TypeVar('T')


def listen(event: Event[T], handler: Callable[[T], object], *, owner: Element | None = None) -> Callable[[], None]:
    """Call `handler` with each value of the core `event` until `owner` (default: the current page) is deleted.

    The handler runs inside the slot it was subscribed from; an async one runs there as a background task. A value
    that comes after the owner or its page was deleted is dropped and ends the subscription, and the page's deletion
    ends it at once (what `nicegui.Event.subscribe` does for NiceGUI's own events). Returns the function that ends
    it earlier.
    """
    slot = context.slot
    client = context.client
    name = f'{getattr(handler, "__qualname__", "handler")} (core event)'
    ended = False

    def end() -> None:
        nonlocal ended
        if not ended:
            ended = True
            unsubscribe()

    def stop() -> None:
        end()
        with contextlib.suppress(ValueError):  # stopped before
            client.delete_handlers.remove(end)

    def call(value: T) -> None:
        if ended:
            return
        if client.is_deleted or (owner is not None and owner.is_deleted):
            stop()
            return
        with slot:
            result = handler(value)
        if inspect.isawaitable(result):
            background_tasks.create(result, name=name, context=slot)

    unsubscribe = event.subscribe(call)
    client.on_delete(end)
    return stop
