"""HTTP views of tags: a desk's tag list, and tagging an inquiry."""

from aiohttp import web

from services.inquiries.administration.configuration_routes import DeskPath
from services.inquiries.keys import DESK
from services.inquiries.model import Inquiry
from services.inquiries.routes import DESK_SIDE, ERRORS, ONE, inquiry_id_of, visibility_of
from services.inquiries.tags import handlers as tags
from services.inquiries.tags.model import DeskTags
from services.inquiries.tags.names import TagChange
from shared.auth import Role, allow
from shared.http.endpoints import ApiRoutes, trace_of

tags_api = ApiRoutes("tags", errors=ERRORS)


@tags_api.get(
    "/tags/{country}",
    summary="A desk's tag list (a desk key: its own)",
    access=allow(Role.DESK, Role.OPERATOR, Role.ADMIN, owner=(Role.DESK, "country")),
    path_model=DeskPath,
    response=DeskTags,
)
async def desk_tags(request: web.Request, path: DeskPath) -> DeskTags:
    return await request.app[DESK].tags.of(path.country)


@tags_api.put(
    "/tags/{country}",
    summary="Replace a desk's tag list (names are normalised; send the version you read)",
    access=allow(Role.DESK, Role.ADMIN, owner=(Role.DESK, "country")),
    path_model=DeskPath,
    body=DeskTags,
    response=DeskTags,
    problems=(409,),
)
async def replace_desk_tags(request: web.Request, path: DeskPath, body: DeskTags) -> DeskTags:
    desk, trace = request.app[DESK], trace_of(request)
    return await tags.replace_tags(path.country, body, desk=desk, trace=trace)


@tags_api.post(
    f"{ONE}/tags",
    summary="Tag and untag an inquiry with tags of its desk's list; a tag naming a queue "
    "moves the inquiry there",
    access=DESK_SIDE,
    body=TagChange,
    response=Inquiry,
    problems=(404,),
)
async def tag_inquiry(request: web.Request, body: TagChange) -> Inquiry:
    return await tags.retag(
        inquiry_id_of(request),
        body,
        visibility_of(request),
        desk=request.app[DESK],
        trace=trace_of(request),
    )
