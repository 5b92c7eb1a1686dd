"""Whom a city or company key may be issued to: only an id its owning service knows.

``jamp keys create`` is a composition root, like ``jamp matching rebuild``: it asks the
owning service's own repository in that service's database (the proposals service's ASCN
cities, the companies service's profiles). Those are the sources of truth, so a city added
or a company registered a moment ago is known at once, with no stream to wait for; the
CLI only reads them. It therefore needs read access to those two databases.
"""

from services.companies.repository import CompanyRepository
from services.proposals.repository import CityRepository
from shared.auth import Role
from shared.mongo import create_client
from shared.settings import ServiceSettings


async def check_grantee(settings: ServiceSettings, role: Role, scope: str | None) -> None:
    """Raise ValueError naming the grant when a city or company scope names nothing."""
    if scope is None or role not in (Role.CITY, Role.COMPANY):
        return
    mongo = create_client(settings.mongodb_uri)
    try:
        if role is Role.CITY:
            cities = CityRepository(mongo[settings.database_name("proposals")])
            known = await cities.get(scope) is not None
            hint = "GET /cities on the proposals service lists them"
        else:
            companies = CompanyRepository(mongo[settings.database_name("companies")])
            known = await companies.get(scope) is not None
            hint = "a company gets its id when it registers"
    finally:
        await mongo.close()
    if not known:
        raise ValueError(f"no {role} {scope!r} is known; {hint}")
