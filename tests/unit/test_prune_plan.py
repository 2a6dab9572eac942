"""The prune plan from the engine's answers (fakes): what it lists, what it keeps, sizes, scope, and the re-check."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError

from ops.config import HomelabConfig, MaintenanceConfig
from ops.docker.docker_prune import Params, docker_prune, options_of
from ops.maintenance.prune_plan import (
    EngineFacts,
    PruneKind,
    PruneOptions,
    PrunePlan,
    plan_from,
)
from ops.maintenance.prune_rules import PruneScope
from ops.maintenance.prune_run import MAX_APPROVED, NOT_APPROVED, Recheck, carry_out
from ops.maintenance.volumes import volumes_from
from ops.run_context import RunContext

NOW = 2_000_000_000.0
DAY = 86400
OLD = int(NOW - 30 * DAY)
IDS = {name: 'sha256:' + name.ljust(64, '0') for name in ('dangling', 'old', 'young', 'used', 'named', 'parent')}


def image(key: str, tags: list[str], created: int = OLD, **extra: Any) -> dict[str, Any]:
    return {'Id': IDS[key], 'RepoTags': tags, 'Created': created, 'Size': 500, 'SharedSize': 200, **extra}


def container(
    cid: str, state: str, image_key: str, labels: dict[str, str] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        'Id': cid.ljust(64, 'c'),
        'Names': [f'/{cid}'],
        'State': state,
        'Status': state,
        'ImageID': IDS[image_key],
        'Labels': labels or {},
        'SizeRw': 1000,
        'Created': int(NOW - DAY),
        **extra,
    }


def facts() -> EngineFacts:
    return EngineFacts(
        images=[
            image('dangling', ['<none>:<none>']),
            image('old', ['tools/old:1']),
            image('young', ['tools/young:1'], created=int(NOW - DAY)),
            image('used', ['tools/used:1']),
            image('named', ['library-app:2']),
            image('parent', [], ParentId=''),
            {'Id': 'sha256:child', 'RepoTags': ['child:1'], 'ParentId': IDS['parent'], 'Created': int(NOW), 'Size': 1},
        ],
        containers=[
            container('stopped-loner', 'exited', 'used'),
            container('running-loner', 'running', 'used'),
            container('stack-member', 'exited', 'used', {'com.docker.compose.project': 'media'}),
            container(
                'on-lan',
                'exited',
                'used',
                {'com.docker.compose.project': 'media'},
                NetworkSettings={'Networks': {'lan': {'NetworkID': 'lan-id'}}},
            ),
        ],
        networks=[
            {'Name': 'bridge', 'Id': 'bridge-id', 'Driver': 'bridge', 'Scope': 'local'},
            {'Name': 'old-net', 'Id': 'old-net-id', 'Driver': 'bridge', 'Scope': 'local'},
            {'Name': 'lan', 'Id': 'lan-id', 'Driver': 'bridge', 'Scope': 'local'},
        ],
        build_cache=[
            {'ID': 'cache-free', 'Description': 'RUN make', 'Size': 300, 'InUse': False},
            {'ID': 'cache-busy', 'Description': 'RUN test', 'Size': 300, 'InUse': True},
        ],
    )


def plan(scope: PruneScope | None = None, **options: Any) -> PrunePlan:
    return plan_from(
        facts(),
        PruneOptions(**options),
        scope=scope or PruneScope(),
        configured_stacks=frozenset({'media'}),
        stack_images=frozenset({'library-app:2'}),
        now=NOW,
    )


def listed(p: PrunePlan) -> list[tuple[str, str]]:
    return [(item.kind.value, item.name) for item in p.items]


def test_a_plan_lists_each_kind_once_and_keeps_what_is_used_named_young_or_built_in() -> None:
    p = plan()
    assert listed(p) == [
        ('stopped_container', 'stopped-loner'),
        ('dangling_image', 'untagged dangling0000'),
        ('unused_image', 'tools/old:1'),
        ('unused_network', 'old-net'),
        ('build_cache', 'RUN make'),
    ]
    # Not listed: the image a stopped container uses, the image a stack's files name, the image younger than the
    # age, a parent of another image, a running container, a stopped container of a configured stack, the bridge,
    # a network a stopped container is attached to, build cache a build is using.


def test_an_image_frees_its_unique_size_and_the_total_adds_up() -> None:
    p = plan()
    sizes = {item.name: item.size for item in p.items}
    assert sizes['tools/old:1'] == 300  # Size 500 minus SharedSize 200
    assert sizes['stopped-loner'] == 1000 and sizes['old-net'] == 0 and sizes['RUN make'] == 300
    assert p.total_bytes == 1000 + 300 + 300 + 0 + 300
    assert any('unique' in note for note in p.notes)


def test_the_options_choose_kinds_and_the_age() -> None:
    only_images = plan(kinds=frozenset({PruneKind.UNUSED_IMAGE}), older_than_seconds=0)
    assert [name for _, name in listed(only_images)] == ['tools/old:1', 'tools/young:1', 'child:1']
    assert plan(kinds=frozenset()).items == ()


def test_dev_scope_lists_only_the_dev_projects_things_and_never_build_cache() -> None:
    dev = plan(PruneScope(project='homelab-dev'))
    assert dev.items == ()
    assert any('Build cache was left out' in note for note in dev.notes)
    assert any('HOMELAB_ENV=dev' in note for note in dev.notes)


def test_a_label_filter_keeps_to_items_carrying_it() -> None:
    labelled = facts()
    labelled.images[1]['Labels'] = {'owner': 'me'}
    labelled.containers[0]['Labels'] = {'owner': 'someone-else'}
    p = plan_from(
        labelled,
        PruneOptions(label='owner=me'),
        scope=PruneScope(label='owner=me'),
        configured_stacks=frozenset(),
        stack_images=frozenset(),
        now=NOW,
    )
    assert listed(p) == [('unused_image', 'tools/old:1')]


def test_unreadable_stack_files_leave_unused_images_out() -> None:
    p = plan_from(
        facts(),
        PruneOptions(),
        scope=PruneScope(),
        configured_stacks=frozenset({'media'}),
        stack_images=None,
        now=NOW,
        unreadable=['media'],
    )
    assert PruneKind.UNUSED_IMAGE not in {item.kind for item in p.items}
    assert any('media could not be read' in note for note in p.notes)


def matching(containers: list[dict[str, Any]], filters: dict[str, str]) -> list[dict[str, Any]]:
    """The containers the engine's id=, ancestor= and network= filters let through."""
    found = containers
    if 'id' in filters:
        found = [c for c in found if str(c.get('Id') or '').startswith(filters['id'])]
    if 'ancestor' in filters:
        found = [c for c in found if c.get('ImageID') == filters['ancestor']]
    if 'network' in filters:
        attached = [((c.get('NetworkSettings') or {}).get('Networks') or {}) for c in found]
        found = [c for c, nets in zip(found, attached, strict=True) if filters['network'] in nets or any(
            (endpoint or {}).get('NetworkID') == filters['network'] for endpoint in nets.values())]  # fmt: skip
    return found


