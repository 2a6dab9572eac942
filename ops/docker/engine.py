"""The only importer of docker-py: the engine adapter, translating its errors into the project's own."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from typing import Any

import docker
import docker.auth
import docker.constants
import docker.errors
import docker.utils
import requests
import requests.exceptions
import urllib3.exceptions

from ops.docker.cgroups import CgroupInfo, ContainerProcess, cgroup_info_from, process_from_inspect
from ops.docker.chunked import ChunkedBody, ChunkError
from ops.docker.containers import ContainerInfo, container_from_summary
from ops.docker.details import ContainerDetails, ImageRef, details_from_inspect, repository_of
from ops.docker.engine_ssh import SshAdapter, SshTarget, ssh_reason
from ops.docker.layers import PullEvent, PullFailed, pull_event, pull_messages
from ops.docker.logstream import LogDecoder, LogStream
from ops.docker.registry_facts import RegistryFacts, registry_facts_from
from ops.docker.streams import Cancel, shut_response

_CHUNK = 65536


DEFAULT_STOP_GRACE = 10  # what the engine waits after SIGTERM for a container without its own stop timeout


class EngineError(Exception):
    """The engine answered, but refused or failed the request."""


class EngineUnavailable(EngineError):
    """The engine cannot be reached (socket missing, daemon down, connection cut or timed out)."""


class ImageInUse(EngineError):
    """The engine refused to delete an image: a container (even a stopped one) or a child image needs it."""


class Engine:
    """A lazily connected Docker engine; every method blocks, so callers run it off the event loop."""

    def __init__(self, base_url: str | None = None, *, timeout: float = 15.0) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self._client: docker.DockerClient | None = None
        self._lock = threading.Lock()

    def client(self) -> docker.DockerClient:
        with self._lock:
            if self._client is None:
                try:
                    if self.base_url and self.base_url.startswith('ssh://'):
                        self._client = _over_ssh(self.base_url, self.timeout)
                    elif self.base_url:
                        self._client = docker.DockerClient(base_url=self.base_url, version='auto', timeout=self.timeout)
                    else:
                        self._client = docker.from_env(version='auto', timeout=self.timeout)
                except (docker.errors.DockerException, ValueError) as err:
                    raise EngineUnavailable(_describe(err)) from err
            return self._client

    def reset(self) -> None:
        """Drop the connection so the next call reconnects (and renegotiates the API version)."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def version(self) -> str:
        with _translated(self):
            return str(self.client().version().get('Version', 'unknown'))

    def about(self) -> tuple[str, int | None]:
        """The engine's version and its clock now (ns; None if it does not say), in one request (`docker info`).
        A socket proxy may refuse `info` and allow `version` (docker-socket-proxy's defaults): then the version
        alone, and no clock."""
        with _translated(self):
            try:
                info = self.client().info()
            except docker.errors.APIError:
                return self.version(), None
        return str(info.get('ServerVersion') or 'unknown'), engine_clock(str(info.get('SystemTime') or ''))

    @property
    def local(self) -> bool:
        """Whether the engine runs on this machine (a unix socket): the paths it names are this host's."""
        url = self.base_url or os.environ.get('DOCKER_HOST') or 'unix://'
        return url.startswith('unix://')

    def data_root(self) -> str:
        """Where the engine keeps images, containers and volumes (its DockerRootDir), as its machine names it."""
        with _translated(self):
            root = self.client().info().get('DockerRootDir')
        if not isinstance(root, str) or not root.startswith('/'):
            raise EngineError(f'the engine names no data root ({root!r})')
        return root

    def cgroup_info(self) -> CgroupInfo:
        """The engine's cgroup version and driver (where its containers' counters live) and the host's memory."""
        with _translated(self):
            return cgroup_info_from(self.client().info())

    def process_of(self, container: str) -> ContainerProcess:
        """A container's init process (its pid on the engine's host) and network mode."""
        with _translated(self):
            return process_from_inspect(self.client().api.inspect_container(container))

    def stats_once(self, container: str) -> dict[str, Any]:
        """One reading of the engine's stats of a container, without waiting for a second one (API 1.41 on)."""
        with _translated(self):
            api = self.client().api
            one_shot = None if docker.utils.version_lt(api._version, '1.41') else True
            return dict(api.stats(container, stream=False, one_shot=one_shot))

    def list_containers(self, **filters: str) -> list[ContainerInfo]:
        with _translated(self):
            summaries = self.client().api.containers(all=True, filters=filters or None)
        return [container_from_summary(summary) for summary in summaries]

    def find_container(self, container_id: str) -> ContainerInfo | None:
        """The current summary of one container, or None when it no longer exists."""
        found = self.list_containers(id=container_id)
        return found[0] if found else None

    def disk_usage(self) -> dict[str, Any]:
        """The engine's `system df`: images, containers, volumes and build cache with their sizes."""
        with _translated(self):
            return dict(self.client().api.df())

    def events(self, since: float | str | None = None, until: float | str | None = None) -> EventStream:
        """Container events from `since` on (until `until`, else live); close() stops it from another thread.

        A time is unix seconds, or the engine's own "SECONDS.NANOSECONDS" string (9 digits) for an exact resume.
        """
        with _translated(self):
            stream = self.client().api.events(
                since=_event_time(since), until=_event_time(until), filters={'type': 'container'}, decode=True
            )
        return EventStream(stream, self)

    def inspect(self, container: str) -> ContainerDetails:
        """The inspect summary of one container (with the repo digests of its image)."""
        with _translated(self):
            data = self.client().api.inspect_container(container)
            image = self._image_ref(str(data.get('Image') or ''))
        return details_from_inspect(data, image)

    def image_ref(self, image: str) -> ImageRef | None:
        """The local image a reference (or id) points at, or None when there is none."""
        with _translated(self):
            return self._image_ref(image)

    def restart(self, container: str, *, timeout: int = 10) -> None:
        """Restart a container; `timeout` seconds of grace after SIGTERM before the engine kills it."""
        with _translated(self):
            self.client().api.restart(container, timeout=timeout)

    def stop(self, container: str, *, longest_grace: int) -> int:
        """Stop a container as `docker stop` does: SIGTERM, then SIGKILL after the container's own stop timeout (the
        engine's default 10 s without one), but never more than `longest_grace` seconds, so the request ends within
        its run's timeout and the run's lock is not let go while the engine is still stopping it. A stopped container
        stays as it is. Returns the grace used."""
        with _translated(self):
            api = self.client().api
            own = (api.inspect_container(container).get('Config') or {}).get('StopTimeout')
            grace = DEFAULT_STOP_GRACE if own is None else int(own)
            grace = grace if 0 <= grace <= longest_grace else longest_grace  # -1 means "wait forever" to the engine
            api.stop(container, timeout=grace)  # docker-py waits grace + the client timeout for the answer
            return grace

    def start(self, container: str) -> None:
        """Start a stopped container (a running one stays as it is)."""
        with _translated(self):
            self.client().api.start(container)

    def pull(
        self, image: str, on_progress: Callable[[PullEvent], object] | None = None, *, cancel: Cancel | None = None
    ) -> ImageRef:
        """Pull `image` (tag defaults to latest), reporting each progress message; returns the pulled image."""
        repository, tag = docker.utils.parse_repository_tag(image)
        with _translated(self):
            api = self.client().api
            registry, _ = docker.auth.resolve_repository_name(repository)
            auth = docker.auth.get_config_header(api, registry)
            # The raw request rather than api.pull(): only the response lets another thread abort the pull.
            response = api._post(
                api._url('/images/create'),
                params={'fromImage': repository, 'tag': tag or 'latest'},
                headers={'X-Registry-Auth': auth} if auth else {},
                stream=True,
                timeout=None,
            )
            api._raise_for_status(response)
        if cancel is not None:
            cancel.attach(lambda: shut_response(response))
        try:
            for message in pull_messages(_chunks(response)):
                event = pull_event(message)
                if on_progress is not None:
                    on_progress(event)
        except PullFailed as err:
            raise EngineError(f'pull of {image} failed: {err}') from err
        except ValueError as err:  # not the JSON the engine promises
            raise EngineError(f'pull of {image}: unreadable progress from the engine ({err})') from err
        except EngineUnavailable:
            if cancel is None or not cancel.requested:
                raise
        finally:
            response.close()
        if cancel is not None and cancel.requested:
            raise EngineError(f'pull of {image} was cancelled')
        pulled = self.image_ref(image)
        if pulled is None:
            raise EngineError(f'pull of {image} ended, but the engine has no such image')
        return pulled

    def registry_digest(self, image: str) -> str:
        """The digest the registry serves now for `image`'s tag (a manifest check: nothing is pulled)."""
        with _translated(self):
            data = self.client().api.inspect_distribution(image)
        digest = str((data.get('Descriptor') or {}).get('digest') or '')
        if not digest.startswith('sha256:'):
            raise EngineError(f'the registry gave no digest for {image}')
        return digest

    def registry_facts(self) -> RegistryFacts:
        """Docker Hub's index, the registries taken over plain http and the engine's platform (`docker info`)."""
        with _translated(self):
            return registry_facts_from(self.client().info())

    def running_config(self, container: str) -> dict[str, Any]:
        """What a container was created with (Config, HostConfig), and its image's own environment."""
        with _translated(self):
            api = self.client().api
            data = api.inspect_container(container)
            try:
                image_env = (api.inspect_image(str(data.get('Image') or '')).get('Config') or {}).get('Env') or []
            except docker.errors.ImageNotFound:
                image_env = []
        return {'Config': data.get('Config') or {}, 'HostConfig': data.get('HostConfig') or {}, 'ImageEnv': image_env}

    def remove(self, container: str, *, timeout: int = 10) -> None:
        """Stop (SIGTERM, then SIGKILL after `timeout` s) and delete a container; its volumes stay."""
        with _translated(self):
            api = self.client().api
            api.stop(container, timeout=timeout)
            api.remove_container(container)

    # ---- housekeeping (ops/maintenance/prune_*.py, volume_remove): raw engine answers, removals by full id ----

    def container_summaries(self, **filters: str) -> list[dict[str, Any]]:
        """The containers as the engine lists them (stopped ones too), with labels, networks and mounts; with
        `filters` (the engine's own: id=, ancestor=, network=, volume=...) only those the engine says match."""
        with _translated(self):
            return [dict(summary) for summary in self.client().api.containers(all=True, filters=filters or None)]

    def networks(self) -> list[dict[str, Any]]:
        """Every network as the engine lists it."""
        with _translated(self):
            return [dict(network) for network in self.client().api.networks()]

    def network(self, network_id: str) -> dict[str, Any] | None:
        """One network's inspect answer (its attached endpoints under Containers), or None when it is gone."""
        with _translated(self):
            try:
                return dict(self.client().api.inspect_network(network_id))
            except docker.errors.NotFound:
                return None

    def image(self, image_id: str) -> dict[str, Any] | None:
        """One image's inspect answer, or None when it is gone."""
        with _translated(self):
            try:
                return dict(self.client().api.inspect_image(image_id))
            except docker.errors.NotFound:
                return None

    def volume(self, name: str) -> dict[str, Any] | None:
        """One volume's inspect answer, or None when there is none of that name."""
        with _translated(self):
            try:
                return dict(self.client().api.inspect_volume(name))
            except docker.errors.NotFound:
                return None

    def delete_image(self, image_id: str, *, tags: Sequence[str], digests: Sequence[str]) -> None:
        """Delete one image by its full id, never forced, so the engine's own check has the last word (ImageInUse
        when a container, even a stopped or just created one, or a child image needs it). The engine deletes an id
        with names in one repository only: when it answers that the image is referenced in several, the names beyond
        the first repository's are untagged one by one (each only while it still names this image) and the id is
        deleted again; should that still be refused (a container made meanwhile), the untagged names are given back,
        so the image stays with all its tags (a digest name cannot be given back: the image keeps its tags)."""
        names = [tag for tag in tags if tag != '<none>:<none>']
        first = repository_of(names[0]) if names else repository_of(digests[0]) if digests else None
        extra = names[1:] + [d for d in digests if '@' in d and repository_of(d) != first]
        with _translated(self):
            api = self.client().api
            try:
                api.remove_image(image_id, force=False, noprune=False)
                return
            except docker.errors.APIError as err:
                if err.status_code != 409:
                    raise
                if not extra or _MANY_REPOSITORIES not in _describe(err):
                    raise ImageInUse(_describe(err)) from err
            untagged: list[str] = []
            try:
                for name in extra:
                    with suppress(docker.errors.NotFound):  # a digest goes with its repository's last tag
                        if api.inspect_image(name).get('Id') == image_id:
                            api.remove_image(name, force=False, noprune=False)
                            untagged.append(name)
                api.remove_image(image_id, force=False, noprune=False)
            except docker.errors.APIError as err:
                lost = _tag_again(api, image_id, untagged)
                if err.status_code == 409:
                    raise ImageInUse(_describe(err) + lost) from err
                raise EngineError(_describe(err) + lost) from err

    def delete_stopped_container(self, container_id: str) -> None:
        """Delete one stopped container by its full id; the engine refuses a running one; its volumes stay."""
        with _translated(self):
            self.client().api.remove_container(container_id, v=False, force=False)

    def delete_network(self, network_id: str) -> None:
        """Delete one network by its full id (the engine refuses one with endpoints)."""
        with _translated(self):
            self.client().api.remove_network(network_id)

    def delete_build_cache(self, cache_id: str) -> tuple[bool, int]:
        """Prune the one build cache record `cache_id` through the build prune API, whatever its type (`all`: else
        internal, frontend and shared records are skipped); whether the engine says it deleted it, and the bytes
        freed. The API matches `id` as a regular expression, so the id is anchored (and must be plain)."""
        if not _CACHE_ID.match(cache_id):
            raise EngineError(f'{cache_id!r} is not a build cache id this console can name exactly')
        with _translated(self):
            answer = self.client().api.prune_builds(filters={'id': [f'^{cache_id}$']}, all=True) or {}
        deleted = cache_id in (answer.get('CachesDeleted') or [])
        return deleted, int(answer.get('SpaceReclaimed') or 0) if deleted else 0

    def delete_volume(self, name: str) -> None:
        """Delete one volume by name (the engine refuses a volume a container uses)."""
        with _translated(self):
            self.client().api.remove_volume(name, force=False)

    def logs(
        self,
        container: str,
        *,
        tail: int | None = None,
        since: float | None = None,
        until: str | None = None,
        follow: bool = False,
        timestamps: bool = False,
    ) -> LogStream:
        """A container's log lines (the last `tail`, from `since` on, up to `until` (the engine's SECONDS.NANOSECONDS),
        live with `follow`); close() it when done."""
        with _translated(self):
            api = self.client().api
            tty = bool((api.inspect_container(container).get('Config') or {}).get('Tty'))
            params: dict[str, Any] = {
                'stdout': 1,
                'stderr': 1,
                'follow': int(follow),
                'timestamps': int(timestamps),
                'tail': 'all' if tail is None else int(tail),
            }
            if since is not None:
                params['since'] = int(since)
            if until is not None:
                params['until'] = until
            # docker-py reads a TTY stream one byte per call; the raw response lets us read whole chunks.
            response = api._get(api._url('/containers/{0}/logs', container), params=params, stream=True)
            api._raise_for_status(response)
            if follow:
                # A quiet container must not end a live stream with a read timeout.
                api._disable_socket_timeout(api._get_raw_response_socket(response))
        return LogStream(
            _body_chunks(response), LogDecoder(tty=tty, timestamps=timestamps), lambda: shut_response(response)
        )

    def _image_ref(self, image: str) -> ImageRef | None:
        if not image:
            return None
        try:
            data = self.client().api.inspect_image(image)
        except docker.errors.ImageNotFound:
            return None
        return ImageRef(id=str(data['Id']), repo_digests=tuple(data.get('RepoDigests') or ()))


