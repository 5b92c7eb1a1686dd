"""Business-matching sessions and their meetings."""

from collections.abc import Collection
from datetime import datetime

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.matching.sessions.model import MatchingSession, Meeting, MeetingChange
from shared.mongo import Document

Session = AsyncClientSession | None
Busy = dict[str, list[tuple[datetime, datetime]]]
"""Participant -> the times of its meetings already scheduled."""


class SessionRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.sessions = database["sessions"]
        self.meetings = database["meetings"]

    async def create_indexes(self) -> None:
        await self.meetings.create_index([("session_id", ASCENDING), ("slot.start", ASCENDING)])
        for side in ("company_id", "city_id"):
            await self.meetings.create_index([(side, ASCENDING), ("slot.start", ASCENDING)])

    async def save_session(self, session_model: MatchingSession, session: Session) -> None:
        document = {**session_model.model_dump(), "_id": session_model.session_id}
        await self.sessions.replace_one(
            {"_id": session_model.session_id}, document, upsert=True, session=session
        )

    async def session(self, session_id: str, session: Session = None) -> MatchingSession | None:
        document = await self.sessions.find_one({"_id": session_id}, session=session)
        return None if document is None else MatchingSession.model_validate(document)

    async def save_meeting(self, meeting: Meeting, session: Session) -> None:
        document = {**meeting.model_dump(), "_id": meeting.meeting_id}
        await self.meetings.replace_one(
            {"_id": meeting.meeting_id}, document, upsert=True, session=session
        )

    async def meeting(self, meeting_id: str, session: Session = None) -> Meeting | None:
        document = await self.meetings.find_one({"_id": meeting_id}, session=session)
        return None if document is None else Meeting.model_validate(document)

    async def cancel_meetings(
        self, reasons: dict[str, str], now: datetime, session: Session
    ) -> list[Meeting]:
        """The named meetings that have not started, cancelled with their reason."""
        if not reasons:
            return []
        criteria = {
            "_id": {"$in": sorted(reasons)},
            "status": {"$ne": "cancelled"},
            "slot.start": {"$gt": now},
        }
        cursor = self.meetings.find(criteria, session=session)
        found = [Meeting.model_validate(document) async for document in cursor]
        cancelled = []
        for meeting in found:
            reason = reasons[meeting.meeting_id]
            change = MeetingChange(kind="cancelled", at=now, by="matching", reason=reason)
            cancelled.append(meeting.cancel(reason, change))
        for meeting in cancelled:
            await self.save_meeting(meeting, session)
        return cancelled

    async def busy(self, participants: set[str], session: Session) -> Busy:
        """When each participant already meets someone, in every session."""
        ids = {
            kind: [p.partition(":")[2] for p in participants if p.startswith(kind + ":")]
            for kind in ("company", "city")
        }
        criteria = {
            "status": {"$ne": "cancelled"},
            "$or": [{"company_id": {"$in": ids["company"]}}, {"city_id": {"$in": ids["city"]}}],
        }
        found: Busy = {}
        async for document in self.meetings.find(criteria, session=session):
            meeting = Meeting.model_validate(document)
            for who in (f"company:{meeting.company_id}", f"city:{meeting.city_id}"):
                if who in participants:
                    found.setdefault(who, []).append((meeting.slot.start, meeting.slot.end))
        return found

    async def near(self, meeting: Meeting, session: Session) -> list[Meeting]:
        """The other meetings, not cancelled, that a move of this one could clash with: of
        either party, or at a table of its session."""
        criteria = {
            "_id": {"$ne": meeting.meeting_id},
            "status": {"$ne": "cancelled"},
            "$or": [
                {"company_id": meeting.company_id},
                {"city_id": meeting.city_id},
                {"session_id": meeting.session_id},
            ],
        }
        cursor = self.meetings.find(criteria, session=session)
        return [Meeting.model_validate(document) async for document in cursor]

    async def meetings_of(self, session_id: str, session: Session = None) -> list[Meeting]:
        cursor = self.meetings.find({"session_id": session_id}, session=session).sort(
            [("slot.start", ASCENDING), ("table", ASCENDING)]
        )
        return [Meeting.model_validate(document) async for document in cursor]

    async def meetings_with(self, side: str, party_id: str) -> list[Meeting]:
        """A company's (``side`` company_id) or a city's (city_id) meetings, earliest first."""
        cursor = self.meetings.find({side: party_id}).sort(
            [("slot.start", ASCENDING), ("_id", ASCENDING)]
        )
        return [Meeting.model_validate(document) async for document in cursor]

    async def session_names(self, session_ids: Collection[str]) -> dict[str, str]:
        cursor = self.sessions.find({"_id": {"$in": sorted(session_ids)}}, {"name": 1})
        return {document["_id"]: document["name"] async for document in cursor}