class FakeEngine:
    """The engine as the re-check sees it; a container starts using the old image between plan and prune."""

    def __init__(self) -> None:
        self.removed: list[str] = []
        self.containers = facts().containers

    def container_summaries(self, **filters: str) -> list[dict[str, Any]]:
        return matching(self.containers, filters)

    def image(self, image_id: str) -> dict[str, Any] | None:
        tags = {IDS['dangling']: [], IDS['old']: ['tools/old:1']}
        return {'Id': image_id, 'RepoTags': tags[image_id], 'Created': '2020-01-01T00:00:00.123456789Z'}

    def network(self, network_id: str) -> dict[str, Any] | None:
        return None  # removed by someone else meanwhile

    def delete_image(self, image_id: str, *, tags: list[str], digests: list[str]) -> None:
        self.removed.append(image_id)

    def delete_stopped_container(self, container_id: str) -> None:
        self.removed.append(container_id)

    def delete_network(self, network_id: str) -> None:
        self.removed.append(network_id)

    def delete_build_cache(self, cache_id: str) -> tuple[bool, int]:
        self.removed.append(cache_id)
        return True, 300


async def test_a_prune_removes_by_full_id_what_still_qualifies_and_says_why_it_skipped_the_rest() -> None:
    p = plan()
    engine = FakeEngine()
    engine.containers = [*engine.containers, container('newcomer', 'running', 'old')]
    seen: list[tuple[int, str, str | None]] = []
    recheck = Recheck(
        options=PruneOptions(),
        scope=PruneScope(),
        configured_stacks=frozenset({'media'}),
    )
    outcome = await carry_out(p, engine, recheck, lambda n, item, why: seen.append((n, item.name, why)))  # type: ignore[arg-type]
    assert engine.removed == ['stopped-loner'.ljust(64, 'c'), IDS['dangling'], 'cache-free']
    assert [(item.name, why) for item, why in outcome.skipped] == [
        ('tools/old:1', 'now used by a container (newcomer)'),
        ('old-net', 'already gone'),
    ]
    assert outcome.freed_bytes == 1000 + 300 + 300
    assert [n for n, _, _ in seen] == [1, 2, 3, 4, 5]


