"""Use cases of inquiry attachments: upload, list, fetch, and referring from a message."""

from collections.abc import Awaitable, Callable, Sequence

from pymongo.asynchronous.client_session import AsyncClientSession

from services.inquiries.attachments.rules import MessageKind, Reader, reference
from services.inquiries.desk import Desk
from services.inquiries.handlers import get_inquiry
from services.inquiries.model import Inquiry, InquiryNotFound
from services.inquiries.scope import Visibility
from shared.contracts.attachments import AttachmentInfo
from shared.documents import AttachmentNotFound, StoredDocument, Uploader
from shared.http.uploads import FileUpload
from shared.platform import Trace

Attach = Callable[[AsyncClientSession, MessageKind, str], Awaitable[list[AttachmentInfo]]]
"""Refers a message to files inside the message's transaction: (session, kind, message id)."""


async def upload(
    inquiry_id: str,
    file: FileUpload,
    visibility: Visibility,
    reader: Reader,
    *,
    desk: Desk,
    trace: Trace,
) -> AttachmentInfo:
    await get_inquiry(inquiry_id, visibility, desk=desk)
    return await desk.attachments.upload(
        inquiry_id,
        file.filename,
        file.pieces,
        Uploader(name=trace.actor, key_id=reader.key_id),
        admits=reader.may_read,
    )


async def attachments_of(
    inquiry_id: str, visibility: Visibility, reader: Reader, *, desk: Desk
) -> list[AttachmentInfo]:
    inquiry = await get_inquiry(inquiry_id, visibility, desk=desk)
    stored = await desk.attachments.of(_conversation(inquiry))
    return [found.info for found in stored if reader.may_read(found)]


async def attachment(
    inquiry_id: str, attachment_id: str, visibility: Visibility, reader: Reader, *, desk: Desk
) -> StoredDocument:
    inquiry = await get_inquiry(inquiry_id, visibility, desk=desk)
    found = await desk.attachments.get(_conversation(inquiry), attachment_id)
    if found is None or not reader.may_read(found):
        raise AttachmentNotFound(f"no attachment {attachment_id} on inquiry {inquiry_id}")
    return found


def attacher(
    inquiry_id: str, ids: Sequence[str], visibility: Visibility, reader: Reader, *, desk: Desk
) -> Attach:
    """Refer the message to files of this inquiry the caller may use; any other id (another
    inquiry's, a note's file for the requester side, a forged one) refuses the message."""

    async def attach(
        session: AsyncClientSession, kind: MessageKind, message_id: str
    ) -> list[AttachmentInfo]:
        current = await desk.inquiries.get(inquiry_id, session)
        if current is None:
            raise InquiryNotFound(f"no inquiry {inquiry_id}")
        visibility.check(current)  # an unseen inquiry stays a 404, whatever the ids
        return await desk.attachments.refer(
            inquiry_id,
            ids,
            reference(kind, message_id),
            session,
            field="body.attachments",
            admits=reader.may_read,
        )

    return attach


def _conversation(inquiry: Inquiry) -> list[str]:
    """A merged duplicate's files follow its conversation into the inquiry kept."""
    return [inquiry.inquiry_id, *inquiry.merged_from]
