"""Optional OpenID Connect sign-in (Authelia, Authentik, Pocket ID, ...): off unless HOMELAB_OIDC_* is set.

Authorization code flow with PKCE (S256), a one-time state and a nonce kept server-side for a few minutes.
The ID token is checked against the provider's JWKS (signature, iss, aud, exp, nonce) and its subject or
e-mail must be on HOMELAB_OIDC_ALLOWED. A good callback ends like a password sign-in: audited, then a
one-time ticket for /auth/complete. Every refused callback answers a plain 403 and is audited.
"""

from __future__ import annotations

import html
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.auth.sessions import Sessions
from ops.store.audit import AuditUnavailable

log = logging.getLogger(__name__)

START_PATH = '/auth/oidc/start'
CALLBACK_PATH = '/auth/oidc/callback'
OIDC_PATHS = frozenset({START_PATH, CALLBACK_PATH})
PENDING_SECONDS = 600.0  # how long a started sign-in may take at the provider
DISCOVERY_SECONDS = 300.0  # how long discovery and JWKS are reused
HTTP_TIMEOUT = 10.0
MAX_PENDING = 1000  # started sign-ins kept at once (anonymous callers can start them)


class OidcSettings(BaseSettings):
    """HOMELAB_OIDC_ISSUER, _CLIENT_ID, _CLIENT_SECRET, _ALLOWED (comma-separated subjects or e-mails),
    _REDIRECT_URL (optional: default is <this console>/auth/oidc/callback)."""

    model_config = SettingsConfigDict(env_prefix='HOMELAB_OIDC_', extra='ignore')

    issuer: str = ''
    client_id: str = ''
    client_secret: SecretStr = SecretStr('')
    allowed: str = ''
    redirect_url: str | None = None

    @property
    def configured(self) -> bool:
        return bool(self.issuer and self.client_id)

    @property
    def allowlist(self) -> frozenset[str]:
        return frozenset(item.strip() for item in self.allowed.split(',') if item.strip())


class AuditAppend(Protocol):
    def __call__(self, kind: str, *, actor: str, origin: str, detail: dict[str, Any]) -> Awaitable[object]: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class _Pending:
    nonce: str
    verifier: str
    redirect_uri: str
    expires: float


class Refused(Exception):
    """A callback that must not sign anybody in; the reason is shown and audited."""

    def __init__(self, reason: str, subject: str = '') -> None:
        super().__init__(reason)
        self.reason = reason
        self.subject = subject


