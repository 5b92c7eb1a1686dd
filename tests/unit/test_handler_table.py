"""Handler tables are built from the handlers' own ``ConsumedEvent[...]`` annotations and
refuse, when built, a handler that names no published payload or a payload claimed twice."""

import functools

import pytest
from aiohttp import web

from shared.consumer import Batchable, ConsumedEvent, EventHandler
from shared.contracts import EventPayload
from shared.contracts.companies import CompanyRegistered, CompanyUpdated, CompanyVerified
from shared.handler_table import HandlerTableError, handler_table, payload_types


async def on_registered(event: ConsumedEvent[CompanyRegistered], app: web.Application) -> None:
    pass


async def on_changed(
    event: ConsumedEvent[CompanyUpdated | CompanyVerified], app: web.Application
) -> None:
    pass


async def on_updated(event: ConsumedEvent[CompanyUpdated], app: web.Application) -> None:
    pass


async def on_anything(event: ConsumedEvent, app: web.Application) -> None:
    pass


async def on_the_base(event: ConsumedEvent[EventPayload], app: web.Application) -> None:
    pass


async def on_unannotated(event, app):  # type: ignore[no-untyped-def]
    pass


def test_a_handler_is_registered_under_the_payload_its_event_annotation_names() -> None:
    assert handler_table(on_registered) == {CompanyRegistered: on_registered}


def test_a_union_payload_registers_the_handler_under_each_member() -> None:
    table = handler_table(on_registered, on_changed)
    assert table == {
        CompanyRegistered: on_registered,
        CompanyUpdated: on_changed,
        CompanyVerified: on_changed,
    }


def test_a_batchable_handler_is_registered_by_the_payload_of_the_handler_it_wraps() -> None:
    batchable = Batchable(on_changed)
    table = handler_table(batchable)
    assert table == {CompanyUpdated: batchable, CompanyVerified: batchable}
    assert all(isinstance(handler, Batchable) for handler in table.values())


def test_a_wrapper_made_with_functools_wraps_is_registered_by_the_wrapped_payload() -> None:
    def timed(handler: EventHandler) -> EventHandler:
        @functools.wraps(handler)
        async def run(event: ConsumedEvent, app: web.Application) -> None:
            await handler(event, app)

        return run

    wrapped = timed(on_registered)
    assert handler_table(wrapped) == {CompanyRegistered: wrapped}


def test_a_payload_claimed_by_two_handlers_is_refused() -> None:
    with pytest.raises(HandlerTableError, match="CompanyUpdated is handled by both"):
        handler_table(on_changed, on_updated)


def test_a_handler_without_a_payload_annotation_is_refused() -> None:
    for handler in (on_anything, on_unannotated):
        with pytest.raises(HandlerTableError, match=r"ConsumedEvent\[<payload type>\]"):
            payload_types(handler)


def test_a_payload_that_is_no_published_event_is_refused() -> None:
    with pytest.raises(HandlerTableError, match="not a published event"):
        handler_table(on_the_base)
