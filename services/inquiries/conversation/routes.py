"""HTTP views of the conversation: replies, internal notes, and reading them."""

from aiohttp import web

from services.inquiries.answers import handlers as answers
from services.inquiries.answers.model import DraftReply
from services.inquiries.attachments.handlers import Attach, attacher
from services.inquiries.attachments.rules import Reader
from services.inquiries.commands import PostNote, PostReply, Rate
from services.inquiries.conversation import messages as conversation
from services.inquiries.conversation import satisfaction
from services.inquiries.keys import DESK
from services.inquiries.model import InquiryView
from services.inquiries.routes import (
    DESK_SIDE,
    ERRORS,
    ONE,
    READERS,
    REQUESTER_SIDE,
    inquiry_id_of,
    visibility_of,
)
from services.inquiries.views import Message, Messages
from shared.auth import Role
from shared.http.endpoints import ApiRoutes, principal_of, trace_of

conversation_api = ApiRoutes("inquiry conversation", errors=ERRORS)


@conversation_api.post(
    f"{ONE}/replies",
    summary="Reply (visible to the requester side); a desk reply answers the inquiry",
    access=READERS,
    body=PostReply,
    response=Message,
    status=201,
    problems=(404, 409),
)
async def post_reply(request: web.Request, body: PostReply) -> Message:
    caller = principal_of(request)
    requester = caller.role in (Role.COMPANY, Role.CITY) or body.from_requester
    text = body.body
    if body.template_id is not None:
        wanted = DraftReply(template_id=body.template_id, language=body.language)
        text = await answers.reply_text(
            inquiry_id_of(request),
            wanted,
            body.body,
            visibility_of(request),
            desk=request.app[DESK],
            writer=None if requester else caller.display_name,
        )
    assert text is not None  # PostReply has a body or a template_id
    return await conversation.post_message(
        inquiry_id_of(request),
        text,
        "reply",
        "requester" if requester else "desk",
        visibility_of(request),
        desk=request.app[DESK],
        trace=trace_of(request),
        attach=_attach(request, body.attachments),
        template_id=body.template_id,
    )


@conversation_api.post(
    f"{ONE}/notes",
    summary="Add an internal note (desk and staff only)",
    access=DESK_SIDE,
    body=PostNote,
    response=Message,
    status=201,
    problems=(404,),
)
async def post_note(request: web.Request, body: PostNote) -> Message:
    return await conversation.post_message(
        inquiry_id_of(request),
        body.body,
        "note",
        "desk",
        visibility_of(request),
        desk=request.app[DESK],
        trace=trace_of(request),
        attach=_attach(request, body.attachments),
    )


def _attach(request: web.Request, ids: list[str]) -> Attach | None:
    if not ids:
        return None
    reader = Reader.of(principal_of(request))
    return attacher(
        inquiry_id_of(request), ids, visibility_of(request), reader, desk=request.app[DESK]
    )


@conversation_api.get(
    f"{ONE}/messages",
    summary="The conversation; the requester side sees replies only",
    access=READERS,
    response=Messages,
    problems=(404,),
)
async def list_messages(request: web.Request) -> Messages:
    found = await conversation.messages(
        inquiry_id_of(request), visibility_of(request), desk=request.app[DESK]
    )
    return Messages(items=found)


@conversation_api.post(
    f"{ONE}/rating",
    summary="The requester rates a closed inquiry (1-5, a comment), once per closure",
    access=REQUESTER_SIDE,
    body=Rate,
    response=InquiryView,
    status=201,
    problems=(404, 409),
)
async def rate(request: web.Request, body: Rate) -> InquiryView:
    visibility = visibility_of(request)
    inquiry = await satisfaction.rate(
        inquiry_id_of(request), body, visibility, desk=request.app[DESK], trace=trace_of(request)
    )
    return InquiryView.of(inquiry, visibility.is_requester)
