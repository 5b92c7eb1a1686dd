"""HTTP views of inquiry attachments: upload (multipart), list, download."""

from aiohttp import web
from pydantic import BaseModel

from services.inquiries.attachments import handlers
from services.inquiries.attachments.rules import Reader
from services.inquiries.keys import DESK
from services.inquiries.routes import ERRORS, ONE, READERS, _id, _visibility
from shared.contracts.attachments import AttachmentInfo
from shared.documents import download
from shared.http.endpoints import ApiRoutes, principal_of, trace_of
from shared.http.uploads import FileUpload

attachments_api = ApiRoutes("inquiry attachments", errors=ERRORS)


class Attachments(BaseModel):
    items: list[AttachmentInfo]


def _reader(request: web.Request) -> Reader:
    return Reader.of(principal_of(request))


@attachments_api.post(
    f"{ONE}/attachments",
    summary="Upload a file (multipart/form-data, part 'file'); refer to it from a reply or note",
    access=READERS,
    upload="file",
    response=AttachmentInfo,
    status=201,
    problems=(404,),
)
async def upload_attachment(request: web.Request, upload: FileUpload) -> AttachmentInfo:
    return await handlers.upload(
        _id(request),
        upload,
        _visibility(request),
        _reader(request),
        desk=request.app[DESK],
        trace=trace_of(request),
    )


@attachments_api.get(
    f"{ONE}/attachments",
    summary="The files of the inquiry the caller may read (a merged duplicate's included)",
    access=READERS,
    response=Attachments,
    problems=(404,),
)
async def list_attachments(request: web.Request) -> Attachments:
    found = await handlers.attachments_of(
        _id(request), _visibility(request), _reader(request), desk=request.app[DESK]
    )
    return Attachments(items=found)


@attachments_api.get(
    f"{ONE}/attachments/{{attachment_id}}",
    summary="Download a file (Range supported); the requester side never gets a note's file",
    access=READERS,
    file_response=True,
    problems=(404, 416),
)
async def download_attachment(request: web.Request) -> web.StreamResponse:
    desk = request.app[DESK]
    stored = await handlers.attachment(
        _id(request),
        request.match_info["attachment_id"],
        _visibility(request),
        _reader(request),
        desk=desk,
    )
    return await download(request, desk.attachments, stored)
