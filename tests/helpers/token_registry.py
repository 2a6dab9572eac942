"""A real HTTP server on loopback posing as a registry that wants a bearer token: a 401 challenge naming its own
token realm (or the one a test sets), tag lists in pages (Link headers), one image (an index over two platforms)
with OCI labels, and hostile answers: a redirected token, redirects to other hosts, a tag list trickled out."""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TOKEN = 'anon-token-1'
INDEX = 'application/vnd.oci.image.index.v1+json'
MANIFEST = 'application/vnd.oci.image.manifest.v1+json'


def _digest(data: bytes) -> str:
    return 'sha256:' + hashlib.sha256(data).hexdigest()


@dataclass
class TokenRegistry:
    """Where it listens, its tags and what it was asked (path and Authorization of each request)."""

    port: int = 0
    tags: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    seen: list[tuple[str, str]] = field(default_factory=list)
    token_queries: list[dict[str, list[str]]] = field(default_factory=list)
    page_size: int = 2
    blobs: dict[str, bytes] = field(default_factory=dict)
    realm: str = ''  # the token realm its challenge names; its own /token when empty
    trickle_every: float = 0.1  # team/slow's tag list comes one byte each this many seconds
    closing: threading.Event = field(default_factory=threading.Event)

    @property
    def host(self) -> str:
        return f'127.0.0.1:{self.port}'

    def image(self) -> bytes:
        """The index served for every tag: an arm64 image without labels first, then amd64 with `labels`."""
        manifests = []
        for arch, labels in (('arm64', {}), ('amd64', self.labels)):
            config = json.dumps({'architecture': arch, 'os': 'linux', 'config': {'Labels': labels}}).encode()
            self.blobs[_digest(config)] = config
            manifest = json.dumps(
                {'schemaVersion': 2, 'mediaType': MANIFEST, 'config': {'digest': _digest(config)}, 'layers': []}
            ).encode()
            self.blobs[_digest(manifest)] = manifest
            manifests.append({'digest': _digest(manifest), 'platform': {'os': 'linux', 'architecture': arch}})
        return json.dumps({'schemaVersion': 2, 'mediaType': INDEX, 'manifests': manifests}).encode()


@contextlib.contextmanager
def token_registry(tags: list[str], labels: dict[str, str] | None = None) -> Iterator[TokenRegistry]:
    registry = TokenRegistry(tags=tags, labels=labels or {})

    class Handler(BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            registry.seen.append((url.path, self.headers.get('Authorization', '')))
            if url.path == '/token':
                registry.token_queries.append(parse_qs(url.query))
                return self._send(200, json.dumps({'token': TOKEN}).encode())
            if url.path == '/token-moved':  # a token service sending us on (to a token that would do)
                return self._send(307, b'', {'Location': f'/token?{url.query}'})
            if self.headers.get('Authorization') != f'Bearer {TOKEN}':
                realm = registry.realm or f'http://{registry.host}/token'
                challenge = f'Bearer realm="{realm}",service="fake-registry",scope="repository:team/app:pull"'
                return self._send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}', {'WWW-Authenticate': challenge})
            if url.path == '/v2/team/moved/tags/list':  # off to a plain http host that is neither loopback nor ours
                return self._send(307, b'', {'Location': 'http://192.0.2.1:5000/v2/team/moved/tags/list'})
            if url.path == '/v2/team/away/tags/list':  # off to another name of this very loopback host
                return self._send(307, b'', {'Location': f'http://localhost:{registry.port}/v2/team/app/tags/list'})
            if url.path == '/v2/team/inside/tags/list':  # off to a loopback address over https
                return self._send(307, b'', {'Location': 'https://127.0.0.2/v2/team/app/tags/list'})
            if url.path == '/v2/team/slow/tags/list':
                return self._trickle(json.dumps({'name': 'team/slow', 'tags': registry.tags}).encode())
            if url.path == '/v2/team/app/tags/list':
                query = parse_qs(url.query)
                start = int(query.get('last', ['0'])[0])
                page = registry.tags[start : start + registry.page_size]
                extra = {}
                if start + registry.page_size < len(registry.tags):
                    extra['Link'] = f'</v2/team/app/tags/list?n=2&last={start + registry.page_size}>; rel="next"'
                return self._send(200, json.dumps({'name': 'team/app', 'tags': page}).encode(), extra)
            if url.path.startswith('/v2/team/app/manifests/'):
                reference = url.path.rsplit('/', 1)[1]
                index = registry.image()
                body = registry.blobs.get(reference) if reference.startswith('sha256:') else index
                if body is None:
                    return self._send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}')
                kind = INDEX if body is index else MANIFEST
                return self._send(200, body, {'Content-Type': kind})
            if url.path.startswith('/v2/team/app/blobs/'):
                blob = registry.blobs.get(url.path.rsplit('/', 1)[1])
                return self._send(200 if blob else 404, blob or b'{}')
            return self._send(404, b'{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known"}]}')

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for key, value in {'Content-Type': 'application/json', **(headers or {})}.items():
                self.send_header(key, value)
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _trickle(self, body: bytes) -> None:
            """A whole answer, one byte at a time: each read is quick, the answer is not."""
            self.send_response(200)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.flush()
            for index in range(len(body)):
                if registry.closing.wait(registry.trickle_every):
                    return
                try:
                    self.wfile.write(body[index : index + 1])
                    self.wfile.flush()
                except OSError:  # the client gave up
                    return

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    registry.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name='token-registry', daemon=True)
    thread.start()
    try:
        yield registry
    finally:
        registry.closing.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
