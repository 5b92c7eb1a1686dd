"""Linking related inquiries and merging a duplicate into the one kept."""

from shared.envelope import Envelope
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.integration.inquiries.conftest import THAI, history_types, submitted
from tests.support import Caller, read_topic


class TestLinking:
    async def test_a_link_points_both_ways_and_linking_twice_changes_nothing(
        self, vn_desk: Caller
    ) -> None:
        first = (await submitted(vn_desk))["inquiry_id"]
        second = (await submitted(vn_desk))["inquiry_id"]
        for _ in range(2):
            response = await vn_desk.post(f"/inquiries/{first}/links", {"inquiry_id": second})
            assert response.status == 200
        assert (await (await vn_desk.get(f"/inquiries/{first}")).json())["links"] == [second]
        assert (await (await vn_desk.get(f"/inquiries/{second}")).json())["links"] == [first]
        assert (await history_types(vn_desk, first)).count("linked") == 1
        assert (await history_types(vn_desk, second)).count("linked") == 1

    async def test_another_desks_inquiry_cannot_be_linked(
        self, vn_desk: Caller, th_desk: Caller
    ) -> None:
        mine = (await submitted(vn_desk))["inquiry_id"]
        theirs = (await submitted(th_desk, **THAI))["inquiry_id"]
        response = await vn_desk.post(f"/inquiries/{mine}/links", {"inquiry_id": theirs})
        assert response.status == 404


class TestUnlinking:
    async def test_unlinking_removes_both_sides_once_with_history_and_an_event(
        self, vn_desk: Caller, settings: ServiceSettings
    ) -> None:
        first = (await submitted(vn_desk))["inquiry_id"]
        second = (await submitted(vn_desk))["inquiry_id"]
        third = (await submitted(vn_desk))["inquiry_id"]
        for other in (second, third):
            response = await vn_desk.post(f"/inquiries/{first}/links", {"inquiry_id": other})
            assert response.status == 200
        for _ in range(2):
            response = await vn_desk.post(f"/inquiries/{first}/unlink", {"inquiry_id": second})
            assert response.status == 200, await response.text()
            assert (await response.json())["links"] == [third]
        assert (await (await vn_desk.get(f"/inquiries/{second}")).json())["links"] == []
        assert (await history_types(vn_desk, first)).count("unlinked") == 1
        assert (await history_types(vn_desk, second)).count("unlinked") == 1
        # 3 submissions of 4 events each, 2 links, 1 unlink: one event for each change.
        topic = Topics(settings.topic_prefix).of("inquiries")
        envelopes = [Envelope.from_bytes(r.value) for r in await read_topic(settings, topic, 15)]
        unlinked = [e for e in envelopes if e.type == "jamp.inquiry.unlinked.v1"]
        assert [(e.subject, e.data["related_id"]) for e in unlinked] == [(first, second)]
        assert unlinked[0].data["by"]

    async def test_unlinking_oneself_or_an_unseen_inquiry_is_refused(
        self, vn_desk: Caller, th_desk: Caller
    ) -> None:
        mine = (await submitted(vn_desk))["inquiry_id"]
        theirs = (await submitted(th_desk, **THAI))["inquiry_id"]
        response = await vn_desk.post(f"/inquiries/{mine}/unlink", {"inquiry_id": theirs})
        assert response.status == 404
        response = await vn_desk.post(f"/inquiries/{mine}/unlink", {"inquiry_id": mine})
        assert response.status == 409


