"""Search finds the words of replies, of notes (staff only) and the requester's names, kept
current by every change (a renamed company's inquiries by its new names), and an existing
desk's inquiries are indexed once at start."""

from functools import partial
from typing import Any

from aiohttp.test_utils import TestClient

from services.inquiries.app import create_app
from services.inquiries.settings import InquirySettings
from shared.contracts.companies import CompanyRegistered, CompanyUpdated
from shared.platform import PLATFORM
from shared.settings import ServiceSettings
from tests.integration.inquiries.conftest import ManualClock, inquiry, known_company, submitted
from tests.integration.streams import Publisher, company
from tests.support import Caller, eventually, granted, serving

ORGANISATION = {
    "kind": "organisation",
    "organisation": "Mekong Delta Water Board",
    "contact": {"name": "Nguyen Thi Lan", "email": "lan@example.vn"},
}


async def _ids(caller: Caller, q: str) -> list[str]:
    response = await caller.get("/inquiries", q=q)
    assert response.status == 200, await response.text()
    return [item["inquiry_id"] for item in (await response.json())["items"]]


async def test_reply_words_are_found_with_their_inflections(
    vn_desk: Caller, operator: Caller
) -> None:
    answered = (await submitted(vn_desk))["inquiry_id"]
    await submitted(vn_desk)
    reply = {"body": "Two suppliers installed sensors at Osaka's parking garages."}
    assert (await operator.post(f"/inquiries/{answered}/replies", reply)).status == 201
    assert await _ids(vn_desk, "supplier garage") == [answered]
    assert await _ids(vn_desk, "installing parking") == [answered]  # subject and reply words


async def test_note_words_are_found_by_staff_and_never_by_the_requester(
    inquiries: TestClient[Any, Any], vn_desk: Caller, th_desk: Caller, operator: Caller
) -> None:
    await known_company(inquiries, "c-41")
    requester = {"kind": "company", "company_id": "c-41"}
    noted = (await submitted(vn_desk, requester=requester))["inquiry_id"]
    company = await granted(inquiries, "company:c-41")
    await vn_desk.post(f"/inquiries/{noted}/notes", {"body": "Budget confidential: 3 billion"})
    await vn_desk.post(f"/inquiries/{noted}/replies", {"body": "We are looking into it."})

    assert await _ids(vn_desk, "confidential") == [noted]
    assert await _ids(operator, "budgets") == [noted]
    assert await _ids(company, "confidential") == []
    assert await _ids(company, "parking confidential") == []  # a note word never completes one
    assert await _ids(company, "looking parking") == [noted]  # its own replies it may search
    assert await _ids(th_desk, "confidential") == []  # another country's desk sees nothing


async def test_requester_organisation_and_contact_names_are_found(vn_desk: Caller) -> None:
    found = (await submitted(vn_desk, requester=ORGANISATION))["inquiry_id"]
    await submitted(vn_desk)
    assert await _ids(vn_desk, "mekong water boards") == [found]
    assert await _ids(vn_desk, "nguyen lan") == [found]


async def test_a_requesting_company_or_city_is_found_by_its_names_in_either_script(
    inquiries: TestClient[Any, Any], vn_desk: Caller
) -> None:
    await known_company(inquiries, "c-42")  # Kaiyo Water Engineering, 海洋水道エンジニアリング
    requester = {"kind": "company", "company_id": "c-42"}
    by_company = (await submitted(vn_desk, requester=requester))["inquiry_id"]
    hanoi = {"requester": {"kind": "city", "city_id": "hanoi"}, "city": "hanoi"}
    by_city = (await submitted(vn_desk, **hanoi))["inquiry_id"]
    assert await _ids(vn_desk, "kaiyo engineering") == [by_company]
    assert await _ids(vn_desk, "海洋水道") == [by_company]
    assert await _ids(vn_desk, "hanoi parking") == [by_city]