class EventStream:
    """An iterator over decoded engine events that can be closed from any thread."""

    def __init__(self, stream: Any, engine: Engine) -> None:
        self._stream = stream
        self._engine = engine

    def __iter__(self) -> Iterator[dict[str, Any]]:
        with _translated(self._engine):
            yield from self._stream

    def close(self) -> None:
        # Closing a dead stream may fail in many ways; it is closed either way.
        with suppress(Exception):
            self._stream.close()


def _over_ssh(url: str, timeout: float) -> docker.DockerClient:
    """A client whose connections are the system ssh client running `docker system dial-stdio` on the host.

    Not docker-py's own ssh:// support: that needs paramiko even for its ssh-binary mode, hands ssh the console's
    whole environment, drops ssh's error messages and cannot cancel a stream.
    """
    target = SshTarget.parse(url)
    # No request is made yet: the unix adapter mounted for the placeholder URL is replaced before the first one.
    client = docker.DockerClient(
        base_url='unix:///nonexistent', version=docker.constants.MINIMUM_DOCKER_API_VERSION, timeout=timeout
    )
    api = client.api
    placeholder = api.get_adapter('http+docker://localhost')
    api.mount('http+docker://', SshAdapter(target, timeout))
    placeholder.close()
    try:
        api._version = str(api.version(api_version=False)['ApiVersion'])  # what version='auto' negotiates
    except BaseException:
        client.close()
        raise
    return client


