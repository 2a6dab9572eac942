"""The console-wide ceiling on argon2 work: two anonymous checks at once, a lane for known browsers, then busy."""

from __future__ import annotations

import asyncio

from app.auth.password_checks import PasswordChecks
from tests.helpers.waiting import wait_for_async


async def test_two_checks_run_at_once_the_rest_wait_briefly_then_are_answered_busy() -> None:
    checks = PasswordChecks(at_once=2, known_at_once=1, wait=0.2)
    running, most, done = 0, 0, asyncio.Event()

    async def attempt() -> bool:
        nonlocal running, most
        async with checks.slot() as free:
            if not free:
                return False
            running += 1
            most = max(most, running)
            await done.wait()  # the check takes as long as the test says
            running -= 1
            return True

    tasks = [asyncio.create_task(attempt()) for _ in range(10)]
    await wait_for_async(lambda: sum(task.done() for task in tasks) == 8, timeout=5, interval=0.01)
    assert all(task.result() is False for task in tasks if task.done())  # answered busy after the wait
    async with checks.slot(known=True) as free:  # a known browser is not queued behind the flood
        assert free
    assert running == most == 2
    done.set()
    results = await asyncio.gather(*tasks)
    assert results.count(True) == 2 and results.count(False) == 8


async def test_a_waiting_check_gets_the_slot_that_frees_up() -> None:
    checks = PasswordChecks(at_once=1, wait=5)
    order: list[str] = []
    first_inside, release = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with checks.slot() as free:
            assert free
            order.append('first')
            first_inside.set()
            await release.wait()

    async def second() -> None:
        async with checks.slot() as free:
            assert free
            order.append('second')

    one = asyncio.create_task(first())
    await first_inside.wait()
    two = asyncio.create_task(second())
    release.set()
    await asyncio.gather(one, two)
    assert order == ['first', 'second']
