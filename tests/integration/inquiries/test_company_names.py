"""The companies' names the inquiries service keeps: a run of registrations is written at
once and leaves what naming each company in order leaves."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from services.inquiries.references.repository import CompanyNames, ReferenceRepository
from shared.mongo import Document, create_client
from shared.settings import ServiceSettings

KAIYO: dict[str, str | None] = {
    "name_en": "Kaiyo Water Engineering",
    "name_ja": "海洋水道エンジニアリング",
}
UMI: dict[str, str | None] = {"name_en": "Umi Aqua Works", "name_ja": None}


@pytest.fixture
async def databases(settings: ServiceSettings) -> AsyncIterator[list[AsyncDatabase[Document]]]:
    """Two fresh databases, one for each way of writing the same names."""
    mongo = create_client(settings.mongodb_uri)
    names = [f"names_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    try:
        yield [mongo[name] for name in names]
    finally:
        for name in names:
            await mongo.drop_database(name)
        await mongo.close()


async def test_a_run_of_new_registrations_is_one_insert_and_no_read(
    databases: list[AsyncDatabase[Document]],
) -> None:
    database = databases[0]
    references = ReferenceRepository(database)
    await references.create_indexes()
    await database.command("profile", 2)
    run: list[CompanyNames] = [(f"c-{n}", 1, KAIYO) for n in range(3)]

    await references.name_companies(run, None)

    profiled = database["system.profile"].find({"ns": f"{database.name}.known_companies"})
    assert [entry["op"] async for entry in profiled] == ["insert"]
    stored = await references.collections["company"].find({}).to_list()
    assert sorted(document["_id"] for document in stored) == ["c-0", "c-1", "c-2"]
    assert all(document["version"] == 1 and "海洋" in document["terms"] for document in stored)


async def test_a_run_leaves_what_naming_each_in_order_leaves(
    databases: list[AsyncDatabase[Document]],
) -> None:
    """Known already: renamed since (a replayed registration keeps the newer name), kept
    by an older version without names by field, and a repeat within the run."""
    one_by_one, at_once = (ReferenceRepository(database) for database in databases)
    for references in (one_by_one, at_once):
        await references.name_company("c-renamed", 2, UMI, None)
        await references.collections["company"].insert_one(
            {"_id": "c-legacy", "country": None, "names": ["Old Name"]}
        )
    run: list[CompanyNames] = [
        ("c-new", 1, KAIYO), ("c-renamed", 1, KAIYO), ("c-legacy", 1, KAIYO),
        ("c-twice", 1, KAIYO), ("c-twice", 1, UMI),
    ]  # fmt: skip

    for company_id, version, named in run:
        await one_by_one.name_company(company_id, version, named, None)
    await at_once.name_companies(run, None)

    assert await _stored(at_once) == await _stored(one_by_one)
    renamed = await at_once.collections["company"].find_one({"_id": "c-renamed"})
    assert renamed is not None and renamed["names"] == ["Umi Aqua Works"]


async def _stored(references: ReferenceRepository) -> list[dict[str, Any]]:
    return await references.collections["company"].find({}).sort("_id").to_list()


async def test_a_japanese_name_is_kept_by_two_characters_in_a_row_not_by_one(
    databases: list[AsyncDatabase[Document]],
) -> None:
    references = ReferenceRepository(databases[0])
    await references.create_indexes()

    await references.name_companies([("c-kaiyo", 1, KAIYO)], None)

    stored = await references.collections["company"].find_one({"_id": "c-kaiyo"})
    assert stored is not None and {"海洋", "水道", "kaiyo", "water"} <= set(stored["terms"])
    assert not {"海", "水", "道"} & set(stored["terms"])
    found = await references.named_by({"洋水"})
    assert found["company"] == ["c-kaiyo"]
