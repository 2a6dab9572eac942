"""A standard OpenID provider for the OIDC tests: npm's certified `oidc-provider` (tests/peers/oidc), on loopback.

Unlike tests/helpers/oidc_provider.py (authlib, claims in the ID token) it behaves like Authelia 4.39+ and every
provider that follows OpenID Connect Core 5.4 strictly: the ID token carries only `sub`, and `email`,
`email_verified` and `preferred_username` come from the userinfo endpoint. scripts/rig/oidc-peer.sh installs it
(`npm ci` from the committed lockfile); outside CI a missing Node.js or package skips, in CI it fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.helpers.console import REPO, stop_process
from tests.helpers.rig import missing
from tests.helpers.waiting import wait_for

PEER_DIR = REPO / 'tests' / 'peers' / 'oidc'
INSTALL_HINT = 'bash scripts/rig/oidc-peer.sh'


def require_peer() -> str:
    """The node binary, after checking that the pinned provider package is installed (skip or fail if not)."""
    node = shutil.which('node')
    if node is None:
        missing(f'Node.js is not installed, so the standard OpenID provider cannot run ({INSTALL_HINT})')
    if not (PEER_DIR / 'node_modules' / 'oidc-provider' / 'package.json').is_file():
        missing(f'the oidc-provider package is not installed in tests/peers/oidc ({INSTALL_HINT})')
    assert node is not None
    return node


@dataclass
class StandardProvider:
    """A running peer: `register` the console's redirect URI, `approve` the user the next sign-in gets."""

    issuer: str
    client_id: str
    client_secret: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def _put(self, path: str, payload: dict[str, Any]) -> None:
        response = httpx.put(f'{self.issuer}{path}', json=payload, timeout=10)
        assert response.status_code == 200, response.text

    def register(self, *redirect_uris: str) -> None:
        self._put(
            '/_peer/client',
            {'client_id': self.client_id, 'client_secret': self.client_secret, 'redirect_uris': list(redirect_uris)},
        )

    def approve(self, claims: dict[str, Any], *, userinfo_sub: str | None = None) -> None:
        """The next login at the provider signs in this user; `userinfo_sub` makes userinfo name another subject."""
        self._put('/_peer/user', {'claims': claims, 'userinfo_sub': userinfo_sub})

    def log(self) -> str:
        return self.log_path.read_text(errors='replace')

    def console_settings(self, allowed: str, *, dead_engine: Path) -> dict[str, str]:
        """What a console needs to sign in through this provider (no engine: `dead_engine` is a socket path)."""
        return {
            'DOCKER_HOST': f'unix://{dead_engine}',
            'HOMELAB_OIDC_ISSUER': self.issuer,
            'HOMELAB_OIDC_CLIENT_ID': self.client_id,
            'HOMELAB_OIDC_CLIENT_SECRET': self.client_secret,
            'HOMELAB_OIDC_ALLOWED': allowed,
        }

    def approve_carol(self) -> None:
        """The allowed user of the e-mail allowlist tests, with a verified address."""
        self.approve(
            {'sub': 'carol-sub', 'email': 'carol@example.org', 'email_verified': True, 'preferred_username': 'carol'}
        )


@contextlib.contextmanager
def running_standard_provider(
    *, client_id: str = 'homelab', client_secret: str = 'test-secret'
) -> Iterator[StandardProvider]:
    """Start `node provider.mjs` on a free loopback port and wait until it answers discovery; stop it afterwards."""
    node = require_peer()
    with tempfile.TemporaryDirectory(prefix='oidc-peer-') as workdir:
        ready, log_path = Path(workdir) / 'ready.json', Path(workdir) / 'peer.log'
        env = {'PATH': os.environ.get('PATH', '/usr/bin:/bin'), 'PEER_READY_FILE': str(ready), 'NODE_ENV': 'test'}
        with log_path.open('wb') as log:
            process = subprocess.Popen(
                [node, 'provider.mjs'], cwd=PEER_DIR, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )
        try:
            wait_for(lambda: process.poll() is not None or ready.is_file(), timeout=30, what='the OIDC peer to listen')
            assert process.poll() is None, f'the OIDC peer exited:\n{log_path.read_text(errors="replace")}'
            issuer = str(json.loads(ready.read_text())['issuer'])
            provider = StandardProvider(issuer, client_id, client_secret, process, log_path)
            wait_for(lambda: _answers(issuer), timeout=30, what='the OIDC peer discovery document')
            yield provider
        finally:
            stop_process(process, grace=10)


def _answers(issuer: str) -> bool:
    try:
        return httpx.get(f'{issuer}/.well-known/openid-configuration', timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
