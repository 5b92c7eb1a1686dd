"""The policy itself, and the resolver through which it pins connections to the addresses
it checked."""

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

from shared.outbound.addresses import (
    IPAddress,
    IPNetwork,
    OutboundRefused,
    allow_entry,
    is_public,
    literal_address,
)

# Registration waits this long for DNS at most; each delivery checks the name again.
REGISTRATION_LOOKUP_SECONDS = 5.0


@dataclass(frozen=True)
class OutboundPolicy:
    """Where outbound calls may go. The default refuses every non-public address."""

    allow_http: bool = False
    networks: tuple[IPNetwork, ...] = ()
    hosts: frozenset[str] = frozenset()

    @classmethod
    def of(cls, allow: Iterable[str], allow_http: bool = False) -> "OutboundPolicy":
        entries = [allow_entry(entry) for entry in allow]
        return cls(
            allow_http=allow_http,
            networks=tuple(entry for entry in entries if not isinstance(entry, str)),
            hosts=frozenset(entry for entry in entries if isinstance(entry, str)),
        )

    def check_url(self, url: str) -> URL:
        """The URL's own form: scheme, no credentials, a host, no non-public literal."""
        try:
            parsed = URL(url)
        except ValueError:
            raise OutboundRefused("not a valid URL") from None
        schemes = ("https", "http") if self.allow_http else ("https",)
        if parsed.scheme not in schemes:
            raise OutboundRefused(f"only {' or '.join(schemes)} URLs are allowed")
        if not parsed.host:
            raise OutboundRefused("the URL names no host")
        if "@" in (parsed.raw_authority or ""):
            raise OutboundRefused("credentials in the URL are not allowed")
        address = literal_address(parsed.host)
        if address is not None:
            self.check_address(parsed.host, address)
        return parsed

    def check_address(self, host: str, address: IPAddress) -> None:
        if not self.allows(host, address):
            raise OutboundRefused(f"{host} is not a public address")

    def allows(self, host: str, address: IPAddress) -> bool:
        if is_public(address) or host.lower().rstrip(".") in self.hosts:
            return True
        embedded = isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped
        return any((embedded or address) in network for network in self.networks)

    async def check_target(self, url: str) -> None:
        """Refuse a URL whose form or any current address is not allowed. A name that does
        not resolve now passes: every delivery resolves and checks it again."""
        parsed = self.check_url(url)
        assert parsed.host is not None
        if literal_address(parsed.host) is not None:
            return
        resolver = PolicyResolver(self)
        try:
            async with asyncio.timeout(REGISTRATION_LOOKUP_SECONDS):
                await resolver.resolve(parsed.host, parsed.port or 0, socket.AF_UNSPEC)
        except (OSError, TimeoutError):
            pass  # no answer now: nothing to refuse yet
        finally:
            await resolver.close()


class PolicyResolver(AbstractResolver):
    """Resolves through the system and refuses when any address is not allowed; the
    connector connects only to what this returned, so the checked address is the one used."""

    def __init__(self, policy: OutboundPolicy, system: AbstractResolver | None = None) -> None:
        self.policy = policy
        self.system = system or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self.system.resolve(host, port, family)
        for result in found:
            self.policy.check_address(host, ipaddress.ip_address(result["host"]))
        return found

    async def close(self) -> None:
        await self.system.close()
