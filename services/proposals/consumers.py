"""Kafka entrypoints of the proposals service.

It consumes no domain stream; like every service it keeps its own replica of the API-key
registry from the identity stream, so it can authenticate callers without asking anyone.
"""

from shared.auth.projector import IDENTITY_HANDLERS
from shared.consumer import HandlerTable

TOPIC_HANDLERS: dict[str, HandlerTable] = {"identity": IDENTITY_HANDLERS}
