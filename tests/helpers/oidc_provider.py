"""A real OpenID provider on loopback for tests, built from authlib's server components.

It serves discovery, JWKS, an authorize endpoint that approves a configurable user at once, and a token
endpoint (authorization code + PKCE S256, OpenID Connect ID token signed RS256 with a key made at start).
`nonce_override` makes it put a different nonce in the ID token, to test that the client refuses it.
It puts the user's claims in the ID token; a user whose `email_verified` is None gets no such claim.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from authlib.oauth2 import AuthorizationServer, OAuth2Request
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from joserfc.jwk import RSAKey

from tests.helpers.console import free_port

# The test provider speaks plain HTTP on 127.0.0.1 (authlib's server refuses that unless told otherwise).
os.environ.setdefault('AUTHLIB_INSECURE_TRANSPORT', '1')


@dataclass
class TestClient:
    client_id: str
    client_secret: str
    redirect_uris: list[str]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        return ' '.join(s for s in scope.split() if s in {'openid', 'email', 'profile'})

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return not self.redirect_uris or redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in {'client_secret_basic', 'client_secret_post'}

    def check_response_type(self, response_type: str) -> bool:
        return response_type == 'code'

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == 'authorization_code'


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: dict[str, Any]
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


class _Request(OAuth2Request):  # type: ignore[misc]
    def __init__(self, method: str, uri: str, headers: dict[str, str], form: dict[str, str]) -> None:
        super().__init__(method, uri, headers=headers)
        self._args = dict(parse_qsl(urlsplit(uri).query))
        self._form = form
        self.payload = BasicOAuth2Payload({**self._args, **form})

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class OidcProvider:
    """Start with `running_provider()`; change `user` or `nonce_override` between sign-ins."""

    def __init__(self, *, client_id: str = 'homelab', client_secret: str = 'test-secret') -> None:
        self.port = free_port()
        self.issuer = f'http://127.0.0.1:{self.port}'
        self.key = RSAKey.generate_key(2048, parameters={'kid': 'test-key', 'use': 'sig', 'alg': 'RS256'})
        self.client = TestClient(client_id, client_secret, [])
        self.user: dict[str, Any] = {'sub': 'alice-sub', 'email': 'alice@example.org', 'preferred_username': 'alice'}
        self.nonce_override: str | None = None
        self.codes: dict[str, Code] = {}
        self.server = self._authorization_server()

    # --- authlib wiring ------------------------------------------------------------------------------------

    def _authorization_server(self) -> AuthorizationServer:
        provider = self

        class Server(AuthorizationServer):  # type: ignore[misc]
            def query_client(self, client_id: str) -> TestClient | None:
                return provider.client if client_id == provider.client.client_id else None

            def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
                pass

            def create_oauth2_request(self, request: Any) -> OAuth2Request:
                return request if isinstance(request, OAuth2Request) else _Request(*request)

            def handle_response(self, status: int, body: Any, headers: Any) -> tuple[int, Any, dict[str, str]]:
                return status, body, dict(headers)

            def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
                pass

        class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
            TOKEN_ENDPOINT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post']

            def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
                data = request.payload.data
                provider.codes[code] = Code(
                    code=code,
                    client_id=request.payload.client_id,
                    redirect_uri=request.payload.redirect_uri or '',
                    scope=request.payload.scope or '',
                    user=dict(request.user),
                    nonce=data.get('nonce'),
                    code_challenge=data.get('code_challenge'),
                    code_challenge_method=data.get('code_challenge_method'),
                )

            def query_authorization_code(self, code: str, client: TestClient) -> Code | None:
                found = provider.codes.get(code)
                return found if found is not None and found.client_id == client.client_id else None

            def delete_authorization_code(self, authorization_code: Code) -> None:
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code: Code) -> dict[str, Any]:
                return authorization_code.user

        class IdToken(OpenIDCode):  # type: ignore[misc]
            def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
                return any(c.nonce == nonce for c in provider.codes.values())

            def resolve_client_private_key(self, client: TestClient) -> RSAKey:
                return provider.key

            def get_client_algorithm(self, client: TestClient) -> str:
                return 'RS256'

            def get_encode_header(self, client: TestClient) -> dict[str, str]:
                return {'alg': 'RS256', 'kid': 'test-key'}

            def get_client_claims(self, client: TestClient) -> dict[str, Any]:
                return {'iss': provider.issuer, 'aud': [client.client_id]}

            def get_authorization_code_claims(self, authorization_code: Code) -> dict[str, Any]:
                claims: dict[str, Any] = super().get_authorization_code_claims(authorization_code)
                if provider.nonce_override is not None:
                    claims['nonce'] = provider.nonce_override
                return claims

            def generate_user_info(self, user: dict[str, Any], scope: str) -> UserInfo:
                info = UserInfo(sub=user['sub'])
                if 'email' in scope and 'email' in user:
                    info['email'] = user['email']
                    if user.get('email_verified', True) is not None:  # None: the provider does not say
                        info['email_verified'] = user.get('email_verified', True)
                if 'profile' in scope and 'preferred_username' in user:
                    info['preferred_username'] = user['preferred_username']
                return info

        server = Server(scopes_supported=['openid', 'email', 'profile'])
        server.register_token_generator(
            'default', BearerTokenGenerator(lambda *args, **kwargs: secrets.token_urlsafe(32))
        )
        server.register_grant(CodeGrant, [IdToken(require_nonce=True), CodeChallenge(required=True)])
        return server

    # --- HTTP ------------------------------------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        return {
            'issuer': self.issuer,
            'authorization_endpoint': f'{self.issuer}/authorize',
            'token_endpoint': f'{self.issuer}/token',
            'jwks_uri': f'{self.issuer}/jwks',
            'response_types_supported': ['code'],
            'subject_types_supported': ['public'],
            'id_token_signing_alg_values_supported': ['RS256'],
            'code_challenge_methods_supported': ['S256'],
            'scopes_supported': ['openid', 'email', 'profile'],
            'token_endpoint_auth_methods_supported': ['client_secret_basic', 'client_secret_post'],
        }

    def handle(
        self, method: str, path_qs: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        uri = f'{self.issuer}{path_qs}'
        path = urlsplit(path_qs).path
        if method == 'GET' and path == '/.well-known/openid-configuration':
            return 200, self.discovery(), {}
        if method == 'GET' and path == '/jwks':
            return 200, {'keys': [self.key.as_dict(private=False)]}, {}
        if method == 'GET' and path == '/authorize':
            request = _Request('GET', uri, headers, {})
            grant = self.server.get_consent_grant(request=request, end_user=self.user)
            return self.server.create_authorization_response(request=request, grant_user=self.user, grant=grant)  # type: ignore[no-any-return]
        if method == 'POST' and path == '/token':
            form = dict(parse_qsl(body.decode()))
            return self.server.create_token_response(_Request('POST', uri, headers, form))  # type: ignore[no-any-return]
        return 404, {'error': 'not found'}, {}


@contextlib.contextmanager
def running_provider(**kwargs: str) -> Iterator[OidcProvider]:
    """An OidcProvider served by a thread on 127.0.0.1:<free port>, stopped afterwards."""
    provider = OidcProvider(**kwargs)

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get('content-length') or 0)
            body = self.rfile.read(length) if length else b''
            headers = {k: v for k, v in self.headers.items()}
            try:
                status, payload, extra = provider.handle(self.command, self.path, headers, body)
            except Exception as error:  # a broken provider should show in the test, not hang it
                status, payload, extra = 500, {'error': repr(error)}, {}
            data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            if 'Content-Type' not in extra:
                self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = _serve
        do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(('127.0.0.1', provider.port), Handler)
    thread = threading.Thread(target=httpd.serve_forever, name='oidc-provider', daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
