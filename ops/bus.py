"""A tiny typed publish/subscribe event: how the core tells the UI (and others) that something changed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar('T')
log = logging.getLogger(__name__)


class Event(Generic[T]):
    """Subscribers are plain callables; a failing subscriber is logged and never breaks the publisher."""

    def __init__(self) -> None:
        self._subscribers: list[Callable[[T], object]] = []

    def subscribe(self, callback: Callable[[T], object]) -> Callable[[], None]:
        """Add a subscriber; returns the function that removes it again."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def emit(self, value: T) -> None:
        for callback in list(self._subscribers):
            try:
                callback(value)
            except Exception:
                log.exception('subscriber %r failed', callback)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)
