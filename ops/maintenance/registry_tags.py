"""Asking a registry (HTTP API v2, anonymously) for a repository's tags and an image's labels.

A registry that wants a token says so with a 401 and `WWW-Authenticate: Bearer realm=...,service=...,scope=...`:
an anonymous token is fetched from the realm and the request retried with it. Plain http only for loopback
registries and the ones the engine itself calls insecure. Every answer is read with a size bound and a deadline,
its headers with a length bound. Where a registry sends us (its token realm, its redirects) is checked first:
https, or plain http to the registry's own host when the registry is plain http; never a local or private address
but the registry's own host. The token service's own redirects are not followed.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import json
import re
import socket
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from ops.docker.details import repository_of
from ops.docker.registry_facts import HUB_INDEX, RegistryFacts

if TYPE_CHECKING:
    import httpx

TIMEOUT = 15.0  # each read
ANSWER_DEADLINE = 30.0  # one whole answer, its redirects included
MAX_HEADER = 4096  # a Link or WWW-Authenticate header longer than this is refused
MAX_REDIRECTS = 5
MAX_BODY = 4 * 1024 * 1024
MAX_PAGES = 50
MAX_TAGS = 50_000
HUB = 'docker.io'
_HUB_NAMES = {HUB, HUB_INDEX}  # the names references use for Docker Hub
_INDEX_TYPES = ('application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json')
_MANIFEST_TYPES = ('application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json')
_KEY = re.compile(r'[A-Za-z_][A-Za-z0-9_-]*')
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class RegistryError(Exception):
    """The registry could not be asked, or its answer made no sense: the message says which."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ImageName:
    """A tagged image reference taken apart the way the engine does (`jellyfin:10.8` -> docker.io/library/...)."""

    registry: str  # as the reference names it, `docker.io` for Docker Hub
    repository: str  # the path inside the registry: `library/jellyfin`, `homelab-dev/app`
    tag: str

    def with_tag(self, tag: str) -> str:
        return f'{self.registry}/{self.repository}:{tag}'


@dataclass(frozen=True, kw_only=True, slots=True)
class Challenge:
    """A `WWW-Authenticate` header: its scheme (lowercase) and parameters."""

    scheme: str
    params: dict[str, str]


def image_name(reference: str) -> ImageName | None:
    """The registry, repository and tag of a reference; None for a digest reference."""
    if '@' in reference:
        return None
    repository = repository_of(reference)
    tag = reference[len(repository) + 1 :] or 'latest'
    first, _, rest = repository.partition('/')
    if rest and ('.' in first or ':' in first or first == 'localhost'):
        registry, path = first, rest
    else:
        registry, path = HUB, repository
    if registry in _HUB_NAMES:
        registry = HUB
        path = path if '/' in path else f'library/{path}'
    return ImageName(registry=registry, repository=path, tag=tag)


def parse_challenge(header: str) -> Challenge | None:
    """`Bearer realm="https://auth/token",service="registry",scope="repository:x:pull"` -> Challenge; read by hand
    in one pass (a header longer than MAX_HEADER is refused)."""
    _bounded(header, 'WWW-Authenticate')
    scheme, _, rest = header.strip().partition(' ')
    if not scheme:
        return None
    params = {}
    for part in _split_outside_quotes(rest, ','):
        key, equals, value = part.partition('=')
        key, value = key.strip(), value.strip()
        if equals and _KEY.fullmatch(key):
            params[key.lower()] = (
                _unquoted(value) if value.startswith('"') else value.split(maxsplit=1)[0] if value else ''
            )
    return Challenge(scheme=scheme.lower(), params=params)


def next_page(link: str, current: str) -> str | None:
    """The `rel="next"` target of a Link header (`<url>; rel="next"`, several links comma separated), resolved
    against the page it came with; read by hand in one pass (a header longer than MAX_HEADER is refused)."""
    _bounded(link, 'Link')
    end = 0
    while (start := link.find('<', end)) >= 0 and (end := link.find('>', start)) >= 0:
        target = link[link.rfind('<', start, end) + 1 : end]
        following = link.find('<', end)
        for param in link[end + 1 : following if following >= 0 else len(link)].split(';'):
            key, _, value = param.partition('=')
            if key.strip().lower() == 'rel' and 'next' in value.strip().strip('",').lower().split():
                return urljoin(current, target)
    return None


