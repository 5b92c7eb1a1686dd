"""The outbound policy: which addresses and URLs a caller-chosen call may reach."""

import ipaddress
import socket

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from shared.outbound import OutboundPolicy, OutboundRefused, Sent
from shared.outbound.addresses import allow_entry, is_public, literal_address
from shared.outbound.policy import PolicyResolver
from shared.settings import ServiceSettings

LOOPBACK = ipaddress.ip_address("127.0.0.1")


class TestLiteralAddresses:
    @pytest.mark.parametrize(
        "host",
        ["127.0.0.1", "0x7f000001", "2130706433", "0177.0.0.1", "127.1", "0x7f.0.0.1", "127.1."],
    )
    def test_every_numeric_form_of_loopback_is_read_as_the_address(self, host: str) -> None:
        assert literal_address(host) == LOOPBACK

    @pytest.mark.parametrize(
        ("host", "expected"),
        [
            ("[::1]", "::1"),
            ("::1", "::1"),
            ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
            ("fe80::1%eth0", "fe80::1"),
        ],
    )
    def test_ipv6_literals_with_brackets_or_zone_are_read(self, host: str, expected: str) -> None:
        assert literal_address(host) == ipaddress.ip_address(expected)

    @pytest.mark.parametrize("host", ["example.com", "hooks.example.org", "localhost", "a1.b2"])
    def test_a_host_name_is_no_literal(self, host: str) -> None:
        assert literal_address(host) is None

    def test_a_numeric_host_that_is_no_address_is_refused(self) -> None:
        with pytest.raises(OutboundRefused):
            literal_address("999999999999")


class TestPublicAddresses:
    @pytest.mark.parametrize(
        "address",
        [
            "127.0.0.1",  # loopback
            "10.1.2.3",  # private
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",  # link-local: cloud metadata
            "100.64.0.1",  # shared address space (carrier NAT)
            "0.0.0.0",  # unspecified
            "224.0.0.1",  # multicast
            "240.0.0.1",  # reserved
            "255.255.255.255",
            "192.0.2.10",  # documentation
            "192.0.0.8",  # IETF protocol assignments, public to Python 3.11
            "192.0.0.9",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",  # unique local
            "fec0::1",  # site-local
            "ff02::1",  # multicast
            "2001:db8::1",  # documentation
            "3fff::1",  # documentation since RFC 9637, public to Python 3.11
            "::ffff:127.0.0.1",  # IPv4-mapped loopback
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "2002:7f00:1::1",  # 6to4 around 127.0.0.1
            "64:ff9b::7f00:1",  # NAT64 around 127.0.0.1
            "2001::1",  # Teredo
        ],
    )
    def test_non_global_addresses_are_not_public(self, address: str) -> None:
        assert not is_public(ipaddress.ip_address(address))

    @pytest.mark.parametrize(
        "address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
    )
    def test_global_unicast_addresses_are_public(self, address: str) -> None:
        assert is_public(ipaddress.ip_address(address))


class TestUrls:
    @pytest.mark.parametrize(
        "url",
        [
            "http://127.0.0.1:8080/hook",
            "http://[::1]/hook",
            "http://0x7f000001/",
            "http://2130706433/",
            "http://0177.0.0.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::ffff:127.0.0.1]/",
            "http://[fe80::1%25eth0]/",
            "http://10.0.0.5/",
        ],
    )
    def test_literal_non_public_hosts_are_refused_even_over_allowed_http(self, url: str) -> None:
        with pytest.raises(OutboundRefused, match="not a public address"):
            OutboundPolicy(allow_http=True).check_url(url)

    @pytest.mark.parametrize(
        "url", ["https://user:pass@hooks.example.com/", "https://token@hooks.example.com/"]
    )
    def test_credentials_in_the_url_are_refused(self, url: str) -> None:
        with pytest.raises(OutboundRefused, match="credentials"):
            OutboundPolicy().check_url(url)

    def test_http_is_refused_unless_allowed(self) -> None:
        with pytest.raises(OutboundRefused, match="only https"):
            OutboundPolicy().check_url("http://hooks.example.com/")
        OutboundPolicy(allow_http=True).check_url("http://hooks.example.com/")

    @pytest.mark.parametrize("url", ["ftp://hooks.example.com/", "file:///etc/passwd", "/hook"])
    def test_other_schemes_are_refused(self, url: str) -> None:
        with pytest.raises(OutboundRefused):
            OutboundPolicy(allow_http=True).check_url(url)

    def test_a_public_https_url_passes(self) -> None:
        assert OutboundPolicy().check_url("https://93.184.216.34/hook").host == "93.184.216.34"

    def test_the_allow_list_opens_networks_and_host_names(self) -> None:
        policy = OutboundPolicy.of(["127.0.0.0/8", "Receiver.Internal"], allow_http=True)
        assert policy.allows("127.0.0.1", LOOPBACK)
        assert policy.allows("x", ipaddress.ip_address("::ffff:127.0.0.2"))
        assert policy.allows("receiver.internal.", ipaddress.ip_address("10.0.0.1"))
        assert not policy.allows("other.internal", ipaddress.ip_address("10.0.0.1"))


class TestAllowListSetting:
    def test_comma_separated_or_json_entries_are_read(self) -> None:
        assert ServiceSettings(outbound_allow="10.0.0.0/8, localhost").outbound_allow == (
            "10.0.0.0/8",
            "localhost",
        )
        assert ServiceSettings(outbound_allow='["::1"]').outbound_allow == ("::1",)

    @pytest.mark.parametrize("entry", ["10.0.0.0/33", "not a host", "http://x/"])
    def test_a_malformed_entry_is_refused(self, entry: str) -> None:
        with pytest.raises(ValueError):
            allow_entry(entry)

    def test_the_default_allows_nothing_private(self) -> None:
        policy = ServiceSettings(key_pepper=None).outbound_policy()
        assert policy == OutboundPolicy()
        assert not policy.allows("localhost", LOOPBACK)


class FixedResolver(AbstractResolver):
    """Answers every name with the given addresses, as a rebinding DNS server might."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(hostname=host, host=a, port=port, family=family, proto=0, flags=0)
            for a in self.addresses
        ]

    async def close(self) -> None:
        pass


class TestResolution:
    async def test_a_name_resolving_to_any_private_address_is_refused(self) -> None:
        resolver = PolicyResolver(OutboundPolicy(), FixedResolver("93.184.216.34", "127.0.0.1"))
        with pytest.raises(OutboundRefused):
            await resolver.resolve("rebind.example.com", 443)

    async def test_the_connector_gets_exactly_the_checked_addresses(self) -> None:
        resolver = PolicyResolver(OutboundPolicy(), FixedResolver("93.184.216.34"))
        found = await resolver.resolve("hooks.example.com", 443)
        assert [result["host"] for result in found] == ["93.184.216.34"]

    async def test_registration_refuses_a_name_of_a_loopback_address(self) -> None:
        with pytest.raises(OutboundRefused):
            await OutboundPolicy().check_target("https://localhost/hook")


class TestWhatACallerSees:
    @pytest.mark.parametrize(
        ("sent", "text"),
        [
            (Sent("delivered", 204), "delivered"),
            (Sent("refused_by_policy"), "refused by policy"),
            (Sent("http_error", 500), "failed with HTTP status 500"),
            (Sent("could_not_connect"), "could not connect"),
        ],
    )
    def test_only_four_outcomes_are_described(self, sent: Sent, text: str) -> None:
        assert sent.describe() == text
