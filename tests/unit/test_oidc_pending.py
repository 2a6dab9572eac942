"""The table of started OIDC sign-ins, which anonymous callers fill: bounded per address and overall, never refusing."""

from __future__ import annotations

from app.auth.oidc import MAX_PENDING, MAX_PENDING_PER_CLIENT, PENDING_SECONDS, PendingSignIns, _Pending, client_key


def started(client: str, now: float) -> _Pending:
    return _Pending(
        nonce='n', verifier='v', redirect_uri='http://console.test/cb', client=client, expires=now + PENDING_SECONDS
    )


def test_one_address_keeps_only_its_newest_sign_ins() -> None:
    table = PendingSignIns(limit=100, per_client=3)
    for n in range(50):
        table.add(f's{n}', started('203.0.113.7', 0.0), 0.0)
    assert len(table) == 3
    assert [table.take(f's{n}', 1.0) is not None for n in (0, 46, 47, 48, 49)] == [False, False, True, True, True]
    assert len(table) == 0


def test_a_full_table_never_refuses_a_start_and_the_owner_s_outlasts_200_addresses_starting_over_and_over() -> None:
    table = PendingSignIns()  # MAX_PENDING in all, MAX_PENDING_PER_CLIENT per address
    attackers = [f'2001:db8:{i:x}::1' for i in range(200)]
    for n in range(MAX_PENDING_PER_CLIENT):  # 2,000 starts: twice what the table holds
        for address in attackers:
            table.add(f'{address}#{n}', started(address, 0.0), 0.0)
    assert len(table) == MAX_PENDING
    table.add('owner', started('192.168.1.20', 1.0), 1.0)  # the owner starts a sign-in: never refused
    for n in range(MAX_PENDING_PER_CLIENT, 5 * MAX_PENDING_PER_CLIENT):  # and the flood goes on: 8,000 more starts
        for address in attackers:
            table.add(f'{address}#{n}', started(address, 2.0), 2.0)
    assert len(table) == MAX_PENDING  # memory stays bounded
    assert table.take('owner', 30.0) is not None  # the owner comes back from the provider: still there


def test_past_the_overall_limit_the_address_holding_the_most_loses_its_oldest() -> None:
    table = PendingSignIns(limit=5, per_client=3)
    for n, client in enumerate(['198.51.100.1'] * 3 + ['198.51.100.2'] * 2):
        table.add(f's{n}', started(client, float(n)), float(n))
    table.add('late', started('192.0.2.1', 5.0), 5.0)  # .1 holds the most: its oldest (s0) goes
    assert table.take('s0', 6.0) is None and len(table) == 5
    table.add('later', started('192.0.2.3', 6.0), 6.0)  # .1 and .2 hold two each: the older of their oldest (s1)
    assert table.take('s1', 7.0) is None
    table.add('last', started('192.0.2.4', 7.0), 7.0)  # now .2 holds the most
    assert table.take('s3', 8.0) is None
    assert [table.take(state, 8.0) is not None for state in ('s2', 's4', 'late', 'later', 'last')] == [True] * 5


def test_expired_sign_ins_are_dropped_and_cannot_be_completed() -> None:
    table = PendingSignIns(limit=10, per_client=10)
    for n in range(10):
        table.add(f'old{n}', started(f'198.51.100.{n}', 0.0), 0.0)
    later = PENDING_SECONDS + 1
    table.add('new', started('198.51.100.1', later), later)
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
