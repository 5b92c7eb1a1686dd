"""The track record in the running service: an imported history changes who comes first
and the evidence names the study; matches record the weights that scored them, and new
weights rescore every open list; a meeting that led to an MOU joins the track record."""

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from typer.testing import CliRunner

from jamp import app as jamp
from services.matching.app import create_app
from services.matching.history.handlers import import_history
from services.matching.history.repository import TrackRecord
from services.matching.repository import ReadModels
from services.matching.scoring.factors import FACTORS
from services.matching.scoring.history import HistoryInvalid
from services.matching.scoring.weights import HAND_SET, Weights
from services.matching.sessions.model import Meeting, Outcome, Slot, fiscal_year
from services.matching.sessions.repository import SessionRepository
from services.matching.settings import MatchingSettings
from shared.mongo import create_client
from shared.settings import ServiceSettings
from tests.integration.matching.conftest import (
    Publisher,
    accepted_pair,
    add_city,
    company,
    exactly,
    matches_of,
    proposal,
    register,
    submit,
)
from tests.support import Caller, eventually, granted, serving

HEADER = "id,fiscal_year,city,country,title,description,stage,focus_areas,tags,implementers,source"


def study(company_id: str, study_id: str = "sj-da-nang-flood") -> str:
    return (
        f"{study_id},FY2023,Da Nang,VN,Flood early warning for the river basin,"
        "River flood early warning study.,feasibility_study,safety_security,"
        f"flood_control;disaster_early_warning,{company_id},https://example.org/{study_id}\n"
    )


def twin(name: str) -> Any:
    """Companies alike in all but name: no countries, no references of their own."""
    return company(name_en=name, countries=[], references=[], tags=["water_supply"])


async def test_an_imported_history_lifts_its_implementer_and_names_the_study(
    matching: TestClient[Any, Any], admin: Caller, publish: Publisher, settings: ServiceSettings
) -> None:
    await add_city(publish)
    need = proposal()
    await register(publish, twin("First Water"))
    await register(publish, twin("Second Water"))
    await submit(publish, need)
    before = await eventually(lambda: exactly(admin, need.proposal_id, 2))
    behind = next(m for m in before if m["rank"] == 2)
    assert all(m["weights_version"] == HAND_SET.version for m in before)

    done = await import_history(
        MatchingSettings.of(settings), HEADER + "\n" + study(behind["company_id"]), "admin:test"
    )
    assert (done.studies, done.companies) == (1, 1)

    async def lifted() -> Any:
        found = await matches_of(admin, need.proposal_id)
        return found and found[0]["company_id"] == behind["company_id"] and found[0]

    first = await eventually(lifted)
    named = "carried out the FY2023 Da Nang F/S 'Flood early warning for the river basin'"
    evidence = {factor["factor"]: factor["evidence"] for factor in first["factors"]}
    assert f"{named} in VN" in evidence["country_experience"]
    assert f"{named} (tag flood_control)" in evidence["sector_history"]
    assert first["score"] > behind["score"] and first["weights_version"] == HAND_SET.version


async def test_a_history_with_a_bad_row_writes_nothing(settings: ServiceSettings) -> None:
    text = HEADER + "\n" + study("good-one") + study("Not An Id", "sj-other")
    try:
        await import_history(MatchingSettings.of(settings), text, "admin:test")
    except HistoryInvalid as invalid:
        assert [(p.line, p.field) for p in invalid.problems] == [(3, "implementers")]
    else:
        raise AssertionError("a bad row was imported")
    assert await stored_studies(settings) == {}


async def test_new_weights_rescore_every_open_list_as_the_service_starts(
    settings: ServiceSettings, publish: Publisher, tmp_path: Path
) -> None:
    await add_city(publish)
    need = proposal()
    await register(publish, company())
    await submit(publish, need)
    async with serving(create_app, settings) as first:
        admin = await granted(first, "admin")
        [before] = await eventually(lambda: matches_of(admin, need.proposal_id))
    assert before["weights_version"] == HAND_SET.version
    weights = Weights.fitted({**dict.fromkeys(FACTORS, 0.0), "tag_overlap": 1.0}, {})
    weights.write(tmp_path / "weights.json")
    changed = MatchingSettings(
        **settings.model_dump(), matching_weights_file=tmp_path / "weights.json"
    )
    async with serving(create_app, changed) as second:
        # Rescored while starting, before a single event: the list is there at once.
        [after] = await matches_of(await granted(second, "admin"), need.proposal_id)
    assert after["weights_version"] == weights.version
    assert after["score"] != before["score"] and after["version"] == before["version"] + 1


