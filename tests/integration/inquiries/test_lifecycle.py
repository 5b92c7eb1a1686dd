"""An inquiry from submission to closure and reopening, with its events and audit history."""

from typing import Any

from aiohttp.test_utils import TestClient

from shared.envelope import Envelope
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.integration.inquiries.conftest import (
    ManualClock,
    history_types,
    known_company,
    submitted,
)
from tests.support import Caller, eventually, granted, person, read_topic


class TestSubmission:
    async def test_a_desk_submits_and_the_inquiry_is_triaged_into_a_queue(
        self, vn_desk: Caller
    ) -> None:
        created = await submitted(vn_desk, category="financing")
        assert created["status"] == "triaged"
        assert created["queue"] == "jbic-join-liaison"
        assert created["submitted_by"] == "desk:VN"
        assert created["clocks"]["first_response"]["state"] == "running"

    async def test_submission_publishes_submitted_triaged_and_both_sla_starts(
        self, vn_desk: Caller, settings: ServiceSettings
    ) -> None:
        created = await submitted(vn_desk)
        topic = Topics(settings.topic_prefix).of("inquiries")
        records = await read_topic(settings, topic, 4)
        envelopes = [Envelope.from_bytes(record.value) for record in records]
        assert {envelope.subject for envelope in envelopes} == {created["inquiry_id"]}
        assert [envelope.type for envelope in envelopes] == [
            "jamp.inquiry.submitted.v1",
            "jamp.inquiry.triaged.v1",
            "jamp.inquiry.sla_started.v1",
            "jamp.inquiry.sla_started.v1",
        ]
        assert envelopes[0].data["inquiry"]["requester"]["city_id"] == "da-nang"

    async def test_a_desk_key_submits_only_for_its_own_country(self, th_desk: Caller) -> None:
        response = await th_desk.post("/inquiries", {**_body(), "country": "VN"})
        assert response.status == 403


def _body() -> dict[str, Any]:
    from tests.integration.inquiries.conftest import inquiry

    return inquiry()


class TestAssignment:
    async def test_an_officer_assignment_moves_the_inquiry_to_assigned(
        self, inquiries: TestClient[Any, Any], vn_desk: Caller, operator: Caller
    ) -> None:
        nguyen = await person(inquiries, "Nguyen Van A", "desk:VN")
        created = await submitted(vn_desk)
        path = f"/inquiries/{created['inquiry_id']}/assign"
        response = await operator.post(path, {"queue": "desk-vn", "officer": nguyen.person_id})
        body = await response.json()
        assert response.status == 200
        assert (body["status"], body["queue"], body["officer_name"]) == (
            "assigned",
            "desk-vn",
            "Nguyen Van A",
        )
        assert "assigned" in await history_types(operator, created["inquiry_id"])

    async def test_an_assignment_naming_nothing_is_refused(self, vn_desk: Caller) -> None:
        created = await submitted(vn_desk)
        response = await vn_desk.post(f"/inquiries/{created['inquiry_id']}/assign", {})
        assert response.status == 422


