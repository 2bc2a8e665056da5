"""Who is calling: the one place that decides a request's client address.

The peer of the TCP connection is the client, unless that peer is one of the proxies the
operator named in `LEDGER_TRUSTED_PROXIES`. Only then is `X-Forwarded-For` read, from the right:
each proxy appends the address it received the request from, so the rightmost address that is
not itself a trusted proxy is the client (anything to its left was written by the client and
proves nothing). The throttle, IP whitelists, event metadata and the activity log all take the
address from here; uvicorn's own proxy-header handling is switched off (`infra.http_server`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
FORWARDED_FOR = "x-forwarded-for"
MAX_HOPS = 32
"""At most this many X-Forwarded-For entries are looked at (a header is not a loop bound)."""


def parse_trusted_proxies(text: str) -> tuple[IPNetwork, ...]:
    """`LEDGER_TRUSTED_PROXIES`: comma-separated addresses or CIDRs; empty trusts nobody."""
    networks = []
    for entry in text.split(","):
        entry = entry.strip()
        if entry:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise ValueError(f"not an IP address or CIDR: {entry!r}") from None
    return tuple(networks)


def _address(text: str) -> IPAddress | None:
    """An address as proxies write it: bare, `v4:port` or `[v6]:port`; None if it is not one."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: IPAddress, proxies: Sequence[IPNetwork]) -> bool:
    return any(address.version == n.version and address in n for n in proxies)


def client_address(
    peer: str | None, forwarded_for: Iterable[str], proxies: Sequence[IPNetwork]
) -> str | None:
    """The client's address, given the connection's peer and every X-Forwarded-For header."""
    if peer is None or not proxies:
        return peer
    peer_address = _address(peer)
    if peer_address is None or not _trusted(peer_address, proxies):
        return peer
    hops = [hop for header in forwarded_for for hop in header.split(",")][-MAX_HOPS:]
    client = peer_address
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # garbage: the proxy that passed it on is the last address we can vouch for
        client = address
        if not _trusted(address, proxies):
            break
    return str(client)
