"""Appending notes and replies never conflicts: 409 stays for real conflicts only."""

import asyncio

from tests.integration.inquiries.conftest import history_types, submitted
from tests.support import Caller


async def test_six_parallel_notes_are_all_accepted(vn_desk: Caller) -> None:
    inquiry_id = (await submitted(vn_desk))["inquiry_id"]
    responses = await asyncio.gather(
        *(vn_desk.post(f"/inquiries/{inquiry_id}/notes", {"body": f"note {n}"}) for n in range(6))
    )
    assert [response.status for response in responses] == [201] * 6
    messages = await (await vn_desk.get(f"/inquiries/{inquiry_id}/messages")).json()
    assert sorted(m["body"] for m in messages["items"]) == [f"note {n}" for n in range(6)]
    assert (await history_types(vn_desk, inquiry_id)).count("noted") == 6


async def test_six_parallel_replies_are_all_accepted_and_answer_once(
    vn_desk: Caller, operator: Caller
) -> None:
    inquiry_id = (await submitted(vn_desk))["inquiry_id"]
    responses = await asyncio.gather(
        *(operator.post(f"/inquiries/{inquiry_id}/replies", {"body": f"r {n}"}) for n in range(6))
    )
    assert [response.status for response in responses] == [201] * 6
    types = await history_types(vn_desk, inquiry_id)
    assert types.count("replied") == 6 and types.count("sla_met") == 1
    assert types.count("status_changed") == 1  # triaged → answered, once


async def test_a_note_records_the_person_beside_the_grant(vn_desk: Caller) -> None:
    inquiry_id = (await submitted(vn_desk))["inquiry_id"]
    note = await (await vn_desk.post(f"/inquiries/{inquiry_id}/notes", {"body": "n"})).json()
    assert note["author"] == "desk:VN"
    assert note["by"] == {
        "grant": "desk:VN", "person_id": None, "name": "test desk:VN", "key_id": vn_desk.key_id
    }  # fmt: skip