class TestConversation:
    async def test_a_desk_reply_answers_and_meets_the_first_response_target(
        self, vn_desk: Caller, operator: Caller, clock: ManualClock
    ) -> None:
        created = await submitted(vn_desk)
        inquiry_id = created["inquiry_id"]
        clock.advance(minutes=30)
        response = await operator.post(f"/inquiries/{inquiry_id}/replies", {"body": "Try these."})
        assert response.status == 201
        assert (await response.json())["side"] == "desk"
        current = await (await operator.get(f"/inquiries/{inquiry_id}")).json()
        assert current["status"] == "answered"
        assert current["clocks"]["first_response"]["state"] == "met"
        assert current["first_response_at"] is not None
        assert history_types_tail(await history_types(operator, inquiry_id)) == [
            "replied",
            "status_changed",
            "sla_met",
        ]

    async def test_internal_notes_are_hidden_from_the_requester_side(
        self, inquiries: TestClient[Any, Any], vn_desk: Caller
    ) -> None:
        await known_company(inquiries, "c-1")
        created = await submitted(vn_desk, requester={"kind": "company", "company_id": "c-1"})
        inquiry_id = created["inquiry_id"]
        await vn_desk.post(f"/inquiries/{inquiry_id}/notes", {"body": "Check JBIC first."})
        await vn_desk.post(f"/inquiries/{inquiry_id}/replies", {"body": "We are on it."})
        company = await granted(inquiries, "company:c-1")
        seen = await (await company.get(f"/inquiries/{inquiry_id}/messages")).json()
        assert [message["body"] for message in seen["items"]] == ["We are on it."]
        staff = await (await vn_desk.get(f"/inquiries/{inquiry_id}/messages")).json()
        assert [message["kind"] for message in staff["items"]] == ["note", "reply"]
        assert staff["items"][0]["author"] == "desk:VN"
        assert (await company.post(f"/inquiries/{inquiry_id}/notes", {"body": "x"})).status == 403

    async def test_waiting_on_the_requester_pauses_and_their_reply_resumes(
        self, vn_desk: Caller, operator: Caller
    ) -> None:
        inquiry_id = (await submitted(vn_desk))["inquiry_id"]
        await operator.post(f"/inquiries/{inquiry_id}/replies", {"body": "What is the budget?"})
        waiting = await operator.post(f"/inquiries/{inquiry_id}/wait", {"reason": "need budget"})
        assert (await waiting.json())["status"] == "waiting_on_requester"
        assert (await waiting.json())["sla_state"] == "paused"
        reply = {"body": "Budget is 2 M USD.", "from_requester": True}
        assert (await vn_desk.post(f"/inquiries/{inquiry_id}/replies", reply)).status == 201
        current = await (await operator.get(f"/inquiries/{inquiry_id}")).json()
        assert current["status"] == "triaged"
        assert current["clocks"]["resolution"]["state"] == "running"
        types = await history_types(operator, inquiry_id)
        assert types.count("sla_paused") == 1 and types.count("sla_resumed") == 1

    async def test_waiting_needs_a_reply_first_so_the_first_response_clock_never_pauses(
        self, vn_desk: Caller, operator: Caller
    ) -> None:
        inquiry_id = (await submitted(vn_desk))["inquiry_id"]
        waiting = await operator.post(f"/inquiries/{inquiry_id}/wait", {"reason": "need budget"})
        assert waiting.status == 409
        assert "reply" in (await waiting.json())["detail"]
        current = await (await operator.get(f"/inquiries/{inquiry_id}")).json()
        assert current["clocks"]["first_response"]["state"] == "running"


def history_types_tail(types: list[str]) -> list[str]:
    return types[-3:]


