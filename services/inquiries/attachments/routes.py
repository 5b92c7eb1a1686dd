"""HTTP views of inquiry attachments: upload (multipart), list, download."""

from aiohttp import web
from pydantic import BaseModel

from services.inquiries.attachments import handlers
from services.inquiries.attachments.rules import Reader
from services.inquiries.keys import DESK
from services.inquiries.routes import ERRORS, ONE, READERS, inquiry_id_of, visibility_of
from shared.contracts.attachments import AttachmentInfo
from shared.documents.views import Parent, attachment_views
from shared.http.endpoints import ApiRoutes, principal_of

attachments_api = ApiRoutes("inquiry attachments", errors=ERRORS)


class Attachments(BaseModel):
    items: list[AttachmentInfo]


def _reader(request: web.Request) -> Reader:
    return Reader.of(principal_of(request))


async def _parent(request: web.Request, inquiry_id: str) -> Parent:
    return await handlers.parent(
        inquiry_id, visibility_of(request), _reader(request), desk=request.app[DESK]
    )


attachment_views(
    attachments_api,
    f"{ONE}/attachments",
    name="attachment",
    noun="inquiry",
    store=lambda request: request.app[DESK].attachments,
    # The uploader's read rule also decides dedupe: a same file it may not read is stored anew.
    writable=_parent,
    readable=_parent,
    upload_spec={
        "summary": "Upload a file (multipart/form-data, part 'file'); refer to it from a reply "
        "or note",
        "access": READERS,
        "problems": (404,),
    },
    download_spec={
        "summary": "Download a file (Range supported); the requester side never gets a note's file",
        "access": READERS,
        "problems": (404, 416),
    },
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
        inquiry_id_of(request), visibility_of(request), _reader(request), desk=request.app[DESK]
    )
    return Attachments(items=found)
