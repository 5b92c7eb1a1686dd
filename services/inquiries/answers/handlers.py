"""Use cases of answer templates: keep them (audited), and draft a reply from one.

A desk key keeps and sees its own desk's templates and reads the queue templates that
belong to no desk; another desk's templates do not exist for it (404). Admins keep all.
"""

from services.inquiries.administration.configuration import keep
from services.inquiries.answers.model import (
    AnswerTemplate,
    AnswerTemplateSpec,
    Draft,
    DraftReply,
    TemplateNotFound,
    TemplateQuery,
    rendered,
)
from services.inquiries.desk import Desk
from services.inquiries.handlers import get_inquiry
from services.inquiries.model import InvalidChange
from services.inquiries.repository import Session
from services.inquiries.scope import Visibility
from shared.http.problems import Forbidden
from shared.mongo import new_id
from shared.platform import Trace, unit_of_work


async def templates(
    query: TemplateQuery, visibility: Visibility, *, desk: Desk
) -> list[AnswerTemplate]:
    desks: list[str | None] | None = None if query.country is None else [query.country]
    if visibility.country is not None:
        desks = [visibility.country, None] if query.country in (None, visibility.country) else []
    return await desk.templates.listed(desks, query.queue)


async def get_template(
    template_id: str, visibility: Visibility, *, desk: Desk, session: Session = None
) -> AnswerTemplate:
    template = await desk.templates.get(template_id, session)
    own = visibility.country
    if template is None or (template.country not in (None, own) and own is not None):
        raise TemplateNotFound(f"no answer template {template_id}")
    return template


async def save_template(
    template_id: str | None,
    spec: AnswerTemplateSpec,
    visibility: Visibility,
    *,
    desk: Desk,
    trace: Trace,
) -> AnswerTemplate:
    """Create (no id) or replace a template the caller keeps."""
    spec = _kept_by(spec, visibility)
    if spec.queue is not None and spec.queue not in (await desk.config.queues()).names:
        raise InvalidChange(f"unknown queue {spec.queue!r}; see GET /queues", field="body.queue")
    async with unit_of_work(desk.platform, trace) as uow:
        before = None
        if template_id is not None:
            before = await get_template(template_id, visibility, desk=desk, session=uow.session)
            _changeable(before, visibility)
        template = AnswerTemplate(
            **spec.model_dump(),
            template_id=template_id or new_id(),
            version=1 if before is None else before.version + 1,
            updated_at=desk.clock(),
            updated_by=trace.actor,
            updated_by_person=trace.by,
        )
        await keep(desk, uow, "answer_template", desk.templates, before, template)
    return template


async def delete_template(
    template_id: str, visibility: Visibility, *, desk: Desk, trace: Trace
) -> None:
    async with unit_of_work(desk.platform, trace) as uow:
        before = await get_template(template_id, visibility, desk=desk, session=uow.session)
        _changeable(before, visibility)
        await keep(desk, uow, "answer_template", desk.templates, before, None)


def _kept_by(spec: AnswerTemplateSpec, visibility: Visibility) -> AnswerTemplateSpec:
    """A desk keeps only its own desk's templates: one sent without a desk is its own.
    Staff name the desk, the queue, or both."""
    own = visibility.country
    if own is None:
        if spec.country is None and spec.queue is None:
            raise InvalidChange("name the desk (country), the queue, or both", field="body.country")
        return spec
    if spec.country is None:
        return spec.model_copy(update={"country": own})
    if spec.country != own:
        raise Forbidden(f"a desk:{own} key keeps only {own} templates", field="body.country")
    return spec


def _changeable(template: AnswerTemplate, visibility: Visibility) -> None:
    """A desk reads the queue templates that belong to no desk; admins keep them."""
    if visibility.country is not None and template.country != visibility.country:
        raise Forbidden("queue templates without a desk are kept by admins")


async def draft(
    inquiry_id: str,
    wanted: DraftReply,
    visibility: Visibility,
    *,
    desk: Desk,
    writer: str,
    field: str = "body",
) -> Draft:
    """The template's text for this inquiry, placeholders filled in; ``writer`` is the
    person writing, the officer when none is assigned."""
    inquiry = await get_inquiry(inquiry_id, visibility, desk=desk)
    try:
        template = await get_template(wanted.template_id, visibility, desk=desk)
    except TemplateNotFound as missing:
        raise InvalidChange(missing.detail, field=f"{field}.template_id") from None
    if not template.applies_to(inquiry):
        raise InvalidChange(
            f"template {template.template_id} is for other inquiries (desk "
            f"{template.country or 'any'}, queue {template.queue or 'any'})",
            field=f"{field}.template_id",
        )
    text = template.text_in(wanted.language, inquiry, f"{field}.language")
    calendar = await desk.config.calendar(inquiry.country)
    return Draft(
        template_id=template.template_id,
        text=rendered(text, inquiry, writer, calendar.time_zone),
    )


async def reply_text(
    inquiry_id: str,
    wanted: DraftReply,
    edited: str | None,
    visibility: Visibility,
    *,
    desk: Desk,
    writer: str | None,
) -> str:
    """A reply written from a template: the edited text sent, or else the draft as it is.
    The template is checked either way, so a reply names only one that applies to it.
    ``writer`` None: the requester side, which writes its own replies."""
    if writer is None:
        raise InvalidChange(
            "templates are the desk's; the requester writes", field="body.template_id"
        )
    drafted = await draft(inquiry_id, wanted, visibility, desk=desk, writer=writer)
    return edited or drafted.text
