"""The stacks' auto-approve policies and the maintenance windows they act in; which pending actions wait for one."""

from __future__ import annotations

from collections.abc import Mapping

from ops.config import StackConfig
from ops.maintenance.windows import MaintenanceWindows
from ops.store.models import Action
from ops.world.action_states import ActionState
from ops.world.drift import Drift


class AutoApproval:
    """A drift kind a stack lists in `auto_approve` is approved without an operator: at once without windows,
    inside a window with them (until then its action waits, pending)."""

    def __init__(self, stacks: Mapping[str, StackConfig], windows: MaintenanceWindows) -> None:
        self.stacks = stacks
        self.windows = windows

    def __call__(self, drift: Drift) -> bool:
        return self.covers(drift.stack, drift.kind)

    def covers(self, stack: str, kind: str) -> bool:
        """Whether `stack`'s policy approves a drift of `kind` (at some time)."""
        config = self.stacks.get(stack)
        return config is not None and kind in config.auto_approve

    async def waiting(self) -> list[Action]:
        """The pending actions the policy will approve when a window opens (oldest first); none without windows.

        One whose drift failed before is left to a person, as the policy does at any time."""
        if not self.windows.configured:
            return []
        pending = [
            action
            for action in await Action.filter(state=ActionState.PENDING).order_by('id')
            if self.covers(action.stack, action.kind)
        ]
        keys = [action.drift_key for action in pending]
        failed = {action.drift_key for action in await Action.filter(state=ActionState.FAILED, drift_key__in=keys)}
        return [action for action in pending if action.drift_key not in failed]
