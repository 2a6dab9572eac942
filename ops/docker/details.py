"""What `docker inspect` says about one container, as small frozen records (built from the engine's JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ops.docker.labels import CONFIG_HASH_LABEL, PROJECT_LABEL, SERVICE_LABEL
from ops.masking import is_masked, shown_value

# The engine's "never" timestamp (a container that never finished, never started...).
_ZERO_TIME = '0001-01-01T00:00:00Z'


@dataclass(frozen=True, kw_only=True, slots=True)
class ImageRef:
    """A local image: its id and the registry digests it is known by."""

    id: str
    repo_digests: tuple[str, ...] = ()

    def digest_for(self, reference: str) -> str | None:
        """The repo digest (`repo@sha256:...`) of this image for the repository of `reference`."""
        repository = repository_of(reference)
        return next((d for d in self.repo_digests if d.split('@', 1)[0] == repository), None)


@dataclass(frozen=True, kw_only=True, slots=True)
class PortBinding:
    """A container port and where the host publishes it (host_port None: exposed, not published)."""

    container_port: str
    host_ip: str | None = None
    host_port: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class MountInfo:
    """A bind mount, volume or tmpfs of the container."""

    type: str
    source: str
    destination: str
    read_only: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class NetworkInfo:
    """One network the container is attached to."""

    name: str
    ip_address: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class EnvSetting:
    """One environment variable of a container as it may be shown: a secret-looking value is already masked."""

    name: str
    value: str | None
    hidden: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class HealthProbe:
    """One run of the container's healthcheck."""

    start: str
    end: str
    exit_code: int
    output: str


@dataclass(frozen=True, kw_only=True, slots=True)
class HealthReport:
    """The healthcheck state; `status` is 'none' when the container has no healthcheck."""

    status: str
    failing_streak: int = 0
    log: tuple[HealthProbe, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class ContainerDetails:
    """The parts of `docker inspect` an operator looks at."""

    id: str
    name: str
    stack: str | None
    service: str | None
    config_hash: str | None
    image: str
    image_id: str
    repo_digests: tuple[str, ...]
    state: str
    exit_code: int
    started_at: str | None
    finished_at: str | None
    restart_count: int
    restart_policy: str
    tty: bool
    ports: tuple[PortBinding, ...]
    mounts: tuple[MountInfo, ...]
    networks: tuple[NetworkInfo, ...]
    health: HealthReport
    environment: tuple[EnvSetting, ...] = ()


def details_from_inspect(data: dict[str, Any], image: ImageRef | None) -> ContainerDetails:
    """Build ContainerDetails from `GET /containers/{id}/json` (and the inspect of its image, if it still exists)."""
    config = data.get('Config') or {}
    state = data.get('State') or {}
    labels = config.get('Labels') or {}
    host_config = data.get('HostConfig') or {}
    return ContainerDetails(
        id=data['Id'],
        name=str(data.get('Name') or data['Id'][:12]).lstrip('/'),
        stack=labels.get(PROJECT_LABEL),
        service=labels.get(SERVICE_LABEL),
        config_hash=labels.get(CONFIG_HASH_LABEL),
        image=str(config.get('Image') or ''),
        image_id=str(data.get('Image') or ''),
        repo_digests=image.repo_digests if image else (),
        state=str(state.get('Status') or 'unknown'),
        exit_code=int(state.get('ExitCode') or 0),
        started_at=_time(state.get('StartedAt')),
        finished_at=_time(state.get('FinishedAt')),
        restart_count=int(data.get('RestartCount') or 0),
        restart_policy=str((host_config.get('RestartPolicy') or {}).get('Name') or 'no'),
        tty=bool(config.get('Tty')),
        ports=_ports(data),
        mounts=tuple(
            MountInfo(
                type=str(m.get('Type') or ''),
                source=str(m.get('Name') or m.get('Source') or ''),
                destination=str(m.get('Destination') or ''),
                read_only=not m.get('RW', True),
            )
            for m in data.get('Mounts') or []
        ),
        networks=tuple(
            NetworkInfo(name=name, ip_address=str(net.get('IPAddress') or ''), aliases=tuple(net.get('Aliases') or ()))
            for name, net in sorted(((data.get('NetworkSettings') or {}).get('Networks') or {}).items())
        ),
        health=health_from_state(state),
        environment=environment_of(config.get('Env')),
    )


def environment_of(entries: object) -> tuple[EnvSetting, ...]:
    """`Config.Env` (`NAME=value` strings) with every secret-looking value masked: no secret leaves the engine's
    JSON for a page, a run's result or a log line."""
    settings: list[EnvSetting] = []
    for entry in entries if isinstance(entries, list) else []:
        name, sep, value = str(entry).partition('=')
        raw = value if sep else None
        settings.append(EnvSetting(name=name, value=shown_value(name, raw), hidden=is_masked(name, raw)))
    return tuple(settings)


def health_from_state(state: dict[str, Any]) -> HealthReport:
    """The `State.Health` part of an inspect, or status 'none' without a healthcheck."""
    health = state.get('Health')
    if not health:
        return HealthReport(status='none')
    return HealthReport(
        status=str(health.get('Status') or 'none'),
        failing_streak=int(health.get('FailingStreak') or 0),
        log=tuple(
            HealthProbe(
                start=str(probe.get('Start') or ''),
                end=str(probe.get('End') or ''),
                exit_code=int(probe.get('ExitCode') or 0),
                output=str(probe.get('Output') or '').rstrip('\n'),
            )
            for probe in health.get('Log') or []
        ),
    )


def repository_of(reference: str) -> str:
    """`localhost:5000/app:v1` -> `localhost:5000/app`: the reference without tag or digest."""
    name = reference.split('@', 1)[0]
    slash = name.rfind('/')
    colon = name.rfind(':')
    return name[:colon] if colon > slash else name


def _ports(data: dict[str, Any]) -> tuple[PortBinding, ...]:
    # NetworkSettings.Ports has what is actually published; a port mapped to None is only exposed.
    ports = (data.get('NetworkSettings') or {}).get('Ports') or {}
    bindings: list[PortBinding] = []
    for container_port, published in sorted(ports.items()):
        if not published:
            bindings.append(PortBinding(container_port=container_port))
        for binding in published or []:
            bindings.append(
                PortBinding(
                    container_port=container_port,
                    host_ip=binding.get('HostIp') or None,
                    host_port=binding.get('HostPort') or None,
                )
            )
    return tuple(bindings)


def _time(value: object) -> str | None:
    return None if not value or value == _ZERO_TIME else str(value)
