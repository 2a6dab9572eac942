"""A channel URL's secrets taken out of any text about it (apprise's reasons and log lines can echo the URL)."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlsplit

HIDDEN = '[secret]'


def secret_parts(url: str) -> list[str]:
    """Every piece of a URL that may be a secret (host, user, password, path segments, query values, fragment) in
    plain and percent-encoded forms, longest first; the scheme, the port and query keys are not secrets."""
    parts = {url}
    try:
        split = urlsplit(url)
        pieces = [split.netloc, split.hostname or '', split.username or '', split.password or '', split.fragment]
        pieces += [segment for segment in split.path.split('/')]
        pieces += [value for _, value in parse_qsl(split.query, keep_blank_values=True)]
    except ValueError:
        pieces = re.split(r'[/?&=:@#]+', url)
    for piece in pieces:
        for form in (piece, unquote(piece), quote(piece, safe=''), quote(unquote(piece), safe='')):
            if len(form) >= 3:
                parts.add(form)
    return sorted(parts, key=len, reverse=True)


def scrub(text: str, url: str) -> str:
    """`text` with every secret part of `url` replaced by [secret]."""
    for part in secret_parts(url):
        text = text.replace(part, HIDDEN)
    return text
