"""The engine behind SSH: `ssh HOST docker system dial-stdio` as the docker CLI runs it, so ~/.ssh/config applies."""

from __future__ import annotations

import collections
import logging
import math
import os
import re
import socket
import threading
import urllib.parse
from dataclasses import dataclass
from typing import Any

import requests
import requests.adapters
import urllib3
import urllib3.connection
import urllib3.connectionpool
import urllib3.util.timeout

from ops.proc import ProcError, start_helper

log = logging.getLogger(__name__)

# What ssh gets of the console's environment: enough to find the user's keys, agent and Kerberos ticket; never
# HOMELAB_* or anything else (a ProxyCommand of the user's config runs with this too).
SSH_ENV = ('PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'SSH_AUTH_SOCK', 'KRB5CCNAME')
# A console cannot answer prompts (BatchMode); a dead link is noticed within ~45 s even on a quiet event stream.
SSH_OPTIONS = ('-o', 'BatchMode=yes', '-o', 'ServerAliveInterval=15', '-o', 'ServerAliveCountMax=3')
REMOTE_COMMAND = ('docker', 'system', 'dial-stdio')
MAX_CONNECTIONS = 10
_NAME = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]*$')
_IPV6 = re.compile(r'^[0-9A-Fa-f:.]+$')
_NOISE = ('Warning: Permanently added',)


class SshUnreachable(ConnectionError):
    """ssh could not give us the engine; the message carries ssh's (or the remote docker CLI's) own words."""


@dataclass(frozen=True, slots=True)
class SshTarget:
    """`ssh://[user@]host[:port]` of DOCKER_HOST; host may be an alias of ~/.ssh/config."""

    host: str
    user: str | None = None
    port: int | None = None

    @classmethod
    def parse(cls, url: str) -> SshTarget:
        """The target of an ssh:// URL; ValueError says what is wrong with it."""
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != 'ssh':
            raise ValueError(f'{url!r} is not an ssh:// URL')
        if parts.path not in ('', '/') or parts.query or parts.fragment:
            raise ValueError(f'DOCKER_HOST {url!r}: no path allowed after the host of an ssh:// URL')
        if parts.password is not None:
            raise ValueError('DOCKER_HOST: put no password in an ssh:// URL (use a key or an agent)')
        try:
            port = parts.port
        except ValueError as err:
            raise ValueError(f'DOCKER_HOST {url!r}: the port must be a number from 1 to 65535') from err
        host = parts.hostname or ''
        if not (_NAME.match(host) or (':' in host and _IPV6.match(host))):
            raise ValueError(f'DOCKER_HOST {url!r}: not a host name or ~/.ssh/config alias')
        user = urllib.parse.unquote(parts.username) if parts.username is not None else None
        if user is not None and not _NAME.match(user):
            raise ValueError(f'DOCKER_HOST {url!r}: not a user name')
        return cls(host=host, user=user, port=port)

    def argv(self, connect_timeout: float | None) -> list[str]:
        """The ssh command line; the docker CLI's own (`-T`, ConnectTimeout), plus SSH_OPTIONS."""
        argv = ['ssh', '-T', *SSH_OPTIONS]
        if connect_timeout:
            argv += ['-o', f'ConnectTimeout={max(1, math.ceil(connect_timeout))}']
        if self.user:
            argv += ['-l', self.user]
        if self.port:
            argv += ['-p', str(self.port)]
        return [*argv, '--', self.host, *REMOTE_COMMAND]


def ssh_reason(err: BaseException) -> str | None:
    """ssh's message when an SshUnreachable is anywhere in `err`'s chain (causes, contexts, wrapped reasons)."""
    seen: set[int] = set()
    pending: list[Any] = [err]
    while pending:
        item = pending.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, SshUnreachable):
            return str(item)
        pending += [item.__cause__, item.__context__, getattr(item, 'reason', None), *item.args]
    return None


class SshAdapter(requests.adapters.HTTPAdapter):
    """A requests adapter whose connections are ssh processes running `docker system dial-stdio` remotely."""

    def __init__(self, target: SshTarget, timeout: float | None, max_connections: int = MAX_CONNECTIONS) -> None:
        self.target = target
        self.timeout = timeout
        self._pool = _SshPool(target, timeout, max_connections)
        super().__init__()

    def get_connection(self, url: str | bytes, proxies: Any = None) -> _SshPool:
        return self._pool

    def get_connection_with_tls_context(
        self, request: requests.PreparedRequest, verify: Any, proxies: Any = None, cert: Any = None
    ) -> _SshPool:
        return self._pool

    def request_url(self, request: requests.PreparedRequest, proxies: Any) -> str:
        return request.path_url  # no proxies: the "host" of the URL is only a placeholder

    def close(self) -> None:
        """Ends every idle ssh connection (streams still read keep theirs until they are closed)."""
        super().close()
        self._pool.close()


