"""Device cookies: given to a browser that signed in, recognised only for that user name, unforgeable, expiring."""

from __future__ import annotations

from starlette.responses import Response

from app.auth.known_browsers import DEVICE_COOKIE, DEVICE_DAYS, KnownBrowsers

SECRET = 'a storage secret of at least thirty-two characters'


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_device_cookie_is_recognised_for_its_user_name_only() -> None:
    known = KnownBrowsers(SECRET)
    cookie = known.cookie_for('admin')
    device = known.device(cookie, 'admin')
    assert device is not None and device not in ('admin', '')
    assert known.device(cookie, 'ADMIN ') == device  # the name as the throttle counts it
    assert known.device(cookie, 'alice') is None
    assert known.device(known.cookie_for('admin'), 'admin') != device  # every sign-in is its own browser id
    assert 'admin' not in cookie


def test_a_forged_tampered_or_foreign_cookie_is_not_recognised() -> None:
    known = KnownBrowsers(SECRET)
    issued, device, mac = known.cookie_for('admin').split('.')
    flipped = mac[:-1] + ('0' if mac[-1] != '0' else '1')
    for forged in (
        f'{issued}.{device}.{flipped}',
        f'{issued}.other-device.{mac}',
        f'{int(issued) + 1}.{device}.{mac}',
        f'{issued}.{device}',
        f'{issued}.{device}.{mac}.x',
        'x' * 500,
        '',
        None,
    ):
        assert known.device(forged, 'admin') is None, forged
    assert KnownBrowsers('another console entirely, another secret').device(f'{issued}.{device}.{mac}', 'admin') is None


def test_a_device_cookie_expires() -> None:
    clock = Clock()
    known = KnownBrowsers(SECRET, now=clock)
    cookie = known.cookie_for('admin')
    clock.now += DEVICE_DAYS * 86400 - 60
    assert known.device(cookie, 'admin') is not None
    clock.now += 120
    assert known.device(cookie, 'admin') is None


def test_the_cookie_is_httponly_lax_and_secure_over_https() -> None:
    known = KnownBrowsers(SECRET)
    for secure in (False, True):
        response = Response()
        known.remember(response, 'admin', secure=secure)
        header = response.headers['set-cookie']
        assert header.startswith(f'{DEVICE_COOKIE}=')
        attributes = [part.strip().lower() for part in header.split(';')[1:]]
        assert 'httponly' in attributes and 'samesite=lax' in attributes and 'path=/' in attributes
        assert ('secure' in attributes) is secure
        assert f'max-age={DEVICE_DAYS * 86400}' in attributes
