"""Use cases of proposal attachments: files follow the proposal's visibility.

A city (or an admin) uploads files to its draft and lists them in the draft's
``attachments``; whoever may read the proposal may download the files it refers to. A
withdrawn draft keeps its files, as it keeps everything else."""

from services.proposals.handlers import get_proposal
from services.proposals.model import NotEditable
from services.proposals.repository import ProposalRepository
from shared.auth import Principal, Role
from shared.documents.views import Parent

EDITORS = (Role.CITY, Role.ADMIN)


async def draft(proposal_id: str, caller: Principal, *, proposals: ProposalRepository) -> Parent:
    """Files are added to a draft the caller may see."""
    proposal = await get_proposal(proposal_id, caller, proposals=proposals)
    if proposal.status != "draft":
        raise NotEditable(
            f"files are added to a draft; this proposal is {proposal.status}",
            current_status=proposal.status,
        )
    return Parent(shows=[proposal_id])


async def readable(proposal_id: str, caller: Principal, *, proposals: ProposalRepository) -> Parent:
    """A file the proposal refers to, for anyone who sees the proposal; a file not yet
    referred to only for the city and admins who edit the draft."""
    await get_proposal(proposal_id, caller, proposals=proposals)
    return Parent(
        shows=[proposal_id],
        admits=lambda found: found.referenced or caller.role in EDITORS,
    )
