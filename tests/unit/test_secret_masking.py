"""Secret-looking settings are shown masked: in the config diff of a plan and in a container's inspect summary."""

from __future__ import annotations

import dataclasses
import json

import pytest

from ops.docker.details import details_from_inspect
from ops.masking import HIDDEN, HIDDEN_CHANGED, looks_secret, shown_value
from ops.world.config_diff import config_diff

OLD, NEW = 'hl-old-s3cret-value', 'hl-new-s3cret-value'


@pytest.mark.parametrize(
    'name',
    [
        'DB_PASSWORD',
        'POSTGRES_PASSWORD_FILE_CONTENT',
        'MYSQLPASSWORD',
        'HOMELAB_OIDC_CLIENT_SECRET',
        'GITHUB_TOKEN',
        'API_KEY',
        'apiKey',
        'SSH_PRIVATE_KEY',
        'GPG_PASSPHRASE',
        'AWS_CREDENTIALS',
        'SMTP_PASS',
        'ADMIN_PWD',
        'secret.key',
        'traefik.http.middlewares.x.basicauth.users',
        'OAUTH_AUTH_HEADER',
    ],
)
def test_secret_looking_names(name: str) -> None:
    assert looks_secret(name)


@pytest.mark.parametrize('name', ['LEVEL', 'PATH', 'TZ', 'PUID', 'MONKEY_MODE', 'COMPASS_HEADING', 'DATABASE_URL'])
def test_plain_names(name: str) -> None:
    assert not looks_secret(name)


def test_credentials_inside_a_url_are_hidden_whatever_the_name() -> None:
    assert shown_value('DATABASE_URL', f'postgres://app:{OLD}@db:5432/app') == f'postgres://app:{HIDDEN}@db:5432/app'
    assert shown_value('LEVEL', '2') == '2'
    assert shown_value('DB_PASSWORD', OLD) == HIDDEN
    assert shown_value('DB_PASSWORD', None) is None


def test_the_config_diff_says_changed_for_a_secret_never_its_values() -> None:
    running = {
        'Config': {
            'Image': 'busybox:1.36',
            'Env': [f'DB_PASSWORD={OLD}', f'API_TOKEN={OLD}', 'LEVEL=1', f'DATABASE_URL=postgres://u:{OLD}@db/x'],
            'Labels': {'auth.secret': OLD},
        },
        'HostConfig': {},
        'ImageEnv': [],
    }
    wanted = {
        'image': 'busybox:1.36',
        'environment': {
            'DB_PASSWORD': NEW,
            'SMTP_PASSWORD': NEW,
            'LEVEL': '2',
            'DATABASE_URL': f'postgres://u:{NEW}@db/x',
            'UNCHANGED_TOKEN': None,
        },
        'labels': {'auth.secret': NEW},
    }
    changes = {c.setting: (c.running, c.wanted) for c in config_diff(running, wanted)}
    assert changes == {
        'environment API_TOKEN': (HIDDEN, None),
        'environment DATABASE_URL': (
            f'postgres://u:{HIDDEN}@db/x',
            f'postgres://u:{HIDDEN}@db/x (hidden part changed)',
        ),
        'environment DB_PASSWORD': (HIDDEN, HIDDEN_CHANGED),
        'environment LEVEL': ('1', '2'),
        'environment SMTP_PASSWORD': (None, HIDDEN),
        'label auth.secret': (HIDDEN, HIDDEN_CHANGED),
    }
    shown = json.dumps([c.as_json() for c in config_diff(running, wanted)])
    assert OLD not in shown and NEW not in shown


def test_a_secret_that_did_not_change_is_no_change() -> None:
    running = {'Config': {'Env': [f'DB_PASSWORD={OLD}']}, 'HostConfig': {}, 'ImageEnv': []}
    assert config_diff(running, {'environment': {'DB_PASSWORD': OLD}}) == []


def test_the_inspect_summary_keeps_secret_names_but_never_their_values() -> None:
    data = {
        'Id': 'f' * 64,
        'Name': '/hl-test-env',
        'Config': {'Env': [f'DB_PASSWORD={OLD}', 'LEVEL=2', 'EMPTY=', 'BARE', f'URL=https://u:{OLD}@x/']},
        'State': {'Status': 'running'},
    }
    details = details_from_inspect(data, None)
    assert [(e.name, e.value, e.hidden) for e in details.environment] == [
        ('DB_PASSWORD', HIDDEN, True),
        ('LEVEL', '2', False),
        ('EMPTY', '', False),
        ('BARE', None, False),
        ('URL', f'https://u:{HIDDEN}@x/', True),
    ]
    assert OLD not in json.dumps(dataclasses.asdict(details))  # what docker_inspect stores as a run's result
