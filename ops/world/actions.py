"""The action queue: each drift becomes one proposed action; an operator approves (or a stack's policy
does, inside a maintenance window when windows are configured) and the operation manager runs it; every
decision is audited.

States: pending -> approved -> running -> done | failed; pending -> rejected; pending -> superseded
(the drift went away by itself, or changed into another one).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, get_args

from tortoise.expressions import Q

from ops.bus import Event
from ops.clock import utc_now
from ops.config import DriftKind
from ops.log_text import one_line
from ops.maintenance.windows import MaintenanceWindows
from ops.manager import Manager
from ops.runs import RunState
from ops.store.audit_kinds import AuditKind
from ops.store.models import Action, Run
from ops.world.action_states import IN_FLIGHT, OPEN, ActionState
from ops.world.drift import Drift
from ops.world.plans import action_for

log = logging.getLogger(__name__)

Planner = Callable[[Drift], Awaitable[dict[str, Any]]]
# The kinds of action a drift proposes (the sync supersedes them when their drift goes); others come from
# maintenance (rollback, prune) and end only by a decision.
DRIFT_KINDS = tuple(get_args(DriftKind))


@dataclass(frozen=True, kw_only=True, slots=True)
class Proposal:
    """What a pending action will be: its subject, the operation and params approving it runs, and the plan shown."""

    stack: str
    service: str | None
    container: str | None
    kind: str
    key: str
    title: str
    detail: str
    operation: str
    params: dict[str, Any]
    plan: dict[str, Any]


@dataclass(frozen=True, kw_only=True, slots=True)
class Proposer:
    """Who a drift's proposal is audited as: the supervisor, or what asked for the evaluation that found it (a
    schedule: actor `schedule:<name>`, origin 'schedule')."""

    actor: str
    origin: str


SUPERVISOR = Proposer(actor='supervisor', origin='supervisor')

# Who approves what a stack's auto_approve policy covers (the audit's actor, the action's `decided_by`).
POLICY_ACTOR = 'supervisor (auto-approve policy)'

# The audit kind of each decision an operator (or a stack's policy) can make.
_DECISIONS = {ActionState.APPROVED: AuditKind.ACTION_APPROVED, ActionState.REJECTED: AuditKind.ACTION_REJECTED}


class ActionError(Exception):
    """The action cannot be approved or rejected (unknown, or already decided); nothing was run."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ActionUpdate:
    """An action changed state (published for pages and the event journal)."""

    action_id: int
    state: ActionState
    stack: str
    kind: str
    subject: str
    actor: str
    run_id: int | None = None
    error: str | None = None

    def as_record(self) -> dict[str, Any]:
        return {
            'source': 'action',
            'action_id': self.action_id,
            'state': self.state,
            'stack': self.stack,
            'kind': self.kind,
            'subject': self.subject,
            'actor': self.actor,
            'run_id': self.run_id,
            'error': self.error,
        }


