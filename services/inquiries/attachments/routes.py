"""HTTP views of inquiry attachments: upload (multipart), list, download, and download
through the signed link a reply mail carries."""

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from services.inquiries.attachments import handlers
from services.inquiries.attachments.rules import Reader
from services.inquiries.keys import DESK
from services.inquiries.routes import ERRORS, ONE, READERS, inquiry_id_of, visibility_of
from shared.auth import PUBLIC
from shared.contracts.attachments import AttachmentInfo
from shared.documents import download
from shared.documents.views import Parent, attachment_views
from shared.http.endpoints import ApiRoutes, principal_of
from shared.http.problems import Forbidden
from shared.signed_links import LinkRefused

attachments_api = ApiRoutes("inquiry attachments", errors={**ERRORS, LinkRefused: Forbidden})


class Attachments(BaseModel):
    items: list[AttachmentInfo]


class SignedLink(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expires: int = Field(
        ge=0, le=253_402_300_799, description="Until when the link works (seconds since 1970)"
    )
    signature: str = Field(min_length=1, max_length=100)


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


@attachments_api.get(
    f"{ONE}/attachments/{{attachment_id}}/signed",
    summary="Download a reply's file through the signed link mailed to the requester "
    "(no key: the link is the permission; Range supported)",
    access=PUBLIC,
    query=SignedLink,
    file_response=True,
    problems=(403, 404, 416, 429),
    rate_limited=True,
)
async def download_mailed_attachment(request: web.Request, query: SignedLink) -> web.StreamResponse:
    desk = request.app[DESK]
    stored = await handlers.mailed_file(
        inquiry_id_of(request),
        request.match_info["attachment_id"],
        query.expires,
        query.signature,
        desk=desk,
    )
    return await download(request, desk.attachments, stored)