class _SshPool(urllib3.connectionpool.HTTPConnectionPool):
    def __init__(self, target: SshTarget, timeout: float | None, maxsize: int) -> None:
        super().__init__('localhost', timeout=timeout, maxsize=maxsize)
        self.target = target
        self.ssh_timeout = timeout

    def _new_conn(self) -> _SshConnection:
        return _SshConnection(self.target, self.ssh_timeout, timeout=self.timeout.connect_timeout)


class _SshConnection(urllib3.connection.HTTPConnection):
    def __init__(self, target: SshTarget, ssh_timeout: float | None, *, timeout: Any) -> None:
        super().__init__('localhost', timeout=timeout)
        self.target = target
        self.ssh_timeout = ssh_timeout

    def _new_conn(self) -> socket.socket:
        sock = open_link(self.target, self.ssh_timeout)
        sock.settimeout(urllib3.util.timeout.Timeout.resolve_default_timeout(self.timeout))
        return sock


def open_link(target: SshTarget, connect_timeout: float | None) -> socket.socket:
    """Start ssh with one end of a socket pair as its stdin and stdout; the other end is the engine connection."""
    ours, theirs = socket.socketpair()
    env = {key: os.environ[key] for key in SSH_ENV if key in os.environ}
    env.setdefault('PATH', os.defpath)
    try:
        process = start_helper(target.argv(connect_timeout), env=env, stdio=theirs.fileno())
    except ProcError as err:
        ours.close()
        raise SshUnreachable(f'ssh {target.host}: {err}') from err
    finally:
        theirs.close()
    return _SshSocket(ours, _SshProcess(target, process))


class _SshProcess:
    """One ssh client: its stderr is kept (the last lines) for the error message, and it is always reaped."""

    def __init__(self, target: SshTarget, process: Any) -> None:
        self.target = target
        self.process = process
        self.errors: collections.deque[str] = collections.deque(maxlen=4)
        self._drained = threading.Thread(target=self._drain, name=f'ssh-{target.host}', daemon=True)
        self._drained.start()

    def _drain(self) -> None:
        for raw in self.process.stderr:
            line = raw.decode('utf-8', errors='replace').strip()
            if line:
                log.debug('ssh %s: %s', self.target.host, line)
                if not line.startswith(_NOISE):
                    self.errors.append(line[:300])
        self.process.stderr.close()
        self.process.wait()

    def check(self) -> None:
        """After the connection saw its end: raise SshUnreachable with ssh's words when ssh failed."""
        try:
            code = self.process.wait(timeout=5)
        except Exception:  # still running: an ordinary end of the connection
            return
        self._drained.join(timeout=2)
        if code != 0:
            said = ' / '.join(self.errors) or f'ssh exited with status {code}'
            raise SshUnreachable(f'ssh {self.target.host}: {said}')

    def end(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()


class _SshSocket(socket.socket):
    """Our end of the pair: a real socket (timeouts, shutdown from another thread); its end asks ssh why."""

    def __init__(self, sock: socket.socket, ssh: _SshProcess) -> None:
        super().__init__(sock.family, sock.type, sock.proto, fileno=sock.detach())
        self.ssh = ssh

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        try:
            data = super().recv(bufsize, flags)
        except ConnectionError:  # reset: ssh died with our request still unread
            self.ssh.check()
            raise
        if not data and bufsize:
            self.ssh.check()
        return data

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        try:
            count = super().recv_into(buffer, nbytes, flags)
        except ConnectionError:
            self.ssh.check()
            raise
        if count == 0 and (nbytes or len(buffer)):
            self.ssh.check()
        return count

    def sendall(self, data: Any, flags: int = 0) -> None:
        try:
            super().sendall(data, flags)
        except ConnectionError:  # a broken pipe: ssh is gone
            self.ssh.check()
            raise

    def _real_close(self, *args: Any) -> None:
        # socket.close() comes here once no file object made by makefile() still reads from it.
        super()._real_close(*args)  # type: ignore[misc]
        self.ssh.end()
