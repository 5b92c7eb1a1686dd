"""Use cases of inquiry attachments: which files a caller sees, and referring from a message."""

from collections.abc import Awaitable, Callable, Sequence

from pymongo.asynchronous.client_session import AsyncClientSession

from services.inquiries.attachments.rules import MAILED, MessageKind, Reader, reference
from services.inquiries.desk import Desk
from services.inquiries.handlers import get_inquiry
from services.inquiries.model import InquiryNotFound
from services.inquiries.scope import Visibility
from shared.contracts.attachments import AttachmentInfo
from shared.contracts.inquiries import mailed_file_path
from shared.documents import AttachmentNotFound, StoredDocument
from shared.documents.views import Parent
from shared.signed_links import check_signed, link_key

Attach = Callable[[AsyncClientSession, MessageKind, str], Awaitable[list[AttachmentInfo]]]
"""Refers a message to files inside the message's transaction: (session, kind, message id)."""


async def parent(inquiry_id: str, visibility: Visibility, reader: Reader, *, desk: Desk) -> Parent:
    """The inquiry's files the caller sees: a merged duplicate's follow its conversation."""
    inquiry = await get_inquiry(inquiry_id, visibility, desk=desk)
    return Parent(shows=[inquiry.inquiry_id, *inquiry.merged_from], admits=reader.may_read)


async def attachments_of(
    inquiry_id: str, visibility: Visibility, reader: Reader, *, desk: Desk
) -> list[AttachmentInfo]:
    found = await parent(inquiry_id, visibility, reader, desk=desk)
    stored = await desk.attachments.of(found.shows)
    return [one.info for one in stored if found.admits(one)]


async def mailed_file(
    inquiry_id: str, attachment_id: str, expires: int, signature: str, *, desk: Desk
) -> StoredDocument:
    """The file a signed link in the requester's mail names, if the link is genuine and
    current (LinkRefused otherwise) and a reply still refers to the file: the link opens
    what the requester side may read, nothing more."""
    path = mailed_file_path(inquiry_id, attachment_id)
    now = desk.clock()
    check_signed(link_key(desk.platform.settings), path, expires, signature, now)
    found = await parent(inquiry_id, Visibility(), MAILED, desk=desk)
    stored = await desk.attachments.get(found.shows, attachment_id)
    if stored is None or not found.admits(stored):
        raise AttachmentNotFound(f"no attachment {attachment_id} on inquiry {inquiry_id}")
    return stored


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
