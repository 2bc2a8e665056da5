"""Which URLs a webhook may be delivered to: https (or http) to a public address. Loopback,
link-local, private, multicast and reserved addresses are refused unless the operator allows
private targets (LEDGER_WEBHOOKS_ALLOW_PRIVATE_TARGETS), so a subscription cannot make the
ledger call into its own network (SSRF). Resolution happens at delivery; this judges the
addresses a name resolved to, every one of them."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from domain.ledger.errors import DomainError

MAX_URL = 2_000
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT


def check_url(url: str) -> tuple[str, int]:
    """The host and port of an acceptable URL; DomainError otherwise."""
    if len(url) > MAX_URL:
        raise DomainError(f"url is at most {MAX_URL} characters", field="url")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise DomainError("url must be an http(s) URL with a host", field="url")
    if parts.username or parts.password:
        raise DomainError("url must not carry credentials", field="url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise DomainError("url has an invalid port", field="url") from None
    return parts.hostname, port


def refused_address(address: str, allow_private: bool) -> str | None:
    """Why an address may not be called, or None."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_multicast or ip.is_unspecified:
        return f"{address} is not a unicast address"
    if ip.is_loopback:
        kind = "loopback"
    elif ip.is_link_local:
        kind = "link-local"
    elif ip.is_private or (isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED):
        kind = "private"
    elif ip.is_reserved or not ip.is_global:
        return f"{address} is not a public address"
    else:
        return None
    return None if allow_private else f"{address} is a {kind} address"


def refused_addresses(addresses: Iterable[str], allow_private: bool) -> str | None:
    for address in addresses:
        reason = refused_address(address, allow_private)
        if reason is not None:
            return reason
    return None