class OidcSignIn:
    """The two routes and their server-side state; `router()` gives them to FastAPI."""

    def __init__(self, settings: OidcSettings, audit_append: AuditAppend, sessions: Callable[[], Sessions]) -> None:
        self.settings = settings
        self.audit_append = audit_append
        self.sessions = sessions
        self.pending: dict[str, _Pending] = {}
        self._metadata: tuple[float, dict[str, Any]] | None = None
        self._jwks: tuple[float, KeySet] | None = None

    # --- provider metadata -----------------------------------------------------------------------------

    async def metadata(self) -> dict[str, Any]:
        now = time.monotonic()
        if self._metadata is not None and self._metadata[0] > now:
            return self._metadata[1]
        url = self.settings.issuer.rstrip('/') + '/.well-known/openid-configuration'
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
            response = await http.get(url)
            response.raise_for_status()
            found: dict[str, Any] = response.json()
        if found.get('issuer', '').rstrip('/') != self.settings.issuer.rstrip('/'):
            raise Refused('the discovery document names another issuer')
        for name in ('authorization_endpoint', 'token_endpoint', 'jwks_uri'):
            if not isinstance(found.get(name), str):
                raise Refused(f'the discovery document has no {name}')
        self._metadata = (now + DISCOVERY_SECONDS, found)
        return found

    async def keys(self, jwks_uri: str, *, refresh: bool = False) -> KeySet:
        now = time.monotonic()
        if not refresh and self._jwks is not None and self._jwks[0] > now:
            return self._jwks[1]
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
            response = await http.get(jwks_uri)
            response.raise_for_status()
            keys = KeySet.import_key_set(response.json())
        self._jwks = (now + DISCOVERY_SECONDS, keys)
        return keys

    def client(self, redirect_uri: str) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self.settings.client_id,
            client_secret=self.settings.client_secret.get_secret_value() or None,
            scope='openid email profile',
            redirect_uri=redirect_uri,
            code_challenge_method='S256',
            timeout=HTTP_TIMEOUT,
        )

    def redirect_uri(self, request: Request) -> str:
        return self.settings.redirect_url or str(request.base_url).rstrip('/') + CALLBACK_PATH

    # --- the flow --------------------------------------------------------------------------------------

    async def start(self, request: Request) -> Response:
        try:
            metadata = await self.metadata()
        except (httpx.HTTPError, ValueError, Refused) as error:
            log.warning('OIDC discovery failed: %s', error)
            return _page(502, 'The sign-in provider cannot be reached right now.')
        now = time.monotonic()
        self.pending = {k: p for k, p in self.pending.items() if p.expires > now}
        if len(self.pending) >= MAX_PENDING:
            return _page(429, 'Too many sign-ins are under way; try again in a few minutes.')
        state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48)
        redirect_uri = self.redirect_uri(request)
        async with self.client(redirect_uri) as oauth:
            url, _ = oauth.create_authorization_url(
                metadata['authorization_endpoint'], state=state, nonce=nonce, code_verifier=verifier
            )
        self.pending[state] = _Pending(
            nonce=nonce, verifier=verifier, redirect_uri=redirect_uri, expires=now + PENDING_SECONDS
        )
        return RedirectResponse(url, status_code=303)

    async def callback(self, request: Request) -> Response:
        client = request.client.host if request.client is not None else 'unknown'
        try:
            username = await self._verify(request)
        except Refused as refused:
            await self._audit_failure(refused, client)
            return _page(403, f'Sign-in refused: {refused.reason}.')
        try:
            await self.audit_append(
                'login_succeeded',
                actor=f'ui:{username[:64]}',
                origin='ui',
                detail={'username': username[:64], 'client': client, 'method': 'oidc'},
            )
        except AuditUnavailable:
            return _page(503, 'The audit trail cannot be written, so nobody can sign in right now.')
        ticket = self.sessions().issue_ticket(username, client, '/')
        return RedirectResponse(f'/auth/complete?ticket={quote(ticket)}', status_code=303)

    async def _verify(self, request: Request) -> str:
        """The user name to sign in as, or Refused."""
        params = request.query_params
        state = params.get('state', '')
        pending = self.pending.pop(state, None) if state else None
        if pending is None or pending.expires < time.monotonic():
            raise Refused('unknown or expired state')
        if provider_error := params.get('error'):
            raise Refused(f'the provider answered {provider_error[:64]}')
        code = params.get('code')
        if not code:
            raise Refused('no authorization code')
        try:
            metadata = await self.metadata()
            async with self.client(pending.redirect_uri) as oauth:
                token = await oauth.fetch_token(
                    metadata['token_endpoint'],
                    code=code,
                    code_verifier=pending.verifier,
                    grant_type='authorization_code',
                )
        except Refused:
            raise
        except Exception as error:  # the provider refused the code, or answered something that is no token
            log.warning('OIDC token exchange failed: %s', error)
            raise Refused('the token exchange failed') from error
        id_token = token.get('id_token') if isinstance(token, dict) else None
        if not isinstance(id_token, str):
            raise Refused('no ID token')
        claims = await self._claims(id_token, metadata['jwks_uri'], pending.nonce)
        return self._allowed(claims)

    async def _claims(self, id_token: str, jwks_uri: str, nonce: str) -> dict[str, Any]:
        try:
            keys = await self.keys(jwks_uri)
            try:
                decoded = jwt.decode(id_token, keys, algorithms=['RS256', 'ES256', 'EdDSA', 'PS256'])
            except JoseError:  # perhaps the provider rotated its keys: fetch them once more
                decoded = jwt.decode(
                    id_token, await self.keys(jwks_uri, refresh=True), algorithms=['RS256', 'ES256', 'EdDSA', 'PS256']
                )
        except (JoseError, ValueError, httpx.HTTPError) as error:
            raise Refused('the ID token signature is not valid') from error
        claims: dict[str, Any] = dict(decoded.claims)
        registry = jwt.JWTClaimsRegistry(
            leeway=60,
            iss={'essential': True, 'value': self.settings.issuer},
            sub={'essential': True},
            exp={'essential': True},
            iat={'essential': True},
        )
        try:
            registry.validate(claims)
        except JoseError as error:
            raise Refused(f'the ID token is not valid ({error.error})', str(claims.get('sub', ''))) from error
        audience = claims.get('aud')
        audiences = [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else []
        if self.settings.client_id not in audiences:
            raise Refused('the ID token is for another client', str(claims['sub']))
        if len(audiences) > 1 and claims.get('azp') != self.settings.client_id:
            raise Refused('the ID token is for another client', str(claims['sub']))
        if not isinstance(claims.get('nonce'), str) or not secrets.compare_digest(claims['nonce'], nonce):
            raise Refused('the nonce does not match', str(claims['sub']))
        return claims

    def _allowed(self, claims: dict[str, Any]) -> str:
        subject = str(claims['sub'])
        email = claims.get('email') if isinstance(claims.get('email'), str) else None
        email_ok = email is not None and claims.get('email_verified') is not False
        allowlist = self.settings.allowlist
        if subject not in allowlist and not (email_ok and email in allowlist):
            raise Refused('this account is not allowed here', subject)
        name = claims.get('preferred_username')
        if not isinstance(name, str) or not name:
            name = email or subject
        return f'oidc:{name}'

    async def _audit_failure(self, refused: Refused, client: str) -> None:
        detail: dict[str, Any] = {'method': 'oidc', 'reason': refused.reason, 'client': client}
        if refused.subject:
            detail['subject'] = refused.subject[:128]
        try:
            await self.audit_append('login_failed', actor=f'anonymous@{client}', origin='ui', detail=detail)
        except AuditUnavailable:
            log.error('OIDC sign-in refused (%s) and the audit trail cannot be written', refused.reason)

    def router(self) -> APIRouter:
        router = APIRouter()
        router.add_api_route(START_PATH, self.start, methods=['GET'], include_in_schema=False)
        router.add_api_route(CALLBACK_PATH, self.callback, methods=['GET'], include_in_schema=False)
        return router


def _page(status: int, text: str) -> HTMLResponse:
    body = (
        '<!doctype html><meta charset="utf-8"><title>Sign in · Homelab</title>'
        f'<p>{html.escape(text)}</p><p><a href="/login">Back to sign-in</a></p>'
    )
    return HTMLResponse(body, status_code=status)


def install_oidc(
    audit_append: AuditAppend,
    *,
    settings: OidcSettings | None = None,
    target: FastAPI | None = None,
    sessions: Callable[[], Sessions] | None = None,
) -> OidcSignIn | None:
    """Register the OIDC routes when HOMELAB_OIDC_ISSUER and _CLIENT_ID are set; None (nothing added) otherwise.

    Defaults: the NiceGUI app and the login gate's sessions. Add OIDC_PATHS to the gate's OPEN_PATHS.
    """
    settings = settings if settings is not None else OidcSettings()
    if not settings.configured:
        return None
    if not settings.allowlist:
        log.warning('HOMELAB_OIDC_ALLOWED is empty: nobody can sign in with OIDC')
    if target is None:
        from nicegui import app as nicegui_app

        target = nicegui_app
    if sessions is None:
        from app.auth.gate import sessions as gate_sessions

        sessions = gate_sessions
    sign_in = OidcSignIn(settings, audit_append, sessions)
    target.include_router(sign_in.router())
    return sign_in
