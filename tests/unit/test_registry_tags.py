"""Asking a registry for tags and labels: the bearer challenge, pages of tags, an image index, Docker Hub names."""

from __future__ import annotations

import pytest

from ops.docker.registry_facts import RegistryFacts, registry_facts_from
from ops.maintenance.registry_tags import (
    RegistryClient,
    RegistryError,
    check_target,
    image_name,
    next_page,
    parse_challenge,
)
from tests.helpers.loopback_servers import closed_port
from tests.helpers.token_registry import TOKEN, token_registry

TAGS = ['1.0.0', '1.1.0', '1.2.0-rc1', '2.0.0', 'latest']
SOURCE = 'https://git.example.org/team/app'


def test_challenge_parameters_are_read_quoted_or_not() -> None:
    challenge = parse_challenge(
        'Bearer realm="https://auth.example/token",service=registry,scope="repository:a/b:pull"'
    )
    assert challenge is not None
    assert challenge.scheme == 'bearer'
    assert challenge.params == {
        'realm': 'https://auth.example/token',
        'service': 'registry',
        'scope': 'repository:a/b:pull',
    }
    assert parse_challenge('Basic realm="Registry"').scheme == 'basic'  # type: ignore[union-attr]
    assert parse_challenge('') is None


def test_references_are_named_as_the_engine_names_them() -> None:
    assert image_name('jellyfin/jellyfin:10.8.13') == image_name('docker.io/jellyfin/jellyfin:10.8.13')
    hub = image_name('busybox:1.36')
    assert hub is not None
    assert (hub.registry, hub.repository, hub.tag) == ('docker.io', 'library/busybox', '1.36')
    local = image_name('localhost:5000/x/app:1.0.0')
    assert local is not None
    assert (local.registry, local.repository, local.tag) == ('localhost:5000', 'x/app', '1.0.0')
    assert image_name('app') is not None
    assert image_name('app').tag == 'latest'  # type: ignore[union-attr]
    assert image_name('app@sha256:' + 'a' * 64) is None


def test_plain_http_only_for_loopback_and_insecure_registries() -> None:
    facts = registry_facts_from(
        {
            'IndexServerAddress': 'https://index.docker.io/v1/',
            'RegistryConfig': {
                'IndexConfigs': {'reg.lan:5000': {'Secure': False}, 'docker.io': {'Secure': True}},
                'InsecureRegistryCIDRs': ['10.0.0.0/8'],
            },
            'Architecture': 'aarch64',
        }
    )
    assert (facts.architecture, facts.index_host) == ('arm64', 'index.docker.io')
    assert registry_facts_from({}).index_host == RegistryFacts().index_host == 'index.docker.io'  # info refused
    assert facts.plain_http('localhost:5000') and facts.plain_http('127.0.0.1:5000') and facts.plain_http('[::1]:5000')
    assert facts.plain_http('reg.lan:5000') and facts.plain_http('10.1.2.3:5000')
    assert not facts.plain_http('reg.example.org') and not facts.plain_http('192.168.1.2:5000')


async def test_the_bearer_challenge_is_answered_with_an_anonymous_token_and_pages_are_followed() -> None:
    with token_registry(TAGS, {'org.opencontainers.image.source': SOURCE}) as registry:
        name = image_name(f'{registry.host}/team/app:1.0.0')
        assert name is not None
        async with RegistryClient(RegistryFacts()) as client:
            assert await client.tags(name) == TAGS  # 3 pages of 2
            labels = await client.labels(name, '2.0.0')
        assert labels == {'org.opencontainers.image.source': SOURCE}  # the amd64 image of the index
        assert registry.token_queries == [{'service': ['fake-registry'], 'scope': ['repository:team/app:pull']}]
        first, *rest = [auth for path, auth in registry.seen if path != '/token']
        assert first == ''  # asked once without, then always with the token
        assert set(rest) == {f'Bearer {TOKEN}'}


async def test_an_unknown_repository_or_a_silent_registry_is_a_readable_error() -> None:
    with token_registry(TAGS) as registry:
        name = image_name(f'{registry.host}/team/other:1.0.0')
        assert name is not None
        async with RegistryClient(RegistryFacts()) as client:
            with pytest.raises(RegistryError, match='HTTP 404: repository name not known'):
                await client.tags(name)
        moved = image_name(f'{registry.host}/team/moved:1.0.0')
        assert moved is not None
        async with RegistryClient(RegistryFacts()) as client:
            with pytest.raises(RegistryError, match=r'plain http \(192\.0\.2\.1\)'):
                await client.tags(moved)
    nobody = image_name(f'127.0.0.1:{closed_port()}/team/app:1.0.0')
    assert nobody is not None
    async with RegistryClient(RegistryFacts()) as client:
        with pytest.raises(RegistryError):
            await client.tags(nobody)


def test_hostile_headers_are_refused_by_length_and_read_in_one_pass() -> None:
    page = 'https://reg.example/v2/a/tags/list?n=1000'
    with pytest.raises(RegistryError, match='Link header is longer than 4 KiB'):
        next_page('<' * 100_000, page)
    with pytest.raises(RegistryError, match='WWW-Authenticate header is longer than 4 KiB'):
        parse_challenge('Bearer ' + 'a' * 100_000)
    # Within the bound, what would make a backtracking pattern stumble is read as written.
    assert next_page('<' * 3000 + '</v2/a/tags/list?last=9>; rel="next"', page) == (
        'https://reg.example/v2/a/tags/list?last=9'
    )
    assert next_page('<' * 3000, page) is None
    assert next_page('</first>; rel="prev", </v2/a/tags/list?last=2>; title="x, y"; rel=next', page) == (
        'https://reg.example/v2/a/tags/list?last=2'
    )
    challenge = parse_challenge('Bearer ' + 'a' * 3000 + ',realm="https://a.example/t?x=\\"1,2\\"",scope=pull')
    assert challenge is not None
    assert challenge.params == {'realm': 'https://a.example/t?x="1,2"', 'scope': 'pull'}


