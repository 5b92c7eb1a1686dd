"""HTTP views of the dead letters: reading, dry-running, replaying and discarding them."""

from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from services.monitor.keys import AUDIT, INSPECTOR, LETTERS, REPLAYER
from services.monitor.letters import handlers
from services.monitor.letters.model import DeadLetter, DryRun, LetterStatus, Replay
from services.monitor.routes import ERRORS, OPERATOR_TAG, STAFF, shown
from shared.contracts.vocabulary import UNIQUE
from shared.http.endpoints import ApiRoutes, Reply, trace_of
from shared.http.pagination import Page, PageQuery
from shared.masking import mask_optional_text
from shared.platform import PLATFORM

letters_api = ApiRoutes(OPERATOR_TAG, errors=ERRORS)


class DeadLetterQuery(PageQuery):
    status: LetterStatus | None = None


class ReplayMany(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"ids": ["6b0450c2f1e4a8d2b3c41a07"]}]},
    )

    # Each once: an id listed twice would be replayed twice.
    ids: Annotated[list[str], UNIQUE] = Field(min_length=1, max_length=500)


class ReplayOutcome(BaseModel):
    id: str
    replay: Replay | None
    error: str | None

    def masked(self) -> "ReplayOutcome":
        return self.model_copy(update={"error": mask_optional_text(self.error)})


class ReplayReport(BaseModel):
    outcomes: list[ReplayOutcome]

    def masked(self) -> "ReplayReport":
        """For operators: an error's text may quote the letter (its type, a field's name)."""
        return ReplayReport(outcomes=[outcome.masked() for outcome in self.outcomes])


class Discard(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,  # five spaces are no reason
        json_schema_extra={"examples": [{"reason": "test data, never valid"}]},
    )

    reason: str = Field(min_length=3, max_length=500)


@letters_api.get(
    "/api/dead-letters",
    summary="Dead letters, newest first",
    access=STAFF,
    query=DeadLetterQuery,
    response=Page[DeadLetter],
)
async def list_dead_letters(request: web.Request, query: DeadLetterQuery) -> Page[DeadLetter]:
    page = await handlers.list_dead_letters(
        query.status,
        query.after,
        query.limit,
        letters=request.app[LETTERS],
        inspector=request.app[INSPECTOR],
    )
    return Page(items=[shown(request, x) for x in page.items], next_cursor=page.next_cursor)


@letters_api.get(
    "/api/dead-letters/{letter_id}",
    summary="One dead letter: error, origin, headers, payload, replays",
    access=STAFF,
    response=DeadLetter,
    problems=(404,),
)
async def get_dead_letter(request: web.Request) -> DeadLetter:
    letter = await handlers.get_dead_letter(
        request.match_info["letter_id"],
        letters=request.app[LETTERS],
        inspector=request.app[INSPECTOR],
    )
    return shown(request, letter)


@letters_api.post(
    "/api/dead-letters/{letter_id}/dry-run",
    summary="Validate a dead letter against the current event schema; changes nothing",
    access=STAFF,
    response=DryRun,
    problems=(404,),
)
async def dry_run(request: web.Request) -> DryRun:
    letter_id = request.match_info["letter_id"]
    topics = request.app[PLATFORM].topics
    checked = await handlers.dry_run_dead_letter(
        letter_id, letters=request.app[LETTERS], topics=topics
    )
    return shown(request, checked)


async def _replay(request: web.Request, letter_id: str) -> Replay:
    try:
        return await handlers.replay_dead_letter(
            letter_id,
            letters=request.app[LETTERS],
            replayer=request.app[REPLAYER],
            platform=request.app[PLATFORM],
            audit=request.app[AUDIT],
            trace=trace_of(request),
        )
    except handlers.ReplayRefused as refused:
        raise shown(request, refused) from None


@letters_api.post(
    "/api/dead-letters/{letter_id}/replay",
    summary="Send a dead letter back to the topic its DLQ belongs to (recorded and audited); "
    "refused when its event type is not one that topic carries",
    access=STAFF,
    response=Replay,
    problems=(404, 409),
)
async def replay_one(request: web.Request) -> Replay:
    return await _replay(request, request.match_info["letter_id"])


@letters_api.post(
    "/api/dead-letters/replay",
    summary="Replay many dead letters; each outcome reported on its own",
    access=STAFF,
    body=ReplayMany,
    response=ReplayReport,
)
async def replay_many(request: web.Request, body: ReplayMany) -> ReplayReport:
    outcomes = []
    for letter_id in body.ids:
        try:
            outcomes.append(
                ReplayOutcome(id=letter_id, replay=await _replay(request, letter_id), error=None)
            )
        except Exception as error:  # one failure must not stop the others
            outcomes.append(ReplayOutcome(id=letter_id, replay=None, error=str(error)))
    return shown(request, ReplayReport(outcomes=outcomes))


@letters_api.post(
    "/api/dead-letters/{letter_id}/discard",
    summary="Give up on a pending dead letter, with a reason (audited)",
    access=STAFF,
    body=Discard,
    status=204,
    problems=(404, 409),
)
async def discard(request: web.Request, body: Discard) -> Reply:
    await handlers.discard_dead_letter(
        request.match_info["letter_id"],
        body.reason,
        letters=request.app[LETTERS],
        platform=request.app[PLATFORM],
        audit=request.app[AUDIT],
        trace=trace_of(request),
    )
    return Reply(None, status=204)