class TestMerging:
    async def test_the_duplicate_is_closed_with_a_pointer_and_both_keep_history(
        self, vn_desk: Caller
    ) -> None:
        kept = (await submitted(vn_desk))["inquiry_id"]
        duplicate = (await submitted(vn_desk))["inquiry_id"]
        await vn_desk.post(f"/inquiries/{duplicate}/notes", {"body": "Same as the other."})
        response = await vn_desk.post(f"/inquiries/{duplicate}/merge", {"into": kept})
        merged = await response.json()
        assert response.status == 200
        assert (merged["status"], merged["merged_into"]) == ("closed", kept)
        assert merged["clocks"]["resolution"]["state"] == "cancelled"
        target = await (await vn_desk.get(f"/inquiries/{kept}")).json()
        assert target["merged_from"] == [duplicate]
        assert "merged" in await history_types(vn_desk, kept)
        assert "noted" in await history_types(vn_desk, duplicate)
        notes = await (await vn_desk.get(f"/inquiries/{duplicate}/messages")).json()
        assert len(notes["items"]) == 1

    async def test_only_one_requesters_duplicate_at_one_desk_is_merged(
        self, vn_desk: Caller, th_desk: Caller, operator: Caller
    ) -> None:
        kept = (await submitted(vn_desk))["inquiry_id"]  # asked by the city of Da Nang
        hanoi = {"kind": "city", "city_id": "hanoi"}
        other = (await submitted(vn_desk, requester=hanoi, city="hanoi"))["inquiry_id"]
        thai = (await submitted(th_desk, **THAI))["inquiry_id"]
        for duplicate in (other, thai):
            await operator.post(f"/inquiries/{duplicate}/replies", {"body": "Private answer."})
            refused = await operator.post(f"/inquiries/{duplicate}/merge", {"into": kept})
            assert refused.status == 422
            assert (await refused.json())["errors"][0]["field"] == "body.into"
            unchanged = await (await operator.get(f"/inquiries/{duplicate}")).json()
            assert unchanged["status"] != "closed"
        survivor = await (await vn_desk.get(f"/inquiries/{kept}")).json()
        assert survivor["merged_from"] == []
        same = (await submitted(vn_desk))["inquiry_id"]  # Da Nang again: a true duplicate
        assert (await vn_desk.post(f"/inquiries/{same}/merge", {"into": kept})).status == 200

    async def test_a_merged_inquiry_is_not_reopened_and_nothing_merges_into_itself(
        self, vn_desk: Caller
    ) -> None:
        kept = (await submitted(vn_desk))["inquiry_id"]
        duplicate = (await submitted(vn_desk))["inquiry_id"]
        await vn_desk.post(f"/inquiries/{duplicate}/merge", {"into": kept})
        reopened = await vn_desk.post(f"/inquiries/{duplicate}/reopen", {})
        assert reopened.status == 409
        assert kept in (await reopened.json())["detail"]
        itself = await vn_desk.post(f"/inquiries/{kept}/merge", {"into": kept})
        assert itself.status == 409
        again = await vn_desk.post(f"/inquiries/{duplicate}/merge", {"into": kept})
        assert (await again.json())["current_status"] == "closed"

    async def test_the_survivor_shows_the_duplicates_conversation_marked_with_its_origin(
        self, vn_desk: Caller, operator: Caller
    ) -> None:
        kept = (await submitted(vn_desk))["inquiry_id"]
        duplicate = (await submitted(vn_desk))["inquiry_id"]
        await operator.post(f"/inquiries/{kept}/replies", {"body": "On the kept one."})
        await operator.post(f"/inquiries/{duplicate}/replies", {"body": "On the duplicate."})
        await vn_desk.post(f"/inquiries/{duplicate}/merge", {"into": kept})
        conversation = (await (await vn_desk.get(f"/inquiries/{kept}/messages")).json())["items"]
        assert [(m["body"], m["merged_from"]) for m in conversation] == [
            ("On the kept one.", None),
            ("On the duplicate.", duplicate),
        ]

    async def test_merging_into_a_closed_inquiry_names_the_closed_one(
        self, vn_desk: Caller, operator: Caller
    ) -> None:
        closed = (await submitted(vn_desk))["inquiry_id"]
        duplicate = (await submitted(vn_desk))["inquiry_id"]
        await operator.post(f"/inquiries/{closed}/close", {})
        response = await vn_desk.post(f"/inquiries/{duplicate}/merge", {"into": closed})
        problem = await response.json()
        assert response.status == 409
        assert closed in problem["detail"] and problem["inquiry_id"] == closed
