"""What a prune keeps though nothing runs it now (digest pins, rollback pins, known-good states, build images, the
stacks' networks), and removals the engine has the last word on (images never forced, build cache by exact id)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import docker.errors
import requests

from ops.adapters import Adapters
from ops.config import HomelabConfig, MaintenanceConfig, StackConfig
from ops.docker.engine import Engine
from ops.maintenance.prune_plan import PruneItem, PruneKind, PruneOptions, PrunePlan, plan_prune
from ops.maintenance.prune_rules import PruneScope
from ops.maintenance.prune_run import Recheck, carry_out
from ops.maintenance.records import KnownGood, RollbackPin

NOW = 2_000_000_000.0
OLD = int(NOW - 30 * 86400)
REPO = 'localhost:5000/media/app'
DIGEST = 'sha256:' + 'd1' * 32


def image_id(key: str) -> str:
    return 'sha256:' + key.ljust(64, '0')


def image(key: str, tags: list[str], digests: list[str] | None = None) -> dict[str, Any]:
    return {
        'Id': image_id(key),
        'RepoTags': tags,
        'RepoDigests': digests or [],
        'Created': OLD,
        'Size': 500,
        'SharedSize': 0,
        'Containers': 0,
    }


class FakeEngine:
    def __init__(self, images: list[dict[str, Any]], networks: list[dict[str, Any]]) -> None:
        self.images, self.network_list = images, networks

    def disk_usage(self) -> dict[str, Any]:
        return {'Images': self.images, 'Containers': [], 'BuildCache': []}

    def networks(self) -> list[dict[str, Any]]:
        return self.network_list


class FakeCompose:
    """`compose config` of the media stack: a service pinned by digest, a build-only one, a profile-gated one on
    the external `proxy` network (rendered only with every profile on, as Compose does)."""

    async def rendered(self, project: str, files: list[str], repo_dir: Path, **options: Any) -> dict[str, Any]:
        services: dict[str, Any] = {
            'db': {'image': f'docker.io/library/postgres:16@{DIGEST}'},
            'app': {'build': {'context': '/srv/media'}},
        }
        networks: dict[str, Any] = {'default': {'name': 'media_default'}}
        if options.get('all_profiles'):
            services['web'] = {'image': 'caddy:2', 'profiles': ['edge'], 'networks': {'proxy': None}}
            networks['proxy'] = {'name': 'proxy', 'external': True}
        return {'name': project, 'services': services, 'networks': networks}


def adapters(engine: FakeEngine) -> Adapters:
    config = HomelabConfig(
        stacks={'media': StackConfig(files=['compose.yml'])}, maintenance=MaintenanceConfig(known_good=2)
    )
    return Adapters(
        engine=engine,  # type: ignore[arg-type]
        compose=FakeCompose(),  # type: ignore[arg-type]
        loghub=None,  # type: ignore[arg-type]
        stack_locks=None,  # type: ignore[arg-type]
        config=config,
        data_dir=Path('/nonexistent'),
        repo_dir=Path('/nonexistent'),
        env='prod',
    )


def names(plan: PrunePlan) -> list[str]:
    return [item.name for item in plan.items]


async def test_images_a_stack_a_pin_or_a_known_good_state_needs_are_kept_and_counted(store: None) -> None:
    engine = FakeEngine(
        [
            image('bydigest', [], [f'postgres@{DIGEST}']),  # pulled by digest: no tag
            image('build', ['media-app:latest']),  # the build-only service's image
            image('prevbuild', []),  # its previous build: dangling, a known-good state
            image('pinned', [], [f'{REPO}@sha256:' + 'e2' * 32]),  # an active rollback pin by digest
            image('localpin', []),  # an active rollback pin on a local image id
            image('released', [], [f'{REPO}@sha256:' + 'f3' * 32]),  # a released pin: prunable
            image('ancient', []),  # a known-good state older than the last `known_good` (2): prunable
            image('stray', ['tools/stray:1']),
        ],
        [],
    )
    for n, key in enumerate(['ancient', 'prevbuild', 'prevbuild']):  # the newest two name prevbuild
        await KnownGood.create(
            stack='media',
            service='app',
            container_name='media-app-1',
            image='media-app',
            digest=image_id(key),
            image_id=image_id(key),
            config_hash=str(n),
        )
    await RollbackPin.create(stack='media', service='api', image=f'{REPO}:2', digest=f'{REPO}@sha256:' + 'e2' * 32,
                             pinned_by='ui:owner')  # fmt: skip
    await RollbackPin.create(stack='media', service='app', image='media-app', digest=image_id('localpin'),
                             pinned_by='ui:owner')  # fmt: skip
    released = await RollbackPin.create(stack='media', service='old', image=f'{REPO}:1',
                                        digest=f'{REPO}@sha256:' + 'f3' * 32, pinned_by='ui:owner')  # fmt: skip
    await RollbackPin.filter(id=released.id).update(released_at=released.pinned_at, released_by='ui:owner')

    images = PruneOptions(kinds=frozenset({PruneKind.DANGLING_IMAGE, PruneKind.UNUSED_IMAGE}))
    plan = await plan_prune(adapters(engine), images, now=NOW)

    assert sorted(names(plan)) == sorted(['untagged released0000', 'untagged ancient00000', 'tools/stray:1'])
    kept = ' '.join(plan.notes)
    assert 'Kept 5 images' in kept
    assert "1 named by a configured stack's files" in kept
    assert "1 built for a configured stack's service" in kept
    assert '2 held by an active rollback pin' in kept
    assert '1 of the last 2 known-good states of a service' in kept


async def test_networks_the_configured_stacks_declare_are_kept_even_with_no_container(store: None) -> None:
    media = {'com.docker.compose.project': 'media'}
    engine = FakeEngine(
        [],
        [
            {'Name': 'proxy', 'Id': 'proxy-id', 'Driver': 'bridge', 'Scope': 'local'},  # external, profile-gated
            {'Name': 'media_default', 'Id': 'default-id', 'Driver': 'bridge', 'Scope': 'local', 'Labels': media},
            {'Name': 'media_old', 'Id': 'media-old-id', 'Driver': 'bridge', 'Scope': 'local', 'Labels': media},
            {'Name': 'left-over', 'Id': 'left-id', 'Driver': 'bridge', 'Scope': 'local'},
        ],
    )
    plan = await plan_prune(adapters(engine), PruneOptions(kinds=frozenset({PruneKind.UNUSED_NETWORK})), now=NOW)
    assert names(plan) == ['left-over']
    assert any('Kept 3 networks' in note for note in plan.notes)


# ---- the engine has the last word: a fake of the engine's API, with its conflict rules -------------------------


def conflict(message: str) -> docker.errors.APIError:
    response = requests.Response()
    response.status_code = 409
    return docker.errors.APIError(message, response=response, explanation=message)


def not_found(message: str) -> docker.errors.NotFound:
    response = requests.Response()
    response.status_code = 404
    return docker.errors.NotFound(message, response=response, explanation=message)


class FakeApi:
    """Images by id with their names; a container is created (not started) from the image right after the re-check
    listed the containers. Like the engine, a forced delete ignores stopped and created containers."""

    def __init__(self) -> None:
        self.images: dict[str, dict[str, Any]] = {
            image_id('twotags'): {'RepoTags': ['tools/a:1', 'tools/b:1'], 'RepoDigests': []}
        }
        self.users: set[str] = set()
        self.calls: list[tuple[str, bool]] = []
        self.cache = {
            'abc': {'Type': 'regular', 'Shared': False, 'Size': 300},
            'xabcx': {'Type': 'regular', 'Shared': False, 'Size': 700},
            'frontend1': {'Type': 'frontend', 'Shared': False, 'Size': 100},
        }
        self.prunes: list[dict[str, Any]] = []

    def containers(self, all: bool = False, filters: dict[str, str] | None = None) -> list[dict[str, Any]]:
        self.users = set(self.images)  # a container appears right after this answer
        return []

    def inspect_image(self, name: str) -> dict[str, Any]:
        for iid, data in self.images.items():
            if name == iid or name in data['RepoTags'] or name in data['RepoDigests']:
                return {'Id': iid, 'Created': '2020-01-01T00:00:00Z', 'Config': {}, **data}
        raise not_found(f'No such image: {name}')

    def remove_image(self, name: str, force: bool = False, noprune: bool = False) -> list[dict[str, str]]:
        self.calls.append((name, force))
        iid = self.inspect_image(name)['Id']
        data = self.images[iid]
        refs = [*data['RepoTags'], *data['RepoDigests']]
        if name != iid and len(refs) > 1:
            data['RepoTags'] = [t for t in data['RepoTags'] if t != name]
            return [{'Untagged': name}]
        if iid in self.users and not force:  # the engine finds a container's use before the several repositories
            raise conflict(f'conflict: unable to delete {iid[7:19]} (must be forced) - image is being used by '
                           'stopped container 0123456789ab')  # fmt: skip
        if name == iid and len(refs) > 1 and not force:
            raise conflict(f'conflict: unable to delete {iid[7:19]} (must be forced) - image is referenced in '
                           'multiple repositories')  # fmt: skip
        del self.images[iid]
        return [{'Deleted': iid}]

    def tag(self, image: str, repository: str, tag: str | None = None, force: bool = False) -> bool:
        self.images[image]['RepoTags'].append(f'{repository}:{tag}')
        return True

    def prune_builds(self, filters: dict[str, list[str]] | None = None, keep_storage: Any = None,
                     all: bool | None = None) -> dict[str, Any]:  # fmt: skip
        self.prunes.append({'filters': filters, 'all': all})
        pattern = (filters or {}).get('id', [''])[0]
        deleted = [
            cid
            for cid, entry in self.cache.items()
            if re.search(pattern, cid) and (all or (entry['Type'] == 'regular' and not entry['Shared']))
        ]
        freed = sum(self.cache[cid]['Size'] for cid in deleted)
        for cid in deleted:
            del self.cache[cid]
        return {'CachesDeleted': deleted or None, 'SpaceReclaimed': freed}


class FakeClient:
    def __init__(self, api: FakeApi) -> None:
        self.api = api


def engine_on(api: FakeApi) -> Engine:
    engine = Engine()
    engine._client = FakeClient(api)  # type: ignore[assignment]
    return engine


RECHECK = Recheck(options=PruneOptions(older_than_seconds=0), scope=PruneScope(), configured_stacks=frozenset())


async def test_an_image_a_container_was_just_created_from_is_skipped_as_in_use_never_forced() -> None:
    api = FakeApi()
    item = PruneItem(kind=PruneKind.UNUSED_IMAGE, id=image_id('twotags'), name='tools/a:1, tools/b:1', size=500)
    outcome = await carry_out(PrunePlan(items=(item,)), engine_on(api), RECHECK, lambda *_: None)
    assert outcome.removed == [] and outcome.freed_bytes == 0
    [(_, reason)] = outcome.skipped
    assert reason.startswith('in use') and 'stopped container' in reason
    assert image_id('twotags') in api.images  # the engine kept it for the container
    assert all(force is False for _, force in api.calls)


async def test_an_image_nobody_uses_loses_its_names_one_by_one_and_is_deleted_by_id() -> None:
    api = FakeApi()
    api.containers = lambda all=False, filters=None: []  # type: ignore[method-assign]
    item = PruneItem(kind=PruneKind.UNUSED_IMAGE, id=image_id('twotags'), name='tools/a:1, tools/b:1', size=500)
    outcome = await carry_out(PrunePlan(items=(item,)), engine_on(api), RECHECK, lambda *_: None)
    assert outcome.removed == [item] and api.images == {}
    assert api.calls == [(image_id('twotags'), False), ('tools/b:1', False), (image_id('twotags'), False)]


async def test_a_build_cache_record_is_removed_by_its_exact_id_and_counted_only_when_the_engine_removed_it() -> None:
    api = FakeApi()
    plan = PrunePlan(
        items=(
            PruneItem(kind=PruneKind.BUILD_CACHE, id='abc', name='RUN make', size=300),
            PruneItem(kind=PruneKind.BUILD_CACHE, id='frontend1', name='frontend', size=100),
            PruneItem(kind=PruneKind.BUILD_CACHE, id='gone', name='RUN test', size=50),
        )
    )
    outcome = await carry_out(plan, engine_on(api), RECHECK, lambda *_: None)
    assert [item.id for item in outcome.removed] == ['abc', 'frontend1']
    assert [item.id for item, _ in outcome.skipped] == ['gone']
    assert outcome.freed_bytes == 400
    assert set(api.cache) == {'xabcx'}  # a record whose id merely contains another's is not touched
