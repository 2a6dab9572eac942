"""The audit trail's hash chain: checked at start and every ten minutes (only the events added since, as the Audit
page checks it) and walked in full once a day (an edit further back shows only then); not intact raises a
critical alert naming the problem, intact again resolves it."""

from __future__ import annotations

import asyncio

from ops.alerts.keeper import AlertKeeper, Condition
from ops.alerts.rules import Rule
from ops.alerts.watching import Watcher
from ops.log_text import one_line
from ops.store.chain_check import ChainStatus, ChainWatch, verify_chain

EVERY = 600.0
FULL_EVERY = 86400.0
TARGET = 'audit trail'


class AuditChainWatch(Watcher[None]):
    """Runs the console's incremental chain check (shared with the Audit page), and now and then the full walk."""

    name = 'audit chain alert watch'

    def __init__(
        self, chain: ChainWatch, keeper: AlertKeeper, *, every: float = EVERY, full_every: float = FULL_EVERY
    ) -> None:
        super().__init__()
        self.chain = chain
        self.keeper = keeper
        self.every = every
        self.full_every = full_every
        self._next_full: float | None = None

    async def look(self) -> None:
        now = asyncio.get_running_loop().time()
        if self._next_full is not None and now >= self._next_full:
            status = await verify_chain(anchor=self.chain.anchor)
        else:
            status = await self.chain.check()  # the first check walks everything too
        if self._next_full is None or now >= self._next_full:
            self._next_full = now + self.full_every
        if status.ok:
            await self.keeper.clear(
                Rule.AUDIT_CHAIN, TARGET, resolution=f'the chain is intact ({status.checked} events)'
            )
        else:
            await self.keeper.hold(chain_broken(status))


def chain_broken(status: ChainStatus) -> Condition:
    where = f'event #{status.first_bad_id} ' if status.first_bad_id is not None else ''
    problem = one_line(f'{where}{status.problem}', 400)
    return Condition(
        rule=Rule.AUDIT_CHAIN,
        target=TARGET,
        summary=f'the audit chain is not intact: {problem}',
        evidence={'problem': problem, 'first_bad_id': status.first_bad_id, 'missing': status.missing or None},
    )
