"""Use cases of proposal attachments: files follow the proposal's visibility.

A city (or an admin) uploads files to its draft and lists them in the draft's
``attachments``; whoever may read the proposal may download the files it refers to. A
withdrawn draft keeps its files, as it keeps everything else."""

from services.proposals.handlers import get_proposal
from services.proposals.model import NotEditable
from services.proposals.repository import ProposalRepository
from shared.auth import Principal, Role
from shared.contracts.attachments import AttachmentInfo
from shared.documents import AttachmentNotFound, DocumentStore, StoredDocument, Uploader
from shared.http.uploads import FileUpload
from shared.platform import Trace

EDITORS = (Role.CITY, Role.ADMIN)


async def upload(
    proposal_id: str,
    file: FileUpload,
    caller: Principal,
    *,
    proposals: ProposalRepository,
    attachments: DocumentStore,
    trace: Trace,
) -> AttachmentInfo:
    proposal = await get_proposal(proposal_id, caller, proposals=proposals)
    if proposal.status != "draft":
        raise NotEditable(
            f"files are added to a draft; this proposal is {proposal.status}",
            current_status=proposal.status,
        )
    uploader = Uploader(name=trace.actor, key_id=caller.key_id)
    return await attachments.upload(proposal_id, file.filename, file.pieces, uploader)


async def attachment(
    proposal_id: str,
    attachment_id: str,
    caller: Principal,
    *,
    proposals: ProposalRepository,
    attachments: DocumentStore,
) -> StoredDocument:
    """A file the proposal refers to, for anyone who sees the proposal; a file not yet
    referred to only for the city and admins who edit the draft."""
    await get_proposal(proposal_id, caller, proposals=proposals)
    found = await attachments.get([proposal_id], attachment_id)
    if found is None or not (found.referenced or caller.role in EDITORS):
        raise AttachmentNotFound(f"no attachment {attachment_id} on proposal {proposal_id}")
    return found
