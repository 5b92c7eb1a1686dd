"""Addresses: which a host names literally (in every spelling a resolver accepts), which
are public, and the entries of an allow-list."""

import ipaddress
import re
import socket

from shared.errors import DomainError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# What a resolver would read as an IPv4 address: 1 to 4 parts, decimal, octal or hex
# (``2130706433``, ``0x7f000001``, ``0177.0.0.1``, ``127.1``).
_NUMERIC_HOST = re.compile(r"(0x[0-9a-f]*|\d+)(\.(0x[0-9a-f]*|\d+)){0,3}\.?", re.IGNORECASE)
_HOST_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")
# Blocks that IANA's special-purpose registries mark not global and that Python 3.11's
# ``is_global`` still takes for public (its tables were updated in 3.12.4 and 3.13):
# IETF protocol assignments (192.0.0.8 and the rest of the /24, of which only two anycast
# addresses are global and neither is a webhook) and IPv6 documentation (RFC 9637).
_NOT_GLOBAL = (ipaddress.ip_network("192.0.0.0/24"), ipaddress.ip_network("3fff::/20"))


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
    if any(address in network for network in _NOT_GLOBAL):
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
