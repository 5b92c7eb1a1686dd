"""Attachments of inquiries: upload, refer from replies and notes, read rules, download."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient
from bson import ObjectId

from services.inquiries.keys import ATTACHMENTS
from shared.contracts.inquiries import mailed_file_path
from shared.embedded import EmbeddedStack
from shared.envelope import Envelope
from shared.kafka import ensure_topics
from shared.platform import PLATFORM
from shared.settings import ServiceSettings
from shared.signed_links import link_key, signed_query
from shared.topics import Topics
from tests.documents import exe, pdf, sha256
from tests.integration.inquiries.conftest import ManualClock, known_company, submitted
from tests.support import Caller, eventually, granted, isolated_settings, person, read_topic

MAX_FILE, MAX_PARENT = 300_000, 700_000
DAY = timedelta(days=1)
Client = TestClient[Any, Any]


@pytest.fixture
async def settings(stack: EmbeddedStack) -> ServiceSettings:
    """Small limits, so the 413 tests need no 20 MB bodies."""
    configured = isolated_settings(
        stack.mongodb_uri,
        stack.kafka_bootstrap,
        attachment_max_file_bytes=MAX_FILE,
        attachment_max_parent_bytes=MAX_PARENT,
    )
    await ensure_topics(configured.kafka_bootstrap_servers, Topics(configured.topic_prefix).all())
    return configured


async def uploaded(caller: Caller, inquiry_id: str, data: bytes, name: str = "a.pdf") -> Any:
    response = await caller.upload(f"/inquiries/{inquiry_id}/attachments", data, name)
    assert response.status == 201, await response.text()
    return await response.json()


async def company_inquiry(inquiries: Client, vn_desk: Caller) -> str:
    await known_company(inquiries, "c-9")
    created = await submitted(vn_desk, requester={"kind": "company", "company_id": "c-9"})
    return str(created["inquiry_id"])


def _stored(client: Client, collection: str) -> Any:
    return client.app[PLATFORM].database[f"attachments.{collection}"]


class TestUpload:
    async def test_an_upload_answers_metadata_with_the_type_sniffed_and_the_name_sanitised(
        self, vn_desk: Caller
    ) -> None:
        inquiry_id = (await submitted(vn_desk))["inquiry_id"]
        data = pdf()
        response = await vn_desk.upload(
            f"/inquiries/{inquiry_id}/attachments",
            data,
            "../../etc/Budget 2026?<x>.pdf",
            "image/png",
        )
        assert response.status == 201, await response.text()
        info = await response.json()
        assert info["media_type"] == "application/pdf"  # the declared image/png is ignored
        assert info["name"] == "Budget 2026__x_.pdf"
        assert (info["size"], info["sha256"]) == (len(data), sha256(data))
        assert info["uploaded_by"] == "desk:VN" and info["uploaded_at"]
        assert info["uploaded_by_person"] == {
            "grant": "desk:VN", "person_id": None, "name": "test desk:VN",
            "key_id": vn_desk.key_id,
        }  # fmt: skip

    async def test_a_name_that_says_otherwise_than_the_bytes_gets_their_extension(
        self, vn_desk: Caller
    ) -> None:
        inquiry_id = (await submitted(vn_desk))["inquiry_id"]
        response = await vn_desk.upload(
            f"/inquiries/{inquiry_id}/attachments", b"@echo off\r\ndel *.*\r\n", "run.bat"
        )
        assert response.status == 201, await response.text()
        info = await response.json()
        assert (info["media_type"], info["name"]) == ("text/plain", "run.bat.txt")
        download = await vn_desk.get(f"/inquiries/{inquiry_id}/attachments/{info['attachment_id']}")
        assert 'filename="run.bat.txt"' in download.headers["Content-Disposition"]

    async def test_the_person_behind_the_key_is_recorded_beside_the_grant(
        self, inquiries: Client, vn_desk: Caller
    ) -> None:
        sato = await person(inquiries, "Consul Sato", "desk:VN")
        inquiry_id = (await submitted(vn_desk))["inquiry_id"]
        path = f"/inquiries/{inquiry_id}/attachments"
        info = await (await sato.caller.upload(path, pdf(seed=7))).json()
        by_sato = {
            "grant": "desk:VN", "person_id": sato.person_id, "name": "Consul Sato",
            "key_id": sato.caller.key_id,
        }  # fmt: skip
        assert info["uploaded_by_person"] == by_sato
        listed = (await (await vn_desk.get(path)).json())["items"]
        assert [file["uploaded_by_person"] for file in listed] == [by_sato]

    async def test_plain_text_declared_as_pdf_is_stored_as_text(self, vn_desk: Caller) -> None:
        inquiry_id = (await submitted(vn_desk))["inquiry_id"]
        text = b"city,budget\nda-nang,800000\n"
        csv = await uploaded(vn_desk, inquiry_id, text, "budget.csv")
        assert csv["media_type"] == "text/csv"
        plain = await uploaded(vn_desk, inquiry_id, "見積もり 2026".encode(), "notes.pdf")
        assert plain["media_type"] == "text/plain"

    async def test_the_same_bytes_twice_on_one_inquiry_are_stored_once(
        self, vn_desk: Caller, inquiries: Client
    ) -> None:
        first = (await submitted(vn_desk))["inquiry_id"]
        other = (await submitted(vn_desk))["inquiry_id"]
        one = await uploaded(vn_desk, first, pdf(seed=1), "a.pdf")
        again = await uploaded(vn_desk, first, pdf(seed=1), "renamed.pdf")
        elsewhere = await uploaded(vn_desk, other, pdf(seed=1))
        assert again["attachment_id"] == one["attachment_id"]
        assert elsewhere["attachment_id"] != one["attachment_id"]
        assert await _stored(inquiries, "files").count_documents({}) == 2

    async def test_types_off_the_allow_list_answer_415_and_store_nothing(
        self, vn_desk: Caller, inquiries: Client
    ) -> None:
        inquiry_id = (await submitted(vn_desk))["inquiry_id"]
        text_then_program = b"A" * 8192 + exe()  # text in the sniffed head only
        text_then_nuls = "説明".encode() * 3000 + b"\x00" * 1000
        uploads = (
            (exe(), "setup.pdf"),
            (bytes(range(256)) * 40, "data.csv"),
            (text_then_program, "tool.txt"),
            (text_then_nuls, "notes.txt"),
            (b"short text, cut in a character \xe8\xaa", "cut.txt"),
        )
        for data, name in uploads:
            response = await vn_desk.upload(f"/inquiries/{inquiry_id}/attachments", data, name)
            assert response.status == 415, await response.text()
            assert response.content_type == "application/problem+json"
        assert await _stored(inquiries, "chunks").count_documents({}) == 0

    async def test_a_body_that_is_not_multipart_or_lacks_the_file_part_is_refused(
        self, vn_desk: Caller
    ) -> None:
        inquiry_id = (await submitted(vn_desk))["inquiry_id"]
        response = await vn_desk.post(f"/inquiries/{inquiry_id}/attachments", {"file": "x"})
        assert response.status == 415
        empty = await vn_desk.upload(f"/inquiries/{inquiry_id}/attachments", b"", "empty.txt")
        assert empty.status == 422
        assert (await empty.json())["errors"][0]["field"] == "body.file"

    async def test_an_upload_that_is_not_the_gzip_it_claims_is_a_400_and_stores_nothing(
        self, vn_desk: Caller, inquiries: Client
    ) -> None:
        inquiry_id = (await submitted(vn_desk))["inquiry_id"]
        form = FormData()
        form.add_field("file", pdf(5000), filename="permit.pdf", content_type="application/pdf")
        response = await vn_desk.client.post(
            f"/inquiries/{inquiry_id}/attachments",
            data=form,
            headers={"Authorization": f"Bearer {vn_desk.key}", "Content-Encoding": "gzip"},
        )
        assert response.status == 400, await response.text()
        assert response.content_type == "application/problem+json"
        assert await _stored(inquiries, "chunks").count_documents({}) == 0
        assert await _stored(inquiries, "files").count_documents({}) == 0

    async def test_limits_per_file_and_per_inquiry_answer_413_and_store_nothing(
        self, vn_desk: Caller, inquiries: Client
    ) -> None:
        inquiry_id = (await submitted(vn_desk))["inquiry_id"]
        path = f"/inquiries/{inquiry_id}/attachments"
        too_big = await vn_desk.upload(path, pdf(MAX_FILE + 1))
        assert too_big.status == 413, await too_big.text()
        assert (await too_big.json())["limit"] == "file"
        for seed in (1, 2):
            await uploaded(vn_desk, inquiry_id, pdf(MAX_FILE - 10, seed=seed))
        over = await vn_desk.upload(path, pdf(MAX_PARENT - 2 * (MAX_FILE - 10) + 1, seed=3))
        assert over.status == 413
        assert (await over.json())["limit"] == "parent"
        chunks = await _stored(inquiries, "chunks").count_documents({})
        files = await _stored(inquiries, "files").find().to_list()
        expected = sum(-(-doc["length"] // doc["chunkSize"]) for doc in files)
        assert (len(files), chunks) == (2, expected)

    async def test_an_interrupted_upload_leaves_no_chunk_behind(
        self, vn_desk: Caller, inquiries: Client
    ) -> None:
        inquiry_id = (await submitted(vn_desk))["inquiry_id"]
        chunks = _stored(inquiries, "chunks")
        boundary = "jamp-test-boundary"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        declared = len(head) + 290_000 + len(f"\r\n--{boundary}--\r\n")
        request = (
            f"POST /inquiries/{inquiry_id}/attachments HTTP/1.1\r\n"
            f"Host: {inquiries.host}\r\nAuthorization: Bearer {vn_desk.key}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {declared}\r\n\r\n"
        ).encode()
        _, writer = await asyncio.open_connection(inquiries.host, inquiries.port)
        writer.write(request + head + pdf(270_000))  # more than one GridFS chunk
        await writer.drain()
        await eventually(lambda: chunks.count_documents({}))  # a chunk was written
        writer.close()  # the client goes away mid-file
        await writer.wait_closed()

        async def nothing_left() -> bool:
            left: int = await chunks.count_documents({})
            return left == 0

        await eventually(nothing_left)
        assert await _stored(inquiries, "files").count_documents({}) == 0

    async def test_chunks_of_an_upload_that_never_finished_are_swept_after_the_grace(
        self, inquiries: Client
    ) -> None:
        chunks, now = _stored(inquiries, "chunks"), datetime.now(UTC)
        killed = ObjectId.from_datetime(now - timedelta(days=2))  # a process died mid-file
        running = ObjectId()  # an upload still in progress
        await chunks.insert_many(
            [{"files_id": file_id, "n": 0, "data": b"%PDF"} for file_id in (killed, running)]
        )
        assert await inquiries.app[ATTACHMENTS].sweep(now) == 1
        assert await chunks.distinct("files_id") == [running]


class TestReferences:
    async def test_a_reply_refers_to_files_and_its_event_carries_their_metadata(
        self, vn_desk: Caller, settings: ServiceSettings
    ) -> None:
        inquiry_id = (await submitted(vn_desk))["inquiry_id"]
        file = await uploaded(vn_desk, inquiry_id, pdf())
        response = await vn_desk.post(
            f"/inquiries/{inquiry_id}/replies",
            {"body": "The feasibility summary.", "attachments": [file["attachment_id"]]},
        )
        assert response.status == 201, await response.text()
        assert (await response.json())["attachments"] == [file]
        messages = await (await vn_desk.get(f"/inquiries/{inquiry_id}/messages")).json()
        assert messages["items"][0]["attachments"] == [file]
        topic = Topics(settings.topic_prefix).of("inquiries")

        async def replied() -> Envelope | None:
            records = await read_topic(settings, topic, 1)
            envelopes = [Envelope.from_bytes(record.value) for record in records]
            found = [e for e in envelopes if e.type == "jamp.inquiry.replied.v1"]
            return found[0] if found else None

        event = await eventually(replied)
        assert event.data["attachments"] == [file]  # metadata only: no content field

    async def test_a_forged_attachment_id_from_another_inquiry_is_refused(
        self, vn_desk: Caller
    ) -> None:
        mine = (await submitted(vn_desk))["inquiry_id"]
        other = (await submitted(vn_desk))["inquiry_id"]
        foreign = await uploaded(vn_desk, other, pdf())
        for forged in (foreign["attachment_id"], "not-an-id", "6b044b8467bb0a38300d67b0"):
            response = await vn_desk.post(
                f"/inquiries/{mine}/notes", {"body": "see file", "attachments": [forged]}
            )
            assert response.status == 422, await response.text()
            assert (await response.json())["errors"][0]["field"] == "body.attachments.0"
        messages = await (await vn_desk.get(f"/inquiries/{mine}/messages")).json()
        assert messages["items"] == []  # nothing half-written
        response = await vn_desk.fetch(f"/inquiries/{mine}/attachments/{foreign['attachment_id']}")
        assert response.status == 404


class TestReadRules:
    async def test_download_streams_as_an_attachment_with_nosniff_and_ranges(
        self, vn_desk: Caller
    ) -> None:
        inquiry_id = (await submitted(vn_desk))["inquiry_id"]
        data = pdf(280_000)  # more than one chunk
        file = await uploaded(vn_desk, inquiry_id, data, "Permit — 許可.pdf")
        path = f"/inquiries/{inquiry_id}/attachments/{file['attachment_id']}"
        whole = await vn_desk.fetch(path)
        assert whole.status == 200
        assert await whole.read() == data
        assert whole.headers["Content-Type"] == "application/pdf"
        assert whole.headers["X-Content-Type-Options"] == "nosniff"
        assert whole.headers["Accept-Ranges"] == "bytes"
        disposition = whole.headers["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert "filename*=UTF-8''Permit%20%E2%80%94%20%E8%A8%B1%E5%8F%AF.pdf" in disposition
        part = await vn_desk.fetch(path, {"Range": "bytes=261000-261099"})
        assert part.status == 206
        assert part.headers["Content-Range"] == f"bytes 261000-261099/{len(data)}"
        assert await part.read() == data[261000:261100]
        tail = await vn_desk.fetch(path, {"Range": "bytes=-10"})
        assert (tail.status, await tail.read()) == (206, data[-10:])
        beyond = await vn_desk.fetch(path, {"Range": f"bytes={len(data)}-"})
        assert beyond.status == 416
        assert beyond.headers["Content-Range"] == f"bytes */{len(data)}"

    async def test_a_requester_never_gets_a_notes_file_but_gets_a_replys(
        self, vn_desk: Caller, inquiries: Client
    ) -> None:
        inquiry_id = await company_inquiry(inquiries, vn_desk)
        internal = await uploaded(vn_desk, inquiry_id, pdf(seed=1), "internal.pdf")
        shared = await uploaded(vn_desk, inquiry_id, pdf(seed=2), "shared.pdf")
        note = {"body": "budget check", "attachments": [internal["attachment_id"]]}
        assert (await vn_desk.post(f"/inquiries/{inquiry_id}/notes", note)).status == 201
        reply = {"body": "see the permit", "attachments": [shared["attachment_id"]]}
        assert (await vn_desk.post(f"/inquiries/{inquiry_id}/replies", reply)).status == 201
        company = await granted(inquiries, "company:c-9")
        base = f"/inquiries/{inquiry_id}/attachments"
        assert (await company.fetch(f"{base}/{internal['attachment_id']}")).status == 404
        assert (await company.fetch(f"{base}/{shared['attachment_id']}")).status == 200
        listed = await (await company.get(base)).json()
        assert [item["name"] for item in listed["items"]] == ["shared.pdf"]
        # Neither by referring to it, nor by uploading the same bytes, does it get the note's file.
        answer = {"body": "thanks", "attachments": [internal["attachment_id"]]}
        assert (await company.post(f"/inquiries/{inquiry_id}/replies", answer)).status == 422
        own = await uploaded(company, inquiry_id, pdf(seed=1), "mine.pdf")
        assert own["attachment_id"] != internal["attachment_id"]
        assert own["uploaded_by"] == "company:c-9"

    async def test_another_countrys_desk_gets_404(self, vn_desk: Caller, th_desk: Caller) -> None:
        inquiry_id = (await submitted(vn_desk))["inquiry_id"]
        file = await uploaded(vn_desk, inquiry_id, pdf())
        base = f"/inquiries/{inquiry_id}/attachments"
        assert (await th_desk.fetch(f"{base}/{file['attachment_id']}")).status == 404
        assert (await th_desk.get(base)).status == 404
        assert (await th_desk.upload(base, pdf(seed=5))).status == 404

    async def test_a_merged_duplicates_files_follow_its_conversation(self, vn_desk: Caller) -> None:
        kept = (await submitted(vn_desk))["inquiry_id"]
        duplicate = (await submitted(vn_desk))["inquiry_id"]
        file = await uploaded(vn_desk, duplicate, pdf())
        reply = {"body": "the summary", "attachments": [file["attachment_id"]]}
        assert (await vn_desk.post(f"/inquiries/{duplicate}/replies", reply)).status == 201
        response = await vn_desk.post(f"/inquiries/{duplicate}/merge", {"into": kept})
        assert response.status == 200, await response.text()
        via_kept = await vn_desk.fetch(f"/inquiries/{kept}/attachments/{file['attachment_id']}")
        assert via_kept.status == 200
        listed = await (await vn_desk.get(f"/inquiries/{kept}/attachments")).json()
        assert [item["attachment_id"] for item in listed["items"]] == [file["attachment_id"]]


def mailed_link(
    settings: ServiceSettings, inquiry_id: str, attachment_id: str, until: datetime
) -> str:
    """The link the notifications service mails (signed with the same pepper)."""
    path = mailed_file_path(inquiry_id, attachment_id)
    return f"{path}?{urlencode(signed_query(link_key(settings), path, until))}"


class TestMailedLinks:
    """The signed links the notifications service mails with a reply's files: the link is
    the permission, for what the requester side may read and no longer than it says."""

    async def test_a_signed_link_downloads_a_replys_file_without_a_key(
        self, settings: ServiceSettings, inquiries: Client, vn_desk: Caller, clock: ManualClock
    ) -> None:
        inquiry_id = await company_inquiry(inquiries, vn_desk)
        data = pdf(280_000)
        shared = await uploaded(vn_desk, inquiry_id, data, "permit.pdf")
        reply = {"body": "the permit", "attachments": [shared["attachment_id"]]}
        assert (await vn_desk.post(f"/inquiries/{inquiry_id}/replies", reply)).status == 201
        link = mailed_link(settings, inquiry_id, shared["attachment_id"], clock.now + DAY)

        anonymous = Caller(inquiries, None)
        whole = await anonymous.fetch(link)
        assert whole.status == 200, await whole.text()
        assert await whole.read() == data
        assert whole.headers["X-Content-Type-Options"] == "nosniff"
        assert whole.headers["Content-Disposition"].startswith("attachment;")
        part = await anonymous.fetch(link, {"Range": "bytes=0-9"})
        assert (part.status, await part.read()) == (206, data[:10])

    async def test_a_genuine_link_to_a_notes_file_opens_nothing(
        self, settings: ServiceSettings, inquiries: Client, vn_desk: Caller, clock: ManualClock
    ) -> None:
        inquiry_id = await company_inquiry(inquiries, vn_desk)
        internal = await uploaded(vn_desk, inquiry_id, pdf(seed=1), "internal.pdf")
        note = {"body": "budget check", "attachments": [internal["attachment_id"]]}
        assert (await vn_desk.post(f"/inquiries/{inquiry_id}/notes", note)).status == 201
        link = mailed_link(settings, inquiry_id, internal["attachment_id"], clock.now + DAY)
        assert (await Caller(inquiries, None).fetch(link)).status == 404

    async def test_a_forged_altered_or_expired_link_is_refused(
        self, settings: ServiceSettings, inquiries: Client, vn_desk: Caller, clock: ManualClock
    ) -> None:
        inquiry_id = await company_inquiry(inquiries, vn_desk)
        other = await company_inquiry(inquiries, vn_desk)
        first = await uploaded(vn_desk, inquiry_id, pdf(seed=1), "one.pdf")
        second = await uploaded(vn_desk, inquiry_id, pdf(seed=2), "two.pdf")
        files = [first["attachment_id"], second["attachment_id"]]
        reply = {"body": "both files", "attachments": files}
        assert (await vn_desk.post(f"/inquiries/{inquiry_id}/replies", reply)).status == 201
        link = mailed_link(settings, inquiry_id, files[0], clock.now + DAY)
        path, _, query = link.partition("?")
        anonymous = Caller(inquiries, None)

        elsewhere = await anonymous.fetch(f"{mailed_file_path(inquiry_id, files[1])}?{query}")
        assert elsewhere.status == 403  # the signature names one file of one inquiry
        assert (await anonymous.fetch(f"{mailed_file_path(other, files[0])}?{query}")).status == 403
        longer = query.replace("expires=", "expires=9")
        assert (await anonymous.fetch(f"{path}?{longer}")).status == 403
        assert (await anonymous.fetch(f"{path}?{query}x")).status == 403
        missing = await anonymous.fetch(path)
        assert missing.status == 422
        assert {e["field"] for e in (await missing.json())["errors"]} == {
            "query.expires", "query.signature",
        }  # fmt: skip
        foreign = signed_query(b"another desk's key", path, clock.now + DAY)
        assert (await anonymous.fetch(f"{path}?{urlencode(foreign)}")).status == 403

        assert (await anonymous.fetch(link)).status == 200
        clock.advance(days=2)
        expired = await anonymous.fetch(link)
        assert expired.status == 403
        assert "expired" in (await expired.json())["detail"]


class TestSweeping:
    @pytest.fixture
    async def settings(self, stack: EmbeddedStack) -> ServiceSettings:
        configured = isolated_settings(
            stack.mongodb_uri,
            stack.kafka_bootstrap,
            attachment_grace_seconds=1.0,
            attachment_sweep_seconds=0.1,
        )
        topics = Topics(configured.topic_prefix).all()
        await ensure_topics(configured.kafka_bootstrap_servers, topics)
        return configured

    async def test_uploads_no_change_referred_to_are_removed_after_the_grace_period(
        self, vn_desk: Caller, inquiries: Client
    ) -> None:
        inquiry_id = (await submitted(vn_desk))["inquiry_id"]
        kept = await uploaded(vn_desk, inquiry_id, pdf(seed=1))
        dropped = await uploaded(vn_desk, inquiry_id, pdf(seed=2))
        reply = {"body": "attached", "attachments": [kept["attachment_id"]]}
        assert (await vn_desk.post(f"/inquiries/{inquiry_id}/replies", reply)).status == 201
        base = f"/inquiries/{inquiry_id}/attachments"

        async def swept() -> bool:
            return (await vn_desk.fetch(f"{base}/{dropped['attachment_id']}")).status == 404

        await eventually(swept)
        assert (await vn_desk.fetch(f"{base}/{kept['attachment_id']}")).status == 200
        assert await _stored(inquiries, "chunks").count_documents({}) == 1
