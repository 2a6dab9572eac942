"""A real OpenSSH server on loopback (key auth) reached through `Host` aliases of the user's ~/.ssh/config.

The engine behind it is the rig's own: `ssh ALIAS docker system dial-stdio` runs the docker CLI "remotely".
OpenSSH reads ~/.ssh/config from the passwd home (not $HOME), so the aliases live in a test-owned file that a
clearly marked `Include` line in that config pulls in; the line (and the config, when it made it) go at the end.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import pwd
import signal
import socket
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from tests.helpers.console import free_port
from tests.helpers.rig import missing
from tests.helpers.waiting import wait_for

SSHD = Path('/usr/sbin/sshd')
MARK = '# homelab test: engine over SSH (removed by the test; safe to delete)'


@dataclass
class SshPeer:
    """The sshd, its port and host key; `alias` uses a key file, `agent_alias` only the ssh-agent's key."""

    home: Path
    port: int
    alias: str
    agent_alias: str  # no IdentityFile: the key is only in the agent, so SSH_AUTH_SOCK must reach ssh
    agent_socket: Path
    proxy_alias: str  # through a ProxyCommand that writes the environment ssh gave it to `proxy_env`
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    _agent: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def proxy_env(self) -> Path:
        return self.home / 'proxy.env'

    @property
    def docker_host(self) -> str:
        return f'ssh://{self.alias}'

    def start(self) -> None:
        """Start sshd on the same port and host key (again, after stop()) and wait until it accepts."""
        run_dir = Path('/run/sshd')  # sshd's privilege separation directory
        if os.geteuid() == 0:
            run_dir.mkdir(mode=0o755, exist_ok=True)
        with self.log_path.open('ab') as log:
            self.process = subprocess.Popen(
                [str(SSHD), '-D', '-e', '-f', str(self.home / 'sshd_config')],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(
            lambda: self.process is None or self.process.poll() is not None or _accepts(self.port),
            timeout=20,
            what=f'sshd on 127.0.0.1:{self.port}',
        )
        assert self.process.poll() is None, f'sshd exited:\n{self.log_path.read_text(errors="replace")}'

    def stop(self) -> None:
        """The host becomes unreachable: the listener and every session it forked (they setsid) are killed."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            sessions = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            sessions = []
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=10)
        for child in sessions:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
        psutil.wait_procs(sessions, timeout=10)
        wait_for(lambda: not _accepts(self.port), timeout=10, what='sshd to stop listening')

    def close(self) -> None:
        self.stop()
        if self._agent is not None:
            self._agent.terminate()
            self._agent.wait(timeout=10)


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=1):
            return True
    except OSError:
        return False


def _run(*argv: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(argv, check=True, capture_output=True, timeout=30, env=env)


def require_sshd() -> None:
    if not SSHD.exists():
        missing("Debian's openssh-server is not installed (make test runs scripts/rig/sshd.sh)")


@contextlib.contextmanager
def ssh_peer(home: Path) -> Iterator[SshPeer]:
    """sshd on 127.0.0.1 with a fresh host key; two aliases in ~/.ssh/config (by Include); all undone after."""
    require_sshd()
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o700)
    user = getpass.getuser()
    port = free_port()
    tag = uuid.uuid4().hex[:8]
    _run('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'hl-test host', '-f', str(home / 'host_key'))
    _run('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'hl-test file', '-f', str(home / 'id_file'))
    _run('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'hl-test agent', '-f', str(home / 'id_agent'))
    authorized = (home / 'id_file.pub').read_text() + (home / 'id_agent.pub').read_text()
    (home / 'authorized_keys').write_text(authorized)
    host_key = (home / 'host_key.pub').read_text().split()
    (home / 'known_hosts').write_text(f'[127.0.0.1]:{port} {host_key[0]} {host_key[1]}\n')
    (home / 'sshd_config').write_text(
        '\n'.join(
            [
                f'Port {port}',
                'ListenAddress 127.0.0.1',
                f'HostKey {home / "host_key"}',
                'PidFile none',
                f'AuthorizedKeysFile {home / "authorized_keys"}',
                'PubkeyAuthentication yes',
                'PasswordAuthentication no',
                'KbdInteractiveAuthentication no',
                'PermitRootLogin prohibit-password',
                'UsePAM no',
                'StrictModes no',  # the keys live under /tmp, which is world-writable
                f'AllowUsers {user}',
                '',
            ]
        )
    )
    alias, agent_alias, proxy_alias = f'hl-test-ssh-{tag}', f'hl-test-ssh-agent-{tag}', f'hl-test-ssh-proxy-{tag}'
    common = [
        '    HostName 127.0.0.1',
        f'    Port {port}',
        f'    User {user}',
        f'    UserKnownHostsFile {home / "known_hosts"}',
        '    StrictHostKeyChecking yes',
    ]
    hop = ' '.join(
        [
            'ssh -F none -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes',
            f'-o UserKnownHostsFile={home / "known_hosts"} -i {home / "id_file"} -l {user} -W %h:%p -p %p %h',
        ]
    )
    aliases = home / 'ssh_config'
    aliases.write_text(
        '\n'.join(
            [
                f'Host {alias}',
                *common,
                f'    IdentityFile {home / "id_file"}',
                '    IdentitiesOnly yes',
                f'Host {agent_alias}',
                *common,
                f'Host {proxy_alias}',
                *common,
                f'    IdentityFile {home / "id_file"}',
                '    IdentitiesOnly yes',
                f"    ProxyCommand sh -c 'env > {home / 'proxy.env'}; exec {hop}'",
                '',
            ]
        )
    )
    agent_socket = home / 'agent.sock'
    agent = subprocess.Popen(['ssh-agent', '-D', '-a', str(agent_socket)], stdout=subprocess.DEVNULL)
    wait_for(agent_socket.exists, timeout=10, what='ssh-agent to listen')
    _run('ssh-add', '-q', str(home / 'id_agent'), env={**os.environ, 'SSH_AUTH_SOCK': str(agent_socket)})
    peer = SshPeer(home, port, alias, agent_alias, agent_socket, proxy_alias, home / 'sshd.log', _agent=agent)
    include = f'{MARK}\nInclude {aliases}'
    try:
        peer.start()
        with _included(include):
            yield peer
    finally:
        peer.close()


@contextlib.contextmanager
def _included(block: str) -> Iterator[None]:
    """`block` first in the user's real ~/.ssh/config (Include must come before any Host block); removed after."""
    ssh_dir = Path(pwd.getpwuid(os.getuid()).pw_dir) / '.ssh'
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    config = ssh_dir / 'config'
    existed = config.exists()
    before = config.read_text() if existed else ''
    config.write_text(f'{block}\n{before}')
    if not existed:
        config.chmod(0o600)
    try:
        yield
    finally:
        rest = config.read_text().replace(f'{block}\n', '', 1)
        if not existed and not rest.strip():
            config.unlink()
        else:
            config.write_text(rest)
