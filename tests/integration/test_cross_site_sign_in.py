"""Sign-out and sign-in cannot be triggered from another site or browser; redirect_to stays on the console.

The real `homelab serve` process; sign-in through its socket like a browser, the rest over plain HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.auth.sessions import COOKIE
from tests.helpers.console import Console, create_user, running_console
from tests.helpers.page_socket import ScriptedPage, sign_in, ticket_for
from tests.helpers.waiting import wait_for

PASSWORD = 'correct horse battery staple'


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    with running_console(tmp_path / 'data', DOCKER_HOST=f'unix://{tmp_path}/no-engine.sock') as running:
        assert create_user(running.env, 'admin', PASSWORD).returncode == 0
        yield running


@pytest.fixture
def signed_in(console: Console) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=console.url, timeout=15) as http:
        sign_in(http, 'admin', PASSWORD)
        assert still_signed_in(http)
        yield http


def still_signed_in(http: httpx.Client) -> bool:
    page = http.get('/', follow_redirects=False)
    return page.status_code == 200 and page.headers.get('x-nicegui-content') == 'page'


def test_a_cross_site_link_to_logout_does_not_sign_out(signed_in: httpx.Client) -> None:
    # What <img src=".../logout"> or a link on another site makes the browser send (the cookie is Lax: a
    # top-level GET carries it).
    asked = signed_in.get('/logout', headers={'Sec-Fetch-Site': 'cross-site'}, follow_redirects=False)
    assert asked.status_code == 200 and 'method="post"' in asked.text
    assert still_signed_in(signed_in)


FOREIGN = [
    {'Origin': 'https://evil.example', 'Sec-Fetch-Site': 'cross-site'},
    {'Origin': 'http://127.0.0.1:1', 'Sec-Fetch-Site': 'same-site'},  # another service on the same host
    {'Origin': 'null'},
    {},  # no Origin at all: not a form of ours
]


def test_a_logout_post_from_another_origin_does_not_sign_out(signed_in: httpx.Client) -> None:
    for headers in FOREIGN:
        refused = signed_in.post('/logout', headers=headers, follow_redirects=False)
        assert refused.status_code == 403, headers
        assert still_signed_in(signed_in), headers


def test_a_same_origin_post_signs_out_and_the_cookie_is_dead(console: Console, signed_in: httpx.Client) -> None:
    old = signed_in.cookies.get(COOKIE)
    out = signed_in.post(
        '/logout', headers={'Origin': console.url, 'Sec-Fetch-Site': 'same-origin'}, follow_redirects=False
    )
    assert out.status_code == 303 and out.headers['location'] == '/login'
    assert not still_signed_in(signed_in)
    with httpx.Client(base_url=console.url, cookies={COOKIE: old or ''}) as replay:
        assert not still_signed_in(replay)


def test_a_sign_in_ticket_is_refused_in_another_browser(console: Console) -> None:
    # Login CSRF: the attacker signs in to their own account and hands the victim's browser the ticket URL.
    with httpx.Client(base_url=console.url, timeout=15) as attacker:
        ticket = ticket_for(attacker, 'admin', PASSWORD)
    with httpx.Client(base_url=console.url, timeout=15) as victim:
        victim.get('/login')  # the victim's browser has a sign-in cookie of its own
        redeemed = victim.get(ticket, follow_redirects=False)
        assert redeemed.status_code == 303 and redeemed.headers['location'] == '/login'
        assert victim.cookies.get(COOKIE) is None
        assert not still_signed_in(victim)
    with httpx.Client(base_url=console.url, timeout=15) as bare:  # and one that never saw /login
        assert bare.get(ticket, follow_redirects=False).headers['location'] == '/login'
        assert bare.cookies.get(COOKIE) is None


# As a link would carry them: '/' TAB '/evil.example/' and friends; browsers drop TAB/CR/LF and read '\\' as '/'.
FOREIGN_TARGETS = [
    '%2F%09%2Fevil.example%2F',
    '%2F%0A%2Fevil.example%2F',
    '%2F%0D%2Fevil.example',
    '%2F%5Cevil.example',
]


def test_redirect_after_sign_in_stays_on_the_console(console: Console) -> None:
    for redirect_to in FOREIGN_TARGETS:
        with httpx.Client(base_url=console.url, timeout=15) as http:
            done = sign_in(http, 'admin', PASSWORD, f'/login?redirect_to={redirect_to}')
            assert done.headers['location'] == '/', redirect_to


def test_an_open_login_page_of_a_signed_in_browser_sends_it_to_a_local_page_only(signed_in: httpx.Client) -> None:
    # Already signed in, /login forwards at once, in the browser: where it says to go is where the browser goes.
    for redirect_to in FOREIGN_TARGETS:
        with ScriptedPage(signed_in, f'/login?redirect_to={redirect_to}') as page:
            wait_for(lambda: page.opened, timeout=15, what='the forward')
            assert page.opened == ['/'], redirect_to


def test_a_plain_local_redirect_still_works(console: Console) -> None:
    with httpx.Client(base_url=console.url, timeout=15) as http:
        done = sign_in(http, 'admin', PASSWORD, '/login?redirect_to=%2Fruns%3Fstate%3Dfailed')
        assert done.headers['location'] == '/runs?state=failed'