async def test_a_token_realm_on_another_host_and_a_redirected_token_are_refused() -> None:
    with token_registry(TAGS) as registry:
        name = image_name(f'{registry.host}/team/app:1.0.0')
        assert name is not None
        registry.realm = f'http://localhost:{registry.port}/token'  # this same server, but not by the registry's name
        async with RegistryClient(RegistryFacts()) as client:
            with pytest.raises(RegistryError, match=r'token realm is on another host over plain http \(localhost\)'):
                await client.tags(name)
        registry.realm = f'https://127.0.0.2:{registry.port}/token'  # a loopback address the registry is not on
        async with RegistryClient(RegistryFacts()) as client:
            with pytest.raises(RegistryError, match=r'token realm is on a local or private address \(127\.0\.0\.2\)'):
                await client.tags(name)
        registry.realm = f'http://{registry.host}/token-moved'
        async with RegistryClient(RegistryFacts()) as client:
            with pytest.raises(RegistryError, match=r'its token service sent us elsewhere \(HTTP 307\)'):
                await client.tags(name)
        assert registry.token_queries == []  # no token was ever asked for


async def test_redirects_of_the_registry_stay_on_its_host_or_go_to_public_https() -> None:
    with token_registry(TAGS) as registry:
        away = image_name(f'{registry.host}/team/away:1.0.0')
        inside = image_name(f'{registry.host}/team/inside:1.0.0')
        assert away is not None and inside is not None
        async with RegistryClient(RegistryFacts()) as client:
            with pytest.raises(RegistryError, match=r'its redirect is on another host over plain http \(localhost\)'):
                await client.tags(away)
            with pytest.raises(RegistryError, match=r'its redirect is on a local or private address \(127\.0\.0\.2\)'):
                await client.tags(inside)
        assert not any(path == '/v2/team/app/tags/list' for path, _ in registry.seen)


async def test_an_answer_trickled_out_ends_at_its_deadline() -> None:
    with token_registry(['1.0.0', '1.1.0']) as registry:
        name = image_name(f'{registry.host}/team/slow:1.0.0')
        assert name is not None
        async with RegistryClient(RegistryFacts(), answer_deadline=0.5) as client:
            with pytest.raises(RegistryError, match=r'no whole answer within 0\.5 s'):
                await client.tags(name)


async def test_where_a_registry_may_send_us() -> None:
    public = RegistryFacts()

    async def refusal(facts: RegistryFacts, registry: str, url: str) -> str:
        try:
            await check_target(facts, registry, url, 'its redirect')
        except RegistryError as err:
            return str(err)
        return ''

    for inside in ('10.0.0.5', '169.254.169.254', '[fd00::1]', '[::ffff:127.0.0.1]', '100.64.1.1', '127.0.0.1:8080'):
        assert 'local or private address' in await refusal(public, 'registry.example.org', f'https://{inside}/token')
    assert await refusal(public, 'registry.example.org', 'https://93.184.215.14/token') == ''  # public: fine
    assert await refusal(public, 'registry.example.org', 'https://registry.example.org:8443/token') == ''  # its own
    assert 'plain http' in await refusal(public, 'registry.example.org', 'http://registry.example.org/token')
    assert 'not a web address' in await refusal(public, 'registry.example.org', 'file:///etc/passwd')
    lan = RegistryFacts(insecure=frozenset({'192.168.1.2:5000', 'reg.lan:5000'}))
    assert await refusal(lan, '192.168.1.2:5000', 'http://192.168.1.2:5001/token') == ''  # a homelab registry's own
    assert await refusal(lan, 'reg.lan:5000', 'http://reg.lan:5001/token') == ''
    assert 'local or private address' in await refusal(lan, '192.168.1.2:5000', 'https://192.168.1.3/token')
    assert 'another host over plain http' in await refusal(lan, '192.168.1.2:5000', 'http://192.168.1.3/token')


async def test_an_ipv4_address_wrapped_in_ipv6_is_judged_by_what_it_reaches() -> None:
    public = RegistryFacts()
    wrapped = (
        '64:ff9b::a9fe:a9fe',  # NAT64 of 169.254.169.254 (the cloud metadata service)
        '64:ff9b::7f00:1',  # NAT64 of 127.0.0.1
        '64:ff9b:1::a00:1',  # local-use NAT64
        '2002:7f00:1::1',  # 6to4 of 127.0.0.1
        '2002:a00:1::1',  # 6to4 of 10.0.0.1
        '::127.0.0.1',  # IPv4-compatible
        '::8.8.8.8',  # IPv4-compatible, deprecated whatever it carries
        '::ffff:0:a00:1',  # IPv4-translated
        '2001:0:4136:e378:8000:63bf:3fff:fdd2',  # Teredo
    )
    for inside in wrapped:
        with pytest.raises(RegistryError, match='local or private address'):
            await check_target(public, 'registry.example.org', f'https://[{inside}]/token', 'its token realm')
    # A DNS64 network names a public IPv4 host by the NAT64 prefix; 6to4 of a public address is public too.
    for outside in ('64:ff9b::5db8:d70e', '2002:5db8:d70e::1', '2606:4700::1111'):
        await check_target(public, 'registry.example.org', f'https://[{outside}]/token', 'its token realm')
