"""The host operations as the catalog lists them: who may change the host, under which lock and pool."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ops.registry import CATALOG
from tests.helpers.host_ops import HOST_OPERATIONS

READS = (
    'host_disk_report',
    'host_network_probe',
    'host_reboot_required',
    'host_unattended_upgrades',
    'host_journal',
    'backup_status',
)


def test_every_host_operation_is_registered_with_a_summary() -> None:
    for name in HOST_OPERATIONS:
        spec = CATALOG.get(name)
        assert spec is not None and spec.summary and spec.timeout > 0
        assert spec.handler.__doc__


@pytest.mark.parametrize('name', READS)
def test_reads_change_nothing_and_take_no_lock(name: str) -> None:
    spec = CATALOG.get(name)
    assert spec is not None
    assert (spec.mutating, spec.confirm, spec.pool, spec.lock) == (False, False, 'read', None)


@pytest.mark.parametrize(
    'name', ['host_reboot', 'backup_run', 'host_disk_report', 'host_reboot_required', 'backup_status']
)
def test_operations_without_arguments_refuse_any(name: str) -> None:
    spec = CATALOG.get(name)
    assert spec is not None
    with pytest.raises(ValidationError):
        spec.params(force=True)


def test_arguments_are_checked_against_the_world() -> None:
    for name in ('host_journal', 'host_network_probe', 'host_reboot', 'backup_run'):
        spec = CATALOG.get(name)
        assert spec is not None and spec.check is not None
