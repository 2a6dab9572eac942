"""Throttled sign-in attempts reach the audit trail as one event per address and window, with a count."""

from __future__ import annotations

from typing import Any

from app.auth.throttled_audit import MAX_NAMES, MAX_WINDOW, WINDOW, ThrottledAudit
from ops.store.audit import AuditUnavailable


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Trail:
    """What was appended to the audit trail (kind, actor, detail), and whether it can be written."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict[str, Any]]] = []
        self.broken = False

    async def append(self, kind: str, *, actor: str, origin: str, detail: dict[str, Any]) -> None:
        if self.broken:
            raise AuditUnavailable('read-only database')
        self.events.append((kind, actor, detail))

    def total(self) -> int:
        return sum(detail['count'] for _, _, detail in self.events)


async def test_a_flood_from_one_address_writes_one_event_per_window_with_the_count() -> None:
    clock, trail = Clock(), Trail()
    audit = ThrottledAudit(trail.append, now=clock)
    assert await audit.note('203.0.113.5', 'admin')
    assert trail.events == [
        ('login_throttled', 'anonymous@203.0.113.5', {'client': '203.0.113.5', 'count': 1, 'usernames': ['admin']})
    ]
    for _ in range(799):
        clock.now += 5 / 800
        assert await audit.note('203.0.113.5', 'admin')
    assert len(trail.events) == 1  # the rest of the window is counted, not written one by one
    clock.now += WINDOW
    await audit.note('203.0.113.5', 'admin')  # the next attempt after the window writes its count
    assert len(trail.events) == 2
    assert trail.events[1][2]['count'] == 800
    assert trail.total() == 801


async def test_varying_user_names_from_one_address_do_not_multiply_events() -> None:
    clock, trail = Clock(), Trail()
    audit = ThrottledAudit(trail.append, now=clock)
    for i in range(500):
        await audit.note('198.51.100.7', f'guess{i}')
    await audit.flush(everything=True)
    assert len(trail.events) == 2
    assert trail.total() == 500
    listed = trail.events[1][2]
    assert len(listed['usernames']) == MAX_NAMES and listed['more_usernames'] is True


async def test_counts_still_open_are_written_by_the_periodic_flush_and_at_shutdown() -> None:
    clock, trail = Clock(), Trail()
    audit = ThrottledAudit(trail.append, now=clock)
    for client in ('10.0.0.1', '10.0.0.2'):
        for _ in range(3):
            await audit.note(client, 'admin')
    await audit.flush()
    assert trail.total() == 2  # the windows are still open: only the first of each is written
    clock.now += WINDOW
    await audit.flush()
    assert trail.total() == 6
    await audit.note('10.0.0.3', 'admin')
    await audit.note('10.0.0.3', 'admin')
    await audit.flush(everything=True)  # shutdown: whatever is open is written
    assert trail.total() == 8
    await audit.flush(everything=True)
    assert trail.total() == 8


async def test_a_flood_that_goes_on_for_a_day_writes_a_bounded_number_of_events() -> None:
    clock, trail = Clock(), Trail()
    audit = ThrottledAudit(trail.append, now=clock)
    attempts = 0
    for second in range(24 * 3600):
        await audit.note('203.0.113.5', 'admin')
        attempts += 1
        clock.now += 1
        if second % 60 == 0:
            await audit.flush()
    await audit.flush(everything=True)
    assert trail.total() == attempts
    assert len(trail.events) <= 24 + 8  # the window doubles while the flood goes on, up to an hour
    assert MAX_WINDOW == 3600


async def test_a_count_that_cannot_be_written_is_kept_for_later() -> None:
    clock, trail = Clock(), Trail()
    audit = ThrottledAudit(trail.append, now=clock)
    trail.broken = True
    assert not await audit.note('10.0.0.1', 'admin')
    await audit.note('10.0.0.1', 'admin')
    clock.now += WINDOW
    await audit.flush()
    trail.broken = False
    await audit.flush(everything=True)
    assert trail.total() == 2


async def test_other_repeatable_anonymous_refusals_can_be_counted_the_same_way() -> None:
    clock, trail = Clock(), Trail()
    audit = ThrottledAudit(trail.append, now=clock, kind='login_failed', detail={'method': 'oidc'})
    for _ in range(100):
        await audit.note('2001:db8::7', '')
    await audit.flush(everything=True)
    assert [kind for kind, _, _ in trail.events] == ['login_failed', 'login_failed']
    assert trail.events[0][2] == {'method': 'oidc', 'client': '2001:db8::/64', 'count': 1, 'usernames': []}
    assert trail.total() == 100