async def test_an_old_image_a_stacks_files_name_since_the_plan_is_kept_by_the_re_check() -> None:
    p = plan()  # the stacks' files name library-app:2; tools/old:1 is planned
    [old] = [item for item in p.items if item.id == IDS['old']]
    engine = FakeEngine()
    engine.image = lambda image_id: {'Id': image_id, 'RepoTags': ['tools/old:1', 'library-app:2'],  # type: ignore[method-assign]
                                     'Created': '2020-01-01T00:00:00Z'}  # fmt: skip
    recheck = Recheck(options=PruneOptions(), scope=PruneScope(), configured_stacks=frozenset({'media'}))
    outcome = await carry_out(replace(p, items=(old,)), engine, recheck, lambda *_: None)  # type: ignore[arg-type]
    assert engine.removed == []
    assert outcome.skipped == [(old, "kept: named by a configured stack's files")]


def test_a_volume_is_in_use_by_any_container_that_mounts_it_running_or_not() -> None:
    volumes = [
        {'Name': 'media', 'Driver': 'local', 'UsageData': {'Size': 4096, 'RefCount': 0}, 'Labels': None},
        {'Name': 'db', 'Driver': 'local', 'UsageData': {'Size': -1}, 'Labels': {'com.docker.compose.project': 'x'}},
    ]
    holder = {'Names': ['/db-1'], 'State': 'created', 'Mounts': [{'Type': 'volume', 'Name': 'db'}]}
    binder = {'Names': ['/web'], 'State': 'running', 'Mounts': [{'Type': 'bind', 'Source': '/srv/media'}]}
    db, media = volumes_from(volumes, [holder, binder])  # by name
    assert (media.name, media.size, media.in_use) == ('media', 4096, False)
    assert (db.size, db.used_by, db.stack) == (None, ('db-1',), 'x')


def test_the_operation_arguments_become_plan_options_with_the_configured_age() -> None:
    config = HomelabConfig(maintenance=MaintenanceConfig(prune_images_older_than='30d'))
    options = options_of(Params(unused_networks=False, build_cache=False), config)
    assert options.older_than_seconds == 30 * DAY and options.label is None
    assert options.kinds == {PruneKind.STOPPED_CONTAINER, PruneKind.DANGLING_IMAGE, PruneKind.UNUSED_IMAGE}
    assert options_of(Params(older_than='12h', label='a.b=c'), config).older_than_seconds == 12 * 3600
    assert Params().dry_run is True  # a bare request only previews


HEX = {name: char * 64 for name, char in (('stopped', 'c'), ('since', 'b'), ('net', 'a'), ('gone', 'f'))}
HEX_IMAGES = {'dangling': 'sha256:' + 'd' * 64, 'old': 'sha256:' + 'e' * 64}
YEAR_2020 = 1_577_836_800  # the plan runs on today's clock


