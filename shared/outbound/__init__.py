"""The outbound policy: calls to addresses a caller chose (webhooks) reach only the public
internet, unless an operator allow-lists a network or host.

Three checks, so that neither URL tricks nor DNS can reach inside: the URL itself (scheme,
credentials, a literal address in any numeric form), every address its host resolves to,
and the connection, which goes only to the addresses that were checked (the connector's
resolver is the policy's, so a second lookup cannot answer differently). Redirects are
never followed. A caller learns only the outcome, never a low-level error text.
"""

from shared.outbound.addresses import OutboundRefused, allow_entry
from shared.outbound.client import OutboundClient, Outcome, Sent
from shared.outbound.policy import OutboundPolicy

__all__ = ["OutboundClient", "OutboundPolicy", "OutboundRefused", "Outcome", "Sent", "allow_entry"]
