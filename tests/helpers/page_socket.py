"""A scripted browser tab: load a page over HTTP, then send its events over NiceGUI's socket the way nicegui.js does.

It is what an attacker's script looks like: it keeps a page open, ignores "go to /login" and clicks whatever it
likes. It remembers the element tree (page HTML plus socket updates) so it can find buttons by data-testid.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from typing import Any
from urllib.parse import urlencode

import httpx
import socketio

from tests.helpers.waiting import wait_for

ELEMENTS = re.compile(r'parseElements\(String\.raw`(.*?)`\)', re.DOTALL)
CLIENT_ID = re.compile(r"'client_id': '([0-9a-f-]+)'")


class ScriptedPage:
    """One open page of the console, driven through the socket only (no JavaScript, no navigation)."""

    def __init__(self, http: httpx.Client, path: str) -> None:
        self.http = http
        page = http.get(path)
        assert page.status_code == 200 and page.headers.get('x-nicegui-content') == 'page', (page.status_code, path)
        self.path = str(page.url.path)
        self.client_id = _one(CLIENT_ID, page.text)
        self.elements: dict[str, dict[str, Any]] = json.loads(_one(ELEMENTS, page.text))
        self._listeners: dict[str, list[dict[str, Any]]] = {}
        for key, element in self.elements.items():
            self._remember(key, element)
        self.tab_id = str(uuid.uuid4())
        self.opened: list[str] = []  # where the server told this tab to go ("open" messages)
        self.notes: list[str] = []  # ui.notify texts
        self._lock = threading.Lock()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on('update', self._on_update)
        self.sio.on('open', lambda data: self.opened.append(str(data.get('path', ''))))
        self.sio.on('notify', lambda data: self.notes.append(str(data.get('message', ''))))
        query = {
            'client_id': self.client_id,
            'next_message_id': 0,
            'implicit_handshake': 'true',
            'document_id': str(uuid.uuid4()),
            'tab_id': self.tab_id,
        }
        base = str(http.base_url).rstrip('/')
        cookies = '; '.join(f'{name}={value}' for name, value in http.cookies.items())
        self.sio.connect(
            f'{base}?{urlencode(query)}',
            headers={'Cookie': cookies},  # websocket-client sends the page's own Origin
            transports=['websocket'],
            socketio_path='/_nicegui_ws/socket.io',
            wait_timeout=10,
        )

    def close(self) -> None:
        self.sio.disconnect()

    def find(self, testid: str) -> str | None:
        """The id of the element with this data-testid, if the page has one now."""
        with self._lock:
            return next(
                (eid for eid, e in self.elements.items() if e and (e.get('props') or {}).get('data-testid') == testid),
                None,
            )

    def wait_for(self, testid: str, timeout: float = 20) -> str:
        return wait_for(lambda: self.find(testid), timeout=timeout, what=f'element {testid} on {self.path}')

    def by_prop(self, prop: str, value: str) -> str:
        with self._lock:
            return next(eid for eid, e in self.elements.items() if e and (e.get('props') or {}).get(prop) == value)

    def type(self, element_id: str, value: str) -> None:
        """What the browser sends when an input's value changes."""
        self._emit(element_id, 'update:value', [json.dumps(value)])

    def click(self, element_id: str) -> None:
        self._emit(element_id, 'click', [])

    def _emit(self, element_id: str, kind: str, args: list[str]) -> None:
        with self._lock:
            events = self._listeners.get(element_id, [])
        listener = next(e['listener_id'] for e in events if e['type'] == kind)
        self.sio.emit(
            'event', {'id': int(element_id), 'client_id': self.client_id, 'listener_id': listener, 'args': args}
        )

    def _on_update(self, data: dict[str, Any]) -> None:
        with self._lock:
            for key, element in data.items():
                if key != '_id':
                    self.elements[key] = element
                    self._remember(key, element)

    def _remember(self, key: str, element: dict[str, Any] | None) -> None:
        # A script keeps what it once saw: a button's listener id still works for it after the button is gone.
        if element and element.get('events'):
            self._listeners[key] = element['events']

    def __enter__(self) -> ScriptedPage:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def sign_in(http: httpx.Client, username: str, password: str, path: str = '/login') -> httpx.Response:
    """Sign in on /login through the socket, then follow the ticket to /auth/complete (sets the session cookie)."""
    done = http.get(ticket_for(http, username, password, path), follow_redirects=False)
    assert done.status_code == 303, done.text
    return done


def ticket_for(http: httpx.Client, username: str, password: str, path: str = '/login') -> str:
    """Sign in on the page at `path` through the socket; the /auth/complete?ticket=... it sends the tab to."""
    with ScriptedPage(http, path) as login:
        login.type(login.by_prop('autocomplete', 'username'), username)
        login.type(login.by_prop('autocomplete', 'current-password'), password)
        login.click(login.find('sign-in') or '')
        return wait_for(lambda: _ticket(login.opened), timeout=30, what='the sign-in ticket')


def _ticket(opened: list[str]) -> str | None:
    return next((path for path in opened if path.startswith('/auth/complete?')), None)


def _one(pattern: re.Pattern[str], text: str) -> str:
    found = pattern.search(text)
    assert found is not None, f'{pattern.pattern} not in the page'
    return found.group(1)