@contextmanager
def _translated(engine: Engine) -> Iterator[None]:
    """Turn docker-py and requests errors into EngineUnavailable / EngineError at this boundary."""
    try:
        yield
    except EngineError:
        raise
    except (
        requests.exceptions.ConnectionError,
        requests.exceptions.Timeout,
        urllib3.exceptions.HTTPError,  # a stream read straight from urllib3 (events) broke off
        ConnectionError,
    ) as exc:
        engine.reset()
        raise EngineUnavailable(_describe(exc)) from exc
    except docker.errors.APIError as exc:
        raise EngineError(_describe(exc)) from exc
    except (docker.errors.DockerException, OSError) as exc:
        engine.reset()
        raise EngineUnavailable(_describe(exc)) from exc


_MANY_REPOSITORIES = 'referenced in multiple repositories'  # the engine's refusal to delete a many-named id
_CACHE_ID = re.compile(r'^[A-Za-z0-9]{1,128}$')
_SYSTEM_TIME = re.compile(r'^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$')


def engine_clock(system_time: str) -> int | None:
    """`docker info`'s SystemTime (RFC 3339, nanoseconds) as unix ns, the unit of an event's timeNano."""
    match = _SYSTEM_TIME.match(system_time.strip())
    if match is None:
        return None
    whole, fraction, zone = match.groups()
    seconds = int(datetime.fromisoformat(whole + ('+00:00' if zone == 'Z' else zone)).timestamp())
    return seconds * 1_000_000_000 + int((fraction or '').ljust(9, '0'))


