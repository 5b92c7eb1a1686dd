"""Use cases of a match's thread: post a message, read the thread."""

from services.matching.conversation.model import (
    MatchMessage,
    MessageQuery,
    PostMessage,
    member_of,
    readable,
    writable,
)
from services.matching.conversation.repository import MessageRepository
from services.matching.handlers import visible_match
from services.matching.repository import MatchRepository, ReadModels
from shared.auth import Principal
from shared.clock import utc_now
from shared.http.pagination import Page, page_of
from shared.mongo import new_id
from shared.platform import Platform, Trace, unit_of_work


async def post_message(
    match_id: str,
    caller: Principal,
    body: PostMessage,
    *,
    platform: Platform,
    matches: MatchRepository,
    read_models: ReadModels,
    messages: MessageRepository,
    trace: Trace,
) -> MatchMessage:
    """Stored with the grant and the person behind it, and published in one transaction."""
    async with unit_of_work(platform, trace) as uow:
        match, _ = await visible_match(match_id, caller, matches, read_models, uow.session)
        side = member_of(match, caller)
        writable(match)
        message = MatchMessage(
            message_id=new_id(),
            match_id=match_id,
            side=side,
            body=body.body,
            at=utc_now(),
            by=caller.name,
            by_person=trace.by,
        )
        await messages.add(message, uow.session)
        await uow.publish(match_id, message.posted(match))
    return message


async def thread(
    match_id: str,
    caller: Principal,
    query: MessageQuery,
    *,
    matches: MatchRepository,
    read_models: ReadModels,
    messages: MessageRepository,
) -> Page[MatchMessage]:
    match, _ = await visible_match(match_id, caller, matches, read_models)
    member_of(match, caller)
    readable(match)
    found = await messages.of_match(match_id, query.after, query.limit + 1)
    return page_of(found, query.limit, lambda message: message.message_id)
