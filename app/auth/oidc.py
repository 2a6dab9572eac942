"""Optional OpenID Connect sign-in (Authelia, Authentik, Pocket ID, ...): off unless HOMELAB_OIDC_* is set.

Authorization code flow with PKCE (S256), a one-time state and a nonce kept server-side for a few minutes
(at most MAX_PENDING_PER_CLIENT per client address, MAX_PENDING in all: anyone can start a sign-in, and a start
is never refused: the table makes room by dropping the oldest sign-in of the address that holds the most).
The ID token is checked against the provider's JWKS (signature, iss, aud, exp, nonce). Providers that follow
OpenID Connect Core 5.4 strictly (Authelia 4.39+, ...) put only `sub` in it: the e-mail and the user name then
come from the userinfo endpoint, whose `sub` must be the ID token's. The subject, or an e-mail the provider
says is verified (`email_verified` true; absent counts as unverified), must be on HOMELAB_OIDC_ALLOWED.
A good callback ends like a password sign-in: audited, then a one-time ticket for /auth/complete.
Every refused callback answers a plain 403 and is audited (those anyone can cause at will as counts per address,
within the budget of anonymous sign-in events: app/auth/audit_budget.py).
"""

from __future__ import annotations

import html
import logging
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from app.auth.audit_budget import AnonymousBudget
from app.auth.oidc_settings import CALLBACK_PATH as CALLBACK_PATH
from app.auth.oidc_settings import OIDC_PATHS as OIDC_PATHS
from app.auth.oidc_settings import START_PATH as START_PATH
from app.auth.oidc_settings import OidcSettings as OidcSettings
from app.auth.sessions import Sessions
from app.auth.sign_in_browser import browser_mark
from app.auth.throttle import address_key
from app.auth.throttled_audit import WINDOW, ThrottledAudit
from ops.store.audit import AuditUnavailable
from ops.store.audit_kinds import AuditKind

log = logging.getLogger(__name__)

PENDING_SECONDS = 600.0  # how long a started sign-in may take at the provider
DISCOVERY_SECONDS = 300.0  # how long discovery and JWKS are reused
HTTP_TIMEOUT = 10.0
MAX_PENDING = 1000  # started sign-ins kept at once (anonymous callers can start them; the oldest of the most go)
MAX_PENDING_PER_CLIENT = 10  # per client address (IPv6: per /64); a newer start drops that address's oldest
SCOPE = 'openid email profile'
ID_TOKEN_ALGORITHMS = ['RS256', 'ES256', 'EdDSA', 'PS256']


class AuditAppend(Protocol):
    def __call__(self, kind: AuditKind, *, actor: str, origin: str, detail: dict[str, Any]) -> Awaitable[object]: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class _Pending:
    nonce: str
    verifier: str
    redirect_uri: str
    client: str  # the address key (client_key) of whoever started it
    expires: float
    browser: str = ''  # sign_in_browser's mark of the browser that started it: only it may finish


# Whose allowance a started sign-in counts against: the same address key the sign-in throttle uses (IPv6 per /64).
client_key = address_key


class PendingSignIns:
    """Started sign-ins by state, oldest first. Expired ones are dropped, one address keeps at most `per_client`
    (its oldest goes first), and past `limit` in all the address that holds the most loses its oldest (the oldest
    such sign-in when several hold as many): a start is never refused, and many addresses starting sign-ins over
    and over drop each other's, not the one of somebody who started a single sign-in."""

    def __init__(self, *, limit: int = MAX_PENDING, per_client: int = MAX_PENDING_PER_CLIENT) -> None:
        self.limit = limit
        self.per_client = per_client
        self._by_state: dict[str, _Pending] = {}  # insertion order is expiry order (one lifetime for all)
        self._by_client: dict[str, deque[str]] = {}

    def __len__(self) -> int:
        return len(self._by_state)

    def add(self, state: str, pending: _Pending, now: float) -> None:
        """Keep `pending` under `state`, making room as the class says."""
        self._expire(now)
        states = self._by_client.setdefault(pending.client, deque())
        while len(states) >= self.per_client:
            self._by_state.pop(states.popleft(), None)
        while len(self._by_state) >= self.limit:
            self._drop_one()
        states.append(state)
        self._by_client[pending.client] = states  # again: making room may have dropped this address's last one
        self._by_state[state] = pending

    def _drop_one(self) -> None:
        """Drop the oldest sign-in of the address holding the most (O(addresses), only when the table is full)."""
        client, states = max(
            ((client, states) for client, states in self._by_client.items() if states),
            key=lambda item: (len(item[1]), -self._by_state[item[1][0]].expires),
        )
        del self._by_state[states.popleft()]
        if not states:
            del self._by_client[client]

    def take(self, state: str, now: float) -> _Pending | None:
        """The started sign-in for `state`, once; None when unknown, dropped or expired."""
        pending = self._by_state.pop(state, None)
        if pending is None:
            return None
        self._forget(pending.client, state)
        return pending if pending.expires > now else None

    def _expire(self, now: float) -> None:
        while self._by_state:
            state, pending = next(iter(self._by_state.items()))
            if pending.expires > now:
                return
            del self._by_state[state]
            self._forget(pending.client, state)

    def _forget(self, client: str, state: str) -> None:
        states = self._by_client.get(client)
        if states is None:
            return
        if state in states:
            states.remove(state)
        if not states:
            del self._by_client[client]


