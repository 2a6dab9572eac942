"""What the engine says about registries: Docker Hub's index, which registries it takes over plain http, its
platform (the image an index would give it)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

HUB_INDEX = 'index.docker.io'  # the engine's own default, when it does not say (a socket proxy refusing `info`)

# uname's machine names (what `docker info` reports) as image platforms name them.
_ARCHITECTURES = {
    'x86_64': ('amd64', ''),
    'amd64': ('amd64', ''),
    'aarch64': ('arm64', ''),
    'arm64': ('arm64', ''),
    'armv7l': ('arm', 'v7'),
    'armv6l': ('arm', 'v6'),
    'i686': ('386', ''),
    'i386': ('386', ''),
    'ppc64le': ('ppc64le', ''),
    's390x': ('s390x', ''),
    'riscv64': ('riscv64', ''),
}


@dataclass(frozen=True, kw_only=True, slots=True)
class RegistryFacts:
    """The engine's registry settings, as far as asking a registry for tags needs them."""

    index_host: str = HUB_INDEX  # Docker Hub's registry host: the engine's IndexServerAddress
    insecure: frozenset[str] = frozenset()  # registries (host[:port]) the engine talks to over plain http
    insecure_networks: tuple[str, ...] = ()  # CIDRs of such registries
    os: str = 'linux'
    architecture: str = 'amd64'
    variant: str = ''

    def plain_http(self, host: str) -> bool:
        """Whether `host[:port]` is taken over plain http: loopback, or a registry the engine calls insecure."""
        name = urlsplit(f'//{host}').hostname or ''
        if name == 'localhost' or host in self.insecure:
            return True
        try:
            address = ipaddress.ip_address(name)
        except ValueError:
            return False
        if address.is_loopback:
            return True
        return any(address in ipaddress.ip_network(cidr, strict=False) for cidr in self.insecure_networks)


def registry_facts_from(info: dict[str, Any]) -> RegistryFacts:
    """`docker info`'s answer -> RegistryFacts (missing parts keep their defaults)."""
    config = info.get('RegistryConfig') or {}
    indexes = config.get('IndexConfigs') or {}
    insecure = frozenset(
        str(name) for name, index in indexes.items() if isinstance(index, dict) and not index.get('Secure', True)
    )
    networks = tuple(str(cidr) for cidr in config.get('InsecureRegistryCIDRs') or ())
    index_host = urlsplit(str(info.get('IndexServerAddress') or '')).hostname or HUB_INDEX
    machine = str(info.get('Architecture') or 'x86_64')
    architecture, variant = _ARCHITECTURES.get(machine, (machine, ''))
    return RegistryFacts(
        index_host=index_host,
        insecure=insecure,
        insecure_networks=networks,
        os=str(info.get('OSType') or 'linux'),
        architecture=architecture,
        variant=variant,
    )
