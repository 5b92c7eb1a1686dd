"""HTTP views of proposal attachments: upload to a draft (multipart), download."""

from aiohttp import web

from services.proposals import attachments
from services.proposals.keys import ATTACHMENTS, PROPOSALS
from services.proposals.routes import ERRORS, READERS
from shared.auth import Role, allow
from shared.documents.views import Parent, attachment_views
from shared.http.endpoints import ApiRoutes, principal_of

attachments_api = ApiRoutes("proposal attachments", errors=ERRORS)


async def _draft(request: web.Request, proposal_id: str) -> Parent:
    return await attachments.draft(
        proposal_id, principal_of(request), proposals=request.app[PROPOSALS]
    )


async def _readable(request: web.Request, proposal_id: str) -> Parent:
    return await attachments.readable(
        proposal_id, principal_of(request), proposals=request.app[PROPOSALS]
    )


attachment_views(
    attachments_api,
    "/proposals/{proposal_id}/attachments",
    name="proposal_attachment",
    noun="proposal",
    store=lambda request: request.app[ATTACHMENTS],
    writable=_draft,
    readable=_readable,
    upload_spec={
        "summary": "Upload a file to a draft (multipart/form-data, part 'file'); list it in the "
        "draft's attachments to keep it",
        "access": allow(Role.CITY, Role.ADMIN),
        "problems": (404, 409),
    },
    download_spec={
        "summary": "Download a file of a proposal the caller may read (Range supported)",
        "access": READERS,
        "problems": (404, 416),
    },
)
