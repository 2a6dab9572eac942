"""The sign-in throttle with a fake clock: reservations, the keys it counts on, the rate per user name."""

from __future__ import annotations

import asyncio

import pytest

from app.auth.throttle import (
    ADDRESS_FREE_ATTEMPTS,
    BASE_DELAY,
    FREE_ATTEMPTS,
    MAX_DELAY,
    USER_FREE_ATTEMPTS,
    USER_INTERVAL,
    LoginThrottle,
    Refused,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def guess(throttle: LoginThrottle, client: str, username: str, device: str | None = None) -> Refused | None:
    """One wrong secret: None when it was checked (and failed), the refusal when it was not checked."""
    attempt = throttle.reserve(client, username, device) if device else throttle.reserve(client, username)
    if isinstance(attempt, Refused):
        return attempt
    with attempt:
        pass  # checked, not passed: a failure
    return None


def test_free_attempts_per_address_and_user_then_back_off_doubling_to_a_cap() -> None:
    clock = Clock()
    throttle = LoginThrottle(now=clock)
    for _ in range(FREE_ATTEMPTS):
        assert guess(throttle, '10.0.0.9', 'admin') is None
    waits = []
    for _ in range(16):
        refused = guess(throttle, '10.0.0.9', 'admin')
        assert refused is not None and not refused.busy
        waits.append(refused.wait)
        clock.now += refused.wait  # the attacker waits it out and guesses again
        assert guess(throttle, '10.0.0.9', 'admin') is None
    # The pair's back-off doubles from BASE_DELAY up to MAX_DELAY (the user name's rate is the floor).
    assert waits == [max(min(BASE_DELAY * 2**i, MAX_DELAY), USER_INTERVAL) for i in range(16)]
    assert waits[-1] == MAX_DELAY
    clock.now += MAX_DELAY
    assert throttle.wait_time('10.0.0.9', 'admin') == 0


def test_simultaneous_attempts_reserve_one_check_per_address_and_per_user_name() -> None:
    throttle = LoginThrottle(now=Clock())
    attempt = throttle.reserve('10.0.0.1', 'admin')
    assert not isinstance(attempt, Refused)
    assert throttle.reserve('10.0.0.1', 'admin') == Refused(1.0, busy=True)
    assert isinstance(throttle.reserve('10.0.0.1', 'other'), Refused)  # the address is busy
    assert isinstance(throttle.reserve('192.0.2.1', 'admin'), Refused)  # the user name is busy
    other = throttle.reserve('192.0.2.1', 'other')
    assert not isinstance(other, Refused)
    with attempt, other:
        attempt.passed()
        other.passed()
    assert not isinstance(throttle.reserve('10.0.0.1', 'admin'), Refused)


async def test_thirty_concurrent_attempts_check_at_most_the_threshold() -> None:
    throttle = LoginThrottle(now=Clock())
    checked = 0

    async def sign_in(client: str) -> bool:
        nonlocal checked
        attempt = throttle.reserve(client, 'admin')
        if isinstance(attempt, Refused):
            return False
        with attempt:
            checked += 1
            await asyncio.sleep(0)  # argon2 runs in a thread: other attempts get the loop meanwhile
        return True

    for clients in (['10.0.0.1'] * 30, [f'10.0.1.{i}' for i in range(30)]):
        for _ in range(3):  # three waves of 30 at once
            await asyncio.gather(*(sign_in(client) for client in clients))
    assert checked <= FREE_ATTEMPTS


async def test_an_attempt_that_ends_in_an_error_counts_as_a_failure() -> None:
    throttle = LoginThrottle(now=Clock())
    for _ in range(FREE_ATTEMPTS):
        attempt = throttle.reserve('10.0.0.1', 'admin')
        assert not isinstance(attempt, Refused)
        with pytest.raises(RuntimeError), attempt:
            raise RuntimeError('the check broke')
    assert throttle.wait_time('10.0.0.1', 'admin') > 0


def test_guessing_from_one_address_never_locks_the_owner_out_of_another() -> None:
    clock = Clock()
    throttle = LoginThrottle(now=clock)
    for _ in range(200):  # an attacker who always waits out the back-off: hours of guessing
        refused = guess(throttle, '203.0.113.66', 'admin')
        if refused is not None:
            clock.now += refused.wait
        # ... and at every moment the owner elsewhere is asked to wait at most one interval
        assert throttle.wait_time('192.168.1.20', 'admin') <= USER_INTERVAL
    clock.now += throttle.wait_time('203.0.113.66', 'admin')
    assert guess(throttle, '203.0.113.66', 'admin') is None  # a guess just now: the attacker is backed off again
    assert throttle.wait_time('192.168.1.20', 'admin') <= USER_INTERVAL
    clock.now += USER_INTERVAL
    owner = throttle.reserve('192.168.1.20', 'admin')
    assert not isinstance(owner, Refused)
    with owner:
        owner.passed()
    throttle.succeeded('192.168.1.20', 'admin')
    assert throttle.wait_time('192.168.1.20', 'admin') == 0
    assert throttle.wait_time('203.0.113.66', 'admin') > 0  # the attacker's own back-off stays


def test_guesses_spread_over_addresses_are_rated_per_user_name_not_locked() -> None:
    clock = Clock()
    throttle = LoginThrottle(now=clock)
    checked = 0
    for i in range(1000):  # a botnet: a fresh address every attempt, for ten minutes
        if guess(throttle, f'10.{i // 250}.{i % 250}.1', 'admin') is None:
            checked += 1
        clock.now += 0.6
        assert throttle.wait_time('192.168.1.20', 'admin') <= USER_INTERVAL
    assert checked <= USER_FREE_ATTEMPTS + 600 / USER_INTERVAL + 1
    assert throttle.wait_time('192.168.1.20', 'someone-else') == 0


def test_spraying_user_names_from_one_address_locks_that_address_only() -> None:
    throttle = LoginThrottle(now=Clock())
    for i in range(ADDRESS_FREE_ATTEMPTS):
        assert guess(throttle, '198.51.100.7', f'guess{i}') is None
    assert throttle.wait_time('198.51.100.7', 'anything') > 0
    assert throttle.wait_time('192.0.2.1', 'guess0') == 0
    assert throttle.wait_time('192.0.2.1', 'anything') == 0


def test_an_ipv6_host_is_one_address_for_its_whole_slash_64() -> None:
    throttle = LoginThrottle(now=Clock())
    for i in range(ADDRESS_FREE_ATTEMPTS):
        assert guess(throttle, f'2001:db8:1:2::{i + 1:x}', f'guess{i}') is None
    assert throttle.wait_time('2001:db8:1:2:ffff::1', 'anything') > 0
    assert throttle.wait_time('2001:db8:1:3::1', 'anything') == 0


def test_unknown_and_known_names_are_treated_alike_and_success_clears_that_user() -> None:
    throttle = LoginThrottle(now=Clock())
    for _ in range(FREE_ATTEMPTS):
        guess(throttle, '10.0.0.1', 'no-such-user')
        guess(throttle, '10.0.0.2', 'admin')
    assert throttle.wait_time('10.0.0.1', 'no-such-user') == throttle.wait_time('10.0.0.2', 'admin') > 0
    throttle.succeeded('10.0.0.2', 'admin')
    assert throttle.wait_time('10.0.0.2', 'admin') == 0
    assert throttle.wait_time('10.0.0.1', 'no-such-user') > 0


def sign_in(throttle: LoginThrottle, client: str, username: str, device: str | None = None) -> Refused | None:
    """The right secret: None when it was checked (and the user signed in), the refusal when it was not checked."""
    attempt = throttle.reserve(client, username, device)
    if isinstance(attempt, Refused):
        return attempt
    with attempt:
        attempt.passed()
    throttle.succeeded(client, username, device)
    return None


def test_a_known_browser_signs_in_at_once_while_two_hundred_addresses_take_every_slot_of_its_user_name() -> None:
    clock = Clock()
    throttle = LoginThrottle(now=clock)
    attackers = [f'198.51.{i // 100}.{i % 100 + 1}' for i in range(200)]
    owner_waits, stranger_got_in, checked = [], 0, 0
    for tick in range(10 * 3600):  # an hour in tenths of a second: every slot that opens is taken at once
        for address in attackers[tick % 20 :: 20]:  # ten of the 200 addresses fire every tenth of a second
            if guess(throttle, address, 'admin') is None:
                checked += 1
        clock.now += 0.1
        if tick % 600 == 300:  # every minute, the owner's browser that signed in before, and a browser that did not
            owner_waits.append(sign_in(throttle, '192.168.1.20', 'admin', device='owner-laptop'))
            if sign_in(throttle, '192.168.1.21', 'admin') is None:
                stranger_got_in += 1
    assert owner_waits == [None] * 60  # the owner never waited
    assert stranger_got_in <= 6  # without the device cookie a browser is held back as before (got in 4 of 60)
    # The owner's sign-ins did not reset the user name's rate for the guessers (a stranger's sign-in does, as before).
    assert checked <= (1 + stranger_got_in) * USER_FREE_ATTEMPTS + 3600 / USER_INTERVAL + 1


def test_a_stolen_device_cookie_backs_off_on_its_own_from_any_address() -> None:
    clock = Clock()
    throttle = LoginThrottle(now=clock)
    for i in range(FREE_ATTEMPTS):  # the thief rotates addresses: the back-off follows the cookie
        assert guess(throttle, f'203.0.113.{i + 1}', 'admin', device='stolen') is None
    refused = guess(throttle, '203.0.113.99', 'admin', device='stolen')
    assert refused is not None and refused.wait >= BASE_DELAY
    # Its failures are its own: the owner's browser, and browsers without a cookie, are not held back by them.
    assert throttle.wait_time('192.168.1.20', 'admin', device='owner-laptop') == 0
    assert throttle.wait_time('192.168.1.21', 'admin') == 0
    # A known browser is checked once at a time too, and its address may not run two checks at once.
    attempt = throttle.reserve('192.168.1.20', 'admin', device='owner-laptop')
    assert not isinstance(attempt, Refused)
    assert throttle.reserve('10.1.1.1', 'admin', device='owner-laptop') == Refused(1.0, busy=True)
    assert throttle.reserve('192.168.1.20', 'someone', None) == Refused(1.0, busy=True)
    with attempt:
        attempt.passed()


def test_an_attempt_that_was_not_checked_counts_for_nothing() -> None:
    throttle = LoginThrottle(now=Clock())
    for _ in range(3 * FREE_ATTEMPTS):
        attempt = throttle.reserve('10.0.0.1', 'admin')
        assert not isinstance(attempt, Refused)
        with attempt:
            attempt.not_checked()  # e.g. no password check was free in time
    assert throttle.wait_time('10.0.0.1', 'admin') == 0
