from __future__ import annotations

from app.auth.throttle import FREE_ATTEMPTS, MAX_DELAY, LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_free_attempts_then_exponential_back_off_capped() -> None:
    clock = Clock()
    throttle = LoginThrottle(now=clock)
    for _ in range(FREE_ATTEMPTS - 1):
        throttle.failed('10.0.0.9', 'admin')
        assert throttle.wait_time('10.0.0.9', 'admin') == 0
    throttle.failed('10.0.0.9', 'admin')
    first = throttle.wait_time('10.0.0.9', 'admin')
    assert first > 0
    throttle.failed('10.0.0.9', 'admin')
    assert throttle.wait_time('10.0.0.9', 'admin') == 2 * first
    for _ in range(40):
        throttle.failed('10.0.0.9', 'admin')
    assert throttle.wait_time('10.0.0.9', 'admin') == MAX_DELAY
    clock.now += MAX_DELAY + 1
    assert throttle.wait_time('10.0.0.9', 'admin') == 0


def test_the_user_name_is_throttled_from_any_address_and_the_address_for_any_name() -> None:
    throttle = LoginThrottle(now=Clock())
    for i in range(FREE_ATTEMPTS):
        throttle.failed(f'10.0.0.{i}', 'admin')  # spread over addresses: the name still locks
    assert throttle.wait_time('192.0.2.1', 'admin') > 0
    assert throttle.wait_time('192.0.2.1', 'someone-else') == 0
    for i in range(FREE_ATTEMPTS):
        throttle.failed('198.51.100.7', f'guess{i}')  # spraying names from one address: the address locks
    assert throttle.wait_time('198.51.100.7', 'anything') > 0


def test_unknown_and_known_names_are_treated_alike_and_success_clears() -> None:
    throttle = LoginThrottle(now=Clock())
    for _ in range(FREE_ATTEMPTS):
        throttle.failed('10.0.0.1', 'no-such-user')
        throttle.failed('10.0.0.2', 'admin')
    assert throttle.wait_time('10.0.0.1', 'no-such-user') == throttle.wait_time('10.0.0.2', 'admin')
    throttle.succeeded('10.0.0.2', 'admin')
    assert throttle.wait_time('10.0.0.2', 'admin') == 0
