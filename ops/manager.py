"""The operation manager: the only way anything runs. Validate, audit, check, lock, supervise, record.

submit() -> shape validation -> audit `requested` -> world check (references resolved to full ids) -> lock (refuse
or join) -> pool slot
-> handler under its timeout -> persist -> audit `finished` -> publish. Every `requested` gets a final
audit event (`rejected`, `joined` + `finished`, or `finished`), and a mutating operation whose audit
record cannot be written is refused rather than run unrecorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from ops.adapters import Adapters
from ops.bus import Event
from ops.clock import utc_now
from ops.errors import Refused
from ops.log_text import one_line
from ops.registry import CATALOG, OperationSpec, Registry
from ops.run_context import RunContext
from ops.runs import RunOutcome, RunState, RunStream, RunUpdate
from ops.store.audit import AuditLog, AuditUnavailable
from ops.store.audit_kinds import AuditKind
from ops.store.models import Run
from ops.store.owners import OwnerLock
from ops.store.storable import storable, storable_text

log = logging.getLogger(__name__)

# 'read' is wide: a followed log holds its slot for as long as someone watches.
DEFAULT_POOLS = {'read': 16, 'docker': 4, 'compose': 1, 'host': 2}
MAX_PARAM_TEXT = 512  # how much of a refused request's arguments the records keep


@dataclass(eq=False)
class RunHandle:
    """A submitted run: its id right away, its outcome when `done` resolves."""

    run_id: int
    operation: str
    done: asyncio.Future[RunOutcome] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    task: asyncio.Task[None] | None = None
    context: RunContext | None = None
    acted_on: dict[str, Any] = field(default_factory=dict)  # the arguments its check resolved (name -> full id)

    async def outcome(self) -> RunOutcome:
        return await asyncio.shield(self.done)


class Manager:
    """Runs catalog operations for any caller (UI, CLI, API, supervisor) with one set of rules."""

    def __init__(
        self,
        adapters: Adapters,
        *,
        owner: OwnerLock,
        audit: AuditLog | None = None,
        registry: Registry = CATALOG,
        pools: Mapping[str, int] | None = None,
        max_lines: int = 2000,
    ) -> None:
        self.adapters = adapters
        self.registry = registry
        self.audit = audit or AuditLog()
        self.owner = owner
        self.max_lines = max_lines
        self.pool_sizes = {**DEFAULT_POOLS, **(pools or {})}
        self._pools = {name: asyncio.Semaphore(size) for name, size in self.pool_sizes.items()}
        self._locks: dict[str, RunHandle] = {}
        self._active: dict[int, RunHandle] = {}
        self._streams: dict[int, RunStream] = {}  # accepted runs that have not ended yet
        self.run_changed: Event[RunUpdate] = Event()

    # ---- public API -------------------------------------------------------------------------------

    async def submit(self, operation: str, raw: Mapping[str, Any], *, actor: str, origin: str) -> RunHandle:
        """Accept or refuse a request; an accepted run continues in the background (see `RunHandle.done`)."""
        spec = self.registry.get(operation) if isinstance(operation, str) else None
        if spec is None:
            known = ', '.join(self.registry.names())
            return await self._refuse(
                str(operation), raw, actor, origin, f'unknown operation {_clip(str(operation), 64)!r}; known: {known}'
            )
        try:
            params = spec.params.model_validate(dict(raw))
        except ValidationError as err:
            return await self._refuse(spec.name, raw, actor, origin, explain(err))
        except (TypeError, ValueError) as err:
            return await self._refuse(spec.name, raw, actor, origin, f'invalid arguments: {err}')

        asked = params.model_dump(mode='json')
        run, audited = await self._record_request(spec, asked, actor, origin)
        if run is None:
            return _unrecorded(spec.name, f'refused: the run cannot be recorded ({audited})')
        handle = RunHandle(run_id=run.id, operation=spec.name)
        stream = self._streams[run.id] = RunStream()
        # Until its task exists, a run that ends here (cancelled with its submitter, say) must not leave its stream.
        try:
            if audited is not None:
                if spec.mutating:
                    return await self._finish_early(handle, run, RunState.REJECTED, f'refused: {audited}', audit=False)
                log.warning('running read-only %s without an audit record: %s', spec.name, audited)

            if spec.check is not None:
                try:
                    resolved = await spec.check(params, self.adapters, spec.mutating)
                except Refused as err:
                    return await self._finish_early(handle, run, RunState.REJECTED, str(err))
                except Exception as err:  # the engine is down, a file unreadable...: the run fails, with the reason
                    return await self._finish_early(handle, run, RunState.FAILED, describe(err))
                if resolved is not None:
                    # From here on the run acts on what the check resolved (a container's full id), never on a name
                    # the engine might resolve differently; the run keeps what was asked, the audit what was acted on.
                    handle.acted_on = changed_arguments(params, resolved)
                    params = resolved

            key = spec.lock_key(params)
            holder = self._locks.get(key) if key else None
            if holder is not None:
                if spec.on_busy == 'join':
                    return await self._join(handle, run, holder, actor, origin)
                return await self._finish_early(
                    handle,
                    run,
                    RunState.REJECTED,
                    f'busy: run #{holder.run_id} ({holder.operation}) holds {key!r}; try again when it ends',
                )
            if key:
                self._locks[key] = handle
            context = RunContext(
                run_id=run.id,
                adapters=self.adapters,
                actor=run.actor,
                max_lines=self.max_lines,
                on_line=lambda _, line: stream.line.emit(line),
                on_progress=lambda _, item: stream.progress.emit(item),
            )
            handle.context = context
            for name, value in handle.acted_on.items():
                context.log(f'{name} {run.params.get(name)!r} is {value}')
            self._active[run.id] = handle
            handle.task = asyncio.create_task(self._execute(spec, params, handle, run, key), name=f'run-{run.id}')
            return handle
        except BaseException:
            if handle.task is None:
                self._streams.pop(run.id, None)
            raise

    async def run(self, operation: str, raw: Mapping[str, Any], *, actor: str, origin: str) -> RunOutcome:
        """Submit and wait for the end (what the CLI does)."""
        handle = await self.submit(operation, raw, actor=actor, origin=origin)
        return await handle.outcome()

    def cancel(self, run_id: int) -> bool:
        """Ask a running run to stop; it ends `cancelled`. False when it is not running here."""
        handle = self._active.get(run_id)
        if handle is None or handle.task is None or handle.task.done():
            return False
        if handle.context is not None:
            handle.context.cancelled.set()
        handle.task.cancel()
        return True

    def stream(self, run_id: int) -> RunStream | None:
        """The events of one run accepted here that has not ended yet (its state changes, lines and progress);
        None once it ended, or when it was refused or never ran here."""
        return self._streams.get(run_id)

    def live(self, run_id: int) -> RunContext | None:
        """The context of a run still going here (its output and progress so far), or None."""
        handle = self._active.get(run_id)
        return handle.context if handle is not None else None

    def active_runs(self) -> list[int]:
        return sorted(self._active)

    async def recover(self) -> int:
        """Mark runs left pending/running by a dead process `interrupted`; returns how many."""
        count = 0
        stale = await Run.filter(state__in=[RunState.PENDING, RunState.RUNNING])
        for run in stale:
            if self.owner.is_alive(run.owner):
                continue
            run.state = RunState.INTERRUPTED
            run.finished_at = utc_now()
            run.error = 'the console stopped while this run was in progress'
            await run.save(update_fields=['state', 'finished_at', 'error'])
            with contextlib.suppress(AuditUnavailable):
                await self.audit.append(
                    AuditKind.FINISHED,
                    actor=run.actor,
                    origin=run.origin,
                    operation=run.operation,
                    run_id=run.id,
                    detail={'state': RunState.INTERRUPTED.value, 'error': run.error},
                )
            count += 1
        return count

    async def shutdown(self) -> None:
        """Cancel what still runs (each ends `cancelled` and is recorded)."""
        for run_id in list(self._active):
            self.cancel(run_id)
        tasks = [h.task for h in self._active.values() if h.task is not None]
        if tasks:
            await asyncio.wait(tasks, timeout=10)

    # ---- internals --------------------------------------------------------------------------------

    async def _execute(
        self, spec: OperationSpec[Any], params: BaseModel, handle: RunHandle, run: Run, key: str | None
    ) -> None:
        assert handle.context is not None
        ctx = handle.context
        state, error, result = RunState.FAILED, None, None
        started: asyncio.Task[None] | None = None
        try:
            async with self._pools[spec.pool]:
                run.state, run.started_at = RunState.RUNNING, utc_now()
                # Written beside the handler (it only says since when the run runs; its end is written after it).
                started = asyncio.create_task(_save_quietly(run, 'state', 'started_at'), name=f'run-{run.id}-started')
                self._publish(run, RunState.RUNNING)
                log.info('run=%s %s started by %s via %s', run.id, spec.name, one_line(run.actor, 128), run.origin)
                try:
                    result = await asyncio.wait_for(spec.handler(params, ctx), timeout=spec.timeout)
                    state = RunState.SUCCEEDED
                except TimeoutError:
                    state, error = RunState.TIMED_OUT, f'timed out after {spec.timeout:g} s'
        except asyncio.CancelledError:
            state, error = RunState.CANCELLED, 'cancelled'
        except Exception as err:
            state, error = RunState.FAILED, describe(err)
        finally:
            if key is not None and self._locks.get(key) is handle:
                del self._locks[key]
            self._active.pop(run.id, None)
        if started is not None:
            await started  # before the end is written over it
        await self._complete(handle, run, state, error, json_safe(result), ctx.output, ctx.dropped)

    async def _complete(
        self,
        handle: RunHandle,
        run: Run,
        state: RunState,
        error: str | None,
        result: dict[str, Any] | None,
        output: str,
        dropped: int,
        *,
        audit: bool = True,
        joined_run_id: int | None = None,
    ) -> RunHandle:
        # As the store keeps them (a lone surrogate from a container's log escaped, say): the row can always be saved.
        error, output = (storable_text(error) if error is not None else None), storable_text(output)
        run.state, run.error, run.result = state, error, result
        run.output, run.dropped_lines, run.finished_at = output, dropped, utc_now()
        run.joined_run_id = joined_run_id
        ended = ['state', 'error', 'result', 'output', 'dropped_lines', 'finished_at', 'joined_run_id']
        took = f' in {(run.finished_at - run.started_at).total_seconds():.1f} s' if run.started_at else ''
        why = f' ({one_line(error)})' if error else ''
        if audit:
            kind = AuditKind.REJECTED if state is RunState.REJECTED else AuditKind.FINISHED
            detail: dict[str, Any] = {'state': state.value}
            if error:
                detail['error'] = _clip(error, 2000)
            if joined_run_id is not None:
                detail['joined_run_id'] = joined_run_id
            if handle.acted_on:
                detail['acted_on'] = handle.acted_on

            async def row() -> int:
                await run.save(update_fields=ended)
                return run.id

            try:  # the run's end and its audit event in one transaction
                await self.audit.append_after(
                    row, kind, actor=run.actor, origin=run.origin, operation=run.operation, detail=detail
                )
            except AuditUnavailable as err:
                await _save_quietly(run, *ended)
                try:  # the event alone: every `requested` gets its final event even when the row cannot be saved
                    await self.audit.append(
                        kind, actor=run.actor, origin=run.origin, operation=run.operation, run_id=run.id, detail=detail
                    )
                except AuditUnavailable as alone:
                    log.error('run %s ended %s but its audit record failed: %s (%s)', run.id, state.value, err, alone)
        else:
            await _save_quietly(run, *ended)
        log.info('run=%s %s finished: %s%s%s', run.id, one_line(run.operation, 64), state.value, took, why)
        outcome = RunOutcome(
            run_id=run.id,
            operation=run.operation,
            state=state,
            error=error,
            result=result,
            output=output,
            dropped_lines=dropped,
            joined_run_id=joined_run_id,
        )
        if not handle.done.done():
            handle.done.set_result(outcome)
        self._publish(run, state)
        return handle

    async def _finish_early(
        self, handle: RunHandle, run: Run, state: RunState, error: str, *, audit: bool = True
    ) -> RunHandle:
        return await self._complete(handle, run, state, error, None, '', 0, audit=audit)

    async def _join(self, handle: RunHandle, run: Run, holder: RunHandle, actor: str, origin: str) -> RunHandle:
        """Single-flight: this request rides on the run already doing the same thing, and ends as it ends."""
        with contextlib.suppress(AuditUnavailable):
            await self.audit.append(
                AuditKind.JOINED,
                actor=actor,
                origin=origin,
                operation=run.operation,
                run_id=run.id,
                detail={'joined_run_id': holder.run_id},
            )

        async def follow() -> None:
            theirs = await holder.outcome()
            await self._complete(
                handle,
                run,
                theirs.state,
                theirs.error,
                theirs.result,
                f'(joined run #{holder.run_id}: same operation on the same target was already running)',
                0,
                joined_run_id=holder.run_id,
            )

        handle.task = asyncio.create_task(follow(), name=f'run-{run.id}-joins-{holder.run_id}')
        return handle

    async def _refuse(self, operation: str, raw: Mapping[str, Any], actor: str, origin: str, reason: str) -> RunHandle:
        """A malformed request: recorded (run + audit) with the reason, never executed."""
        shown = {
            _clip(storable_text(str(k)), 64): _clip(storable_text(repr(v)), MAX_PARAM_TEXT)
            for k, v in list(dict(raw).items())[:32]
        }
        op_name, reason = _clip(storable_text(operation), 64), storable_text(reason)
        try:
            run = await self._create_run(op_name, shown, actor, origin, RunState.REJECTED)
        except Exception as err:  # the store itself is down: still refuse, with the reason
            log.error('could not record a refused request: %s', err)
            return _unrecorded(op_name, reason)
        handle = RunHandle(run_id=run.id, operation=op_name)
        return await self._complete(handle, run, RunState.REJECTED, reason, None, '', 0)

    async def _record_request(
        self, spec: OperationSpec[Any], asked: dict[str, Any], actor: str, origin: str
    ) -> tuple[Run | None, str | None]:
        """The run's row and its `requested` event, in one transaction; when the event cannot be written, the row
        alone. Returns the run (None: not even the row could be written) and why the event is not written (None:
        it is), or why the row is not."""
        made: list[Run] = []

        async def row() -> int:
            made.append(await self._create_run(spec.name, asked, actor, origin, RunState.PENDING))
            return made[-1].id

        detail = {'params': asked, 'mutating': spec.mutating}
        unaudited = ''
        for _ in range(2):  # a group that failed with other appends in it: once more, on its own, before refusing
            try:
                await self.audit.append_after(
                    row, AuditKind.REQUESTED, actor=actor, origin=origin, operation=spec.name, detail=detail
                )
                return made[-1], None
            except AuditUnavailable as err:
                unaudited = str(err)
                if not err.shared:
                    break
        try:  # the row without its event (rolled back with it)
            return await self._create_run(spec.name, asked, actor, origin, RunState.PENDING), unaudited
        except Exception as err:  # no record can be made, so nothing runs
            log.error('refusing %s: the run cannot be recorded: %s', spec.name, err)
            return None, describe(err)

    async def _create_run(
        self, operation: str, params: dict[str, Any], actor: str, origin: str, state: RunState
    ) -> Run:
        return await Run.create(
            operation=operation,
            params=storable(params),
            actor=_clip(storable_text(actor), 128),
            origin=_clip(storable_text(origin), 32),
            state=state,
            owner=self.owner.token,
        )

    def _publish(self, run: Run, state: RunState) -> None:
        update = RunUpdate(
            run_id=run.id,
            operation=run.operation,
            state=state,
            actor=run.actor,
            origin=run.origin,
            error=run.error,
        )
        stream = self._streams.pop(run.id, None) if state.finished else self._streams.get(run.id)
        if stream is not None:
            stream.changed.emit(update)
        self.run_changed.emit(update)


def _unrecorded(operation: str, reason: str) -> RunHandle:
    """A refusal that could not be written down (run id 0); it is still a refusal."""
    handle = RunHandle(run_id=0, operation=operation)
    handle.done.set_result(
        RunOutcome(
            run_id=0,
            operation=operation,
            state=RunState.REJECTED,
            error=reason,
            result=None,
            output='',
            dropped_lines=0,
        )
    )
    return handle


def changed_arguments(asked: BaseModel, resolved: BaseModel) -> dict[str, Any]:
    """The arguments a world check resolved to something else than what was asked (a name to a full id)."""
    before, after = asked.model_dump(mode='json'), resolved.model_dump(mode='json')
    return {name: value for name, value in after.items() if before.get(name) != value}


def explain(err: ValidationError) -> str:
    """A pydantic error as one line a person can act on, without echoing huge or hostile input back."""
    parts = []
    for item in err.errors()[:5]:
        where = _clip('.'.join(str(p) for p in item['loc']) or 'arguments', 64)
        if item['type'] == 'extra_forbidden':
            parts.append(f'unknown argument {where!r}')
        elif item['type'] == 'missing':
            parts.append(f'missing argument {where!r}')
        else:
            parts.append(f'{where}: {_clip(item["msg"], 200)}')
    return 'invalid arguments: ' + '; '.join(parts)


def describe(err: BaseException) -> str:
    text = str(err).strip()
    return _clip(text, 2000) if text else type(err).__name__


def json_safe(value: Any) -> dict[str, Any] | None:
    """A handler's result as the store keeps it (storable JSON: the run's row can always be saved)."""
    if value is None:
        return None
    safe = storable(value)
    return safe if isinstance(safe, dict) else {'value': safe}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + '…'


async def _save_quietly(run: Run, *fields: str) -> None:
    try:
        await run.save(update_fields=list(fields))
    except Exception as err:  # the run's own row is best effort; the audit trail is the record that must hold
        log.error('could not save run %s: %s', run.id, err)
