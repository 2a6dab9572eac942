"""Which Host names the console answers to, and which peers may speak for the client (forwarded headers)."""

from __future__ import annotations

import ipaddress
import socket
import struct
from pathlib import Path

import psutil

from app.settings import GATEWAY, WILDCARD_ADDRESSES, Settings

# Always answered: the container's health check, the host's own tools and a browser on the machine itself.
# A DNS-rebinding page cannot use them: its requests carry the attacker's name.
LOOPBACK_NAMES = ('127.0.0.1', 'localhost', '[::1]')
ROUTES = Path('/proc/net/route')


def expected_hosts(settings: Settings) -> list[str]:
    """The Host names (without port) a request may carry: loopback names, the address the console listens on or
    is published on, HOMELAB_ALLOWED_HOSTS; bound to every interface in dev, this machine's own addresses."""
    names = [*LOOPBACK_NAMES]
    for address in (settings.host, settings.publish_address):
        if address is not None and address not in WILDCARD_ADDRESSES:
            names.append(host_name(address))
    if settings.host in WILDCARD_ADDRESSES and settings.env == 'dev':
        names.extend(host_name(address) for address in own_addresses())
    names.extend(host_name(name) for name in settings.allowed_hosts)
    return list(dict.fromkeys(names))


def forwarded_allow_ips(settings: Settings, routes: Path = ROUTES) -> list[str]:
    """HOMELAB_TRUSTED_PROXIES for uvicorn, with "gateway" resolved to the container network's gateway."""
    return [container_gateway(routes) if item == GATEWAY else item for item in settings.trusted_proxies]


def host_name(address: str) -> str:
    """How an address appears in a Host header: IPv6 in brackets, names in lower case."""
    address = address.strip().lower()
    try:
        parsed = ipaddress.ip_address(address.strip('[]'))
    except ValueError:
        return address
    return f'[{parsed}]' if parsed.version == 6 else str(parsed)


def own_addresses() -> list[str]:
    """Every address of this machine's interfaces, and its host name."""
    addresses = [socket.gethostname()]
    for entries in psutil.net_if_addrs().values():
        for entry in entries:
            if entry.family in (socket.AF_INET, socket.AF_INET6):
                addresses.append(entry.address.split('%')[0])  # no IPv6 zone: browsers do not send one
    return addresses


def container_gateway(routes: Path = ROUTES) -> str:
    """The default route's gateway: inside a container, the Docker host that a proxy on it connects from."""
    try:
        lines = routes.read_text().splitlines()[1:]
    except OSError as err:
        raise ValueError(f'HOMELAB_TRUSTED_PROXIES names "{GATEWAY}" but {routes} cannot be read: {err}') from err
    for line in lines:
        fields = line.split()
        if len(fields) > 3 and fields[1] == '00000000' and int(fields[3], 16) & 0x2:  # default route, RTF_GATEWAY
            return str(ipaddress.IPv4Address(struct.pack('<I', int(fields[2], 16))))
    raise ValueError(f'HOMELAB_TRUSTED_PROXIES names "{GATEWAY}" but there is no default gateway in {routes}')
