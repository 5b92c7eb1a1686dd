"""Use cases of the companies service: plain async functions with keyword dependencies."""

from collections.abc import Callable

from pymongo.asynchronous.client_session import AsyncClientSession

from services.companies.model import (
    Action,
    Company,
    CompanyNotFound,
    CompanyQuery,
    RegisterCompany,
    UpdateCompany,
)
from services.companies.repository import CompanyRepository
from shared.auth import KeyReplica, Role, issue_key
from shared.clock import utc_now
from shared.contracts import EventPayload
from shared.contracts.companies import (
    CompanyRegistered,
    CompanySuspended,
    CompanyUpdated,
    CompanyVerified,
)
from shared.contracts.identity import ApiKeyRelabelled, ApiKeyRevoked
from shared.http.pagination import Page, page_of
from shared.identity import made_by
from shared.mongo import new_id
from shared.platform import Platform, Trace, UnitOfWork, unit_of_work

REGISTRATION = "registration"
"""The purpose of the company's own key, minted by its registration (and by a retry of it):
the one key a retry replaces. Keys an admin issued to the company's people are left alone."""


async def register_company(
    command: RegisterCompany,
    *,
    platform: Platform,
    companies: CompanyRepository,
    keys: KeyReplica,
    trace: Trace,
) -> tuple[Company, str]:
    """Store the company, its own API key and both events in one transaction."""
    company = Company.register(new_id(), command).model_copy(update={"updated_by": trace.by})
    key = issue_key(Role.COMPANY, company.company_id, _own_key_label(company), keys.pepper)
    issued = made_by(key.event, trace)
    async with unit_of_work(platform, trace) as uow:
        await companies.add(company, uow)
        await keys.add_minted(issued, uow, purpose=REGISTRATION)
        await uow.publish(company.company_id, CompanyRegistered(company=company.profile()))
        await uow.publish(issued.key_id, issued)
    return company, key.plaintext


async def reissue_company_key(
    company_id: str,
    *,
    platform: Platform,
    companies: CompanyRepository,
    keys: KeyReplica,
    trace: Trace,
) -> tuple[Company, str]:
    """A registration retried with its idempotency key: the company as registered and a
    fresh key in place of the one whose answer was lost (only its hash was ever kept).
    Only the key the registration minted is replaced: whoever retries is not thereby the
    company, and must not lock its people out."""
    async with unit_of_work(platform, trace) as uow:
        company = await get_company(company_id, companies=companies, session=uow.session)
        minted = await keys.active_key_ids(
            Role.COMPANY, company_id, uow.session, purpose=REGISTRATION
        )
        for key_id in minted:
            revoked = made_by(
                ApiKeyRevoked(
                    key_id=key_id,
                    revoked_at=utc_now(),
                    reason="replaced: the registration was retried with its idempotency key",
                ),
                trace,
            )
            await keys.record_revoked(revoked, uow.session)
            await uow.publish(key_id, revoked)
        key = issue_key(Role.COMPANY, company_id, _own_key_label(company), keys.pepper)
        issued = made_by(key.event, trace)
        await keys.add_minted(issued, uow, purpose=REGISTRATION)
        await uow.publish(issued.key_id, issued)
    return company, key.plaintext


def _own_key_label(company: Company) -> str:
    """A key without a person is shown by its label wherever it acts (a match's answer, a
    message): the company's own key by the company's name."""
    return f"company {company.name_en}"


async def _relabel_own_keys(company: Company, keys: KeyReplica, uow: UnitOfWork) -> None:
    """The renamed company's own key is shown by its new name everywhere, from now on."""
    for key_id in await keys.active_key_ids(
        Role.COMPANY, company.company_id, uow.session, purpose=REGISTRATION
    ):
        relabelled = made_by(
            ApiKeyRelabelled(
                key_id=key_id, label=_own_key_label(company), relabelled_at=company.updated_at
            ),
            uow.trace,
        )
        await keys.record_relabelled(relabelled, uow.session)
        await uow.publish(key_id, relabelled)


async def get_company(
    company_id: str, *, companies: CompanyRepository, session: AsyncClientSession | None = None
) -> Company:
    company = await companies.get(company_id, session)
    if company is None:
        raise CompanyNotFound(f"no company {company_id}")
    return company


async def list_companies(query: CompanyQuery, *, companies: CompanyRepository) -> Page[Company]:
    found = await companies.search(query, after=query.after)
    return page_of(found, query.limit, lambda company: company.company_id)


async def update_company(
    company_id: str,
    update: UpdateCompany,
    expected_version: int | None,
    *,
    platform: Platform,
    companies: CompanyRepository,
    keys: KeyReplica,
    trace: Trace,
    by_staff: bool,
) -> Company:
    async with unit_of_work(platform, trace) as uow:
        current = await get_company(company_id, companies=companies, session=uow.session)
        current.check_editable(by_staff)
        current.check_version(expected_version)
        company, changes = current.updated(update.changes())
        if not changes:
            return current  # nothing differs: no write, no event
        company = company.model_copy(update={"updated_by": trace.by})
        if company.name_en != current.name_en:
            await _relabel_own_keys(company, keys, uow)
        await companies.save(company, current.version, uow.session)
        updated = CompanyUpdated(
            company_id=company_id, version=company.version, changes=changes,
            by=trace.actor, by_person=trace.by,
        )  # fmt: skip
        await uow.publish(company_id, updated)
    return company


async def verify_company(
    company_id: str, *, platform: Platform, companies: CompanyRepository, trace: Trace
) -> Company:
    def verified(company: Company) -> CompanyVerified:
        return CompanyVerified(
            company_id=company_id, version=company.version, by=trace.actor, by_person=trace.by
        )

    return await _transition(company_id, "verify", verified, platform, companies, trace)


async def suspend_company(
    company_id: str,
    reason: str,
    *,
    platform: Platform,
    companies: CompanyRepository,
    trace: Trace,
) -> Company:
    def suspended(company: Company) -> CompanySuspended:
        return CompanySuspended(
            company_id=company_id,
            version=company.version,
            by=trace.actor,
            by_person=trace.by,
            reason=reason,
        )

    return await _transition(company_id, "suspend", suspended, platform, companies, trace)


async def _transition(
    company_id: str,
    action: Action,
    event: Callable[[Company], EventPayload],
    platform: Platform,
    companies: CompanyRepository,
    trace: Trace,
) -> Company:
    async with unit_of_work(platform, trace) as uow:
        current = await get_company(company_id, companies=companies, session=uow.session)
        company = current.transitioned(action).model_copy(update={"updated_by": trace.by})
        await companies.save(company, current.version, uow.session)
        await uow.publish(company_id, event(company))
    return company
