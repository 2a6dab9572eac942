from __future__ import annotations

import stat
from pathlib import Path

import pytest

from app.settings import DATA_SUBDIRS, Settings, prepare_data_dir, storage_secret
from app.system import build_adapters
from ops.config import ConfigError, HomelabConfig, load_config, parse_duration


def test_defaults_listen_on_loopback_with_data_in_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ('HOMELAB_HOST', 'HOMELAB_PORT', 'HOMELAB_DATA_DIR', 'HOMELAB_ENV'):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert (settings.host, settings.port, settings.data_dir, settings.env) == ('127.0.0.1', 8080, Path('data'), 'dev')


def test_environment_variables_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv('HOMELAB_HOST', '100.64.0.7')
    monkeypatch.setenv('HOMELAB_PORT', '9443')
    monkeypatch.setenv('HOMELAB_DATA_DIR', str(tmp_path))
    monkeypatch.setenv('HOMELAB_ENV', 'prod')
    settings = Settings()
    assert (settings.host, settings.port, settings.data_dir, settings.env) == ('100.64.0.7', 9443, tmp_path, 'prod')
    assert settings.database_path == tmp_path / 'homelab.sqlite3'


def test_docker_host_is_the_engine_of_the_adapters_and_of_compose(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv('DOCKER_HOST', 'ssh://lab@homelab')
    settings = Settings(data_dir=tmp_path / 'data', repo_dir=tmp_path)
    adapters = build_adapters(settings, HomelabConfig())
    assert settings.docker_host == adapters.engine.base_url == adapters.compose.docker_host == 'ssh://lab@homelab'
    assert adapters.compose._env()['DOCKER_HOST'] == 'ssh://lab@homelab'
    monkeypatch.setenv('DOCKER_HOST', '')
    assert Settings().docker_host is None  # unset: the local engine


def test_a_bad_port_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('HOMELAB_PORT', '70000')
    with pytest.raises(ValueError, match='port'):
        Settings()


def test_data_dir_layout_is_created_idempotently(tmp_path: Path) -> None:
    data = tmp_path / 'data'
    prepare_data_dir(data)
    prepare_data_dir(data)
    assert sorted(p.name for p in data.iterdir()) == sorted(DATA_SUBDIRS)


def test_storage_secret_is_generated_once_and_private(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = storage_secret(settings)
    assert len(first) >= 48
    assert storage_secret(settings) == first
    mode = stat.S_IMODE((tmp_path / 'secrets' / 'storage_secret').stat().st_mode)
    assert mode == 0o600


def test_a_given_storage_secret_wins(tmp_path: Path) -> None:
    assert storage_secret(Settings(data_dir=tmp_path, storage_secret='x' * 40)) == 'x' * 40
    assert not (tmp_path / 'secrets' / 'storage_secret').exists()


TOML = """
[stacks.homelab-dev]
files = ["compose.dev.yml"]

[probes.upstream-dns]
kind = "dns"
target = "example.org"

[journal]
units = ["restic-backup.service", "unattended-upgrades.service"]

[backup]
unit = "restic-backup.service"
max_age = "26h"
"""


def test_the_documented_toml_shape_loads(tmp_path: Path) -> None:
    path = tmp_path / 'homelab.toml'
    path.write_text(TOML)
    config = load_config(path)
    assert config.stacks['homelab-dev'].files == ['compose.dev.yml']
    assert config.probes['upstream-dns'].kind == 'dns'
    assert config.journal.units == ['restic-backup.service', 'unattended-upgrades.service']
    assert parse_duration(config.backup.max_age) == 26 * 3600


def test_settings_point_at_the_toml(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / 'homelab.toml'
    path.write_text(TOML)
    monkeypatch.setenv('HOMELAB_CONFIG', str(path))
    assert list(Settings().load_config().stacks) == ['homelab-dev']


@pytest.mark.parametrize(
    ('text', 'message'),
    [
        ('[stacks.x]\nfiles = ["../etc/passwd"]\n', 'relative to the repository'),
        ('[stacks.x]\nfiles = ["/etc/compose.yml"]\n', 'relative to the repository'),
        ('[stacks."Bad Name"]\nfiles = ["a.yml"]\n', 'stacks'),
        ('[probes.p]\nkind = "exec"\ntarget = "x"\n', 'kind'),
        ('[journal]\nunits = ["../../etc/passwd"]\n', 'units'),
        ('[backup]\nmax_age = "soon"\n', 'duration'),
        ('surprise = 1\n', 'surprise'),
        ('[stacks\n', 'not valid TOML'),
    ],
)
def test_bad_config_is_refused_with_a_reason(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / 'homelab.toml'
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_a_missing_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match='not found'):
        load_config(tmp_path / 'nope.toml')


def test_production_refuses_a_missing_or_weak_secret_and_the_wildcard_address(tmp_path: Path) -> None:
    from app.settings import production_problems

    strong = 'k3Jx9-QvTz_8LmWc2RbN7yHs4PdFa6Ge0UoIiE'
    assert production_problems(Settings(data_dir=tmp_path, env='dev', host='0.0.0.0')) == []
    assert production_problems(Settings(data_dir=tmp_path, env='prod', storage_secret=strong)) == []
    assert 'must be set' in production_problems(Settings(data_dir=tmp_path, env='prod'))[0]
    assert 'weak' in production_problems(Settings(data_dir=tmp_path, env='prod', storage_secret='a' * 40))[0]
    wild = production_problems(Settings(data_dir=tmp_path, env='prod', storage_secret=strong, host='0.0.0.0'))
    assert 'every interface' in wild[0]
    allowed = Settings(
        data_dir=tmp_path, env='prod', storage_secret=strong, host='0.0.0.0', allow_any_address=True,
        publish_address='127.0.0.1',  # what compose.prod.yml passes; without it see test_forwarding.py
    )  # fmt: skip
    assert production_problems(allowed) == []
    secret_file = tmp_path / 'secret'
    secret_file.write_text(strong + '\n')
    assert production_problems(Settings(data_dir=tmp_path, env='prod', storage_secret_file=secret_file)) == []
