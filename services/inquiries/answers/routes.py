"""HTTP views of answer templates, and of a reply drafted from one."""

from aiohttp import web

from services.inquiries.answers import handlers as answers
from services.inquiries.answers.model import (
    AnswerTemplate,
    AnswerTemplates,
    AnswerTemplateSpec,
    Draft,
    DraftReply,
    TemplateNotFound,
    TemplateQuery,
)
from services.inquiries.keys import DESK
from services.inquiries.routes import DESK_SIDE, ERRORS, ONE, inquiry_id_of, visibility_of
from shared.auth import Role, allow
from shared.http.endpoints import ApiRoutes, Reply, principal_of, trace_of
from shared.http.problems import NotFound

answers_api = ApiRoutes("answer templates", errors={**ERRORS, TemplateNotFound: NotFound})
KEEPERS = allow(Role.DESK, Role.ADMIN)
ONE_TEMPLATE = "/answer-templates/{template_id}"


def _template_id(request: web.Request) -> str:
    return request.match_info["template_id"]


@answers_api.get(
    "/answer-templates",
    summary="Answer templates: a desk's own and the queue templates of no desk (staff: all)",
    access=DESK_SIDE,
    query=TemplateQuery,
    response=AnswerTemplates,
)
async def list_templates(request: web.Request, query: TemplateQuery) -> AnswerTemplates:
    found = await answers.templates(query, visibility_of(request), desk=request.app[DESK])
    return AnswerTemplates(items=found)


@answers_api.post(
    "/answer-templates",
    summary="Add an answer template (a desk key: for its own desk)",
    access=KEEPERS,
    body=AnswerTemplateSpec,
    response=AnswerTemplate,
    status=201,
)
async def create_template(request: web.Request, body: AnswerTemplateSpec) -> Reply:
    template = await answers.save_template(
        None, body, visibility_of(request), desk=request.app[DESK], trace=trace_of(request)
    )
    return Reply(template, headers={"Location": f"/answer-templates/{template.template_id}"})


@answers_api.get(
    ONE_TEMPLATE,
    summary="Read one answer template",
    access=DESK_SIDE,
    response=AnswerTemplate,
    problems=(404,),
)
async def get_template(request: web.Request) -> AnswerTemplate:
    visibility = visibility_of(request)
    return await answers.get_template(_template_id(request), visibility, desk=request.app[DESK])


@answers_api.put(
    ONE_TEMPLATE,
    summary="Replace an answer template",
    access=KEEPERS,
    body=AnswerTemplateSpec,
    response=AnswerTemplate,
    problems=(404, 409),
)
async def replace_template(request: web.Request, body: AnswerTemplateSpec) -> AnswerTemplate:
    return await answers.save_template(
        _template_id(request),
        body,
        visibility_of(request),
        desk=request.app[DESK],
        trace=trace_of(request),
    )


@answers_api.delete(
    ONE_TEMPLATE,
    summary="Delete an answer template",
    access=KEEPERS,
    status=204,
    problems=(404,),
)
async def delete_template(request: web.Request) -> None:
    await answers.delete_template(
        _template_id(request),
        visibility_of(request),
        desk=request.app[DESK],
        trace=trace_of(request),
    )


@answers_api.post(
    f"{ONE}/replies/draft",
    summary="Draft a reply from an answer template: its text with the placeholders filled "
    "in, to edit and send",
    access=DESK_SIDE,
    body=DraftReply,
    response=Draft,
    problems=(404,),
)
async def draft_reply(request: web.Request, body: DraftReply) -> Draft:
    writer = principal_of(request).display_name
    visibility = visibility_of(request)
    return await answers.draft(
        inquiry_id_of(request), body, visibility, desk=request.app[DESK], writer=writer
    )
