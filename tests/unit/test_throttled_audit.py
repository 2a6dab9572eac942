"""Throttled sign-in attempts reach the audit trail as one event per address and window, with a count."""

from __future__ import annotations

from typing import Any

import pytest

from app.auth.audit_budget import BUDGET, AnonymousBudget
from app.auth.sign_in_audit import SignInAudit
from app.auth.throttle import LoginThrottle, Refused
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


async def test_ten_thousand_addresses_write_a_bounded_number_of_events_whose_counts_add_up() -> None:
    """What the sign-in page does with each attempt (throttle, then audit), from 10,000 IPv6 /64s in ten minutes."""
    clock, trail = Clock(), Trail()
    throttle, audit = LoginThrottle(now=clock), SignInAudit(trail.append, now=clock)
    checked = 0
    for i in range(10_000):
        client, name = f'2001:db8:{i // 4096:x}:{i % 4096:x}::1', 'admin' if i % 2 else f'spray{i}'
        attempt = throttle.reserve(client, name)
        if isinstance(attempt, Refused):  # 'admin' is rated after five failures: refused, counted per address
            await audit.refused(name, client)
        else:
            with attempt:  # a wrong password (a sprayed name is checked: every address has its first tries free)
                checked += 1
            await audit.failed(name, client)
        clock.now += 0.06
        if i % 1000 == 0:
            await audit.flush()  # the console's periodic flush
    await audit.flush_all()  # the console stops
    assert len({event[2]['client'] for event in trail.events}) > 120  # many addresses did get events of their own
    # Windows of 1, 2, 4 and 8 minutes: at most BUDGET events each, and one that counts the rest of it.
    assert len(trail.events) <= 4 * (BUDGET + 1)
    failed = sum(kind == 'login_failed' for kind, _, _ in trail.events)
    throttled = sum(detail['count'] for kind, _, detail in trail.events if kind == 'login_throttled')
    assert failed + throttled == 10_000
    rest = [detail for _, _, detail in trail.events if detail['client'] == 'other addresses']
    assert rest and all(detail['addresses'] == detail['count'] for detail in rest)  # one attempt per address
    assert sum(detail['failed'] for detail in rest) + failed == checked > 5_000  # every failed check, somewhere


async def test_the_budget_window_doubles_while_it_overflows_and_a_count_that_cannot_be_written_is_kept() -> None:
    clock, trail = Clock(), Trail()
    budget = AnonymousBudget(trail.append, now=clock, limit=3)
    for minute in range(60):  # an hour of steady flood, ten attempts a minute from new addresses
        for n in range(10):
            await budget.append('login_failed', actor='x', origin='ui', detail={'client': f'10.{minute}.{n}.1'})
        clock.now += 60
        await budget.flush()
    await budget.flush(everything=True)
    assert sum(detail.get('count', 1) for _, _, detail in trail.events) == 600
    assert len(trail.events) <= 7 * (3 + 1)  # windows of 1, 2, 4, 8, 16, 32 minutes and the rest


async def test_an_overflow_count_that_cannot_be_written_is_kept_for_later() -> None:
    clock, trail = Clock(), Trail()
    budget = AnonymousBudget(trail.append, now=clock, limit=3)
    trail.broken = True
    for _ in range(3):  # within the budget the writer hears that the trail is broken (and keeps its own count)
        with pytest.raises(AuditUnavailable):
            await budget.append('login_failed', actor='x', origin='ui', detail={'client': '10.9.9.9'})
    for n in range(4):
        await budget.append('login_throttled', actor='x', origin='ui', detail={'client': f'10.9.9.{n}', 'count': 2})
    clock.now += WINDOW
    await budget.flush()  # the overflow's event cannot be written either: kept
    assert trail.events == []
    trail.broken = False
    await budget.flush(everything=True)
    assert [(detail['count'], detail['addresses']) for _, _, detail in trail.events] == [(8, 4)]