def _event_time(value: float | str | None) -> str | None:
    """The engine's time format: a float becomes SECONDS.NANOSECONDS; a string is passed as given."""
    if value is None or isinstance(value, str):
        return value
    return f'{value:.9f}'


def _chunks(response: requests.Response) -> Iterator[bytes]:
    """The body as it arrives: read1 returns what the socket has, so a live stream is never held back."""
    try:
        while chunk := response.raw.read1(_CHUNK):
            yield chunk
    except (urllib3.exceptions.HTTPError, requests.exceptions.RequestException, OSError) as err:
        # A broken stream is not a dead engine: no reset() of the shared client here.
        raise EngineUnavailable(f'the engine stream broke off: {_describe(err)}') from err


def _body_chunks(response: requests.Response) -> Iterator[bytes]:
    """The payload of a chunked body in large reads, each carrying every engine chunk that has arrived.

    The engine sends a log stream as one HTTP chunk per frame; http.client's reader (behind `raw.read1`) hands out
    one chunk per call, which costs more than the line it carries. This reads the socket's buffered file directly
    (whatever the transport: unix socket, TCP, TLS, ssh) and undoes the chunking in bulk. A body that is not
    chunked, or that something has already started reading, goes the ordinary way.
    """
    sock_file = _unread_chunked_body(response)
    if sock_file is None:
        yield from _chunks(response)
        return
    body = ChunkedBody()
    try:
        while not body.done:
            data = sock_file.read1(_CHUNK)
            if not data:
                raise EngineUnavailable('the engine stream broke off: the connection closed inside the body')
            if payload := body.feed(data):
                yield payload
    except (ChunkError, OSError) as err:
        raise EngineUnavailable(f'the engine stream broke off: {_describe(err)}') from err
    finally:
        # The connection is left mid-protocol for http.client: it must never go back to the pool.
        shut_response(response)


