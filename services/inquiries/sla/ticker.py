"""The SLA ticker: publishes warnings and breaches when their stored moments come, and
closes an inquiry that waited on its requester too long.

It scans the inquiries whose next SLA moment (``next_due``, indexed) has passed on the
injected clock. Each inquiry is advanced by compare-and-set on its version inside the
transaction that publishes the events, so of two replicas ticking at once exactly one
wins and the other's transaction changes nothing.
"""

import asyncio
from dataclasses import dataclass
from datetime import datetime

from pymongo.errors import PyMongoError

from services.inquiries.conversation.messages import closed_now, notify_requester
from services.inquiries.desk import Desk
from services.inquiries.handlers import Change, moved_in
from services.inquiries.model import Inquiry, Moved, StaleVersion
from services.inquiries.scope import Visibility
from services.inquiries.sla.business_hours import BusinessCalendar
from services.inquiries.sla.escalation import escalated
from shared.contracts import EventPayload
from shared.contracts.inquiries import InquiryStatusChanged
from shared.logs import get_logger
from shared.platform import Trace, unit_of_work

log = get_logger(__name__)
TICKER = Trace(correlation_id=None, traceparent=None, actor="inquiries-sla-ticker")


@dataclass
class SlaTicker:
    desk: Desk

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception as error:  # MongoDB away: the stored deadlines wait for us
                log.warning("sla.tick_failed", error=repr(error))
            await asyncio.sleep(self.desk.settings.sla_tick_seconds)

    async def tick(self) -> int:
        """Advance every due inquiry once; the number of events this ticker published."""
        now = self.desk.clock()
        due = await self.desk.inquiries.due(now, self.desk.settings.sla_tick_batch)
        advanced = 0
        for inquiry_id in due:
            advanced += await self._advance(inquiry_id)
        return advanced

    async def _advance(self, inquiry_id: str) -> int:
        """The number of events this ticker published for the inquiry."""
        try:
            async with unit_of_work(self.desk.platform, TICKER) as uow:
                ticked = await self._escalating(inquiry_id)
                inquiry, events = await moved_in(
                    uow, inquiry_id, Visibility(), ticked, desk=self.desk
                )
                if any(_closes(event) for event in events):  # auto-closed: the requester reads why
                    events += await notify_requester(uow, inquiry, self._notice, desk=self.desk)
        except StaleVersion:
            return 0  # another replica or a request moved it first; its result stands
        except PyMongoError as error:  # a write conflict is the same race, seen by the server
            log.info("sla.advance_skipped", inquiry_id=inquiry_id, error=repr(error))
            return 0
        return len(events)

    @property
    def _notice(self) -> str:
        return (
            "closed automatically: no answer from the requester in "
            f"{self.desk.settings.auto_close_business_days} business days"
        )

    async def _escalating(self, inquiry_id: str) -> Change:
        """The tick of one inquiry, with its queue's escalation settings read beforehand."""
        current = await self.desk.inquiries.get(inquiry_id)
        queues = await self.desk.config.queues()
        queue = queues.get(current.queue) if current is not None else None
        notice = self._notice
        supervisor = None
        if queue is not None and queue.supervisor is not None:
            person = await self.desk.identity.person(queue.supervisor)
            supervisor = person["name"] if person else None

        def ticked(current: Inquiry, calendar: BusinessCalendar, now: datetime) -> Moved:
            inquiry, events = current.tick(now)
            if queue is not None and current.queue != queue.name:
                # Moved since the settings were read: the next tick reads its new queue's.
                raise StaleVersion("moved to another queue", current_version=current.version)
            inquiry, events = escalated(inquiry, events, queue, supervisor)
            if inquiry.auto_closes(now):
                inquiry, closing = closed_now(inquiry, calendar, now, TICKER.by, notice)
                events = [*events, *closing]
            return inquiry, events

        return ticked


def _closes(event: EventPayload) -> bool:
    return isinstance(event, InquiryStatusChanged) and event.to_status == "closed"
