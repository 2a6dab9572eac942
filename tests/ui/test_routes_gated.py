"""Every registered route and page needs a session, except /login, /healthz and the sign-in completion."""

from __future__ import annotations

import re

from nicegui import app
from starlette.routing import Route

OPEN = {'/login', '/healthz', '/auth/complete'}


async def test_every_route_is_gated_for_anonymous_visitors(console, dead_engine) -> None:
    async with console(docker_host=dead_engine) as user:
        paths = sorted(
            {
                re.sub(r'\{[^}]+\}', 'x1', route.path)
                for route in app.routes
                if isinstance(route, Route)
                and not route.path.startswith('/_nicegui')
                and 'GET' in (route.methods or ())
            }
        )
        assert {'/', '/logs', '/operations', '/runs', '/audit', '/actions', '/host', '/summary', '/metrics'} <= set(
            paths
        )
        for path in [*paths, '/no-such-page', '/admin', '/.env']:
            response = await user.http_client.get(path, follow_redirects=False)
            if path in OPEN:
                assert response.status_code in {200, 303}, path
                continue
            if path.startswith(('/summary', '/metrics', '/api/')):
                assert response.status_code == 401, path
            else:
                assert response.status_code == 303, path
                assert response.headers['location'].startswith('/login'), path