class Refused(Exception):
    """A callback that must not sign anybody in; the reason is shown and audited."""

    def __init__(self, reason: str, subject: str = '', *, repeatable: str = '') -> None:
        super().__init__(reason)
        self.reason = reason
        self.subject = subject
        # Refusals anyone can cause at will, before the provider vouched for anybody, are audited as counts per
        # address (one fixed reason each), so an anonymous caller cannot fill the trail.
        self.repeatable = repeatable


class OidcSignIn:
    """The two routes and their server-side state; `router()` gives them to FastAPI."""

    def __init__(self, settings: OidcSettings, audit_append: AuditAppend, sessions: Callable[[], Sessions]) -> None:
        self.settings = settings
        self.audit_append = audit_append
        self.sessions = sessions
        self.pending = PendingSignIns()
        # Refusals anyone can repeat share one budget of events with the rest of the anonymous ones.
        self.anonymous = AnonymousBudget(audit_append)
        self.repeated_refusals: dict[str, ThrottledAudit] = {}
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
        if not isinstance(found.get('userinfo_endpoint', ''), str):
            raise Refused('the discovery document has a malformed userinfo_endpoint')
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
            scope=SCOPE,
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
        state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48)
        redirect_uri = self.redirect_uri(request)
        started = _Pending(
            nonce=nonce,
            verifier=verifier,
            redirect_uri=redirect_uri,
            client=client_key(request.client.host if request.client is not None else 'unknown'),
            expires=now + PENDING_SECONDS,
            browser=browser_mark(request),
        )
        self.pending.add(state, started, now)
        # Built by hand rather than with an HTTP client: an anonymous start should cost next to nothing.
        url = prepare_grant_uri(
            metadata['authorization_endpoint'],
            self.settings.client_id,
            'code',
            redirect_uri=redirect_uri,
            scope=SCOPE,
            state=state,
            nonce=nonce,
            code_challenge=create_s256_code_challenge(verifier),
            code_challenge_method='S256',
        )
        return RedirectResponse(url, status_code=303)

    async def callback(self, request: Request) -> Response:
        client = request.client.host if request.client is not None else 'unknown'
        try:
            username, subject = await self._verify(request)
        except Refused as refused:
            await self._audit_failure(refused, client)
            return _page(403, f'Sign-in refused: {refused.reason}.')
        try:
            await self.audit_append(
                AuditKind.LOGIN_SUCCEEDED,
                actor=f'ui:{username[:64]}',
                origin='ui',
                detail={'username': username[:64], 'client': client, 'method': 'oidc', 'subject': subject[:128]},
            )
        except AuditUnavailable:
            return _page(503, 'The audit trail cannot be written, so nobody can sign in right now.')
        ticket = self.sessions().issue_ticket(username, client, '/', browser_mark(request))
        return RedirectResponse(f'/auth/complete?ticket={quote(ticket)}', status_code=303)

    async def _verify(self, request: Request) -> tuple[str, str]:
        """The user name to sign in as and the provider's subject, or Refused."""
        params = request.query_params
        state = params.get('state', '')
        pending = self.pending.take(state, time.monotonic()) if state else None
        if pending is None:
            raise Refused('unknown or expired state', repeatable='unknown or expired state')
        if pending.browser != browser_mark(request):  # someone else's callback URL, opened in this browser
            raise Refused('the sign-in was started in another browser', repeatable='started in another browser')
        if provider_error := params.get('error'):
            raise Refused(f'the provider answered {provider_error[:64]}', repeatable='the provider answered an error')
        code = params.get('code')
        if not code:
            raise Refused('no authorization code', repeatable='no authorization code')
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
            raise Refused('the token exchange failed', repeatable='the token exchange failed') from error
        id_token = token.get('id_token') if isinstance(token, dict) else None
        if not isinstance(id_token, str):
            raise Refused('no ID token')
        claims = await self._claims(id_token, metadata['jwks_uri'], pending.nonce)
        if 'email' not in claims or 'preferred_username' not in claims:
            claims = await self._with_userinfo(claims, metadata, token.get('access_token'))
        return self._allowed(claims), str(claims['sub'])

    async def _claims(self, id_token: str, jwks_uri: str, nonce: str) -> dict[str, Any]:
        try:
            keys = await self.keys(jwks_uri)
            try:
                decoded = jwt.decode(id_token, keys, algorithms=ID_TOKEN_ALGORITHMS)
            except JoseError:  # perhaps the provider rotated its keys: fetch them once more
                decoded = jwt.decode(id_token, await self.keys(jwks_uri, refresh=True), algorithms=ID_TOKEN_ALGORITHMS)
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

    async def _with_userinfo(
        self, claims: dict[str, Any], metadata: dict[str, Any], access_token: object
    ) -> dict[str, Any]:
        """The ID token's claims completed from the userinfo endpoint (OpenID Connect Core 5.3, 5.4).

        Only claims the ID token lacks are taken, and the e-mail with its `email_verified` as one pair. The
        answer's `sub` must be the ID token's (5.3.2): otherwise it is about somebody else and refused.
        """
        endpoint = metadata.get('userinfo_endpoint')
        if not endpoint or not isinstance(access_token, str) or not access_token:
            return claims
        subject = str(claims['sub'])
        try:
            async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
                response = await http.get(
                    endpoint, headers={'Authorization': f'Bearer {access_token}', 'Accept': 'application/json'}
                )
            response.raise_for_status()
            info = response.json()
        except (httpx.HTTPError, ValueError) as error:
            log.warning('OIDC userinfo request failed: %s', error)
            raise Refused('the userinfo request failed', subject) from error
        if not isinstance(info, dict):
            raise Refused('the userinfo answer is not a JSON object', subject)
        if not isinstance(info.get('sub'), str) or not secrets.compare_digest(info['sub'], subject):
            raise Refused('the userinfo subject does not match the ID token', subject)
        merged = dict(claims)
        if 'email' not in claims:
            merged.pop('email_verified', None)
            merged.update({name: info[name] for name in ('email', 'email_verified') if name in info})
        if 'preferred_username' not in claims and 'preferred_username' in info:
            merged['preferred_username'] = info['preferred_username']
        return merged

    def _allowed(self, claims: dict[str, Any]) -> str:
        subject = str(claims['sub'])
        email = claims.get('email') if isinstance(claims.get('email'), str) else None
        email_ok = email is not None and claims.get('email_verified') is True  # absent counts as unverified
        allowlist = self.settings.allowlist
        if subject not in allowlist and not (email_ok and email in allowlist):
            raise Refused('this account is not allowed here', subject)
        name = claims.get('preferred_username')
        if not isinstance(name, str) or not name:
            name = email or subject
        return f'oidc:{name}'

    async def _audit_failure(self, refused: Refused, client: str) -> None:
        if refused.repeatable:
            counter = self.repeated_refusals.get(refused.repeatable)
            if counter is None:
                fixed = {'method': 'oidc', 'reason': refused.repeatable}
                counter = ThrottledAudit(self.anonymous.append, kind=AuditKind.LOGIN_FAILED, detail=fixed)
                self.repeated_refusals[refused.repeatable] = counter
            await counter.note(client, '')
            return
        detail: dict[str, Any] = {'method': 'oidc', 'reason': refused.reason, 'client': client}
        if refused.subject:
            detail['subject'] = refused.subject[:128]
        try:
            await self.audit_append(AuditKind.LOGIN_FAILED, actor=f'anonymous@{client}', origin='ui', detail=detail)
        except AuditUnavailable:
            log.error('OIDC sign-in refused (%s) and the audit trail cannot be written', refused.reason)

    async def flush_refusals(self, *, everything: bool = True) -> None:
        """Write the counted refusals (all of them at shutdown; those whose window ended otherwise)."""
        for counter in list(self.repeated_refusals.values()):
            await counter.flush(everything=everything)
        await self.anonymous.flush(everything=everything)

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
    counted_refusals_flush: Callable[[OidcSignIn], None] | None = None
    if target is None:
        from nicegui import app as nicegui_app

        target = nicegui_app

        def counted_refusals_flush(sign_in: OidcSignIn) -> None:
            # Counts of repeated refusals are written when their window ends and when the console stops.
            nicegui_app.timer(WINDOW, lambda: sign_in.flush_refusals(everything=False), immediate=False)
            nicegui_app.on_shutdown(sign_in.flush_refusals)

    if sessions is None:
        from app.auth.gate import sessions as gate_sessions

        sessions = gate_sessions
    sign_in = OidcSignIn(settings, audit_append, sessions)
    target.include_router(sign_in.router())
    if counted_refusals_flush is not None:
        counted_refusals_flush(sign_in)
    return sign_in