def _bounded(header: str, name: str) -> None:
    if len(header) > MAX_HEADER:
        raise RegistryError(f'its {name} header is longer than {MAX_HEADER // 1024} KiB')


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    """`a="x,y",b=z` -> ['a="x,y"', 'b=z']: split where `separator` is not inside a quoted string."""
    parts, start, quoted, escaped = [], 0, False, False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif quoted and char == '\\':
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def _unquoted(value: str) -> str:
    """`"a\\"b" rest` -> `a"b`: a quoted string, its escapes undone, up to its closing quote."""
    out, escaped = [], False
    for char in value[1:]:
        if escaped:
            out.append(char)
            escaped = False
        elif char == '\\':
            escaped = True
        elif char == '"':
            break
        else:
            out.append(char)
    return ''.join(out)


async def check_target(facts: RegistryFacts, registry: str, url: str, what: str) -> None:
    """Refuse where a registry (`host[:port]`) sends us (`what`: 'its token realm', 'its redirect'): plain http but
    to its own host when it is plain http itself; a local or private address (loopback, link-local, private, ULA,
    shared, ...) but its own host. Its own host is the same host name, any port: a homelab registry on the LAN or
    loopback may keep its token service beside it."""
    parts = urlsplit(url)
    host = (parts.hostname or '').lower()
    own = urlsplit(f'//{registry}').hostname or ''
    shown = host[:100]
    if parts.scheme not in ('http', 'https') or not host:
        raise RegistryError(f'{what} is not a web address ({url[:100]})')
    if host == own.lower():
        if parts.scheme == 'http' and not facts.plain_http(registry):
            raise RegistryError(f'{what} is plain http ({shown})')
        return
    if parts.scheme == 'http':
        raise RegistryError(f'{what} is on another host over plain http ({shown})')
    if any(not _public(address) for address in await _addresses(host, parts.port or 443, what)):
        raise RegistryError(f'{what} is on a local or private address ({shown})')


async def _addresses(host: str, port: int, what: str) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as err:
        raise RegistryError(f'{what} names a host that is not found ({host[:100]})') from err
    return [str(info[4][0]) for info in found]


# IPv6 forms that carry an IPv4 address to a gateway or tunnel; each is judged by the IPv4 address it carries (a
# DNS64/NAT64 network names public IPv4 hosts as 64:ff9b::a.b.c.d) or, where that cannot be read plainly, refused.
_NAT64 = ipaddress.IPv6Network('64:ff9b::/96')  # the well-known NAT64 prefix: the IPv4 address is the last 32 bits
_SIX_TO_FOUR = ipaddress.IPv6Network('2002::/16')  # 6to4: the IPv4 address is bits 16-47
_REFUSED = (
    ipaddress.IPv6Network('64:ff9b:1::/48'),  # local-use NAT64: a site's own translator
    ipaddress.IPv6Network('2001::/32'),  # Teredo: the client's IPv4 address is obscured
    ipaddress.IPv6Network('::/96'),  # IPv4-compatible (deprecated), and the unspecified address
    ipaddress.IPv6Network('::ffff:0:0:0/96'),  # IPv4-translated (SIIT)
)


def _public(text: str) -> bool:
    address: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(text.split('%', 1)[0])
    if isinstance(address, ipaddress.IPv6Address):
        if any(address in network for network in _REFUSED):
            return False
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        elif address in _NAT64:
            address = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        elif address.sixtofour is not None:
            address = address.sixtofour
    return address.is_global and not address.is_multicast


