"""Standard Webhooks signatures (the specification's published example), rotation with two
signatures, and the SSRF rules for targets (a hypothesis property over addresses)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.ledger.errors import DomainError
from domain.webhooks.signing import headers, new_secret, sign, verify
from domain.webhooks.targets import check_url, refused_address

SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_signature_matches_the_specifications_example():
    body = b'{"test": 2432232314}'
    got = sign(SPEC_SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
    assert got == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_rotation_sends_both_signatures_and_each_secret_verifies():
    old, new = new_secret(), new_secret()
    body = b'{"type":"invoice.issued"}'
    sent = headers([new, old], "msg_1", 1_700_000_000, body)
    assert len(sent["webhook-signature"].split()) == 2
    assert verify(old, sent, body, 1_700_000_010)
    assert verify(new, sent, body, 1_700_000_010)
    assert not verify(new_secret(), sent, body, 1_700_000_010)
    assert not verify(new, sent, body + b" ", 1_700_000_010)
    assert not verify(new, sent, body, 1_700_000_000 + 301)  # stale: a replay


def test_urls_must_be_http_with_a_host_and_no_credentials():
    assert check_url("https://hooks.example.com/x") == ("hooks.example.com", 443)
    for bad in ("ftp://example.com/", "https:///x", "https://u:p@example.com/", "x" * 3000):
        with pytest.raises(DomainError):
            check_url(bad)


NON_PUBLIC = [
    "127.0.0.0/8",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "169.254.0.0/16",
    "100.64.0.0/10",
    "::1/128",
    "fe80::/10",
    "fc00::/7",
]


@given(
    network=st.sampled_from(NON_PUBLIC),
    offset=st.integers(min_value=0, max_value=2**20),
    mapped=st.booleans(),
)
def test_non_public_targets_are_refused_unless_allowed(network, offset, mapped):
    net = ipaddress.ip_network(network)
    ip = net[offset % net.num_addresses]
    address = f"::ffff:{ip}" if mapped and isinstance(ip, ipaddress.IPv4Address) else str(ip)
    assert refused_address(address, allow_private=False) is not None
    assert refused_address(address, allow_private=True) is None


@given(st.ip_addresses(v=4))
def test_only_global_unicast_addresses_pass(ip):
    reason = refused_address(str(ip), allow_private=False)
    assert (reason is None) == (ip.is_global and not ip.is_multicast and not ip.is_reserved)
