"""The catalog against README.md's operations table, and how each operation describes itself to people."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ops.catalog import catalog
from ops.descriptions import ContainerButton, Description, OperationGroup
from ops.params import ContainerName, StackName, StrictParams, world_source
from ops.registry import Registry, RegistryError, Result, operation
from ops.run_context import RunContext
from ops.supervision import Supervision

README = Path(__file__).resolve().parents[2] / 'README.md'


def readme_operations() -> set[str]:
    """The operation names in the first column of README.md's 'Operations: the allowlist' table."""
    section = README.read_text().split('## Operations: the allowlist', 1)[1].split('\n## ', 1)[0]
    rows = [line for line in section.splitlines() if line.startswith('| `')]
    return {name for row in rows for name in re.findall(r'`([a-z_]+)`', row.split('|')[1])}


def test_the_catalog_is_exactly_the_readme_operations_table() -> None:
    registered, documented = set(catalog().names()), readme_operations()
    assert len(documented) >= 18, 'the README table was not found'
    assert registered - documented == set(), 'registered but not in README.md: add a row to its operations table'
    assert documented - registered == set(), 'in README.md but not registered: one import line in ops/catalog.py'


def test_every_operation_says_what_people_see() -> None:
    for spec in catalog().specs():
        assert spec.label and spec.label != spec.name and '_' not in spec.label, spec.name
        assert isinstance(spec.group, OperationGroup) and spec.icon, spec.name
        if spec.container_button is not None:
            assert world_source(spec.params, 'container') == 'container', spec.name


def test_stack_operations_are_grouped_under_stacks() -> None:
    stacks = {spec.name for spec in catalog().specs() if spec.group is OperationGroup.STACKS}
    assert stacks == {'docker_pull_all', 'docker_up_all', 'stack_service_up', 'stack_orphan_remove'}


def test_a_consequence_names_its_arguments_and_shows_values_as_text() -> None:
    restart = catalog().get('docker_restart')
    assert restart is not None
    assert restart.what_happens({'container': '{stacks} web'}) == (
        'Container {stacks} web is stopped and started again; its service is down meanwhile.'
    )
    assert restart.what_happens({}).startswith('Container (none chosen) is stopped')
    pull_all = catalog().get('docker_pull_all')
    assert pull_all is not None
    assert pull_all.what_happens({}) == 'The images of every configured stack are pulled. Nothing is restarted.'
    assert pull_all.what_happens({'stack': 'media'}) == 'The images of stack media are pulled. Nothing is restarted.'
    status = catalog().get('docker_status')
    assert status is not None and status.what_happens({}) == f'{status.summary}.'


class Target(StrictParams):
    """A container and an optional stack."""

    container: ContainerName
    stack: StackName | None = None


async def _nothing(params: Target, ctx: RunContext) -> Result:
    return {}


@pytest.mark.parametrize(
    ('consequence', 'button'),
    [
        ('Container {name} goes.', None),
        ('Container {container.__class__} goes.', None),
        ('Container {container!r} goes.', None),
        ('Container {container:>40} goes.', None),
        (None, ContainerButton(arguments={'tail': 5})),
        (None, ContainerButton(arguments={'container': 'other'})),
    ],
)
def test_a_description_that_does_not_fit_the_params_is_refused_at_import(
    consequence: str | None, button: ContainerButton | None
) -> None:
    with pytest.raises(RegistryError):
        operation(
            'test_unfit',
            summary='a test',
            params=Target,
            described=Description('Test', OperationGroup.CONTAINERS, consequence=consequence, button=button),
            supervised=Supervision(mutating=True, timeout=5),
            registry=Registry(),
        )(_nothing)


def test_choices_come_from_the_world_where_the_type_says_so() -> None:
    assert (world_source(Target, 'container'), world_source(Target, 'stack')) == ('container', 'stack')
    logs = catalog().get('docker_logs')
    assert logs is not None and world_source(logs.params, 'tail') is None
    probe = catalog().get('host_network_probe')
    assert probe is not None and world_source(probe.params, 'target') == 'probe'