class ApprovedEngine:
    """The engine on the day an approved prune runs: what the preview showed still qualifies, and a container
    stopped since (to debug it) qualifies too."""

    def __init__(self) -> None:
        self.removed: list[str] = []
        stopped = {'Names': ['/loner'], 'State': 'exited', 'ImageID': 'sha256:' + '0' * 64, 'Created': 0}
        self.containers = [{**stopped, 'Id': HEX['stopped']}, {**stopped, 'Id': HEX['since'], 'Names': ['/debug-me']}]
        self.images = [
            {'Id': HEX_IMAGES['dangling'], 'RepoTags': [], 'Created': YEAR_2020, 'Size': 500},
            {'Id': HEX_IMAGES['old'], 'RepoTags': ['tools/old:1'], 'Created': YEAR_2020, 'Size': 500},
        ]
        self.nets = [{'Name': 'old-net', 'Id': HEX['net'], 'Driver': 'bridge', 'Scope': 'local'}]

    def disk_usage(self) -> dict[str, Any]:
        return {'Images': self.images, 'Containers': self.containers, 'BuildCache': []}

    def networks(self) -> list[dict[str, Any]]:
        return self.nets

    def container_summaries(self, **filters: str) -> list[dict[str, Any]]:
        return matching(self.containers, filters)

    def image(self, image_id: str) -> dict[str, Any] | None:
        return next(({**i, 'Created': '2020-01-01T00:00:00Z'} for i in self.images if i['Id'] == image_id), None)

    def network(self, network_id: str) -> dict[str, Any] | None:
        return next((n for n in self.nets if n['Id'] == network_id), None)

    def delete_image(self, image_id: str, *, tags: list[str], digests: list[str]) -> None:
        self.removed.append(image_id)

    def delete_stopped_container(self, container_id: str) -> None:
        self.removed.append(container_id)

    def delete_network(self, network_id: str) -> None:
        self.removed.append(network_id)


async def test_a_prune_with_only_removes_just_the_approved_items_and_leaves_what_qualifies_since(store: None) -> None:
    engine = ApprovedEngine()
    adapters = SimpleNamespace(engine=engine, config=HomelabConfig(), env='prod', repo_dir='.')
    # Approved: the stopped container, the dangling image, the network, and one removed by someone meanwhile.
    only = (HEX['stopped'], HEX_IMAGES['dangling'], HEX['net'], HEX['gone'])
    ctx = RunContext(run_id=1, adapters=adapters)  # type: ignore[arg-type]
    result = await docker_prune(Params(dry_run=False, only=only), ctx)
    assert engine.removed == [HEX['stopped'], HEX_IMAGES['dangling'], HEX['net']]
    assert [item['id'] for item in result['removed']] == engine.removed
    # Today's plan lists more (the container stopped since, the old image): not approved, so they stay.
    assert [(item['name'], item['reason']) for item in result['skipped']] == [
        ('debug-me', NOT_APPROVED),
        ('tools/old:1', NOT_APPROVED),
    ]
    assert result['approved_not_planned'] == [HEX['gone']]
    assert any(line == 'left stopped_container debug-me: not in the approved plan' for line in ctx.lines)


def test_only_takes_full_planned_ids_and_refuses_anything_else_with_a_clear_message() -> None:
    ids = (HEX_IMAGES['dangling'], 'a' * 64, 'ndlpt0hhvkqcdfkputsk4cq9c')  # image, container or network, build cache
    assert Params(only=ids).only == ids
    assert Params().only is None  # without it a prune removes what its plan lists, as before
    for junk in ('sha256:abc', 'stopped-loner', 'A' * 64, '../../etc', 'sha256:' + 'g' * 64, '', 'a' * 65):
        with pytest.raises(ValidationError, match="not a planned item's full id"):
            Params(only=(junk,))
    with pytest.raises(ValidationError, match=f'at most {MAX_APPROVED} items'):
        Params(only=tuple(f'{n:064x}' for n in range(MAX_APPROVED + 1)))
