"""A real nginx on loopback terminating TLS in front of a console, configured from docs/deploy.md's snippet."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.helpers.console import REPO, free_port, stop_process
from tests.helpers.rig import missing
from tests.helpers.waiting import wait_for

DEPLOY_DOC = REPO / 'docs' / 'deploy.md'
# The values in the documented snippet that the test replaces with its own (each must be found exactly once,
# so a change to the documented config fails here instead of silently testing something else).
DOC_LISTEN = 'listen 8443 ssl;'
DOC_CERTIFICATE = '/etc/ssl/homelab.crt'
DOC_KEY = '/etc/ssl/homelab.key'
DOC_UPSTREAM = 'proxy_pass http://127.0.0.1:8080;'
DOC_NAME = 'homelab.example.lan'
DOC_ACCESS_LOG = '/var/log/nginx/homelab-console.log'


@dataclass(frozen=True)
class TlsProxy:
    """nginx listening on 127.0.0.1:port with a self-signed certificate for DOC_NAME and 127.0.0.1."""

    port: int
    directory: Path

    @property
    def url(self) -> str:
        return f'https://{DOC_NAME}:{self.port}'

    def log(self) -> str:
        return (self.directory / 'error.log').read_text(errors='replace')

    def access_log(self) -> str:
        """What the documented access log kept of the requests (never their query strings)."""
        return (self.directory / 'console-access.log').read_text(errors='replace')


def documented_nginx_config() -> str:
    """The nginx block of docs/deploy.md, exactly as a reader copies it."""
    blocks = re.findall(r'```nginx\n(.*?)```', DEPLOY_DOC.read_text(), flags=re.S)
    assert len(blocks) == 1, 'docs/deploy.md must show exactly one nginx config'
    return str(blocks[0])


@contextlib.contextmanager
def tls_nginx(upstream_port: int, directory: Path) -> Iterator[TlsProxy]:
    """Start nginx (`daemon off;`, its own prefix and logs) with the documented config; stop it afterwards."""
    nginx, openssl = _require_tools()
    directory.mkdir(parents=True)
    certificate, key = directory / 'proxy.crt', directory / 'proxy.key'
    made = subprocess.run(
        [openssl, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
         '-addext', f'subjectAltName=DNS:{DOC_NAME},IP:127.0.0.1', '-keyout', str(key), '-out', str(certificate)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    proxy = TlsProxy(free_port(), directory)
    config = directory / 'nginx.conf'
    config.write_text(_nginx_conf(proxy, upstream_port, certificate, key))
    log = (directory / 'nginx.out').open('wb')
    process = subprocess.Popen(
        [nginx, '-p', str(directory), '-e', str(directory / 'error.log'), '-c', str(config)],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for(lambda: process.poll() is not None or _answers(proxy), timeout=30, what='nginx to listen')
        assert process.poll() is None, f'nginx exited:\n{proxy.log()}'
        yield proxy
    finally:
        stop_process(process, grace=10, sig=signal.SIGQUIT)  # graceful: finish requests, close websockets
        log.close()


def _nginx_conf(proxy: TlsProxy, upstream_port: int, certificate: Path, key: Path) -> str:
    site = documented_nginx_config()
    for documented, ours in (
        (DOC_LISTEN, f'listen 127.0.0.1:{proxy.port} ssl;'),
        (DOC_CERTIFICATE, str(certificate)),
        (DOC_KEY, str(key)),
        (DOC_UPSTREAM, f'proxy_pass http://127.0.0.1:{upstream_port};'),
        (DOC_ACCESS_LOG, str(proxy.directory / 'console-access.log')),
    ):
        assert site.count(documented) == 1, f'the documented nginx config no longer has {documented!r}'
        site = site.replace(documented, ours)
    here = proxy.directory
    temp = '\n'.join(f'    {kind}_temp_path {here / kind};' for kind in ('client_body', 'proxy'))
    # As root, nginx's workers would drop to nobody, who cannot enter pytest's private temp directory.
    user = 'user root;\n' if os.geteuid() == 0 else ''
    return f"""daemon off;
{user}worker_processes 1;
pid {here / 'nginx.pid'};
error_log {here / 'error.log'} info;
events {{ worker_connections 256; }}
http {{
    access_log {here / 'access.log'};
{temp}
{site}
}}
"""


def _answers(proxy: TlsProxy) -> bool:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        # Any HTTP answer means nginx listens (the console behind it may still refuse this Host).
        httpx.get(f'https://127.0.0.1:{proxy.port}/healthz', verify=context, timeout=2)
    except httpx.HTTPError:
        return False
    return True


def _require_tools() -> tuple[str, str]:
    nginx = shutil.which('nginx') or shutil.which('nginx', path='/usr/sbin:/usr/local/sbin')
    openssl = shutil.which('openssl')
    if not nginx or not openssl:
        missing('nginx and openssl are not installed (make reverse-proxy)')
    assert nginx and openssl
    return nginx, openssl
