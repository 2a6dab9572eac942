"""The hard limit on wrong second-factor codes per user name: ten, then a lock of 15 minutes that doubles."""

from __future__ import annotations

from app.auth.code_limit import CODE_FREE_FAILURES, CODE_LOCK, CODE_MAX_LOCK, CodeLimit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def wrong_code(codes: CodeLimit, username: str) -> float:
    """One wrong code: 0 when it was checked, else the wait the refusal announces."""
    if refused := codes.refusal(username):
        return refused.wait
    codes.checking(username)
    return 0.0


def test_ten_wrong_codes_stop_code_checks_for_fifteen_minutes_then_each_wrong_code_doubles_the_lock() -> None:
    clock = Clock()
    codes = CodeLimit(now=clock)
    assert [wrong_code(codes, 'admin') for _ in range(CODE_FREE_FAILURES)] == [0.0] * CODE_FREE_FAILURES
    assert wrong_code(codes, 'admin') == CODE_LOCK
    assert codes.refusal('alice') is None  # per user name
    locks = []
    for _ in range(10):
        clock.now += codes.wait_time('admin')  # waited out
        assert wrong_code(codes, 'admin') == 0.0
        locks.append(codes.wait_time('admin'))
    assert locks == [min(CODE_LOCK * 2**n, CODE_MAX_LOCK) for n in range(1, 11)]
    assert locks[-1] == CODE_MAX_LOCK == 24 * 3600


def test_a_right_code_clears_the_count_and_simultaneous_codes_cannot_pass_the_limit() -> None:
    codes = CodeLimit(now=Clock())
    for _ in range(CODE_FREE_FAILURES - 1):
        wrong_code(codes, 'admin')
    codes.checking('admin')  # a right code: it counts as wrong until it passed
    codes.passed('admin')
    assert codes.wait_time('admin') == 0
    for _ in range(CODE_FREE_FAILURES):  # ten codes sent at once, reserved before any is checked
        assert codes.refusal('admin') is None
        codes.checking('admin')
    assert codes.refusal('admin') is not None