async def test_a_meeting_that_led_to_an_mou_joins_the_companys_track_record(
    settings: ServiceSettings,
) -> None:
    need, start = proposal(), datetime(2026, 6, 1, 3, tzinfo=UTC)
    mongo = create_client(settings.mongodb_uri)
    database = mongo[settings.database_name("matching")]
    try:
        await ReadModels(database).put_proposal(need, None)
        outcome = Outcome(rating=5, next_step="mou")
        for meeting_id, outcomes in (("m-mou", {"city": outcome}), ("m-none", {})):
            meeting = Meeting(
                meeting_id=meeting_id,
                session_id="s",
                match_id=f"match-{meeting_id}",
                proposal_id=need.proposal_id,
                company_id="kaiyo",
                city_id=need.city_id,
                slot=Slot(start=start, end=start + timedelta(minutes=30)),
                table="1",
                score=0.5,
                outcomes=outcomes,
            )
            await SessionRepository(database).save_meeting(meeting, None)
        record = await TrackRecord(database).references()
    finally:
        await mongo.close()
    [reference] = record["kaiyo"]
    assert reference.evidence == (
        "reached an MOU on the FY2026 da-nang F/S 'Water supply network leakage reduction'"
    )
    assert reference.source == "meeting m-mou" and reference.tags == tuple(need.tags)


def test_the_import_command_loads_a_file_and_refuses_a_bad_one(
    settings: ServiceSettings, tmp_path: Path
) -> None:
    env = {
        "JAMP_MONGODB_URI": settings.mongodb_uri,
        "JAMP_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "JAMP_TOPIC_PREFIX": settings.topic_prefix,
        "JAMP_DATABASE_PREFIX": settings.database_prefix,
        "JAMP_GROUP_PREFIX": settings.group_prefix,
    }
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(HEADER + "\n" + study("kaiyo") + study("other", "sj-two"), encoding="utf-8")
    bad.write_text(HEADER + "\n" + study("kaiyo", "sj-three").replace("FY2023", "FY23"))
    loaded = CliRunner().invoke(jamp, ["matching", "history", "import", str(good)], env=env)
    assert loaded.exit_code == 0, loaded.output
    assert "2 studies of 2 companies imported" in loaded.output
    refused = CliRunner().invoke(jamp, ["matching", "history", "import", str(bad)], env=env)
    assert refused.exit_code == 1 and "line 2, fiscal_year" in refused.output
    stored = asyncio.run(stored_studies(settings))
    assert sorted(stored) == ["sj-da-nang-flood", "sj-two"]
    assert set(stored.values()) == {"matching:history-import"}


async def stored_studies(settings: ServiceSettings) -> dict[str, str]:
    """Study id -> who imported it, as the matching database holds them."""
    mongo = create_client(settings.mongodb_uri)
    try:
        collection = mongo[settings.database_name("matching")]["track_record"]
        return {document["_id"]: document["imported_by"] async for document in collection.find()}
    finally:
        await mongo.close()


async def test_a_meeting_that_led_to_an_mou_rescores_the_company_at_once(
    matching: TestClient[Any, Any], admin: Caller, publish: Publisher
) -> None:
    _, sides = await accepted_pair(matching, admin, publish)
    start = datetime.now(UTC) + timedelta(seconds=3)
    slot = {"start": start.isoformat(), "end": (start + timedelta(minutes=30)).isoformat()}
    body = {"name": "Matching session", "slots": [slot], "tables": ["A"]}
    session_id = (await (await admin.post("/sessions", body)).json())["session_id"]
    [meeting] = (await (await admin.post(f"/sessions/{session_id}/schedule")).json())["meetings"]
    later = proposal(title="Flood control of the river basin")
    await submit(publish, later)
    found = await eventually(lambda: exactly(admin, later.proposal_id, 2))
    [before] = [m for m in found if m["company_id"] == meeting["company_id"]]
    path = f"/meetings/{meeting['meeting_id']}/outcome"

    async def recorded() -> bool:  # once the meeting has started
        answer = await sides[meeting["company_id"]].post(path, {"rating": 5, "next_step": "mou"})
        return answer.status == 200

    await eventually(recorded)
    named = f"reached an MOU on the {fiscal_year(start)} da-nang F/S"

    async def rescored() -> Any:
        now = await matches_of(admin, later.proposal_id)
        [mine] = [m for m in now if m["company_id"] == meeting["company_id"]]
        return named in str(mine["factors"]) and mine

    after = await eventually(rescored)
    assert after["score"] > before["score"] and after["version"] > before["version"]
