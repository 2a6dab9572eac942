"""An action's states, from proposed to done, and which of them are still open."""

from __future__ import annotations

from enum import StrEnum


class ActionState(StrEnum):
    PENDING = 'pending'
    APPROVED = 'approved'
    RUNNING = 'running'
    DONE = 'done'
    FAILED = 'failed'
    REJECTED = 'rejected'
    SUPERSEDED = 'superseded'

    @property
    def open(self) -> bool:
        """Waiting for a decision, or approved and not ended yet."""
        return self in OPEN

    @property
    def in_flight(self) -> bool:
        """Approved and not ended yet: its stack's world is in flux."""
        return self in IN_FLIGHT


OPEN = (ActionState.PENDING, ActionState.APPROVED, ActionState.RUNNING)
IN_FLIGHT = (ActionState.APPROVED, ActionState.RUNNING)
DECIDED = (ActionState.DONE, ActionState.FAILED, ActionState.REJECTED, ActionState.SUPERSEDED)  # its history
