"""Bulk changes: one request, each inquiry changed by its own use case in its own
transaction, so each change has its own history entry and event, and one refusal does
not undo the others."""

from dataclasses import dataclass

from services.inquiries import editing
from services.inquiries.commands import BulkChange, UpdateInquiry
from services.inquiries.conversation import messages as conversation
from services.inquiries.desk import Desk
from services.inquiries.model import Inquiry
from services.inquiries.scope import Visibility
from shared.errors import DomainError
from shared.platform import Trace


@dataclass(frozen=True)
class Outcome:
    inquiry_id: str
    inquiry: Inquiry | None = None
    refused: DomainError | None = None


async def apply(
    command: BulkChange, visibility: Visibility, *, desk: Desk, trace: Trace
) -> list[Outcome]:
    """In the order given; a refused inquiry says why and the next one is tried."""
    outcomes = []
    for inquiry_id in command.inquiry_ids:
        try:
            inquiry = await _one(inquiry_id, command, visibility, desk=desk, trace=trace)
        except DomainError as refused:
            outcomes.append(Outcome(inquiry_id, refused=refused))
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
    assert command.close is not None  # BulkChange names exactly one change
    reason = command.close.reason
    return await conversation.close(inquiry_id, reason, visibility, desk=desk, trace=trace)
