"""A record the monitor cannot index as read is indexed as far as it can be, and the tail
goes on: one malformed record once stopped the index, and the dead-letter list, for good."""

from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from shared.settings import ServiceSettings
from shared.topics import Topics, dead_letter_topic
from tests.integration.monitor.test_event_index import events_of
from tests.support import Caller, eventually


def envelope_with(data: bytes) -> bytes:
    return b'{"id": "e-poison", "type": "jamp.proposal.drafted.v1", "data": ' + data + b"}"


def nested(levels: int) -> bytes:
    return b'{"a": ' * levels + b"1" + b"}" * levels  # deeper than orjson writes


# What is sent, and what of it the index shows.
POISONS: dict[str, tuple[dict[str, Any], tuple[str, Any]]] = {
    "data nested 600 levels deep": (
        {"value": envelope_with(nested(600))},
        ("envelope_error", "kept as text: nested deeper than 64 levels"),
    ),
    "a timestamp past the year 9999": (
        {"value": b"{}", "timestamp_ms": 2**62},
        ("timestamp", "9999-12-31T23:59:59.999000Z"),
    ),
    "a JSON key with a NUL": (
        {"value": b'{"data": {"a\\u0000b": 1}}'},
        ("envelope_error", "kept as text: a field name contains a NUL character"),
    ),
    "a header name with a NUL": (
        {"value": b"{}", "headers": [("x\x00y", b"1")]},
        ("headers", {"x\ufffdy": "1"}),
    ),
    "a number beyond 64 bits": (
        {"value": envelope_with(b'{"n": 18446744073709551615}')},
        ("envelope_error", "kept as text: a number does not fit in 64 bits"),
    ),
    "a header without a value": (
        {"value": b"{}", "headers": [("x", None)]},
        ("headers", {"x": ""}),
    ),
}


@pytest.mark.parametrize(("poison", "shown"), POISONS.values(), ids=POISONS.keys())
async def test_a_record_that_cannot_be_indexed_as_read_does_not_stop_the_records_after_it(
    poison: dict[str, Any],
    shown: tuple[str, Any],
    producer: AIOKafkaProducer,
    operator: Caller,
    settings: ServiceSettings,
) -> None:
    topic = Topics(settings.topic_prefix).of("proposals")
    await producer.send_and_wait(topic, key=b"same-partition", **poison)
    await producer.send_and_wait(topic, key=b"same-partition", value=b'{"data": {"n": 1}}')

    after, first = await eventually(lambda: _at_least(operator, 2, topic=topic), timeout=20)
    assert (after["offset"], after["data"]) == (1, {"n": 1})
    field, value = shown
    assert (first["offset"], first[field]) == (0, value)


async def test_a_dead_letter_with_unreadable_origin_headers_is_listed_and_so_are_later_ones(
    producer: AIOKafkaProducer, operator: Caller, settings: ServiceSettings
) -> None:
    dlq = dead_letter_topic(Topics(settings.topic_prefix).of("proposals"))
    forged = [("dlq.original_partition", "²".encode()), ("dlq.original_offset", b"--5")]
    await producer.send_and_wait(dlq, key=b"k", value=b"{}", headers=forged)
    await producer.send_and_wait(dlq, key=b"k", value=b"{}", headers=[("dlq.error", b"later")])

    letters = await eventually(lambda: _letters(operator, 2), timeout=20)
    assert [letter["error"] for letter in letters] == ["later", None]
    assert (letters[1]["original_partition"], letters[1]["original_offset"]) == (None, None)


async def _at_least(caller: Caller, count: int, **filters: str) -> list[dict[str, Any]] | None:
    found = await events_of(caller, **filters)
    return found if len(found) >= count else None


async def _letters(caller: Caller, count: int) -> list[dict[str, Any]] | None:
    items: list[dict[str, Any]] = (await (await caller.get("/api/dead-letters")).json())["items"]
    return items if len(items) >= count else None
