"""Bulk changes: one request, each inquiry changed by its own use case in its own
transaction, so each change has its own history entry and event, and one refusal does
not undo the others."""

from dataclasses import dataclass

from pymongo.errors import PyMongoError

from services.inquiries import editing
from services.inquiries.commands import BulkChange, UpdateInquiry
from services.inquiries.conversation import messages as conversation
from services.inquiries.desk import Desk
from services.inquiries.model import Inquiry
from services.inquiries.scope import Visibility
from services.inquiries.tags.handlers import retag
from shared.errors import DomainError
from shared.logs import get_logger
from shared.mongo import retrying_transactions
from shared.platform import Trace

log = get_logger(__name__)


@dataclass(frozen=True)
class Outcome:
    inquiry_id: str
    inquiry: Inquiry | None = None
    refused: DomainError | None = None
    unavailable: bool = False
    """The database would not take the change (after retries); nothing of it was written."""


async def apply(
    command: BulkChange, visibility: Visibility, *, desk: Desk, trace: Trace
) -> list[Outcome]:
    """In the order given; a refused inquiry says why and the next one is tried."""
    outcomes = []
    for inquiry_id in command.inquiry_ids:
        try:
            # Retried here, one inquiry at a time: if a transient error left this function,
            # the request would run again and change the inquiries done before once more.
            inquiry = await retrying_transactions(
                lambda: _one(inquiry_id, command, visibility, desk=desk, trace=trace)  # noqa: B023
            )
        except DomainError as refused:
            outcomes.append(Outcome(inquiry_id, refused=refused))
        except PyMongoError:
            log.warning("bulk.change_failed", inquiry_id=inquiry_id)
            outcomes.append(Outcome(inquiry_id, unavailable=True))
        else:
            outcomes.append(Outcome(inquiry_id, inquiry=inquiry))
    return outcomes


async def _one(
    inquiry_id: str, command: BulkChange, visibility: Visibility, *, desk: Desk, trace: Trace
) -> Inquiry:
    if command.assign is not None:
        return await editing.assign(inquiry_id, command.assign, visibility, desk=desk, trace=trace)
    if command.priority is not None:
        # Many inquiries have no single version the caller read: the change applies to any.
        change = UpdateInquiry(priority=command.priority)
        return await editing.update(inquiry_id, change, None, visibility, desk=desk, trace=trace)
    if command.tag is not None:
        return await retag(
            inquiry_id, command.tag, visibility, desk=desk, trace=trace, field="body.tag"
        )
    assert command.close is not None  # BulkChange names exactly one change
    reason = command.close.reason
    return await conversation.close(inquiry_id, reason, visibility, desk=desk, trace=trace)
