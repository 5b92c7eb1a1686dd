"""The imported studies, and the meetings and proposals the track record is read from."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime

from pymongo import ReplaceOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.matching.scoring.features import Reference
from services.matching.scoring.history import OUTCOMES, Study, track_record
from services.matching.sessions.model import fiscal_year
from shared.mongo import Document

Record = dict[str, tuple[Reference, ...]]
Session = AsyncClientSession | None


class TrackRecord:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.studies = database["track_record"]
        self.meetings = database["meetings"]
        self.proposals = database["proposals"]

    async def put(
        self, studies: Sequence[Study], by: str, at: datetime, session: AsyncClientSession
    ) -> None:
        """Every study, new or replacing the one of the same id, in the caller's transaction."""
        writes = [
            ReplaceOne(
                {"_id": study.study_id},
                {**_document(study), "_id": study.study_id, "imported_by": by, "imported_at": at},
                upsert=True,
            )
            for study in studies
        ]
        await self.studies.bulk_write(writes, ordered=False, session=session)

    async def all_studies(self, session: Session = None, **only: str) -> list[Study]:
        cursor = self.studies.find(_of(only, "implementers"), session=session)
        return [_study(document) async for document in cursor]

    async def references(self, session: Session = None, **only: str) -> Record:
        """Company id -> its studies and its matches whose meeting led to an MOU or F/S
        (``company_id=`` for one company's alone)."""
        record: dict[str, list[Reference]] = defaultdict(list)
        for company_id, references in track_record(await self.all_studies(session, **only)).items():
            record[company_id] += references
        for company_id, reference in await self._outcomes(session, only):
            record[company_id].append(reference)
        return {company_id: tuple(references) for company_id, references in record.items()}

    async def _outcomes(
        self, session: Session, only: dict[str, str]
    ) -> list[tuple[str, Reference]]:
        steps = list(OUTCOMES)
        query = {
            **_of(only, "company_id"),
            "status": "scheduled",
            "$or": [{f"outcomes.{side}.next_step": {"$in": steps}} for side in ("company", "city")],
        }
        meetings = [document async for document in self.meetings.find(query, session=session)]
        ids = list({meeting["proposal_id"] for meeting in meetings})
        cursor = self.proposals.find({"_id": {"$in": ids}}, session=session)
        proposals = {document["_id"]: document async for document in cursor}
        found: list[tuple[str, Reference]] = []
        for meeting in meetings:
            proposal = proposals.get(meeting["proposal_id"])
            if proposal is None:
                continue  # the proposal left the read model: nothing to describe it by
            found.append((meeting["company_id"], _outcome_reference(meeting, proposal)))
        return found


def _of(only: dict[str, str], field: str) -> Document:
    """One company's documents (``field`` names it) when ``only`` has a company id."""
    return {field: only["company_id"]} if "company_id" in only else {}


def _outcome_reference(meeting: Document, proposal: Document) -> Reference:
    outcomes = meeting.get("outcomes") or {}
    # An MOU says more than an F/S proposal: if either side recorded one, it is an MOU.
    steps = {outcome.get("next_step") for outcome in outcomes.values()}
    step = "mou" if "mou" in steps else "fs_proposal"
    start = meeting["slot"]["start"]
    return Reference(
        title=proposal["title"],
        country=proposal["country"],
        city=proposal["city_id"],
        description=proposal.get("description", ""),
        tags=tuple(proposal.get("tags", ())),
        stage=proposal.get("stage"),
        fiscal_year=fiscal_year(start) if isinstance(start, datetime) else None,
        source=f"meeting {meeting['_id']}",
        outcome=OUTCOMES[step],
    )


def _document(study: Study) -> Document:
    return {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in asdict(study).items()
    }


def _study(document: Document) -> Study:
    fields = {name: document[name] for name in Study.__dataclass_fields__}
    for name in ("focus_areas", "tags", "implementers"):
        fields[name] = tuple(fields[name])
    return Study(**fields)
