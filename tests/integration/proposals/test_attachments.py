"""Attachments of proposals: a draft refers to its files; they follow its visibility."""

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from services.proposals.keys import ATTACHMENTS
from shared.envelope import Envelope
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.documents import exe, pdf, png
from tests.integration.proposals.flows import draft, step, walk_to
from tests.support import Caller, eventually, granted, read_topic


async def uploaded(caller: Caller, proposal_id: str, data: bytes, name: str = "a.pdf") -> Any:
    response = await caller.upload(f"/proposals/{proposal_id}/attachments", data, name)
    assert response.status == 201, await response.text()
    return await response.json()


async def listed(caller: Caller, proposal: dict[str, Any], *files: dict[str, Any]) -> Any:
    body = {"attachments": [f["attachment_id"] for f in files], "version": proposal["version"]}
    response = await caller.patch(f"/proposals/{proposal['proposal_id']}", body)
    assert response.status == 200, await response.text()
    return await response.json()


def _path(proposal_id: str, file: dict[str, Any]) -> str:
    return f"/proposals/{proposal_id}/attachments/{file['attachment_id']}"


class TestDraftFiles:
    async def test_a_city_uploads_to_its_draft_and_the_draft_refers_to_the_file(
        self, da_nang: Caller, settings: ServiceSettings
    ) -> None:
        proposal = await draft(da_nang)
        proposal_id = proposal["proposal_id"]
        file = await uploaded(da_nang, proposal_id, pdf(), "Master plan.pdf")
        assert (file["media_type"], file["uploaded_by"]) == ("application/pdf", "city:da-nang")
        updated = await listed(da_nang, proposal, file)
        assert updated["attachments"] == [file]
        assert (await step(da_nang, proposal_id, "submit")).status == 200
        topic = Topics(settings.topic_prefix).of("proposals")

        async def events() -> dict[str, Envelope] | None:
            records = await read_topic(settings, topic, 1)
            envelopes = [Envelope.from_bytes(record.value) for record in records]
            found = {e.type: e for e in envelopes if e.subject == proposal_id}
            return found if "jamp.proposal.submitted.v1" in found else None

        found = await eventually(events)
        assert found["jamp.proposal.updated.v1"].data["changes"]["attachments"] == [file]
        for kind in ("drafted", "updated"):  # who made each change, as every change says
            made = found[f"jamp.proposal.{kind}.v1"].data
            assert (made["by"], made["by_person"]["grant"]) == ("city:da-nang", "city:da-nang")
        assert found["jamp.proposal.submitted.v1"].data["proposal"]["attachments"] == [file]

    async def test_a_forged_attachment_id_from_another_proposal_is_refused(
        self, da_nang: Caller
    ) -> None:
        mine, other = await draft(da_nang), await draft(da_nang)
        foreign = await uploaded(da_nang, other["proposal_id"], pdf())
        body = {"attachments": [foreign["attachment_id"]], "version": mine["version"]}
        response = await da_nang.patch(f"/proposals/{mine['proposal_id']}", body)
        assert response.status == 422, await response.text()
        assert (await response.json())["errors"][0]["field"] == "body.attachments.0"
        unchanged = await (await da_nang.get(f"/proposals/{mine['proposal_id']}")).json()
        assert (unchanged["version"], unchanged["attachments"]) == (mine["version"], [])

    async def test_files_are_added_to_drafts_only_and_checked_by_their_bytes(
        self, da_nang: Caller, admin: Caller
    ) -> None:
        proposal = await draft(da_nang)
        path = f"/proposals/{proposal['proposal_id']}/attachments"
        assert (await da_nang.upload(path, exe(), "plan.pdf")).status == 415
        map_file = await uploaded(da_nang, proposal["proposal_id"], png(), "map")
        assert map_file["name"] == "map.png"  # named as what its bytes are
        await walk_to(admin, proposal["proposal_id"], "submitted")
        assert (await da_nang.upload(path, pdf())).status == 409


class TestVisibility:
    async def test_files_follow_the_proposals_visibility(
        self, da_nang: Caller, desk_vn: Caller, admin: Caller, proposals: TestClient[Any, Any]
    ) -> None:
        proposal = await draft(da_nang)
        proposal_id = proposal["proposal_id"]
        file = await uploaded(da_nang, proposal_id, pdf(seed=1))
        pending = await uploaded(da_nang, proposal_id, pdf(seed=2))
        await listed(da_nang, proposal, file)
        assert (await desk_vn.fetch(_path(proposal_id, file))).status == 404  # a draft
        await walk_to(admin, proposal_id, "submitted")
        whole = await desk_vn.fetch(_path(proposal_id, file))
        assert whole.status == 200
        assert whole.headers["Content-Disposition"].startswith("attachment;")
        assert whole.headers["X-Content-Type-Options"] == "nosniff"
        assert (await desk_vn.fetch(_path(proposal_id, pending))).status == 404
        assert (await da_nang.fetch(_path(proposal_id, pending))).status == 200
        th_desk = await granted(proposals, "desk:TH")
        assert (await th_desk.fetch(_path(proposal_id, file))).status == 404

    async def test_a_withdrawn_drafts_files_stay_with_it_and_dropped_ones_are_swept(
        self, da_nang: Caller, proposals: TestClient[Any, Any]
    ) -> None:
        proposal = await draft(da_nang)
        proposal_id = proposal["proposal_id"]
        kept = await uploaded(da_nang, proposal_id, pdf(seed=1))
        dropped = await uploaded(da_nang, proposal_id, pdf(seed=2))
        proposal = await listed(da_nang, proposal, kept, dropped)
        await listed(da_nang, proposal, kept)
        assert (await step(da_nang, proposal_id, "withdraw")).status == 200
        later = datetime.now(UTC) + timedelta(days=30)
        assert await proposals.app[ATTACHMENTS].sweep(later) == 1
        assert (await da_nang.fetch(_path(proposal_id, kept))).status == 200
        assert (await da_nang.fetch(_path(proposal_id, dropped))).status == 404
