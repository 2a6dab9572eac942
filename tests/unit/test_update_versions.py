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


def test_a_trailing_build_counter_is_ordered_after_the_version() -> None:
    linuxserver = ['1.2.4-ls46', '1.3.0-ls50', '1.2.3-ls44', '1.2.3-ls46', '1.2.4', '1.2.4-alpine']
    assert newer_tags('1.2.3-ls45', linuxserver) == ['1.3.0-ls50', '1.2.4-ls46', '1.2.3-ls46']
    bitnami = ['16.1.0-debian-12-r6', '16.2.0-debian-12-r0', '16.2.0-debian-11-r9', '16.0.0-debian-12-r9']
    assert newer_tags('16.1.0-debian-12-r5', bitnami) == ['16.2.0-debian-12-r0', '16.1.0-debian-12-r6']
    assert newer_tags('3.18.4-r0', ['3.18.4-r1', '3.18.5-r0', '3.18.5', '3.18.3-r9']) == ['3.18.5-r0', '3.18.4-r1']
    assert newer_tags('1.2.3-1', ['1.2.3-2', '1.2.4-1', '1.2.4', '1.2.2-7']) == ['1.2.4-1', '1.2.3-2']
    assert newer_tags('1.2.3-bookworm', ['1.2.4-bookworm', '1.2.4-bullseye']) == ['1.2.4-bookworm']  # still a variant


def test_prerelease_words_rank_dev_alpha_beta_preview_rc() -> None:
    tags = ['1.0.0-snapshot', '1.0.0-dev', '1.0.0-alpha', '1.0.0-beta2', '1.0.0-preview', '1.0.0-rc2', '1.0.0']
    assert newer_tags('1.0.0-rc1', tags) == ['1.0.0', '1.0.0-rc2']
    assert newer_tags('1.0.0-dev', tags) == ['1.0.0', '1.0.0-rc2', '1.0.0-preview', '1.0.0-beta2', '1.0.0-alpha']
    assert newer_tags('1.0.0-b1', tags) == ['1.0.0', '1.0.0-rc2', '1.0.0-preview', '1.0.0-beta2']


def test_a_hostile_tag_is_read_in_one_pass() -> None:
    nested = parse_version('1.0.0-rc' + '1' * 60 + '_x')  # would take a backtracking pattern ages
    assert nested is not None and nested.pre == '' and nested.variant == 'rc' + '1' * 60 + '_x'
    assert parse_version('1.0.0-' + 'a' * 200) is None  # longer than a tag can be
