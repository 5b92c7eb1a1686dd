"""HTTP views of the notifications service: parse, call one handler, shape the answer.

Operators read the ledger and inbound mail with contact details masked, and template
previews; admins read everything. A recipient opens their own
preferences with the signed token of the link in every mail (no key needed, rate limited).
"""

from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from services.notifications import handlers
from services.notifications.composing.pages import confirmation_page, unsubscribed_page
from services.notifications.keys import MAILROOM
from services.notifications.model import (
    Category,
    InboundRecord,
    InvalidToken,
    Language,
    Mail,
    MailNotFound,
    MailStatus,
    MailSummary,
    Preferences,
    PreferencesView,
    TemplateNotFound,
)
from shared.auth import PUBLIC, Role, allow
from shared.http.endpoints import ApiRoutes, principal_of
from shared.http.negotiation import JSON, preferred
from shared.http.pagination import Page, PageQuery, encode_cursor
from shared.http.problems import Forbidden, NotFound

api = ApiRoutes(
    "notifications",
    errors={MailNotFound: NotFound, TemplateNotFound: NotFound, InvalidToken: Forbidden},
)
T = TypeVar("T")
STAFF = allow(Role.OPERATOR, Role.ADMIN)
HTML = "text/html"
Token = Field(min_length=3, max_length=600)


class TemplatePreview(BaseModel):
    name: str
    language: Language
    subject: str
    text: str
    html: str


class TemplateList(BaseModel):
    templates: list[str]


class PreviewQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lang: Language = "en"


class MailQuery(PageQuery):
    status: MailStatus | None = None
    recipient: str | None = Field(default=None, max_length=254, description="admins only")


class TokenQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Token


class UnsubscribeQuery(TokenQuery):
    category: Category


@api.get("/templates", summary="The mail templates", access=STAFF, response=TemplateList)
async def list_templates(request: web.Request) -> TemplateList:
    return TemplateList(templates=request.app[MAILROOM].renderer.names())


@api.get(
    "/templates/{name}/preview",
    summary="A template rendered with sample values, in a language",
    access=STAFF,
    query=PreviewQuery,
    response=TemplatePreview,
    problems=(404,),
)
async def preview_template(request: web.Request, query: PreviewQuery) -> TemplatePreview:
    name = request.match_info["name"]
    rendered = handlers.preview(name, query.lang, request.app[MAILROOM])
    return TemplatePreview(name=name, language=query.lang, **rendered.__dict__)


@api.get(
    "/mail",
    summary="The sent-mail ledger, newest first",
    access=STAFF,
    query=MailQuery,
    response=Page[MailSummary],
    problems=(403,),
)
async def list_mail(request: web.Request, query: MailQuery) -> Page[MailSummary]:
    admin = _is_admin(request)
    if query.recipient is not None and not admin:
        # Contact details are for admins, as in the console: a filter by address would tell
        # an operator whether, when and about what that address was mailed.
        raise Forbidden("only admins may list one recipient's mail", field="query.recipient")
    ledger = request.app[MAILROOM].ledger
    rows = await ledger.page(query.after, query.limit, query.status, query.recipient)
    if not admin:
        rows = [(order, row.masked()) for order, row in rows]
    return _page(rows, query.limit)


@api.get(
    "/mail/{mail_id}",
    summary="One mail as sent: bodies, invitation, attempts (admins: it holds contact details)",
    access=allow(Role.ADMIN),
    response=Mail,
    problems=(404,),
)
async def get_mail(request: web.Request) -> Mail:
    return await request.app[MAILROOM].ledger.get(request.match_info["mail_id"])


@api.get(
    "/inbound",
    summary="Mail received: replies taken and refusals with their reasons",
    access=STAFF,
    query=PageQuery,
    response=Page[InboundRecord],
)
async def list_inbound(request: web.Request, query: PageQuery) -> Page[InboundRecord]:
    rows = await request.app[MAILROOM].inbound.page(query.after, query.limit)
    if not _is_admin(request):
        rows = [(order, record.masked()) for order, record in rows]
    return _page(rows, query.limit)


@api.get(
    "/preferences",
    summary="A recipient's mail preferences (the token comes with every mail)",
    access=PUBLIC,
    query=TokenQuery,
    response=PreferencesView,
    problems=(403, 429),
    rate_limited=True,
)
async def get_preferences(request: web.Request, query: TokenQuery) -> PreferencesView:
    return await handlers.preferences_of(query.token, request.app[MAILROOM])


@api.put(
    "/preferences",
    summary="Turn categories of mail on or off (account and security mail stay on)",
    access=PUBLIC,
    query=TokenQuery,
    body=Preferences,
    response=PreferencesView,
    problems=(403, 429),
    rate_limited=True,
)
async def put_preferences(
    request: web.Request, query: TokenQuery, body: Preferences
) -> PreferencesView:
    return await handlers.set_preferences(query.token, body, request.app[MAILROOM])


@api.post(
    "/unsubscribe",
    summary="One-click unsubscribe from a category (RFC 8058 List-Unsubscribe-Post)",
    access=PUBLIC,
    query=UnsubscribeQuery,
    response=PreferencesView,
    problems=(403, 429),
    rate_limited=True,
)
async def one_click_unsubscribe(
    request: web.Request, query: UnsubscribeQuery
) -> PreferencesView | web.Response:
    """A mail client's one-click POST gets JSON; the form of the page below gets a page."""
    view = await handlers.unsubscribe(query.token, query.category, request.app[MAILROOM])
    if preferred(request, (JSON, HTML)) == HTML:
        return _page_of(unsubscribed_page(view, query.category))
    return view


@api.get(
    "/unsubscribe",
    summary="The page the unsubscribe link in a mail opens: it asks before it unsubscribes",
    access=PUBLIC,
    query=UnsubscribeQuery,
    response=PreferencesView,
    problems=(403, 429),
    rate_limited=True,
    also_as=(HTML,),
)
async def unsubscribe_page(
    request: web.Request, query: UnsubscribeQuery
) -> PreferencesView | web.Response:
    """Changes nothing: a GET is what link scanners and mail previews fetch on their own,
    so the page asks, and its button POSTs (RFC 8058 §3). JSON callers read the preferences."""
    view = await handlers.preferences_of(query.token, request.app[MAILROOM])
    if preferred(request, (JSON, HTML)) == HTML:
        return _page_of(confirmation_page(view, query.category))
    return view


def _page_of(page: str) -> web.Response:
    # Nothing but the page itself: no script, no style from elsewhere; its form posts here.
    policy = "default-src 'none'; form-action 'self'; frame-ancestors 'none'"
    headers = {"Content-Security-Policy": policy, "Cache-Control": "no-store"}
    return web.Response(text=page, content_type=HTML, headers=headers)


def _is_admin(request: web.Request) -> bool:
    return principal_of(request).role is Role.ADMIN


def _page(rows: list[tuple[str, T]], limit: int) -> Page[T]:
    items = [item for _, item in rows[:limit]]
    more = len(rows) > limit
    return Page(items=items, next_cursor=encode_cursor(rows[limit - 1][0]) if more else None)