class RegistryClient:
    """One conversation with the registries (tokens kept for its length); use as `async with`."""

    def __init__(
        self, facts: RegistryFacts, *, timeout: float = TIMEOUT, answer_deadline: float = ANSWER_DEADLINE
    ) -> None:
        self.facts = facts
        self.timeout = timeout
        self.answer_deadline = answer_deadline
        self._tokens: dict[tuple[str, str], str] = {}  # (registry host, scope) -> token
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> RegistryClient:
        import httpx  # loaded with the first check, not at start

        # Redirects are followed by `_send`, each checked first (blobs are often served from elsewhere).
        self._client = httpx.AsyncClient(timeout=self.timeout, follow_redirects=False, trust_env=False)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def tags(self, name: ImageName) -> list[str]:
        """Every tag of the repository, following the registry's pages."""
        url: str | None = f'{self._base(name)}/v2/{name.repository}/tags/list?n=1000'
        found: list[str] = []
        for _ in range(MAX_PAGES):
            if url is None or len(found) >= MAX_TAGS:
                break
            _, headers, body = await self._get(name, url, 'application/json')
            data = _json(body, 'the tag list')
            tags = data.get('tags') if isinstance(data, dict) else None
            found.extend(str(t) for t in tags or () if isinstance(t, str))
            following = next_page(headers.get('link', ''), url)
            if following is not None and urlsplit(following).netloc != urlsplit(url).netloc:
                raise RegistryError('its next page of tags is on another host')
            if following is not None:
                await check_target(self.facts, urlsplit(url).netloc, following, 'its next page of tags')
            url = following
        return found[:MAX_TAGS]

    async def labels(self, name: ImageName, tag: str) -> dict[str, str]:
        """The labels of the image a tag names (an index: the engine's platform, else the first linux/amd64)."""
        base = f'{self._base(name)}/v2/{name.repository}'
        accept = ', '.join((*_INDEX_TYPES, *_MANIFEST_TYPES))
        _, headers, body = await self._get(name, f'{base}/manifests/{tag}', accept)
        manifest = _json(body, 'the manifest')
        if _media_type(manifest, headers) in _INDEX_TYPES or 'manifests' in manifest:
            digest = self._pick(manifest)
            _, headers, body = await self._get(name, f'{base}/manifests/{digest}', accept)
            manifest = _json(body, 'the platform manifest')
        config = manifest.get('config')
        digest = str(config.get('digest') or '') if isinstance(config, dict) else ''
        if not digest.startswith('sha256:'):
            raise RegistryError('the manifest names no image config')
        _, _, blob = await self._get(name, f'{base}/blobs/{digest}', '*/*')
        if 'sha256:' + hashlib.sha256(blob).hexdigest() != digest:
            raise RegistryError('the image config does not match its digest')
        image = _json(blob, 'the image config')
        labels = (image.get('config') or {}).get('Labels') if isinstance(image.get('config'), dict) else None
        return {str(k): str(v) for k, v in (labels or {}).items()} if isinstance(labels, dict) else {}

    def _pick(self, index: dict[str, Any]) -> str:
        entries = [m for m in index.get('manifests') or () if isinstance(m, dict) and m.get('digest')]
        wanted = (self.facts.os, self.facts.architecture)
        for platforms in (wanted, ('linux', 'amd64')):
            for entry in entries:
                platform = entry.get('platform') or {}
                if (platform.get('os'), platform.get('architecture')) != platforms:
                    continue
                if (
                    platforms == wanted
                    and self.facts.variant
                    and platform.get('variant') not in (None, self.facts.variant)
                ):
                    continue
                return str(entry['digest'])
        if not entries:
            raise RegistryError('the image index lists no image')
        return str(entries[0]['digest'])

    def _base(self, name: ImageName) -> str:
        host = name.registry
        if host == HUB:
            host = self.facts.index_host
        return f'{"http" if self.facts.plain_http(host) else "https"}://{host}'

    async def _get(self, name: ImageName, url: str, accept: str) -> tuple[int, dict[str, str], bytes]:
        scope = f'repository:{name.repository}:pull'
        host = urlsplit(url).netloc
        token = self._tokens.get((host, scope))
        status, headers, body = await self._send(url, accept, token, registry=host)
        if status == 401:
            challenge = parse_challenge(headers.get('www-authenticate', ''))
            if challenge is None or challenge.scheme != 'bearer' or not challenge.params.get('realm'):
                raise RegistryError('it asks for credentials (only anonymous access is tried)')
            token = await self._token(challenge, host, scope)
            status, headers, body = await self._send(url, accept, token, registry=host)
        if status >= 400:
            raise RegistryError(f'HTTP {status}{_error_text(body)}')
        return status, headers, body

    async def _token(self, challenge: Challenge, host: str, scope: str) -> str:
        realm = challenge.params['realm']
        parts = urlsplit(realm)
        await check_target(self.facts, host, realm, 'its token realm')
        params = {'scope': challenge.params.get('scope') or scope}
        if service := challenge.params.get('service'):
            params['service'] = service
        import httpx

        query = str(httpx.QueryParams(params))
        status, _, body = await self._send(f'{realm}{"&" if parts.query else "?"}{query}', 'application/json', None)
        if status in _REDIRECTS:
            raise RegistryError(f'its token service sent us elsewhere (HTTP {status})')
        if status >= 400:
            raise RegistryError(f'its token service answered HTTP {status}{_error_text(body)}')
        data = _json(body, 'the token answer')
        token = data.get('token') or data.get('access_token')
        if not isinstance(token, str) or not token:
            raise RegistryError('its token service gave no token')
        self._tokens[(host, scope)] = token
        return token

    async def _send(
        self, url: str, accept: str, token: str | None, *, registry: str | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """One answer within `answer_deadline`; redirects followed (checked first) only when asking `registry`."""
        try:
            async with asyncio.timeout(self.answer_deadline):
                for _ in range(MAX_REDIRECTS + 1):
                    status, headers, body = await self._answer(url, accept, token)
                    if status not in _REDIRECTS or registry is None:
                        return status, headers, body
                    target = urljoin(url, headers.get('location', ''))
                    await check_target(self.facts, registry, target, 'its redirect')
                    if urlsplit(target)[:2] != urlsplit(url)[:2]:
                        token = None  # the token is the registry's alone
                    url = target
        except TimeoutError as err:
            raise RegistryError(f'no whole answer within {self.answer_deadline:g} s') from err
        raise RegistryError(f'it sent us on more than {MAX_REDIRECTS} times')

    async def _answer(self, url: str, accept: str, token: str | None) -> tuple[int, dict[str, str], bytes]:
        import httpx

        assert self._client is not None, 'use RegistryClient as `async with`'
        headers = {'Accept': accept}
        if token:
            headers['Authorization'] = f'Bearer {token}'
        try:
            async with self._client.stream('GET', url, headers=headers) as response:
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body.extend(chunk)
                    if len(body) > MAX_BODY:
                        raise RegistryError(f'its answer is larger than {MAX_BODY // (1024 * 1024)} MiB')
                return response.status_code, {k.lower(): v for k, v in response.headers.items()}, bytes(body)
        except httpx.TimeoutException as err:
            raise RegistryError(f'no answer within {self.timeout:g} s') from err
        except httpx.HTTPError as err:
            raise RegistryError(str(err) or type(err).__name__) from err


def _media_type(manifest: dict[str, Any], headers: dict[str, str]) -> str:
    return str(manifest.get('mediaType') or headers.get('content-type', '').split(';')[0].strip())


def _json(body: bytes, what: str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError as err:
        raise RegistryError(f'{what} is not JSON') from err
    if not isinstance(data, dict):
        raise RegistryError(f'{what} is not a JSON object')
    return data


def _error_text(body: bytes) -> str:
    """The first error message a registry put in its answer (short), or nothing."""
    try:
        errors = json.loads(body).get('errors') or []
        message = str(errors[0].get('message') or errors[0].get('code') or '')
    except (ValueError, AttributeError, IndexError, TypeError):
        return ''
    return f': {message[:200]}' if message else ''
