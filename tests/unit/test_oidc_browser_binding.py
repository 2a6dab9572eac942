"""An OIDC sign-in finishes only in the browser that started it (login CSRF), against the real loopback provider."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.helpers.oidc_rig import MARK, Rig


async def test_a_callback_opened_in_another_browser_is_refused(rig: Rig) -> None:
    # The attacker starts a sign-in to their own account and sends the victim the callback URL.
    url, _ = await rig.start()
    callback = await rig.authorize(url)
    async with rig.browser_at('203.0.113.7') as victim:  # same address even: it is the browser that counts
        refused = await victim.get(callback)
    assert refused.status_code == 403
    assert 'started in another browser' in refused.text
    assert not [kind for kind, _ in rig.audit.entries if kind == 'login_succeeded']


async def test_the_ticket_of_a_good_callback_works_only_in_that_browser(rig: Rig) -> None:
    response = await rig.sign_in()
    assert response.status_code == 303
    ticket = parse_qs(urlsplit(response.headers['location']).query)['ticket'][0]
    assert rig.sessions.redeem_ticket(ticket, 'f' * 64) is None
    response = await rig.sign_in()
    ticket = parse_qs(urlsplit(response.headers['location']).query)['ticket'][0]
    assert rig.sessions.redeem_ticket(ticket, MARK) == ('oidc:alice', '203.0.113.7', '/')
