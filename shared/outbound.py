"""The outbound policy: calls to addresses a caller chose (webhooks) reach only the public
internet, unless an operator allow-lists a network or host.

Three checks, so that neither URL tricks nor DNS can reach inside: the URL itself (scheme,
credentials, a literal address in any numeric form), every address its host resolves to,
and the connection, which goes only to the addresses that were checked (the connector's
resolver is the policy's, so a second lookup cannot answer differently). Redirects are
never followed. A caller learns only the outcome, never a low-level error text.
"""

import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

from shared.errors import DomainError
from shared.logs import get_logger

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Outcome = Literal["delivered", "refused_by_policy", "http_error", "could_not_connect"]

log = get_logger(__name__)
# What a resolver would read as an IPv4 address: 1 to 4 parts, decimal, octal or hex
# (``2130706433``, ``0x7f000001``, ``0177.0.0.1``, ``127.1``).
_NUMERIC_HOST = re.compile(r"(0x[0-9a-f]*|\d+)(\.(0x[0-9a-f]*|\d+)){0,3}\.?", re.IGNORECASE)
_HOST_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")


class OutboundRefused(DomainError):
    """The policy refuses this target; ``detail`` says why in words safe to show."""


def literal_address(host: str) -> IPAddress | None:
    """The address a host names literally, in any form a resolver accepts; None for a name.

    Raises OutboundRefused for a numeric host that is no valid address (``999999999999``).
    """
    candidate = host.strip("[]").split("%", 1)[0]  # brackets and an IPv6 zone
    try:
        return ipaddress.ip_address(candidate)
    except ValueError:
        pass
    if not _NUMERIC_HOST.fullmatch(candidate):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(candidate.rstrip(".")))
    except OSError:
        raise OutboundRefused(f"{host!r} is neither a host name nor an address") from None


def is_public(address: IPAddress) -> bool:
    """True only for a global unicast address; an IPv4 address carried inside an IPv6 one
    (mapped ``::ffff:a.b.c.d``, 6to4) is judged as itself."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return is_public(embedded)
        if address.is_site_local:
            return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
    )


def allow_entry(entry: str) -> IPNetwork | str:
    """One allow-list entry: a network (``10.0.0.0/8``), an address, or a host name."""
    text = entry.strip().lower().rstrip(".")
    try:
        return ipaddress.ip_network(text.strip("[]"), strict=False)
    except ValueError:
        pass
    if not _HOST_NAME.fullmatch(text):
        raise ValueError(f"{entry!r} is neither a network, an address nor a host name")
    return text


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
            await resolver.resolve(parsed.host, parsed.port or 0, socket.AF_UNSPEC)
        except OSError:
            pass
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


@dataclass(frozen=True)
class Sent:
    """What a caller may learn of an outbound request."""

    outcome: Outcome
    status: int | None = None

    def describe(self) -> str:
        if self.outcome == "http_error":
            return f"failed with HTTP status {self.status}"
        return self.outcome.replace("_", " ")


@dataclass
class OutboundClient:
    """The one way out for calls to caller-chosen URLs: each passes the policy."""

    policy: OutboundPolicy
    timeout_seconds: float
    _session: aiohttp.ClientSession | None = field(default=None, init=False)

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:  # created lazily: a session needs the running loop
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(resolver=PolicyResolver(self.policy)),
                timeout=aiohttp.ClientTimeout(total=self.timeout_seconds),
                trust_env=False,  # no proxy from the environment: it would resolve for us
            )
        return self._session

    async def post(self, url: str, body: str, headers: dict[str, str]) -> Sent:
        """POST once, never following a redirect; the low-level reason goes to the log only."""
        try:
            self.policy.check_url(url)
            async with self._http().post(
                url, data=body, headers=headers, allow_redirects=False
            ) as response:
                ok = 200 <= response.status < 300
                return Sent("delivered" if ok else "http_error", response.status)
        except OutboundRefused as refused:
            log.info("outbound.refused", reason=refused.detail)
            return Sent("refused_by_policy")
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            log.info("outbound.unreachable", error=repr(error))
            return Sent("could_not_connect")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
