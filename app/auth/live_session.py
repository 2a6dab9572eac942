"""Every browser event of a signed-in page re-checks its session first: a page whose session ended stops acting.

NiceGUI hands every event a browser sends (click, value change, key, dialog answer; over its socket or On Air)
to one method, `Client.handle_event`, before any element or handler sees it. That method is wrapped here, so
no handler, present or future, can act for a session that was signed out, timed out, or ended by
`homelab user disable` / `set-password` in another process: the check reads the database at the moment of the
event. A client's events wait in one queue while their check runs, so they keep their order (a value update
still lands before the click that reads it). The first refused event of a page is audited (once per page, so a
script cannot fill the trail); the page is sent to /login and let go, and whatever it sends later is dropped.
Pages without a session (/login) pass untouched. An app-wide recheck sends idle pages of ended sessions away.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import Any, Protocol

from fastapi import Request
from nicegui import Client, background_tasks, core, ui

from app.auth.sessions import COOKIE, Sessions
from ops.store.audit import AuditUnavailable
from ops.store.audit_kinds import AuditKind

log = logging.getLogger(__name__)

SIGN_IN = '/login'
LET_GO_SECONDS = 5.0  # how long a page that is sent away may take to receive "go to /login"

Message = dict[str, Any]


class AuditAppend(Protocol):
    def __call__(self, kind: AuditKind, *, actor: str, origin: str, detail: dict[str, Any]) -> Awaitable[object]: ...


@dataclass(eq=False)
class _Page:
    client: Client
    sid: str | None  # the session cookie its HTTP request carried
    path: str
    address: str
    inbox: deque[Message] = field(default_factory=deque)
    busy: bool = False
    ended: bool = False


_deliver = Client.handle_event  # NiceGUI's own: finds the element and calls its handler
_accept_handshake_as_nicegui_does = Client.accept_handshake
_NICEGUI_HANDLERS: dict[str, Callable[[str, Message], None]] = {}  # NiceGUI's own socket handlers, before ours
_current: LivePages | None = None


class LivePages:
    """The session behind every open page, checked at each of its events."""

    def __init__(self, sessions: Callable[[], Sessions], audit: AuditAppend | None, is_open: Callable[[str], bool]):
        self.sessions = sessions
        self.audit = audit
        self.is_open = is_open
        self._pages: dict[str, _Page] = {}

    def install(self) -> None:
        """Become the door for every browser event of this process (replacing an earlier one, e.g. in tests).

        Three doors in all: a socket joins a signed-in page only if it carries that page's session cookie; a
        message acts on a page only if it comes from one of that page's own sockets (NiceGUI itself would take
        a page's id from any socket); and every event then re-checks the session (below).
        """
        global _current
        _current = self
        Client.handle_event = _handle_event  # type: ignore[method-assign,assignment]
        Client.accept_handshake = _accept_handshake  # type: ignore[method-assign,assignment]
        for kind in ('event', 'javascript_response', 'ack'):
            nicegui_handler = _NICEGUI_HANDLERS.setdefault(kind, core.sio.handlers['/'][kind])
            core.sio.on(kind, handler=_from_own_socket(kind, nicegui_handler))
        core.sio.on('log', handler=_browser_log)

    def may_join(self, client: Client, environ: dict[str, Any] | None) -> bool:
        """A socket may join a signed-in page only with the session cookie the page was loaded with."""
        page = self._page(client)
        if page is None or environ is None:  # an open page (/login), or NiceGUI's in-process test socket
            return True
        cookies = SimpleCookie()
        try:
            cookies.load(str(environ.get('HTTP_COOKIE', '')))
        except CookieError:
            return False
        sent = cookies.get(COOKIE)
        return page.sid is not None and sent is not None and hmac.compare_digest(sent.value, page.sid)

    def watch(self, client: Client) -> None:
        """Know an open page from its connection on (the idle recheck and a sign-out find it there)."""
        self._page(client)

    def receive(self, client: Client, msg: Message) -> None:
        page = self._page(client)
        if page is None:
            _deliver(client, msg)
            return
        if page.ended:
            return  # sent away already: no work, no audit row
        page.inbox.append(msg)
        if not page.busy:
            page.busy = True
            background_tasks.create(self._drain(page), name=f'session check {client.id}')

    def end_session(self, sid: str | None) -> None:
        """A sign-out here: every page of that session goes to /login now (they have not tried to act)."""
        for page in [p for p in self._pages.values() if p.sid == sid and not p.ended]:
            self._send_away(page)

    async def recheck(self) -> None:
        """Send away idle pages whose session has ended (one check per session, not counted as activity)."""
        by_session: dict[str | None, list[_Page]] = {}
        for page in self._pages.values():
            if not page.ended:
                by_session.setdefault(page.sid, []).append(page)
        for sid, pages in by_session.items():
            try:
                alive = await self.sessions().check(sid, touch=False) is not None
            except Exception:  # the database is busy or gone: the next event's own check still decides
                log.warning('session recheck failed', exc_info=True)
                return
            if not alive:
                for page in pages:
                    self._send_away(page)

    # --- one page ---------------------------------------------------------------------------------------

    def _page(self, client: Client) -> _Page | None:
        page = self._pages.get(client.id)
        if page is not None or client.is_deleted:
            return page
        try:
            request: Request | None = client.request
        except RuntimeError:  # a client no HTTP request built has no session either
            request = None
        path = request.url.path if request is not None else ''
        if request is not None and self.is_open(path):
            return None
        page = _Page(
            client=client,
            sid=request.cookies.get(COOKIE) if request is not None else None,
            path=path,
            address=request.client.host if request is not None and request.client is not None else 'unknown',
        )
        self._pages[client.id] = page
        client.on_delete(lambda: self._pages.pop(client.id, None))
        return page

    async def _drain(self, page: _Page) -> None:
        """Check, then deliver what arrived before the check, in order; repeat while more arrived meanwhile."""
        try:
            while page.inbox and not page.ended:
                batch = list(page.inbox)
                page.inbox.clear()
                try:
                    signed_in = await self.sessions().check(page.sid)
                except Exception:  # nothing is done without a check
                    log.warning('session check failed; %d event(s) dropped', len(batch), exc_info=True)
                    with page.client:
                        ui.notify('Your session could not be checked, so nothing was done.', type='warning')
                    continue
                if page.ended:  # a sign-out or the recheck sent it away meanwhile
                    return
                if signed_in is None:
                    await self._refuse(page)
                    return
                for msg in batch:
                    if page.client.is_deleted:
                        return
                    _deliver(page.client, msg)
        finally:
            page.busy = False

    async def _refuse(self, page: _Page) -> None:
        self._send_away(page)
        username, reason = await self.sessions().ended_how(page.sid)
        if self.audit is None:
            return
        try:
            await self.audit(
                AuditKind.SESSION_ENDED_REFUSED,
                actor=f'ui:{username}' if username else f'anonymous@{page.address}',
                origin='ui',
                detail={
                    'username': username,
                    'reason': reason or 'no session',
                    'page': page.path,
                    'client': page.address,
                },
            )
        except AuditUnavailable:
            log.warning('a page of an ended session tried to act; the audit trail cannot be written')

    def _send_away(self, page: _Page) -> None:
        page.ended = True
        page.inbox.clear()
        client = page.client
        if client.is_deleted:
            return
        with client:
            ui.navigate.to(SIGN_IN)
        background_tasks.create(_let_go(client), name=f'let go {client.id}')


def _accept_handshake(client: Client, socket_id: str, tab_id: str, environ: dict[str, Any] | None) -> bool:
    if not _accept_handshake_as_nicegui_does(client, socket_id, tab_id, environ):
        return False
    return _current is None or _current.may_join(client, environ)


def _from_own_socket(kind: str, handler: Callable[[str, Message], None]) -> Callable[[str, Message], None]:
    """NiceGUI's handler for `kind`, for messages of a page's own (handshaken) sockets only."""

    def guarded(socket_id: str, msg: Message) -> None:
        client = Client.instances.get(str(msg.get('client_id', ''))) if isinstance(msg, dict) else None
        if client is None or socket_id not in client._socket_to_document_id:
            log.debug('a %s message for a page this socket did not join was dropped', kind)
            return
        handler(socket_id, msg)

    return guarded


def _browser_log(socket_id: str, msg: Message) -> None:
    """What a browser asks to log stays out of the server's own log lines (anyone on /login could forge them)."""
    text = str(msg.get('message', '')) if isinstance(msg, dict) else ''
    log.debug('browser %s says: %r', socket_id[:12], text[:200])


def _handle_event(client: Client, msg: Message) -> None:
    if _current is None:
        _deliver(client, msg)
    else:
        _current.receive(client, msg)


async def _let_go(client: Client) -> None:
    """Drop the page once "go to /login" is on its way, so nothing more reaches a script that ignores it."""
    queued = [data for _, kind, data in client.outbox.messages if kind == 'open']
    deadline = asyncio.get_running_loop().time() + LET_GO_SECONDS
    while queued and not _sent(client, queued[-1]) and client.has_socket_connection:
        if asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.05)
    if not client.is_deleted:
        client.delete()


def _sent(client: Client, data: dict[str, Any]) -> bool:
    """The outbox numbers a message as it emits it, and counts on after it was sent."""
    message_id = data.get('_id')
    return isinstance(message_id, int) and client.outbox.next_message_id > message_id
