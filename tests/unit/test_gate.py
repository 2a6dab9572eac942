from __future__ import annotations

import pytest
from starlette.requests import Request

from app.auth.gate import safe_redirect, same_origin
from app.auth.sessions import Sessions


@pytest.mark.parametrize(
    ('target', 'expected'),
    [
        ('/', '/'),
        ('/runs?state=failed', '/runs?state=failed'),
        ('/container/homelab-dev-web-1', '/container/homelab-dev-web-1'),
        ('/logs#bottom', '/logs#bottom'),
        # Still encoded when it arrives (double-encoded in the link): a local path on this console.
        ('/%09/evil.example/', '/%09/evil.example/'),
        ('/%2F%2Fevil.example', '/%2F%2Fevil.example'),
        ('//evil.example/', '/'),
        ('///evil.example/', '/'),
        ('/\\evil.example', '/'),
        ('/x\\..\\evil', '/'),
        ('\\\\evil.example', '/'),
        ('https://evil.example/', '/'),
        ('javascript:alert(1)', '/'),
        ('', '/'),
        (None, '/'),
        # As they arrive decoded from redirect_to=%2F%09%2Fevil.example%2F and friends: browsers drop TAB, CR
        # and LF inside a URL, so each of these would become //evil.example.
        ('/\t/evil.example/', '/'),
        ('/\n/evil.example/', '/'),
        ('/\r/evil.example/', '/'),
        ('/\r\n/evil.example/', '/'),
        ('\t//evil.example/', '/'),
        (' //evil.example/', '/'),
        ('/\x00/evil.example', '/'),
        ('/\x1f', '/'),
        ('/\x7f', '/'),
        ('/\x85', '/'),
        ('/runs\t', '/'),
    ],
)
def test_redirect_targets_are_plain_local_paths_only(target: str | None, expected: str) -> None:
    assert safe_redirect(target) == expected


def _post(headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in {'host': 'console.lan:8080', **headers}.items()]
    return Request({'type': 'http', 'method': 'POST', 'path': '/logout', 'headers': raw})


@pytest.mark.parametrize(
    ('headers', 'expected'),
    [
        ({'origin': 'http://console.lan:8080', 'sec-fetch-site': 'same-origin'}, True),
        ({'origin': 'https://console.lan:8080'}, True),  # behind the TLS proxy, with Host $http_host
        ({'sec-fetch-site': 'same-origin'}, True),
        ({'origin': 'null', 'sec-fetch-site': 'same-origin'}, True),  # Chromium's form POST under no-referrer
        ({'origin': 'https://evil.example', 'sec-fetch-site': 'same-origin'}, True),  # only a non-browser says so
        ({'origin': 'https://evil.example', 'sec-fetch-site': 'cross-site'}, False),
        ({'origin': 'http://console.lan:9000', 'sec-fetch-site': 'same-site'}, False),  # a sibling service
        ({'origin': 'http://console.lan:8080', 'sec-fetch-site': 'same-site'}, False),
        ({'origin': 'http://console.lan:8080', 'sec-fetch-site': 'none'}, False),
        ({'origin': 'null'}, False),
        ({'origin': ''}, False),
        ({}, False),
    ],
)
def test_sign_out_is_accepted_from_this_console_only(headers: dict[str, str], expected: bool) -> None:
    assert same_origin(_post(headers)) is expected


def test_a_ticket_is_redeemed_only_by_the_browser_that_started_the_sign_in() -> None:
    sessions = Sessions()
    ticket = sessions.issue_ticket('admin', '10.0.0.5', '/', 'mark-of-browser-a')
    assert sessions.redeem_ticket(ticket, 'mark-of-browser-b') is None
    assert sessions.redeem_ticket(ticket, 'mark-of-browser-a') is None  # a wrong try used it up
    ticket = sessions.issue_ticket('admin', '10.0.0.5', '/runs', 'mark-of-browser-a')
    assert sessions.redeem_ticket(ticket, 'mark-of-browser-a') == ('admin', '10.0.0.5', '/runs')
    assert sessions.redeem_ticket(ticket, 'mark-of-browser-a') is None  # once


def test_a_ticket_without_a_browser_works_nowhere() -> None:
    sessions = Sessions()
    assert sessions.redeem_ticket(sessions.issue_ticket('admin', '10.0.0.5', '/', ''), '') is None
