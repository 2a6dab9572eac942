"""Secret-looking settings (environment variables, labels) shown masked: their names, never their values."""

from __future__ import annotations

import re

HIDDEN = '(hidden)'
HIDDEN_CHANGED = '(hidden, changed)'
PART_CHANGED = ' (hidden part changed)'

# Anywhere in the name (MYSQLPASSWORD, HOMELAB_OIDC_CLIENT_SECRET, ...).
_SECRET_WORDS = ('PASSWORD', 'PASSWD', 'PASSPHRASE', 'SECRET', 'TOKEN', 'CREDENTIAL', 'PRIVATE', 'APIKEY', 'BASICAUTH')
# Only as a whole part of the name (API_KEY, SMTP_PASS, apiKey; not MONKEY or COMPASS).
_SECRET_PARTS = frozenset({'KEY', 'KEYS', 'PASS', 'PWD', 'PW', 'AUTH', 'SALT', 'PIN', 'DSN', 'COOKIE', 'CREDS'})
_PARTS = re.compile(r'[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+')
# user:password@ inside a URL (postgres://app:pw@db/app): the password is hidden whatever the name.
_URL_PASSWORD = re.compile(r'(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)(?P<password>[^@/\s]*)(?P<tail>@)')


def looks_secret(name: str) -> bool:
    """Does this variable or label name look like it holds a secret?"""
    upper = name.upper()
    if any(word in upper for word in _SECRET_WORDS):
        return True
    return any(part.upper() in _SECRET_PARTS for part in _PARTS.findall(name))


def shown_value(name: str, value: str | None) -> str | None:
    """The value as it may be shown: HIDDEN for a secret-looking name, URL passwords replaced by HIDDEN."""
    if value is None:
        return None
    if looks_secret(name):
        return HIDDEN
    return _URL_PASSWORD.sub(lambda m: f'{m["head"]}{HIDDEN}{m["tail"]}', value)


def is_masked(name: str, value: str | None) -> bool:
    """Would `shown_value` hide anything of this value?"""
    return value is not None and shown_value(name, value) != value


def shown_change(name: str, running: str | None, wanted: str | None) -> tuple[str | None, str | None]:
    """Both sides of a changed setting as they may be shown: a secret's change says `changed`, not the values."""
    have, want = shown_value(name, running), shown_value(name, wanted)
    if running is not None and wanted is not None and running != wanted and have == want:
        want = HIDDEN_CHANGED if want == HIDDEN else f'{want}{PART_CHANGED}'
    return have, want
