"""Which newer tags of a pinned image are update candidates, and in which order."""

from __future__ import annotations

from ops.config import UpdatesConfig
from ops.maintenance.versions import newer_tags, parse_version

TAGS = ['latest', '1.0.0', '1.1.0', '1.2.0-rc1', '2.0.0', '0.9.0', '1.10.0', '1.1.0-alpine', '2.0', 'v2.1.0', 'stable']


def test_newer_releases_come_newest_first_without_prereleases_or_other_shapes() -> None:
    assert newer_tags('1.0.0', TAGS) == ['2.0.0', '1.10.0', '1.1.0']


def test_a_prerelease_pin_also_gets_newer_prereleases() -> None:
    tags = ['1.2.0-rc1', '1.2.0-rc2', '1.2.0-rc10', '1.2.0', '1.2.0-beta.3', '1.3.0-alpha']
    assert newer_tags('1.2.0-rc1', tags) == ['1.3.0-alpha', '1.2.0', '1.2.0-rc10', '1.2.0-rc2']


def test_a_variant_stays_a_variant() -> None:
    tags = ['10.8.13', '10.8.14-alpine', '10.9.0-alpine', '10.9.0', '10.9.0-rc1-alpine', '10.9']
    assert newer_tags('10.8.13-alpine', tags) == ['10.9.0-alpine', '10.8.14-alpine']
    assert newer_tags('10.8.13', tags) == ['10.9.0']


def test_v_prefix_and_words_that_are_no_version() -> None:
    assert newer_tags('v1.0.0', ['v1.0.1', '1.0.2', 'v1.1.0-beta']) == ['v1.0.1']
    assert newer_tags('latest', TAGS) == []
    assert parse_version('stable') is None
    assert parse_version('1.0.0-bookworm') is not None
    assert parse_version('1.0.0-bookworm').pre == ''  # type: ignore[union-attr]


def test_include_and_exclude_patterns_of_the_stack() -> None:
    only_ones = UpdatesConfig(include=['1.*'])
    assert newer_tags('1.0.0', TAGS, only_ones) == ['1.10.0', '1.1.0']
    not_ten = UpdatesConfig(exclude=['1.10.*', '2.*'])
    assert newer_tags('1.0.0', TAGS, not_ten) == ['1.1.0']