class ActionQueue:
    """Proposes, supersedes, approves and rejects; runs approved actions through the manager."""

    def __init__(
        self,
        manager: Manager,
        *,
        planner: Planner | None = None,
        auto_approve: Callable[[Drift], bool] | None = None,
        windows: MaintenanceWindows | None = None,
    ) -> None:
        self.manager = manager
        self.planner = planner
        self.auto_approve = auto_approve or (lambda drift: False)
        # With maintenance windows configured, the policy approves only inside one; outside, its actions wait.
        self.windows = windows or MaintenanceWindows([])
        self.changed: Event[ActionUpdate] = Event()
        self._tasks: set[asyncio.Task[None]] = set()
        # The last state published per open action: decisions made by another process (the CLI) are
        # noticed at the next sync and published here too, so open pages follow them.
        self._known: dict[int, ActionState] = {}

    async def sync(
        self, drifts: Iterable[Drift], *, stacks: Iterable[str], proposers: Mapping[str, Proposer] | None = None
    ) -> list[Action]:
        """Bring the open actions of `stacks` in line with their current drifts; returns the new proposals, each
        audited as proposed by the supervisor or, for a drift key in `proposers`, by what found it (a schedule).

        A stack with an action approved or running is left alone until it ends: its world is in flux. Inside a
        maintenance window (or at once without windows), the policy approves what waited for it; one action per
        stack at a time: once the policy approved one in this pass, the stack is left alone too.
        """
        await self._notice_elsewhere()
        current = [d for d in drifts if d.actionable]
        busy = {action.stack for action in await Action.filter(state__in=IN_FLIGHT)}
        checked = [name for name in stacks if name not in busy]
        keys = {d.key for d in current}
        for stale in await Action.filter(state=ActionState.PENDING, stack__in=checked, kind__in=DRIFT_KINDS):
            if stale.drift_key not in keys:
                await self._move(stale, ActionState.PENDING, ActionState.SUPERSEDED, actor='supervisor')
        proposed: list[Action] = []
        for drift in current:
            if drift.stack in busy or drift.stack not in checked:
                continue
            known = await Action.filter(drift_key=drift.key, state__in=(*OPEN, ActionState.REJECTED)).first()
            if known is not None:
                if known.state is ActionState.PENDING and await self._released(known, drift):
                    busy.add(drift.stack)  # one at a time: the stack's world is in flux until it ends
                continue
            action = await self._propose(drift, (proposers or {}).get(drift.key, SUPERVISOR))
            proposed.append(action)
            if not await self._policy_approves(drift):
                continue
            if not self.windows.configured:
                await self.approve(action.id, actor=POLICY_ACTOR, origin='policy')
                busy.add(drift.stack)
            elif (opening := self.windows.inside()) is not None:
                await self.approve(action.id, actor=POLICY_ACTOR, origin='policy', detail={'window': opening.as_json()})
                busy.add(drift.stack)
            else:
                following = self.windows.next_opening()
                log.info(
                    'action=%s waits for the maintenance window%s',
                    action.id,
                    f' {following.window} (opens {following.opens_at:%a %Y-%m-%d %H:%M})' if following else '',
                )
        return proposed

    async def approve(self, action_id: int, *, actor: str, origin: str, detail: dict[str, Any] | None = None) -> Action:
        """Pending -> approved (exactly once, however many approve at the same time), then run it; `detail` joins
        the audit record (the policy's window)."""
        action = await self._decide(action_id, ActionState.APPROVED, actor=actor, origin=origin, extra=detail)
        handle = await self.manager.submit(action.operation, action.params, actor=actor, origin='action')
        action.run_id = handle.run_id
        await action.save(update_fields=['run_id', 'updated_at'])
        if handle.done.done():  # refused before it ran (busy, out of scope, invalid files...)
            await self._finish(action, await handle.outcome())
            return action
        await self._move(action, ActionState.APPROVED, ActionState.RUNNING, actor=actor)
        task = asyncio.create_task(self._follow(action, handle.outcome()), name=f'action-{action.id}')
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return action

    async def reject(self, action_id: int, *, actor: str, origin: str, reason: str = '') -> Action:
        """Pending -> rejected; the same drift is not proposed again until it changes or goes away."""
        action = await self._decide(action_id, ActionState.REJECTED, actor=actor, origin=origin, reason=reason)
        action.finished_at = utc_now()
        await action.save(update_fields=['finished_at', 'updated_at'])
        return action

    async def wait(self, action_id: int, *, timeout: float = 1800) -> Action:
        """The action once it has left approved/running (what the CLI waits for)."""
        async with asyncio.timeout(timeout):
            while True:
                action = await Action.get(id=action_id)
                if not action.state.in_flight:
                    return action
                await asyncio.sleep(0.2)

    async def recover(self) -> int:
        """At start: actions left approved/running by a stopped process end as their run ended."""
        count = 0
        for action in await Action.filter(state__in=IN_FLIGHT):
            run = await Run.get_or_none(id=action.run_id) if action.run_id else None
            state = run.state if run is not None else RunState.INTERRUPTED
            if not state.finished:
                continue  # the run is still going in another process (the CLI)
            await self._close(action, ok=state is RunState.SUCCEEDED, error=run.error if run else 'never started')
            count += 1
        return count

    async def pending_count(self) -> int:
        return await Action.filter(state=ActionState.PENDING).count()

    async def shutdown(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _policy_approves(self, drift: Drift) -> bool:
        """The stack's policy covers the drift, and the same drift has not failed before (then a person decides)."""
        return (
            self.auto_approve(drift) and not await Action.filter(drift_key=drift.key, state=ActionState.FAILED).exists()
        )

    async def _released(self, action: Action, drift: Drift) -> bool:
        """Approve a pending action the policy covers and its drift still holds (it waited for a maintenance window),
        now that one is open, or at once without windows (they were removed since); whether it was approved."""
        waited: dict[str, Any] = {'waited_since': action.created_at.isoformat()}
        if self.windows.configured:
            opening = self.windows.inside()
            if opening is None:
                return False
            waited = {'window': opening.as_json(), **waited}
        if not await self._policy_approves(drift):
            return False
        try:
            await self.approve(action.id, actor=POLICY_ACTOR, origin='policy', detail=waited)
        except ActionError:  # decided by a person meanwhile
            return False
        return True

    async def _propose(self, drift: Drift, proposer: Proposer) -> Action:
        operation, params, title = action_for(drift)
        plan: dict[str, Any] = {}
        if self.planner is not None:
            try:
                plan = await self.planner(drift)
            except Exception as err:  # a preview that cannot be made must not hide the drift
                log.warning('no plan preview for %s: %s', drift.key, err)
                plan = {'steps': [], 'dry_run': [], 'diff': [], 'error': f'no preview: {err}'}
        return await self.propose(
            Proposal(
                stack=drift.stack,
                service=drift.service,
                container=drift.container,
                kind=drift.kind,
                key=drift.key,
                title=title,
                detail=drift.detail,
                operation=operation,
                params=params,
                plan=plan,
            ),
            actor=proposer.actor,
            origin=proposer.origin,
            audit_detail={'drift': drift.as_json()},
        )

    async def propose(
        self, proposal: Proposal, *, actor: str, origin: str, audit_detail: dict[str, Any] | None = None
    ) -> Action:
        """A pending action (audited as proposed by `actor`): a drift's, or one of maintenance (a rollback, a
        scheduled prune) whose kind the drift sync never supersedes. The caller checks no open action has its key."""
        action = await Action.create(
            stack=proposal.stack,
            service=proposal.service,
            container=proposal.container,
            kind=proposal.kind,
            drift_key=proposal.key,
            title=proposal.title,
            detail=proposal.detail,
            operation=proposal.operation,
            params=proposal.params,
            plan=proposal.plan,
            state=ActionState.PENDING,
        )
        await self.manager.audit.append(
            AuditKind.ACTION_PROPOSED,
            actor=actor,
            origin=origin,
            operation=proposal.operation,
            detail={'action_id': action.id, **(audit_detail or {}), 'params': proposal.params},
        )
        self._publish(action, actor=actor)
        return action

    async def supersede(self, action: Action, *, actor: str) -> bool:
        """Pending -> superseded (a maintenance proposal replaced by a fresher one); False when it was decided
        meanwhile."""
        await self._move(action, ActionState.PENDING, ActionState.SUPERSEDED, actor=actor)
        return action.state is ActionState.SUPERSEDED

    async def _decide(
        self,
        action_id: int,
        to: ActionState,
        *,
        actor: str,
        origin: str,
        reason: str = '',
        extra: dict[str, Any] | None = None,
    ) -> Action:
        verb = 'approve' if to is ActionState.APPROVED else 'reject'
        now = utc_now()
        # One conditional UPDATE: of two approvals at the same time, exactly one finds it pending.
        moved = await Action.filter(id=action_id, state=ActionState.PENDING).update(
            state=to, decided_by=actor[:128], decided_at=now, auto=origin == 'policy'
        )
        action = await Action.get_or_none(id=action_id)
        if not moved:
            why = f'no action #{action_id}' if action is None else f'action #{action_id} is {action.state}, not pending'
            await self.manager.audit.append(
                AuditKind.ACTION_REFUSED,
                actor=actor,
                origin=origin,
                detail={'action_id': action_id, 'verb': verb, 'why': why},
            )
            log.info('action=%s %s refused for %s: %s', action_id, verb, one_line(actor, 128), why)
            raise ActionError(f'cannot {verb}: {why}')
        assert action is not None
        detail: dict[str, Any] = {'action_id': action.id, 'drift_key': action.drift_key, 'params': action.params}
        if reason:
            detail['reason'] = reason[:500]
        detail.update(extra or {})
        await self.manager.audit.append(
            _DECISIONS[to], actor=actor, origin=origin, operation=action.operation, detail=detail
        )
        self._publish(action, actor=actor)
        return action

    async def _follow(self, action: Action, outcome: Awaitable[Any]) -> None:
        try:
            await self._finish(action, await outcome)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception('action #%s: following its run failed', action.id)

    async def _finish(self, action: Action, outcome: Any) -> None:
        await self._close(action, ok=outcome.state is RunState.SUCCEEDED, error=outcome.error)

    async def _close(self, action: Action, *, ok: bool, error: str | None) -> None:
        action.state = ActionState.DONE if ok else ActionState.FAILED
        action.error = None if ok else (error or 'the run did not succeed')
        action.finished_at = utc_now()
        await action.save(update_fields=['state', 'error', 'finished_at', 'updated_at'])
        self._publish(action, actor=action.decided_by or 'supervisor')

    async def _move(self, action: Action, frm: ActionState, to: ActionState, *, actor: str) -> None:
        fields: dict[str, Any] = {'state': to}
        if to is ActionState.SUPERSEDED:
            fields['finished_at'] = utc_now()
        if await Action.filter(id=action.id, state=frm).update(**fields):
            action.state = to
            self._publish(action, actor=actor)

    async def _notice_elsewhere(self) -> None:
        watched = await Action.filter(Q(state__in=OPEN) | Q(id__in=list(self._known)))
        for action in watched:
            if action.id in self._known and self._known[action.id] != action.state:
                self._publish(action, actor=action.decided_by or 'supervisor')
            elif action.state.open:
                self._known[action.id] = action.state
            else:
                self._known.pop(action.id, None)

    def _publish(self, action: Action, *, actor: str) -> None:
        if action.state.open:
            self._known[action.id] = action.state
        else:
            self._known.pop(action.id, None)
        log.info(
            'action=%s %s: %s for %s/%s (%s) by %s%s%s',
            action.id,
            'proposed' if action.state is ActionState.PENDING else action.state.value,
            action.operation,
            action.stack,
            action.service or action.container or action.stack,
            action.kind,
            one_line(actor, 128),
            f' run={action.run_id}' if action.run_id else '',
            f' ({one_line(action.error)})' if action.error else '',
        )
        self.changed.emit(
            ActionUpdate(
                action_id=action.id,
                state=action.state,
                stack=action.stack,
                kind=action.kind,
                subject=action.service or action.container or action.stack,
                actor=actor,
                run_id=action.run_id,
                error=action.error,
            )
        )