def _unread_chunked_body(response: requests.Response) -> Any:
    """The buffered socket file under `response` when its body is chunked and not a byte of it read yet."""
    raw = response.raw  # urllib3's response; its _fp is http.client's, whose fp reads the socket
    http_response = getattr(raw, '_fp', None)
    sock_file = getattr(http_response, 'fp', None)
    if (
        sock_file is None
        or not getattr(http_response, 'chunked', False)
        or getattr(http_response, 'chunk_left', 0) is not None  # None: no chunk read yet
        or raw.headers.get('content-encoding', 'identity') != 'identity'
        or not hasattr(sock_file, 'read1')
    ):
        return None
    return sock_file


def _tag_again(api: Any, image_id: str, names: Sequence[str]) -> str:
    """Give the image back the tags `names` taken off it; '' or what could not be given back, to add to a message."""
    failed = []
    for name in names:
        repository, tag = docker.utils.parse_repository_tag(name)
        if tag is None or tag.startswith('sha256:'):
            failed.append(name)  # a digest name is the engine's record of a pull, not a tag to set
            continue
        try:
            api.tag(image_id, repository, tag)
        except docker.errors.APIError:
            failed.append(name)
    return f' (could not give back {", ".join(failed)})' if failed else ''


def _describe(err: BaseException) -> str:
    if reason := ssh_reason(err):  # ssh's own words ("Connection refused", "Permission denied (publickey)")
        return reason
    if isinstance(err, docker.errors.APIError):
        return str(err.explanation or err)
    text = str(err)
    if 'FileNotFoundError' in text or 'No such file or directory' in text:
        return 'the Docker socket does not exist (is the engine running?)'
    if 'Connection refused' in text:
        return 'the Docker engine refused the connection (is it running?)'
    if 'Read timed out' in text or isinstance(err, requests.exceptions.Timeout):
        return 'the Docker engine did not answer in time'
    return text or type(err).__name__