async def test_a_renamed_company_is_found_by_its_new_names_and_not_its_old(
    vn_desk: Caller, publish: Publisher
) -> None:
    profile = company(company_id="c-44")  # Kaiyo Water Engineering, 海洋水道エンジニアリング
    await publish.send(profile.company_id, CompanyRegistered(company=profile))
    requester = {"kind": "company", "company_id": profile.company_id}

    async def filed() -> str | None:
        response = await vn_desk.post("/inquiries", inquiry(requester=requester))
        return str((await response.json())["inquiry_id"]) if response.status == 201 else None

    inquiry_id = await eventually(filed)
    assert await _ids(vn_desk, "kaiyo") == [inquiry_id]
    renamed = CompanyUpdated(company_id="c-44", version=2, changes={"name_en": "Umi Aqua Works"})
    await publish.send(profile.company_id, renamed)

    async def found_by_new_name() -> bool:
        return await _ids(vn_desk, "aqua works") == [inquiry_id]

    await eventually(found_by_new_name)
    assert await _ids(vn_desk, "kaiyo") == []
    assert await _ids(vn_desk, "海洋水道") == [inquiry_id]  # the name it did not change
    # The registration again (a replay) does not bring the old name back.
    await publish.send(profile.company_id, CompanyRegistered(company=profile))
    marker = CompanyUpdated(company_id="c-44", version=3, changes={"name_ja": "海洋アクア"})
    await publish.send(profile.company_id, marker)

    async def marker_arrived() -> bool:
        return await _ids(vn_desk, "アクア") == [inquiry_id]

    await eventually(marker_arrived)
    assert await _ids(vn_desk, "kaiyo") == [] and await _ids(vn_desk, "umi") == [inquiry_id]


async def test_an_edited_subject_is_found_by_its_new_words_and_not_its_old(
    vn_desk: Caller, operator: Caller
) -> None:
    created = await submitted(vn_desk, subject="Kerbside payment vendors")
    inquiry_id = created["inquiry_id"]
    await operator.post(f"/inquiries/{inquiry_id}/replies", {"body": "See the attached list."})
    read = await vn_desk.get(f"/inquiries/{inquiry_id}")
    edited = await vn_desk.patch(
        f"/inquiries/{inquiry_id}",
        {"subject": "Flood warning vendors"},
        headers={"If-Match": read.headers["ETag"]},
    )
    assert edited.status == 200, await edited.text()
    assert await _ids(vn_desk, "flooding") == [inquiry_id]
    assert await _ids(vn_desk, "attached vendor") == [inquiry_id]  # the reply's words stay
    assert await _ids(vn_desk, "kerbside") == []


async def test_inquiries_stored_before_are_indexed_once_when_the_service_starts(
    inquiries: TestClient[Any, Any],
    settings: ServiceSettings,
    inquiry_settings: InquirySettings,
    clock: ManualClock,
    vn_desk: Caller,
) -> None:
    await known_company(inquiries, "c-43")
    requester = {"kind": "company", "company_id": "c-43"}
    older = (await submitted(vn_desk, requester=requester))["inquiry_id"]
    old = (await submitted(vn_desk, requester=ORGANISATION))["inquiry_id"]
    await vn_desk.post(f"/inquiries/{old}/replies", {"body": "Typhoon shelters exist."})
    await vn_desk.post(f"/inquiries/{old}/notes", {"body": "Ask the ambassador."})
    # As an earlier version stored it: only the subject's and body's words.
    collection = inquiries.app[PLATFORM].database["inquiries"]
    await collection.update_many(
        {"_id": {"$in": [old, older]}},
        {
            "$set": {"search_terms": ["smart", "parking", "vendors"]},
            "$unset": {
                "reply_terms": "",
                "note_terms": "",
                "requester_terms": "",
                "messages_indexed": "",
            },
        },
    )
    assert await _ids(vn_desk, "typhoon") == []

    restarted = partial(create_app, inquiry_settings=inquiry_settings, clock=clock)
    async with serving(restarted, settings) as client:
        desk = Caller(client, vn_desk.key)
        assert await _ids(desk, "typhoons") == [old]
        assert await _ids(desk, "ambassadors") == [old]
        assert await _ids(desk, "mekong") == [old]
        assert await _ids(desk, "kaiyo") == [older]  # the read model names the company
        assert (
            await client.app[PLATFORM]
            .database["inquiries"]
            .count_documents({"messages_indexed": {"$ne": True}})
            == 0
        )
