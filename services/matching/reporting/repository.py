"""What the funnel reads: a projection of the matches of a period and of the meetings held,
a few fields each, in large batches. The matches collection holds the pairs that entered
a list (list size x proposals, plus the ones that left), not every company x proposal:
about 10,000 to 50,000 documents at 10,000 companies x 1,000 proposals; meetings are far
fewer. Read without the outcome notes, capability texts or factors, that is a few MB."""

from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.matching.reporting.funnel import NEXT_STEPS, Journey
from services.matching.repository import BULK
from shared.mongo import Document

MATCH_FIELDS = {"country": 1, "city_id": 1, "focus_areas": 1, "created_at": 1, "responses": 1}
MEETING_FIELDS = {"match_id": 1, "slot.start": 1, "outcomes": 1}


class FunnelSource:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.matches = database["matches"]
        self.meetings = database["meetings"]

    async def journeys(
        self, start: datetime | None, end: datetime | None, now: datetime
    ) -> list[Journey]:
        proposed: dict[str, Any] = {}
        if start is not None:
            proposed["$gte"] = start
        if end is not None:
            proposed["$lt"] = end
        criteria = {"created_at": proposed} if proposed else {}
        cursor = self.matches.find(criteria, MATCH_FIELDS, batch_size=BULK)
        matches = {document["_id"]: document async for document in cursor}
        held = await self._held(now)
        return [
            _journey(document, held.get(match_id, [])) for match_id, document in matches.items()
        ]

    async def _held(self, now: datetime) -> dict[str, list[Document]]:
        """Meetings that were not cancelled and have started, by match."""
        criteria = {"status": {"$ne": "cancelled"}, "slot.start": {"$lte": now}}
        found: dict[str, list[Document]] = {}
        cursor = self.meetings.find(criteria, MEETING_FIELDS, batch_size=BULK)
        async for document in cursor:
            found.setdefault(document["match_id"], []).append(document)
        return found


def _journey(match: Document, meetings: list[Document]) -> Journey:
    answers = list((match.get("responses") or {}).values())
    times = sorted(answer["at"] for answer in answers)
    mutual = len(answers) == 2 and all(answer["accepted"] for answer in answers)
    first = min(meetings, key=lambda meeting: meeting["slot"]["start"], default=None)
    steps = {
        (outcome["next_step"], outcome.get("at") or meeting["slot"]["start"])
        for meeting in meetings
        for outcome in (meeting.get("outcomes") or {}).values()
        if outcome["next_step"] in NEXT_STEPS
    }
    return Journey(
        country=match["country"],
        city_id=match["city_id"],
        focus_areas=tuple(match.get("focus_areas") or ()),
        proposed_at=match["created_at"],
        answered_at=times[0] if times else None,
        mutual_at=times[-1] if mutual else None,
        met_at=first["slot"]["start"] if first else None,
        next_steps=tuple(sorted(steps)),
    )
