"""HTTP views of proposal attachments: upload to a draft (multipart), download."""

from aiohttp import web

from services.proposals import attachments
from services.proposals.keys import ATTACHMENTS, PROPOSALS
from services.proposals.routes import ERRORS, READERS
from shared.auth import Role, allow
from shared.contracts.attachments import AttachmentInfo
from shared.documents import download
from shared.http.endpoints import ApiRoutes, principal_of, trace_of
from shared.http.uploads import FileUpload

attachments_api = ApiRoutes("proposal attachments", errors=ERRORS)
ONE = "/proposals/{proposal_id}/attachments"


@attachments_api.post(
    ONE,
    summary="Upload a file to a draft (multipart/form-data, part 'file'); list it in the "
    "draft's attachments to keep it",
    access=allow(Role.CITY, Role.ADMIN),
    upload="file",
    response=AttachmentInfo,
    status=201,
    problems=(404, 409),
)
async def upload_proposal_attachment(request: web.Request, upload: FileUpload) -> AttachmentInfo:
    return await attachments.upload(
        request.match_info["proposal_id"],
        upload,
        principal_of(request),
        proposals=request.app[PROPOSALS],
        attachments=request.app[ATTACHMENTS],
        trace=trace_of(request),
    )


@attachments_api.get(
    f"{ONE}/{{attachment_id}}",
    summary="Download a file of a proposal the caller may read (Range supported)",
    access=READERS,
    file_response=True,
    problems=(404, 416),
)
async def download_proposal_attachment(request: web.Request) -> web.StreamResponse:
    store = request.app[ATTACHMENTS]
    stored = await attachments.attachment(
        request.match_info["proposal_id"],
        request.match_info["attachment_id"],
        principal_of(request),
        proposals=request.app[PROPOSALS],
        attachments=store,
    )
    return await download(request, store, stored)
