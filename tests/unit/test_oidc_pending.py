"""The table of started OIDC sign-ins, which anonymous callers fill: bounded per address and overall, expiring."""

from __future__ import annotations

from app.auth.oidc import PENDING_SECONDS, PendingSignIns, _Pending, client_key


def started(client: str, now: float) -> _Pending:
    return _Pending(
        nonce='n', verifier='v', redirect_uri='http://console.test/cb', client=client, expires=now + PENDING_SECONDS
    )


def test_one_address_keeps_only_its_newest_sign_ins() -> None:
    table = PendingSignIns(limit=100, per_client=3)
    for n in range(50):
        assert table.add(f's{n}', started('203.0.113.7', 0.0), 0.0)
    assert len(table) == 3
    assert [table.take(f's{n}', 1.0) is not None for n in (0, 46, 47, 48, 49)] == [False, False, True, True, True]
    assert len(table) == 0


def test_past_the_overall_limit_a_new_start_is_refused_until_one_ends() -> None:
    table = PendingSignIns(limit=5, per_client=2)
    assert all(table.add(f's{n}', started(f'198.51.100.{n // 2}', 0.0), 0.0) for n in range(5))
    assert not table.add('late', started('192.0.2.1', 0.0), 0.0)
    assert table.take('late', 0.0) is None and len(table) == 5
    assert table.take('s0', 0.0) is not None
    assert table.add('late', started('192.0.2.1', 0.0), 0.0)
    # an address at its own allowance still gets a new one (its oldest goes) even when the table is full
    assert table.add('again', started('198.51.100.1', 0.0), 0.0)
    assert table.take('s2', 0.0) is None and table.take('again', 0.0) is not None


def test_expired_sign_ins_are_dropped_and_cannot_be_completed() -> None:
    table = PendingSignIns(limit=10, per_client=10)
    for n in range(10):
        assert table.add(f'old{n}', started(f'198.51.100.{n}', 0.0), 0.0)
    later = PENDING_SECONDS + 1
    assert table.add('new', started('198.51.100.1', later), later)
    assert len(table) == 1
    assert table.take('old3', later) is None
    expired = PendingSignIns()
    expired.add('s', started('203.0.113.7', 0.0), 0.0)
    assert expired.take('s', PENDING_SECONDS + 1) is None


def test_an_ipv6_network_counts_as_one_address() -> None:
    assert client_key('2001:db8:0:7::1') == client_key('2001:db8:0:7:ffff::9') == '2001:db8:0:7::/64'
    assert client_key('2001:db8:0:8::1') != client_key('2001:db8:0:7::1')
    assert client_key('::ffff:192.0.2.1') == '192.0.2.1'
    assert client_key('192.0.2.1') == '192.0.2.1'
    assert client_key('unknown') == 'unknown'
