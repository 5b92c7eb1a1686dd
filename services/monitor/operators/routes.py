"""HTTP view of the audit log: what operators did, newest first."""

from aiohttp import web

from services.monitor.keys import AUDIT
from services.monitor.operators.repository import AuditEntry
from services.monitor.routes import ERRORS, READ_TAG, STAFF, shown
from shared.http.endpoints import ApiRoutes
from shared.http.pagination import Page, PageQuery, page_of

audit_api = ApiRoutes(READ_TAG, errors=ERRORS)


@audit_api.get(
    "/api/audit",
    summary="Operator actions, newest first",
    access=STAFF,
    query=PageQuery,
    response=Page[AuditEntry],
)
async def audit(request: web.Request, query: PageQuery) -> Page[AuditEntry]:
    found = await request.app[AUDIT].list(query.after, query.limit)
    return page_of([shown(request, entry) for entry in found], query.limit, lambda e: e.id)