class TestClosing:
    async def test_closed_then_reopened_within_the_window(
        self, vn_desk: Caller, operator: Caller, clock: ManualClock
    ) -> None:
        inquiry_id = (await submitted(vn_desk))["inquiry_id"]
        closed = await operator.post(f"/inquiries/{inquiry_id}/close", {"reason": "answered"})
        assert (await closed.json())["status"] == "closed"
        clock.advance(days=3)
        reopened = await vn_desk.post(f"/inquiries/{inquiry_id}/reopen", {"reason": "follow-up"})
        assert reopened.status == 200
        assert (await reopened.json())["status"] == "triaged"

    async def test_reopening_after_the_window_is_a_conflict_naming_the_state(
        self, vn_desk: Caller, operator: Caller, clock: ManualClock
    ) -> None:
        inquiry_id = (await submitted(vn_desk))["inquiry_id"]
        await operator.post(f"/inquiries/{inquiry_id}/close", {})
        clock.advance(days=15)
        response = await vn_desk.post(f"/inquiries/{inquiry_id}/reopen", {})
        problem = await response.json()
        assert response.status == 409
        assert response.content_type == "application/problem+json"
        assert problem["current_status"] == "closed"

    async def test_waiting_too_long_on_the_requester_closes_with_a_notice(
        self, vn_desk: Caller, operator: Caller, clock: ManualClock
    ) -> None:
        inquiry_id = (await submitted(vn_desk))["inquiry_id"]
        await operator.post(f"/inquiries/{inquiry_id}/replies", {"body": "What is the budget?"})
        waiting = await (await operator.post(f"/inquiries/{inquiry_id}/wait", {})).json()
        # Monday 2 March: ten business days later is Monday 16 March, 17:00 in Hanoi.
        assert waiting["auto_close_at"] == "2026-03-16T10:00:00Z"
        clock.advance(days=14, hours=7, minutes=59)
        clock.advance(minutes=2)

        async def closed() -> dict[str, Any] | None:
            current = await (await operator.get(f"/inquiries/{inquiry_id}")).json()
            return current if current["status"] == "closed" else None

        current = await eventually(closed)
        assert current["auto_close_at"] is None
        history = await (await operator.get(f"/inquiries/{inquiry_id}/history")).json()
        last_move = [e for e in history["items"] if e["type"].endswith("status_changed.v1")][-1]
        assert last_move["actor"] == "inquiries-sla-ticker"
        notice = "closed automatically: no answer from the requester in 10 business days"
        assert last_move["data"]["reason"] == notice
        messages = await (await vn_desk.get(f"/inquiries/{inquiry_id}/messages")).json()
        last = messages["items"][-1]
        assert (last["kind"], last["side"], last["body"]) == ("reply", "desk", notice)
        assert (await history_types(operator, inquiry_id))[-1] == "replied"

    async def test_a_requester_reply_in_the_window_reopens_a_closed_inquiry(
        self, vn_desk: Caller, operator: Caller, clock: ManualClock
    ) -> None:
        inquiry_id = (await submitted(vn_desk))["inquiry_id"]
        await operator.post(f"/inquiries/{inquiry_id}/close", {})
        clock.advance(days=3)
        reply = {"body": "One more question.", "from_requester": True}
        response = await vn_desk.post(f"/inquiries/{inquiry_id}/replies", reply)
        assert response.status == 201, await response.text()
        current = await (await operator.get(f"/inquiries/{inquiry_id}")).json()
        assert (current["status"], current["closed_at"]) == ("triaged", None)
        assert current["clocks"]["resolution"]["state"] == "running"
        types = await history_types(operator, inquiry_id)
        assert types[-1] == "replied"
        assert types.count("sla_started") == 4  # both clocks again: nobody had replied
        await operator.post(f"/inquiries/{inquiry_id}/close", {})
        clock.advance(days=15)
        late = await vn_desk.post(f"/inquiries/{inquiry_id}/replies", reply)
        assert late.status == 409
        assert "submit a new inquiry" in (await late.json())["detail"]

    async def test_an_illegal_move_is_a_conflict_naming_the_current_state(
        self, vn_desk: Caller, operator: Caller
    ) -> None:
        inquiry_id = (await submitted(vn_desk))["inquiry_id"]
        await operator.post(f"/inquiries/{inquiry_id}/close", {})
        response = await operator.post(f"/inquiries/{inquiry_id}/wait", {})
        problem = await response.json()
        assert response.status == 409
        assert problem["current_status"] == "closed"
        assert "closed" in problem["detail"]
        again = await operator.post(f"/inquiries/{inquiry_id}/replies", {"body": "late"})
        assert again.status == 409

    async def test_the_history_records_every_change_with_its_actor(
        self, inquiries: TestClient[Any, Any], vn_desk: Caller, operator: Caller
    ) -> None:
        tanaka = await person(inquiries, "Tanaka", "operator")
        inquiry_id = (await submitted(vn_desk))["inquiry_id"]
        await operator.post(f"/inquiries/{inquiry_id}/assign", {"officer": tanaka.person_id})
        await operator.post(f"/inquiries/{inquiry_id}/replies", {"body": "Answer."})
        await operator.post(f"/inquiries/{inquiry_id}/close", {})
        history = await (await operator.get(f"/inquiries/{inquiry_id}/history")).json()
        actors = {entry["type"].split(".")[2]: entry["actor"] for entry in history["items"]}
        assert actors["submitted"] == "desk:VN"
        assert actors["assigned"] == "operator"
        assert [e["data"].get("to_status") for e in history["items"] if "status" in e["type"]] == [
            "assigned",
            "answered",
            "closed",
        ]
