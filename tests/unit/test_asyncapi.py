"""The AsyncAPI document lists every registered event on its own stream's channel."""

from shared.contracts import EVENT_TYPES
from shared.contracts.asyncapi import build_asyncapi


def test_every_registered_event_is_a_message_on_its_streams_channel() -> None:
    document = build_asyncapi("jamp", "1.0")
    for model in EVENT_TYPES.values():
        message = document["components"]["messages"][model.__name__]
        assert message["name"] == model.event_type
        assert message["payload"]["properties"]["type"] == {"const": model.event_type}
        channel = document["channels"][model.stream]
        assert channel["address"] == f"jamp.{model.stream}.v1"
        assert model.__name__ in channel["messages"]


def test_each_channel_has_a_send_operation_and_messages_only_of_its_own() -> None:
    document = build_asyncapi("jamp", "1.0")
    for stream, channel in document["channels"].items():
        assert document["operations"][f"publish_{stream}"]["action"] == "send"
        for name in channel["messages"]:
            assert EVENT_TYPES[document["components"]["messages"][name]["name"]].stream == stream


def test_message_summaries_come_from_the_payload_docstrings() -> None:
    document = build_asyncapi("jamp", "1.0")
    assert document["components"]["messages"]["CompanySuspended"]["summary"] == (
        "An admin suspended a company, with a reason."
    )
