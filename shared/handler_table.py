"""Handler tables built from the handlers' own annotations, as FastStream's subscribers are.

``async def on_registered(event: ConsumedEvent[CompanyRegistered], app) -> None`` handles
``CompanyRegistered``; ``ConsumedEvent[MatchProposed | MatchUpdated]`` handles both. The
table is checked when the module defining it is imported, so a handler that names no
payload, or a payload two handlers claim, never reaches a running consumer. A wrapper
(``Batchable``, or any ``functools.wraps`` decorator) is registered under the payload of
the handler it wraps.
"""

import inspect
import types
from typing import Union, get_args, get_origin, get_type_hints

from shared.consumer import Batchable, ConsumedEvent, EventHandler
from shared.contracts import EVENT_TYPES, EventPayload


class HandlerTableError(TypeError):
    """A handler table that cannot be built: a payload type missing or claimed twice."""


def handler_table(*handlers: EventHandler) -> dict[type[EventPayload], EventHandler]:
    """Each handler under every payload type its event annotation names."""
    table: dict[type[EventPayload], EventHandler] = {}
    for handler in handlers:
        for payload in payload_types(handler):
            if payload in table:
                raise HandlerTableError(
                    f"{payload.__name__} is handled by both {_name(table[payload])} "
                    f"and {_name(handler)}"
                )
            table[payload] = handler
    return table


def payload_types(handler: EventHandler) -> tuple[type[EventPayload], ...]:
    """The published payload types of a handler's ``ConsumedEvent[...]`` first parameter."""
    target = _target(handler)
    first = next(iter(inspect.signature(target).parameters), None)
    annotation = get_type_hints(target).get(first) if first is not None else None
    if get_origin(annotation) is not ConsumedEvent:
        raise HandlerTableError(
            f"{_name(handler)} must annotate its event as ConsumedEvent[<payload type>]"
        )
    (payload,) = get_args(annotation)
    members = get_args(payload) if get_origin(payload) in (Union, types.UnionType) else (payload,)
    for member in members:
        if EVENT_TYPES.get(getattr(member, "event_type", "")) is not member:
            raise HandlerTableError(f"{_name(handler)} names {member!r}, not a published event")
    return members


def _target(handler: EventHandler) -> EventHandler:
    """The annotated function: inside a Batchable, behind ``functools.wraps`` wrappers."""
    inner: EventHandler = inspect.unwrap(
        handler.handler if isinstance(handler, Batchable) else handler
    )
    return inner


def _name(handler: EventHandler) -> str:
    target = _target(handler)
    return getattr(target, "__qualname__", repr(target))
