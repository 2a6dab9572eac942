"""Deleting an image never forced: one the engine refuses keeps every name it had, even when it was refused only
after its other names were taken off (a container made from it meanwhile); a local build cannot be pulled back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import docker.errors
import pytest
import requests

from ops.docker.details import repository_of
from ops.docker.engine import Engine, ImageInUse

IMAGE = 'sha256:' + 'ab' * 32
OTHER = 'sha256:' + 'cd' * 32


def conflict(message: str) -> docker.errors.APIError:
    response = requests.Response()
    response.status_code = 409
    return docker.errors.APIError(message, response=response, explanation=message)


def not_found(message: str) -> docker.errors.NotFound:
    response = requests.Response()
    response.status_code = 404
    return docker.errors.NotFound(message, response=response, explanation=message)


class FakeApi:
    """One image and its names, with the engine's order of refusals for a delete by id without force: a child image,
    then a container using it (even a created one), then names in several repositories. `on_untag` runs after each
    name is taken off (to make a container from the image meanwhile)."""

    def __init__(self, tags: list[str], digests: list[str] | None = None) -> None:
        self.tags = list(tags)
        self.digests = list(digests or [])
        self.users: list[str] = []
        self.children = False
        self.gone = False
        self.calls: list[str] = []
        self.on_untag: Callable[[], None] = lambda: None

    def inspect_image(self, name: str) -> dict[str, Any]:
        if not self.gone and (name == IMAGE or name in self.tags or name in self.digests):
            return {'Id': IMAGE, 'RepoTags': list(self.tags), 'RepoDigests': list(self.digests)}
        raise not_found(f'No such image: {name}')

    def remove_image(self, name: str, force: bool = False, noprune: bool = False) -> list[dict[str, str]]:
        assert force is False
        self.calls.append(f'rmi {name}')
        self.inspect_image(name)
        if name != IMAGE:
            self.tags = [tag for tag in self.tags if tag != name]
            self.digests = [digest for digest in self.digests if digest != name]
            self.on_untag()
            return [{'Untagged': name}]
        short = IMAGE[7:19]
        if self.children:
            raise conflict(f'conflict: unable to delete {short} (cannot be forced) - image has dependent child images')
        if self.users:
            raise conflict(f'conflict: unable to delete {short} (must be forced) - image is being used by stopped '
                           f'container {self.users[0]}')  # fmt: skip
        if len({repository_of(name) for name in self.tags + self.digests}) > 1:
            raise conflict(f'conflict: unable to delete {short} (must be forced) - image is referenced in multiple '
                           'repositories')  # fmt: skip
        self.gone = True
        return [{'Deleted': IMAGE}]

    def tag(self, image: str, repository: str, tag: str | None = None, force: bool = False) -> bool:
        assert image == IMAGE and not self.gone
        self.calls.append(f'tag {repository}:{tag}')
        self.tags.append(f'{repository}:{tag}')
        return True


class FakeClient:
    def __init__(self, api: FakeApi) -> None:
        self.api = api


def engine_on(api: FakeApi) -> Engine:
    engine = Engine()
    engine._client = FakeClient(api)  # type: ignore[assignment]
    return engine


TAGS = ['homelab/tools:1', 'backup/tools:1', 'homelab/tools:latest']


def test_an_image_in_use_keeps_its_names_in_every_repository() -> None:
    api = FakeApi(TAGS)
    api.users = ['0123456789ab']
    with pytest.raises(ImageInUse, match='stopped container 0123456789ab'):
        engine_on(api).delete_image(IMAGE, tags=TAGS, digests=[])
    assert sorted(api.tags) == sorted(TAGS)
    assert api.calls == [f'rmi {IMAGE}']  # refused before any name was taken off


def test_an_image_with_a_child_built_from_it_keeps_its_names() -> None:
    api = FakeApi(TAGS)
    api.children = True
    with pytest.raises(ImageInUse, match='dependent child images'):
        engine_on(api).delete_image(IMAGE, tags=TAGS, digests=[])
    assert sorted(api.tags) == sorted(TAGS)


def test_a_container_made_while_the_names_come_off_gets_them_back() -> None:
    api = FakeApi(TAGS)
    api.on_untag = lambda: api.users.append('fedcba987654')  # made from the image in the race window
    with pytest.raises(ImageInUse, match='stopped container fedcba987654'):
        engine_on(api).delete_image(IMAGE, tags=TAGS, digests=[])
    assert sorted(api.tags) == sorted(TAGS)
    assert not api.gone


def test_a_digest_name_that_cannot_be_given_back_is_said() -> None:
    digests = ['homelab/tools@sha256:' + '11' * 32, 'mirror/tools@sha256:' + '22' * 32]
    api = FakeApi(TAGS[:1], digests)
    api.on_untag = lambda: api.users.append('fedcba987654')
    with pytest.raises(ImageInUse, match=r'could not give back mirror/tools@sha256:2222'):
        engine_on(api).delete_image(IMAGE, tags=TAGS[:1], digests=digests)
    assert api.tags == TAGS[:1]  # the image keeps its tag: it is not left nameless


def test_an_image_nobody_uses_loses_its_other_names_and_is_deleted() -> None:
    api = FakeApi(TAGS)
    engine_on(api).delete_image(IMAGE, tags=TAGS, digests=[])
    assert api.gone
    assert api.calls[0] == f'rmi {IMAGE}' and api.calls[-1] == f'rmi {IMAGE}'
    one_repository = FakeApi(['homelab/tools:1', 'homelab/tools:2'])
    engine_on(one_repository).delete_image(IMAGE, tags=one_repository.tags, digests=[])
    assert one_repository.gone and one_repository.calls == [f'rmi {IMAGE}']  # the engine drops one repository's names
