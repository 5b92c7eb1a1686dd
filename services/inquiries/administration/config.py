"""Admin-edited desk configuration in MongoDB: the routing rules and desk calendars."""

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.inquiries.administration.routing import DEFAULT_RULES, RoutingRules
from services.inquiries.sla.business_hours import BusinessCalendar
from shared.mongo import Document

Session = AsyncClientSession | None
RULES_ID = "routing"


class DeskConfiguration:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.rules = database["routing_rules"]
        self.calendars = database["calendars"]

    async def routing(self, session: Session = None) -> RoutingRules:
        """The stored rules; the defaults until an admin first saves some."""
        document = await self.rules.find_one({"_id": RULES_ID}, session=session)
        if document is None:
            return DEFAULT_RULES
        document.pop("_id")
        return RoutingRules.model_validate(document)

    async def save_routing(self, rules: RoutingRules, session: AsyncClientSession) -> bool:
        """Replace the rules if still at ``rules.version - 1`` (0: never saved)."""
        document = {"_id": RULES_ID, **rules.model_dump(mode="json")}
        if rules.version == 1:
            inserted = await self.rules.update_one(
                {"_id": RULES_ID}, {"$setOnInsert": document}, upsert=True, session=session
            )
            return inserted.upserted_id is not None
        result = await self.rules.replace_one(
            {"_id": RULES_ID, "version": rules.version - 1}, document, session=session
        )
        return result.matched_count == 1

    async def calendar(self, country: str, session: Session = None) -> BusinessCalendar:
        document = await self.calendars.find_one({"_id": country}, session=session)
        if document is None:
            return BusinessCalendar.default_for(country)
        document.pop("_id")
        return BusinessCalendar.model_validate(document)

    async def save_calendar(self, country: str, calendar: BusinessCalendar) -> None:
        document = calendar.model_dump(mode="json")
        await self.calendars.replace_one({"_id": country}, document, upsert=True)
