"""host_reboot_required reads the flag files Debian's package hooks leave behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers.host_ops import host_services, run_operation


@pytest.mark.parametrize('directory', ['/var/run', '/run'])
async def test_the_flag_and_its_packages(tmp_path: Path, directory: str) -> None:
    services = host_services(tmp_path)
    flag = services.host_path(f'{directory}/reboot-required')
    flag.parent.mkdir(parents=True)
    # What /etc/kernel/postinst.d/update-notifier and the libc/dbus hooks write.
    flag.write_text('*** System restart required ***\n')
    flag.with_name('reboot-required.pkgs').write_text('linux-image-6.1.0-28-amd64\nlibc6\nlinux-image-6.1.0-28-amd64\n')
    os.utime(flag, (1_795_000_000, 1_795_000_000))

    result, ctx = await run_operation('host_reboot_required', services)

    assert result == {
        'required': True,
        'since': '2026-11-18T11:06:40+00:00',
        'packages': ['linux-image-6.1.0-28-amd64', 'libc6'],
        'flag_file': f'{directory}/reboot-required',
    }
    assert 'reboot required' in ctx.output and 'libc6' in ctx.output


async def test_a_flag_without_a_package_list(tmp_path: Path) -> None:
    services = host_services(tmp_path)
    flag = services.host_path('/var/run/reboot-required')
    flag.parent.mkdir(parents=True)
    flag.write_text('*** System restart required ***\n')
    result, _ = await run_operation('host_reboot_required', services)
    assert result['required'] is True and result['packages'] == []


async def test_no_flag_no_reboot(tmp_path: Path) -> None:
    services = host_services(tmp_path)
    services.host_path('/var/run').mkdir(parents=True)
    result, ctx = await run_operation('host_reboot_required', services)
    assert result == {'required': False, 'since': None, 'packages': [], 'flag_file': None}
    assert ctx.output == 'no reboot required'
